"""The audit trail: one append-only, hash-chained log per member of staff and machine.

Each line is JSON: ``seq``, ``at`` (UTC), ``staff`` (staff id), ``user`` (username), ``machine``,
``action``, ``case``, ``record``, ``reason`` and ``prev``/``hash``. ``hash`` is SHA-256 over ``prev`` and
the entry's canonical JSON, so changing, inserting, reordering or deleting an entry breaks the chain.

What a chain cannot detect on its own is a cut tail: deleting the last entries leaves a valid, shorter
chain. dacli mitigates this by anchoring: every write of the caseload index records the head (seq, hash)
of every log it has seen, and `audit verify` reports a log shorter than its anchor. A manager can also
keep the heads that `audit verify --json` prints somewhere else.

Logs hold case references, record file names and actions, never client names. The free-text ``reason``
is stored encrypted to the store key (a person may well type a name into it), so reading reasons needs
an unlocked session while verifying the chain does not.

One writer per file (a person on one machine), so copies of a store merged with git never conflict on a
log; a lock still guards against the same person running two commands at once.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dacli import clock
from dacli.errors import IntegrityError, StoreError
from dacli.text import Refused, load_json, one_line

GENESIS = "0" * 64


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    return hashlib.sha256(_canonical(body)).hexdigest()


@dataclass
class LogReport:
    name: str
    entries: int
    head: str
    problems: list[str]
    """Tampering: an entry changed, removed, reordered or inserted, or entries cut from the end."""
    warnings: list[str] = field(default_factory=list)
    """A line that is not a whole entry while the chain runs on unbroken across it: a writer killed
    mid-append. Reported, never hidden, but not evidence that anything was changed."""


def _read_lines(path: Path) -> tuple[list[bytes], bytes]:
    """Complete lines and a trailing partial line (a writer killed mid-append)."""
    data = path.read_bytes()
    if not data:
        return [], b""
    *lines, tail = data.split(b"\n")
    return lines, tail


def append(
    path: Path,
    *,
    staff: str,
    user: str,
    machine: str,
    action: str,
    case: str | None = None,
    record: str | None = None,
    reason_enc: bytes | None = None,
    detail: dict | None = None,
    sign: Callable[[str], str] | None = None,
) -> dict:
    """Append one entry, signed over its hash with ``sign`` (a member of staff's key) when given. The caller
    holds the log's lock. Reads only the end of the log, so an append costs the same on the first day and
    after a hundred thousand entries."""
    seq, prev = 0, GENESIS
    torn = False
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size:
                f.seek(size - 1)
                torn = f.read(1) != b"\n"
    except FileNotFoundError:
        size = 0
    if size:
        seq, prev = head(path)
        if seq == 0 and not torn:
            raise IntegrityError(
                f"The audit log {path.name} ends in a damaged entry; run `dacli audit verify`."
            )
    entry = {
        "seq": seq + 1,
        "at": clock.now_precise().isoformat(timespec="microseconds"),
        "staff": staff,
        "user": user,
        "machine": machine,
        "action": action,
        "case": case,
        "record": record,
        "reason": base64.b64encode(reason_enc).decode() if reason_enc else None,
        "detail": detail or None,
        "prev": prev,
    }
    entry["hash"] = entry_hash(entry)
    if sign is not None:
        entry["sig"] = sign(entry["hash"])
    line = _canonical(entry) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            if torn:
                # A previous append was cut off mid-line. Close that line so the evidence stays
                # (verify reports it) and the chain goes on from the last whole entry.
                os.write(fd, b"\n")
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StoreError("The disk is full: nothing was appended to the audit log.") from None
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise StoreError("The store is read-only here: nothing was appended to the audit log.") from None
        raise StoreError(f"Could not append to the audit log ({exc.strerror}).") from None
    return entry


def head(path: Path) -> tuple[int, str]:
    """(seq, hash) of the last whole entry, reading only the end of the file (more if an entry is long)."""
    window = 16384
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            while True:
                start = max(0, size - window)
                f.seek(start)
                pieces = f.read().split(b"\n")
                if start > 0:
                    pieces = pieces[1:]  # the first piece may begin mid-entry
                for raw in reversed(pieces):
                    entry = _entry(raw)
                    if entry is not None and isinstance(entry.get("seq"), int) and "hash" in entry:
                        return entry["seq"], str(entry["hash"])
                if start == 0:
                    return 0, GENESIS
                window *= 4
    except FileNotFoundError:
        return 0, GENESIS


def _entry(raw: bytes, neutral: bool = True) -> dict | None:
    """One line as an entry: a JSON object, its text neutralised unless ``neutral`` is False (an action
    written by hand cannot reach a terminal as an escape sequence); None for anything else (`verify`
    reports it)."""
    try:
        entry = load_json(raw, "An audit line", stored=True, neutral=neutral)
    except Refused:
        return None
    return entry if isinstance(entry, dict) else None


def iter_entries(path: Path) -> Iterator[dict]:
    lines, _ = _read_lines(path)
    for line in lines:
        entry = _entry(line)
        if entry is not None:
            yield entry


def verify(
    path: Path,
    anchor: tuple[int, str] | None = None,
    signed_by: Callable[[str, str, str], str | None] | None = None,
) -> LogReport:
    """Check the chain (and the anchor). With ``signed_by(staff, hash, sig)`` (unlocked), also that each
    staff entry is signed by that member of staff: it returns a problem, or None."""
    problems: list[str] = []
    warnings: list[str] = []
    lines, tail = _read_lines(path)
    prev, seq, head = GENESIS, 0, GENESIS
    hashes: dict[int, str] = {}
    for n, raw in enumerate(lines, start=1):
        entry = _entry(raw, neutral=False)  # the hash is over the entry as written
        if entry is None:
            warnings.append(f"line {n} is not a whole entry (a writer stopped mid-append)")
            continue
        if entry.get("prev") != prev:
            problems.append(f"line {n} (seq {entry.get('seq')}) does not follow the entry before it")
        if entry.get("hash") != entry_hash(entry):
            problems.append(f"line {n} (seq {entry.get('seq')}) was changed after it was written")
        if entry.get("seq") != seq + 1:
            problems.append(f"line {n}: seq {entry.get('seq')} where {seq + 1} was expected")
        if signed_by is not None:
            wrong = signed_by(str(entry.get("staff")), str(entry.get("hash")), str(entry.get("sig") or ""))
            if wrong:
                problems.append(f"line {n} (seq {entry.get('seq')}) {wrong}")
        prev = str(entry.get("hash"))
        seq = entry.get("seq") if isinstance(entry.get("seq"), int) else seq + 1
        hashes[seq] = prev
        head = prev
    if tail:
        warnings.append("the last line is cut off (a writer stopped mid-append)")
    if anchor is not None:
        a_seq, a_hash = anchor
        if seq < a_seq:
            problems.append(
                f"has {seq} entries but this computer saw {a_seq} before: entries were cut from its end"
            )
        elif hashes.get(a_seq) != a_hash:
            problems.append(f"entry {a_seq} is not the one this computer saw before: it was replaced")
    # a line written by hand can put anything in its seq or staff id: what is reported is one clean line
    return LogReport(path.name, seq, head, [one_line(p) for p in problems], warnings)
