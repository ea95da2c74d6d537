"""The retention registers: one per writer, merged by the sweep most cautiously.

Each member of staff, on each computer, writes their own register (`.dacli/retention/<staff id>-<machine>
.json.age`) from their caseload index whenever a row it carries changed: case reference, status, last
contact, referral date, closure date, the youngest child's date of birth, whether a hold applies, and the
case folder's fingerprint (record names and sizes, taken before the records were read). No names. It is
encrypted to the retention recipient and the store key and signed by its writer; no one else ever writes
it, so a file-sync engine never makes a conflict copy of it. Up to this format every writer rewrote one
shared register (`.dacli/retention.json.age`, 96 conflict copies in one simulated run): it is still read
where it stands, and the first register written by this dacli removes it.

The sweep merges every register it can believe (`merge_rows`), so that no one can shorten a retention by
writing one: for each case the latest last contact, referral, closure and youngest child's birth among all
registers win; its status and holds come from the registers that saw the case folder as it is now (their
fingerprint matches it): any of them saying open, or held, keeps the case, and a case no register saw as
it is now is kept until a listing writes one again. A register signed by anyone not on the staff list stops
the sweep (it destroys nothing); one written by a member who has since left is no longer counted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from dacli import clock
from dacli.errors import IntegrityError, StoreError
from dacli.store import crypto, signing
from dacli.store.documents import signed_context
from dacli.store.fsio import atomic_write, fsync_dir, make_dir
from dacli.text import Refused, load_json

REGISTER = "retention.json.age"
"""The one register every writer rewrote, before format 3 was finished: still read, no longer written."""
REGISTER_SCHEMA = "retention-register/1"
REGISTERS = "retention"
"""The folder in `.dacli/` holding one register per writer."""
WRITER_SCHEMA = "retention-register/2"
WRITER_RE = re.compile(r"^(?P<staff>s-[0-9a-f]{12})-(?P<machine>[A-Za-z0-9]{1,32})\.json\.age$")
DATES = ("last_contact", "referral_date", "closed_on", "youngest_child_dob")


def register_row(row: dict) -> dict:
    """The register's view of an index row: dates and flags only."""
    last = row.get("last_contact")
    if last:  # the local date (a contact at 00:30 in British summer time is that day, not the day before)
        last = clock.local_date(dt.datetime.fromisoformat(last.replace("Z", "+00:00"))).isoformat()
    return {
        "status": row.get("status", "open"),
        "last_contact": last,
        "referral_date": row.get("referral_date"),
        "closed_on": row.get("closed_on"),
        "youngest_child_dob": row.get("youngest_child_dob"),
        "held": bool(row.get("held", False)),
        "folder": row.get("_folder"),
    }


def own_register(meta: Path, staff_id: str, machine: str) -> Path:
    return meta / REGISTERS / f"{staff_id}-{machine}.json.age"


def write_register(
    meta: Path,
    staff_id: str,
    machine: str,
    index_rows: dict[str, dict],
    recipients: list[str],
    sign: Callable[[bytes], bytes],
) -> Path:
    """Write this writer's own register, signed by them (``sign`` appends their signature line): the sweep
    destroys on the registers' word, so one forged to the retention key (public in store.toml) must not
    pass. The shared register of before goes (its rows are in this one, as this person's index has them)."""
    doc = {
        "schema": WRITER_SCHEMA,
        "by": staff_id,
        "machine": machine,
        "updated": clock.now().isoformat(timespec="seconds"),
        "cases": {ref: register_row(row) for ref, row in index_rows.items()},
    }
    data = json.dumps(doc, separators=(",", ":")).encode()
    path = own_register(meta, staff_id, machine)
    make_dir(path.parent)
    atomic_write(path, crypto.encrypt(sign(data), recipients))
    with suppress(FileNotFoundError):
        (meta / REGISTER).unlink()
        fsync_dir(meta)
    return path


@dataclass
class Witness:
    """One register the sweep believes: where it is, who wrote it, and its rows."""

    name: str
    author: str
    updated: str
    cases: dict[str, dict]
    senior: bool = False
    """Written by a senior or a manager: only such a register, having seen the folder as it is now, outweighs
    the older registers that say a case is held or open (a hold ends, or a case closes, by a senior's or a
    manager's fact)."""


def register_files(meta: Path) -> list[Path]:
    """The registers in the store: the shared one of before (if still there) and one per writer (by their
    exact names: a sync engine's copy of one is not read)."""
    found = [meta / REGISTER] if (meta / REGISTER).is_file() else []
    folder = meta / REGISTERS
    with suppress(FileNotFoundError, NotADirectoryError):
        found += sorted(p for p in folder.iterdir() if WRITER_RE.fullmatch(p.name) and p.is_file())
    return found


def stamp(meta: Path) -> tuple:
    """What tells that a register was written since (names, times and sizes)."""
    out = []
    for path in register_files(meta):
        with suppress(OSError):
            st = path.stat()
            out.append((path.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def read_registers(
    meta: Path, identity: crypto.Identity, store_id: str, current: dict[str, str], past: set[str]
) -> list[Witness]:
    """Every register, decrypted with the retention identity and checked: signed by a current member of
    staff (``current``: id -> signing key), a writer's own register by the writer its name gives. A register
    by a member who has left (``past``) is not counted; any other that does not verify stops the sweep."""
    files = register_files(meta)
    if not files:
        raise StoreError(
            "There is no retention register yet: a manager runs `dacli retention init`, and any change to "
            "the caseload (or `dacli reindex`) writes one."
        )
    out = []
    for path in files:
        writer = WRITER_RE.fullmatch(path.name)
        what = "The retention register" if writer is None else f"The retention register {path.name}"
        if writer is not None and writer["staff"] in past and writer["staff"] not in current:
            continue  # a leaver's: no longer counted (it could only keep cases, never lose one)
        plain = crypto.decrypt(path.read_bytes(), [identity], what)
        body, author = signing.check(plain, signed_context("register", store_id), current, what)
        try:
            doc = load_json(body, what, stored=True)
        except Refused:
            raise IntegrityError(f"{what} is damaged; a member of staff runs `dacli reindex`.") from None
        schema = REGISTER_SCHEMA if writer is None else WRITER_SCHEMA
        if not isinstance(doc, dict) or doc.get("schema") != schema or not isinstance(doc.get("cases"), dict):
            raise IntegrityError(f"{what} is not one this dacli can read; run `dacli reindex`.")
        if writer is not None and (author != writer["staff"] or doc.get("by") != author):
            raise IntegrityError(f"{what} is signed by another member of staff than the one it names.")
        cases = {ref: row for ref, row in doc["cases"].items() if isinstance(row, dict)}
        out.append(Witness(path.name, author, str(doc.get("updated", "")), cases))
    return out


def merge_rows(rows: list[dict], current: str | None) -> tuple[dict, bool]:
    """One case's rows from every register merged most cautiously, and whether no register saw its folder
    as it is now (``current``: the folder's fingerprint, None when the folder is not there to compare).

    Dates: the latest in any register. Status and holds: from the registers whose fingerprint matches the
    folder, if a senior's or a manager's is among them (``_senior`` in a row); else from every register:
    open if any says open, held if any says held. So a caseworker who changes a folder (a file dropped in
    it) and then writes a register saying 'not held' outweighs nobody."""
    seen = [r for r in rows if current is None or r.get("folder") in (None, current)]
    stale = not seen
    judges = seen if any(r.get("_senior") for r in seen) or current is None else rows
    merged: dict = {
        "status": "closed" if all(r.get("status") == "closed" for r in judges) else "open",
        "held": any(bool(r.get("held")) for r in judges),
        "folder": current,
    }
    for key in DATES:
        values = [str(r[key]) for r in rows if r.get(key)]
        merged[key] = max(values) if values else None
    if not merged["referral_date"]:
        merged["status"] = "open"  # nothing to count from: kept
    return merged, stale


def writers(meta: Path) -> list[str]:
    """The register files by name (for reports)."""
    return [p.name for p in register_files(meta)]


def remove_old(meta: Path) -> bool:
    """`dacli upgrade`: the shared register of before goes (each writer's own replaces it)."""
    try:
        os.unlink(meta / REGISTER)
    except FileNotFoundError:
        return False
    fsync_dir(meta)
    return True
