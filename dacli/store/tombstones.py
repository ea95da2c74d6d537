"""The tombstone register (`.dacli/tombstones.jsonl`): one line per purged case, hash-chained and signed.

Each purge line (reference, dates, rule, mode, who ran it; no personal data) carries ``prev`` (the hash of
the line before), ``hash`` (SHA-256 over the line without ``hash`` and ``sig``) and ``sig``: the sweep's
Ed25519 signature over `signed_context("tombstone", store_id, hash)`, so over its content and its place in
the chain. The sweep's signing key is made by `dacli retention init` and kept in the retention key file;
its public half is in store.toml (signed by a manager) and in a **key line** the same command appends to the
chain, signed by the manager: ``{"signing_key", "by", "at", "prev", "hash", "sig"}``.

A reader holding the store's settings (``Trust``) believes a purge line only when:
- it is signed by the sweep key in force at its place: the key of the latest key line before it (a line
  signed by an older key is believed where it stands, before the key change; appended after, it is not);
  with no key line before it, store.toml's key;
- or it is unsigned and stands before the chain's first key line: a line from before format 3, which the
  manager who ran `dacli retention init` vouched for by signing the key line (its hash covers the whole
  chain before it). That first key line also records the heads of the sweep's audit logs, vouching in the
  same way for the sweep's unsigned entries written before format 3.
Key lines count only as signed by a manager on the staff list, and the chain's latest key must be the one
store.toml names. Any other line is a problem naming it (`audit verify` reports it, exit 6; the sweep
destroys nothing); staff hide a case only for a line that is believed, so a forged line hides nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import KeysView
from dataclasses import dataclass, field
from pathlib import Path

from dacli import clock
from dacli.errors import IntegrityError
from dacli.schemas.common import CASE_REF_RE
from dacli.store import signing
from dacli.store.documents import signed_context
from dacli.text import Refused, load_json

TOMBSTONES = "tombstones.jsonl"
GENESIS = "0" * 64


@dataclass
class Trust:
    """What a reader checks tombstone lines against: store.toml's sweep key (as a manager signed it) and the
    signing keys of the managers on the checked staff list (current or past)."""

    store_id: str
    signing_key: str | None
    managers: dict[str, str] = field(default_factory=dict)


def line_hash(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def purge_context(store_id: str, entry_hash: str) -> bytes:
    return signed_context("tombstone", store_id, entry_hash)


def key_context(store_id: str, entry_hash: str) -> bytes:
    return signed_context("tombstone-key", store_id, entry_hash)


def tombstones(meta: Path, trust: Trust | None = None) -> dict[str, dict]:
    """Every purged case: {ref: entry}. Each line is chained to the one before (a deleted or edited line
    breaks the chain, reported as an integrity error). With ``trust``, only the lines that are believed
    (see the module's notes); without, every line whose chain holds (tests, tools holding no settings)."""
    return Tombstones(meta, trust).entries


class Tombstones:
    """The tombstone register, read once and appended to (a sweep of thousands of cases must not re-read
    it for each one). ``problems`` names each line that is not believed, first one first: lines after it
    are not believed either."""

    def __init__(self, meta: Path, trust: Trust | None = None, signer: signing.Signer | None = None) -> None:
        self.path = meta / TOMBSTONES
        self.trust = trust
        self.signer = signer
        self.load()

    def current(self) -> Tombstones:
        """Re-read if another process (an overlapping sweep) appended since; call under the store lock."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size != self.size:
            self.load()
        return self

    def load(self) -> None:
        self.keys: list[str] = []
        """The sweep keys the chain's key lines named, oldest first."""
        self.sweep_logs: dict = {}
        """The heads of the sweep's audit logs the first key line vouched for: {log name: [seq, hash]}."""
        self._problems: list[str] = []  # found without checking purge lines' signatures
        self._forged = False
        self._lines: dict[str, tuple[int, dict, str | None]] = {}  # ref: its last line, the key to check it
        self._checked: dict[str, bool] = {}
        self._all: dict[str, dict] | None = None  # every line believed (checked in order, on first use)
        self.last = GENESIS
        self.torn = False
        self.size = 0
        self.whole = 0
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        self.size = len(raw)
        self.whole = raw.rfind(b"\n") + 1  # bytes up to the last whole line
        lines = raw.splitlines()
        unsigned: list[tuple[int, dict]] = []  # before the first key line: believed once one vouches
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = load_json(line, "The tombstone register", stored=True, neutral=False)
            except Refused:
                if n == len(lines) and not raw.endswith(b"\n"):
                    self.torn = True
                    break  # a torn last line: the purge it announced never started
                raise IntegrityError(f"The tombstone register is damaged at line {n}.") from None
            is_key = (
                isinstance(entry, dict) and "ref" not in entry and isinstance(entry.get("signing_key"), str)
            )
            if not is_key and (
                not isinstance(entry, dict) or not CASE_REF_RE.fullmatch(str(entry.get("ref")))
            ):
                raise IntegrityError(f"The tombstone register is damaged at line {n} (not a tombstone).")
            if entry.get("prev") != self.last or entry.get("hash") != line_hash(entry):
                raise IntegrityError(f"The tombstone register was changed by hand at line {n}.")
            self.last = entry["hash"]
            if self.trust is None:
                if not is_key:
                    self._lines[entry["ref"]] = (n, entry, None)
            elif not self._problems:
                self._place(n, entry, is_key, unsigned)
        if self.trust is not None and not self._problems:
            if unsigned:
                self._problems.append(
                    f"The tombstone register's line {unsigned[0][0]} is not signed by the retention sweep: "
                    "written by hand, or before format 3 and not yet vouched for by a manager (a manager "
                    "runs `dacli retention init`)."
                )
            elif self.keys and self.trust.signing_key and self.keys[-1] != self.trust.signing_key:
                self._problems.append(
                    "The tombstone register's latest sweep key is not the one store.toml names: a manager "
                    "runs `dacli retention init` again."
                )

    def _place(self, n: int, entry: dict, is_key: bool, unsigned: list[tuple[int, dict]]) -> None:
        """Check a key line's signature (there are few), and note the key each purge line must verify with
        (checked when it is asked about: a listing asks about a handful of cases, not every purge)."""
        trust = self.trust
        assert trust is not None
        sig = entry.get("sig")
        if is_key:
            by = entry.get("by")
            public = trust.managers.get(by) if isinstance(by, str) else None
            if (
                public is None
                or not isinstance(sig, str)
                or not signing.verify(public, sig, key_context(trust.store_id, entry["hash"]))
            ):
                self._forged = True
                self._problems.append(
                    f"The tombstone register's line {n} names a sweep key but is not signed by a manager "
                    "(forged, or written by hand)."
                )
                return
            if not self.keys:  # the first key line vouches for what stands before it
                for m, old in unsigned:
                    self._lines[old["ref"]] = (m, old, None)
                unsigned.clear()
                logs = entry.get("sweep_logs")
                self.sweep_logs = logs if isinstance(logs, dict) else {}
            self.keys.append(entry["signing_key"])
            return
        if sig is None and not self.keys:
            unsigned.append((n, entry))
            return
        if unsigned:  # a signed line after unsigned ones with no key line between: not from the sweep
            self._forged = True
            self._problems.append(
                f"The tombstone register's line {unsigned[0][0]} is not signed by the retention sweep "
                "(written by hand)."
            )
            return
        self._lines[entry["ref"]] = (n, entry, self.keys[-1] if self.keys else trust.signing_key or "")

    def _holds(self, n: int, entry: dict, key: str | None) -> bool:
        if self.trust is None or key is None:  # no trust asked for, or vouched for by a key line
            return True
        sig = entry.get("sig")
        return (
            bool(key)
            and isinstance(sig, str)
            and signing.verify(key, sig, purge_context(self.trust.store_id, entry["hash"]))
        )

    @property
    def named(self) -> KeysView[str]:
        """The cases a line names, believed or not (nothing checked: for narrowing down, then `believed`)."""
        return self._lines.keys()

    def believed(self, ref: str) -> dict | None:
        """The tombstone line of ``ref`` if there is one and it is believed, else None."""
        if self._all is not None:
            return self._all.get(ref)
        found = self._lines.get(ref)
        if found is None:
            return None
        if ref not in self._checked:
            self._checked[ref] = self._holds(*found)
        return found[1] if self._checked[ref] else None

    @property
    def entries(self) -> dict[str, dict]:
        """Every purged case whose line is believed: {ref: entry} (every signature checked, in order)."""
        if self._all is None:
            self._all = {}
            for ref, (n, entry, key) in sorted(self._lines.items(), key=lambda item: item[1][0]):
                if not self._holds(n, entry, key):
                    self._forged = True
                    self._problems.append(
                        f"The tombstone register's line {n} is not signed by the retention sweep's key in "
                        "force there (forged, or written by hand)."
                    )
                    break  # nothing after it is believed
                self._all[ref] = entry
        return self._all

    @property
    def problems(self) -> list[str]:
        """Each line that is not believed, first one first (every signature checked)."""
        self.entries  # noqa: B018 (checks every line)
        return self._problems

    @property
    def forged(self) -> bool:
        """A line failed its signature (not only unsigned lines from before format 3 awaiting a manager)."""
        self.entries  # noqa: B018
        return self._forged

    @property
    def key_in_force(self) -> str | None:
        """The sweep key a line appended now must be signed with."""
        if self.keys:
            return self.keys[-1]
        return self.trust.signing_key if self.trust else None

    def check(self) -> None:
        """Refuse (exit 6) a register with a line that is not believed: the sweep destroys nothing then."""
        if self.problems:
            raise IntegrityError(
                f"{self.problems[0].rstrip('.')}; the sweep destroys nothing until the register is restored "
                "from a backup."
            )

    def _write(self, entry: dict) -> dict:
        self._write_all([entry])
        return entry

    def _write_all(self, entries: list[dict]) -> None:
        """Append whole lines in one write and one fsync (each chained to the one before it)."""
        data = b"".join(
            json.dumps(e, sort_keys=True, separators=(",", ":")).encode() + b"\n" for e in entries
        )
        if self.torn:  # a line cut off by a crash: its purge never started; cut it away
            os.truncate(self.path, self.whole)
            self.torn = False
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.size = self.path.stat().st_size
        self.last = entries[-1]["hash"]

    def append(self, entry: dict) -> dict:
        """Append a purge line, signed by the sweep's key when this register was opened with one."""
        return self.append_all([entry])[0]

    def append_all(self, entries: list[dict]) -> list[dict]:
        """Append purge lines (one write, one fsync), each signed by the sweep's key when this register was
        opened with one and chained to the line before it."""
        made = []
        last = self.last
        for entry in entries:
            entry = {**entry, "prev": last}
            entry["hash"] = line_hash(entry)
            if self.signer is not None and self.trust is not None:
                entry["sig"] = self.signer.sign(purge_context(self.trust.store_id, entry["hash"]))
            made.append(entry)
            last = entry["hash"]
        if not made:
            return made
        self._write_all(made)
        for entry in made:
            self._lines[entry["ref"]] = (0, entry, None)  # written here: believed
            self._checked[entry["ref"]] = True
            if self._all is not None:
                self._all[entry["ref"]] = entry
        return made

    def append_key(self, public: str, manager: signing.Signer, store_id: str, sweep_logs: dict) -> dict:
        """A manager's key line naming the sweep's new signing key (`dacli retention init`, under the store
        lock). The first one records ``sweep_logs`` (the heads of the sweep's audit logs) too."""
        entry: dict = {
            "signing_key": public,
            "by": manager.staff_id,
            "at": clock.now().isoformat(timespec="seconds"),
        }
        if not self.keys and sweep_logs:
            entry["sweep_logs"] = sweep_logs
        entry["prev"] = self.last
        entry["hash"] = line_hash(entry)
        entry["sig"] = manager.sign(key_context(store_id, entry["hash"]))
        self._write(entry)
        self.keys.append(public)
        return entry


def append_tombstone(meta: Path, entry: dict) -> dict:
    """An unsigned line, chained (as someone with folder access could write one; tests)."""
    return Tombstones(meta).append(entry)
