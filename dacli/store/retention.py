"""The sweep's side of retention: its key file, what it checks, and purging one case whole or not at all.

Least privilege. The unattended sweep runs with a `retention` identity whose key file sits outside the
store. Staff processes write the retention registers (registers.py: one per writer, encrypted to the
retention recipient and the store key): case reference, status, dates and whether a hold applies, no names.
The retention key opens those and nothing else: case records are encrypted to each case's own key, which
is wrapped to staff only. Destroying a case needs no key at all; boiling it down keeps the summaries that
`dacli close` wrote (encrypted to the case key) and the case's key ring, and drops everything else.
Destruction is two-phase (intents.py): a signed purge intent first, the purge only after a grace period.

Purging one case, in order (each step atomic; a sweep killed at any point is finished by the next one):
1. a tombstone line, signed by the sweep's key (see tombstones.py), is appended (and fsynced) to
   `.dacli/tombstones.jsonl`: reference, dates, rule, mode, who or what ran it, no personal data; the case
   now counts as purged;
2. the case folder is renamed into `.dacli/purging/` (one rename: it leaves the store whole);
3. boil-down only: a new folder with the key ring and summary is built beside it and renamed into place;
4. the old folder is deleted.
A case folder in the store is therefore always the whole case or the boiled-down summary, never half.
Staff processes drop tombstoned cases from the index the next time they write it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dacli.errors import DacliError, IntegrityError, StoreError
from dacli.schemas.common import RECORD_NAME_RE
from dacli.store import crypto, registers, signing
from dacli.store.fsio import LOCK_NAME, TMP_PREFIX, atomic_write, folder_lock, fsync_dir, make_dir
from dacli.store.layout import KEY_FILE_RE, boiled
from dacli.store.registers import REGISTER, Witness, register_row
from dacli.store.tombstones import TOMBSTONES, Tombstones, Trust, append_tombstone, tombstones

__all__ = [  # their home before
    "REGISTER",
    "TOMBSTONES",
    "Tombstones",
    "Trust",
    "append_tombstone",
    "register_row",
    "tombstones",
]

PURGING = "purging"
RETENTION_KEY_SCHEMA = "dacli-retention-key/3"  # /2: with the trust line; /3: with the sweep's signing key
OLD_KEY_SCHEMAS = ("dacli-retention-key/2",)  # still plan; the sweep applies nothing with one
KEEP_ON_BOIL = ("keys.age", "summary.toml.age")
"""What a boil-down keeps: these, and every later key file of the case (`layout.KEY_FILE_RE`)."""
STAMPED_INTAKE = re.compile(r"intake-[0-9]{8}T[0-9]{6}-[0-9a-f]{6}\.toml\.age")


@dataclass
class RetentionKey:
    """The retention identity, and ``trust``: the founding manager's public signing key, copied into the key
    file at `retention init`, against which the sweep checks the staff list and so the register's author."""

    identity: crypto.Identity
    trust: str
    store_id: str
    signer: signing.Signer | None = None
    """The sweep's signing key (/3): it signs each tombstone line and the sweep's audit entries. None for a
    /2 key file, which still plans: the sweep refuses to apply with it."""

    @property
    def signing_public(self) -> str | None:
        return signing.public_of(self.signer.seed) if self.signer else None


def _staff(meta: Path, key: RetentionKey) -> list:
    """The staff list, checked against the founding manager's key the retention key file holds."""
    from dacli import clock
    from dacli.store import seen
    from dacli.store.staff import checked_fold

    # the snapshot and every staff change, with what this computer remembers (read, not written: the
    # sweep believes no more than a session on this computer does)
    memory = seen.memory(key.store_id, clock.now())
    found = checked_fold(meta, key.store_id, key.trust, memory=memory)
    seen.refuse(key.store_id, found.staff, found.names, found.added)  # as `seen.check` would, writing nothing
    return found.staff.staff


def checked_settings(meta: Path, key: RetentionKey):
    """store.toml as a current manager signed it: it names the retention key and the sweep's signing key."""
    from dacli.schemas.store import StoreSettings
    from dacli.store.documents import read_plain_toml, signed_context

    path = meta / "store.toml"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"Cannot read the store settings ({exc.strerror}).") from None
    keys = {m.id: m.signing_key for m in _staff(meta, key) if m.active and m.role.value == "manager"}
    signing.check(raw, signed_context("settings", key.store_id), keys, "The store settings")
    return read_plain_toml(path, StoreSettings, "The store settings")


def sweep_trust(meta: Path, key: RetentionKey, settings) -> Trust:
    """What the sweep checks the tombstone register against (``settings`` as `checked_settings` read it)."""
    managers = {m.id: m.signing_key for m in _staff(meta, key) if m.role.value == "manager"}
    return Trust(key.store_id, settings.retention_signing_key, managers)


def checked_policy(meta: Path, key: RetentionKey):
    """policy.toml as a current manager accepted it (signed): the sweep's retention dates come from it."""
    from dacli.schemas.store import Policy
    from dacli.store import signing
    from dacli.store.documents import read_plain_toml, signed_context

    path = meta / "policy.toml"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"Cannot read the store policy ({exc.strerror}).") from None
    keys = {m.id: m.signing_key for m in _staff(meta, key) if m.active and m.role.value == "manager"}
    try:
        signing.check(raw, signed_context("policy", key.store_id), keys, "The store policy")
    except IntegrityError:
        raise IntegrityError(
            "The store policy (policy.toml) has changed since a manager accepted it: the sweep destroys "
            "nothing until a manager runs `dacli policy accept`."
        ) from None
    return read_plain_toml(path, Policy, "The store policy")


def read_registers(meta: Path, key: RetentionKey) -> list[Witness]:
    """Every retention register the sweep believes (see registers.py): signed by a current member of staff,
    as the staff list the founding manager's key vouches for says."""
    staff = _staff(meta, key)
    current = {m.id: m.signing_key for m in staff if m.active}
    past = {m.id for m in staff if not m.active}
    seniors = {m.id for m in staff if m.active and m.role.value in ("senior", "manager")}
    witnesses = registers.read_registers(meta, key.identity, key.store_id, current, past)
    for w in witnesses:
        w.senior = w.author in seniors
    return witnesses


def folder_says_keep(folder: Path, expected: str | None = None) -> str | None:
    """Why a case's own folder says it must be kept whatever the register says, or None. The sweep
    destroys on the register's word; the register is signed, but an older signed copy could be put back.
    The record *names* in the folder are plain and need no key: a case with no closure, a reopening after
    its latest closure, or more holds than hold ends is kept; so is one whose folder no longer matches the
    fingerprint ``expected`` the register holds for it (a fact arrived, from this office or another, after
    the register was written: a staff member's next listing writes the register again)."""
    try:
        # records by name: a sync engine's conflict copy of a hold's end is not a second end
        names = [n for n in os.listdir(folder) if RECORD_NAME_RE.fullmatch(n)]
    except FileNotFoundError:
        return None  # already gone (or boiled down and renamed in by an earlier step)
    except OSError as exc:
        return f"its folder cannot be read ({exc.strerror})"
    from dacli.schemas.review import is_summary  # here: a caseload read never asks, and its models cost

    if "case.toml.age" not in names and any(map(is_summary, names)):
        return None  # boiled down: only a destroy sweep touches it again, on its own dates
    closures = sorted(n for n in names if n.startswith("closure-"))
    reopens = sorted(n for n in names if n.startswith("reopen-"))
    # store format 3: an intake (a referral, or a version of one) written after the closure reopens it
    intakes = sorted(n for n in names if STAMPED_INTAKE.fullmatch(n))
    if not closures:
        return "its folder holds no closure"

    def stamp(name: str) -> str:  # kind-YYYYmmddTHHMMSS-rand.toml.age
        return name.split("-")[1]

    # the same second counts as after: when in doubt, keep
    if reopens and max(map(stamp, reopens)) >= max(map(stamp, closures)):
        return "its folder shows it reopened after its last closure"
    # (an intake in the same second as the closure is the referral it closed: a reopening cannot be so quick)
    if intakes and max(map(stamp, intakes)) > max(map(stamp, closures)):
        return "its folder shows a referral taken after its last closure"
    holds = sum(n.startswith("hold-") for n in names)
    if holds > sum(n.startswith("holdend-") for n in names):
        return "its folder shows a hold in force"
    if expected and folder_print(folder) != expected:
        return "its folder changed since the retention register was written (a listing writes it again)"
    return None


def folder_print(folder: Path) -> str:
    """The fingerprint of a case folder's files (names and sizes; no key needed): the retention sweep keeps a
    case whose folder no longer matches the register's."""
    parts = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.endswith(".age") and not entry.name.startswith(TMP_PREFIX):
                    parts.append(f"{entry.name}:{entry.stat(follow_symlinks=False).st_size}")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise StoreError(f"Cannot list {folder.name} ({exc.strerror}).") from None
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:24]


# -- the retention identity ------------------------------------------------------------------------------


def dump_retention_key(identity: crypto.Identity, store_id: str, trust: str, signing_seed: str) -> bytes:
    """The key file: an age identity file (comments and one identity, so `age -d -i` reads it), with the
    sweep's Ed25519 signing seed on a comment line."""
    lines = [
        "# dacli retention key: opens the retention register of one store and nothing else",
        f"# schema: {RETENTION_KEY_SCHEMA}",
        f"# store: {store_id}",
        f"# public key: {identity.public}",
        f"# trust: {trust}",
        f"# signing key: {signing.public_of(signing_seed)}",
        f"# signing seed: {signing_seed}",
        identity.secret,
    ]
    return ("\n".join(lines) + "\n").encode()


def load_retention_key(path: Path, store_id: str, passphrase: str | None) -> RetentionKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"Cannot read the retention key {path} ({exc.strerror}).") from None
    if data.startswith(b"age-encryption.org/"):
        if not passphrase:
            raise StoreError("The retention key is passphrase-protected: set DACLI_PASSPHRASE_FILE.")
        data = crypto.passphrase_decrypt(data, passphrase, "the retention key")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise IntegrityError(f"{path} is not a dacli retention key.") from None
    meta = dict(
        line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# ") and ": " in line
    )
    secrets = [line.strip() for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-")]
    schema = meta.get("schema")
    if schema not in (RETENTION_KEY_SCHEMA, *OLD_KEY_SCHEMAS) or len(secrets) != 1:
        raise IntegrityError(f"{path} is not a dacli retention key.")
    if meta.get("store") != store_id:
        raise IntegrityError(f"{path} is the retention key of another store.")
    if not meta.get("trust"):
        raise IntegrityError(f"{path} is not a dacli retention key.")
    signer = None
    if schema == RETENTION_KEY_SCHEMA:
        try:
            signer = signing.Signer("retention", meta["signing seed"])
        except (KeyError, ValueError):
            raise IntegrityError(f"{path} has a damaged signing seed.") from None
    return RetentionKey(crypto.Identity(secrets[0]), meta["trust"], store_id, signer)


# -- purging ---------------------------------------------------------------------------------------------


def _boiled(folder: Path) -> bool:
    return boiled(folder)


def kept_on_boil(names: list[str]) -> list[str]:
    """The files a boil-down keeps: every key file of the case (`keys.age` and those added since) and every
    summary (written once: two closures made at once in two offices left two)."""
    from dacli.schemas.review import is_summary

    return [n for n in names if n in KEEP_ON_BOIL or is_summary(n) or KEY_FILE_RE.fullmatch(n)]


def purge(
    root: Path,
    meta: Path,
    ref: str,
    mode: str,
    tomb: dict,
    timeout: float,
    announce=None,
    book=None,
    still_due=None,
) -> None:
    """Purge one case (see the module's notes for the order). ``tomb`` is the tombstone entry (already
    appended when resuming); ``book`` the sweep's Tombstones (read once). ``still_due`` is asked under the
    store lock, before anything changes, whether the case is still due (a hold or a reopening made since
    the plan stops it). ``announce`` is called between steps (tests kill the process there)."""
    from dacli.schemas.review import is_summary

    step = announce or (lambda _name: None)
    case = root / ref
    trash = meta / PURGING
    make_dir(trash)
    if mode == "boil-down" and case.is_dir() and not any(map(is_summary, os.listdir(case))):
        raise StoreError(
            f"{ref} has no boil-down summary (it was closed without the exit form); nothing was changed."
        )
    if book is None or book.signer is None or book.trust is None:
        raise StoreError("A purge needs the tombstone register opened with the sweep's signing key.")
    with folder_lock(meta, timeout, "the store settings"):
        book = book.current()
        book.check()  # a forged line: nothing is appended after it, nothing destroyed
        if book.key_in_force != signing.public_of(book.signer.seed):
            raise StoreError(
                f"{ref} left alone: a manager gave the sweep a new key (`retention init`) meanwhile."
            )
        started = (trash / ref).exists()
        if not started and still_due is not None and not still_due(ref):
            raise StoreError(f"{ref} is no longer due (held or reopened since the plan); left alone.")
        if ref not in book.entries:
            tomb = {**tomb, "files": folder_files(case)}  # what it destroys: anything else arrived later
            book.append(tomb)
            step("tombstone")
        elif late := arrived_after(root, meta, ref, book.entries[ref]):
            raise StoreError(
                f"{ref} left alone: {len(late)} file(s) arrived after its purge began ({', '.join(late)}); "
                "a manager decides what becomes of them."
            )
        if case.is_dir() and not _boiled(case):
            with folder_lock(case, timeout, f"case {ref}"):
                os.replace(case, trash / ref)
            fsync_dir(root)
            fsync_dir(trash)
            step("moved")
        old = trash / ref
        if mode == "boil-down" and not case.exists() and old.is_dir():
            new = trash / f"{ref}.boiled"
            shutil.rmtree(new, ignore_errors=True)
            make_dir(new)
            for name in kept_on_boil(os.listdir(old)):
                atomic_write(new / name, (old / name).read_bytes())
            step("boiled")
            os.replace(new, case)
            fsync_dir(root)
            step("restored")
        # The caseload index still holds the case's name, date of birth and perpetrators, and the sweep
        # cannot rewrite it (encrypted to the store key, signed by staff): it is a cache of the records, so
        # it goes, and the next staff command rebuilds it without the purged case. Before the old folder is
        # deleted: a kill before this point leaves the purge pending, and the next sweep comes back here.
        with contextlib.suppress(FileNotFoundError):
            (meta / "index.json.age").unlink()
            fsync_dir(meta)
        if old.exists():
            shutil.rmtree(old)
            fsync_dir(trash)
        step("deleted")


def destroy_many(
    root: Path,
    meta: Path,
    wanted: list[tuple[str, dict]],
    timeout: float,
    book,
    still_due,
    announce=None,
) -> dict[str, BaseException | None]:
    """Destroy several due cases in one hold of the store lock, in the order `purge` keeps for one case:
    every tombstone first (one write, one fsync), then each folder moved aside, the moves made durable
    (one fsync of each folder), the caseload index dropped, and each folder deleted. Each case is still
    decided again under the lock (``still_due``) and goes wholly or not at all; a kill at any point leaves
    each case whole or tombstoned (the next sweep finishes it). Returns, for each case, None when it is
    gone or the error that left it alone. ``wanted``: (case, its tombstone entry, not yet written)."""
    step = announce or (lambda _name: None)
    trash = meta / PURGING
    make_dir(trash)
    if book is None or book.signer is None or book.trust is None:
        raise StoreError("A purge needs the tombstone register opened with the sweep's signing key.")
    outcome: dict[str, BaseException | None] = {}
    with folder_lock(meta, timeout, "the store settings"):
        book = book.current()
        book.check()
        if book.key_in_force != signing.public_of(book.signer.seed):
            raise StoreError("Left alone: a manager gave the sweep a new key (`retention init`) meanwhile.")
        ready, tombs = [], []
        for ref, tomb in wanted:
            if ref in book.entries or (trash / ref).exists():  # begun elsewhere: the one-case path resumes it
                outcome[ref] = StoreError(f"{ref} left alone: its purge was begun by another sweep.")
            elif not still_due(ref):
                outcome[ref] = StoreError(
                    f"{ref} is no longer due (held or reopened since the plan); left alone."
                )
            else:
                ready.append(ref)
                tombs.append({**tomb, "files": folder_files(root / ref)})
        book.append_all(tombs)
        for _ in tombs:
            step("tombstone")
        moved = []
        for ref in ready:
            case = root / ref
            try:
                if case.is_dir():
                    with folder_lock(case, timeout, f"case {ref}"):
                        os.replace(case, trash / ref)
                moved.append(ref)
            except (DacliError, OSError) as exc:  # tombstoned: the next sweep finishes it
                outcome[ref] = exc
        if moved:
            fsync_dir(root)
            fsync_dir(trash)
        for _ in moved:
            step("moved")
        with contextlib.suppress(FileNotFoundError):  # the index goes before any folder (see `purge`)
            (meta / "index.json.age").unlink()
            fsync_dir(meta)
        for ref in moved:
            try:
                if (trash / ref).exists():
                    shutil.rmtree(trash / ref)
                outcome[ref] = None
            except OSError as exc:
                outcome[ref] = exc
            step("deleted")
        if moved:
            fsync_dir(trash)
    return outcome


def folder_files(folder: Path) -> list[str]:
    """The files of a case folder a purge takes (its lock and half-written files aside)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"Cannot list {folder.name} ({exc.strerror}).") from None
    return sorted(n for n in names if n != LOCK_NAME and not n.startswith(TMP_PREFIX))


def arrived_after(root: Path, meta: Path, ref: str, tomb: dict) -> list[str]:
    """The files in a purged case's folder, or in its place in `.dacli/purging/`, that its purge never saw
    (the tombstone lists what it took): records written in another office that synced after the purge.
    For a purge from before tombstones listed files: every file of a folder that came back without its
    `case.toml.age` (a whole case there is a purge the next sweep finishes)."""
    files = tomb.get("files")
    found: set[str] = set()
    for place in (root / ref, meta / PURGING / ref, meta / PURGING / f"{ref}.boiled"):
        names = folder_files(place) if place.is_dir() else []
        if not isinstance(files, list):
            if place == root / ref and names and "case.toml.age" not in names and not boiled(place):
                found.update(names)
            continue
        found.update(n for n in names if n not in files)
    return sorted(found)


def late_arrivals(root: Path, meta: Path, entries: dict[str, dict]) -> dict[str, list[str]]:
    """{case: the files that arrived after its purge} for every purged case (``entries``: the tombstone
    lines believed). Nothing is deleted or moved: a manager decides (README, retention)."""
    out = {}
    for ref, tomb in sorted(entries.items()):
        if late := arrived_after(root, meta, ref, tomb):
            out[ref] = late
    return out


def pending(meta: Path) -> list[str]:
    """Cases whose purge was started but not finished (in `.dacli/purging/`)."""
    folder = meta / PURGING
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".boiled"))


def gone_for_good(root: Path, ref: str) -> bool:
    """A tombstoned case is hidden from staff only once its folder is really gone, boiled down, or holds
    only files that arrived after its purge (no `case.toml.age`: they are named to a manager, see
    `late_arrivals`, never read as a case): a tombstone line alone (written by hand, or a purge that never
    got further) hides nothing."""
    folder = root / ref
    return not folder.exists() or _boiled(folder) or not (folder / "case.toml.age").exists()
