"""Sync awareness: the conflict copies a file-sync engine leaves beside a store's files, and its ignore file.

When two computers change one file before they sync, the engine keeps one version under the file's name and
renames the other into a conflict copy beside it:

    Syncthing          name.sync-conflict-YYYYMMDD-HHMMSS-DEVICE.ext  (before the last extension, as its
                       `conflictName` does; a name with no extension gets it at the end; nested copies too)
    Dropbox            name (Person's conflicted copy YYYY-MM-DD).ext, and ' (1)' numbered variants
    Nextcloud/ownCloud name (conflicted copy YYYY-MM-DD HHMMSS).ext (newer clients may put a user's name
                       before the date); older clients name_conflict-YYYYMMDD-HHMMSS.ext
    OneDrive           name-COMPUTERNAME.ext: taken as a copy only where the name without '-COMPUTERNAME' is a
                       name dacli writes in that folder and the whole name is not one

dacli's readers never take a copy for the real file (records are listed by `RECORD_NAME_RE`, audit logs by
`audit_logs`); `SyncRoom` checks each copy under its ORIGINAL name (decrypted with its case's ring, signed for
its case and original name, schema checked) and says whether it holds anything the file it copies lacks.
Nothing here deletes anything. The naming functions are pure; `SyncRoom` is the part of a `Session` that
reads the copies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from dacli.errors import AuthError, DacliError, IntegrityError
from dacli.schemas.common import CASE_REF_RE, RECORD_NAME_RE
from dacli.store.fsio import LOCK_NAME, TMP_PREFIX, atomic_write
from dacli.store.layout import (
    ANCHORS,
    CASE_KEYS,
    INDEX,
    KEY_FILE_RE,
    META,
    POLICY_TOML,
    STAFF_TOML,
    STORE_KEYS,
    STORE_TOML,
)
from dacli.store.retention import REGISTER, TOMBSTONES
from dacli.store.staffevents import EVENT_RE, EVENTS

SYNCTHING, DROPBOX, NEXTCLOUD, ONEDRIVE = "Syncthing", "Dropbox", "Nextcloud/ownCloud", "OneDrive"

_SYNCTHING = re.compile(r"^(?P<stem>.*)\.sync-conflict-\d{8}-\d{6}(?:-[A-Z0-9]{7})?(?P<ext>\.[^.]*)?$")
_DROPBOX = re.compile(
    r"^(?P<stem>.+?) \([^()\x00-\x1f\x7f]+['\u2019]s conflicted copy \d{4}-\d{2}-\d{2}"
    r"(?: \(\d+\)| \d+)?\)(?: \(\d+\))?(?P<ext>\.[^ ()]*)?$"
)
_NEXTCLOUD = re.compile(
    r"^(?P<stem>.+?) \(conflicted copy (?:[^()\x00-\x1f\x7f]+ )?\d{4}-\d{2}-\d{2} \d{6}\)(?P<ext>\.[^ ()]*)?$"
)
_OWNCLOUD = re.compile(r"^(?P<stem>.+)_conflict-\d{8}-\d{6}(?P<ext>\.[^.]*)?$")
_COMPUTER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,14}$")  # a Windows computer name (NetBIOS: 15)

_MACHINE = r"[A-Za-z0-9]{1,32}"
REASON_KEY_RE = re.compile(rf"^reasons-e\d+-s-[0-9a-f]{{12}}-{_MACHINE}\.age$")
AUDIT_LOG_RE = re.compile(rf"^(?:s-[0-9a-f]{{12}}|retention)-{_MACHINE}\.jsonl$")
AUDIT_LOCK_RE = re.compile(rf"^(?:s-[0-9a-f]{{12}}|retention)-{_MACHINE}\.lock$")
IDENTITY_RE = re.compile(r"^s-[0-9a-f]{12}\.age$")

LEGACY = (INDEX, ANCHORS)
"""Derived files a format-2 store kept in `.dacli/`: the index and anchors now live on each computer."""

_META_KINDS = {
    STAFF_TOML: "staff list",
    STORE_TOML: "store settings",
    POLICY_TOML: "store policy",
    STORE_KEYS: "store key ring",
    REGISTER: "retention register",
    TOMBSTONES: "tombstone register",
    INDEX: "caseload index (no longer used)",
    ANCHORS: "audit anchors (no longer used)",
    LOCK_NAME: "lock",
}


def case_kind(name: str) -> str | None:
    """What a file dacli writes in a case folder is, by its name, or None."""
    if name == CASE_KEYS or (KEY_FILE_RE.fullmatch(name) and name.startswith("keys-")):
        return "key ring"
    if REASON_KEY_RE.fullmatch(name):
        return "reason key"
    if name == LOCK_NAME:
        return "lock"
    return "record" if RECORD_NAME_RE.fullmatch(name) else None


def meta_kind(name: str) -> str | None:
    if KEY_FILE_RE.fullmatch(name) and name.startswith("store-keys-"):
        return "store key ring"
    return _META_KINDS.get(name)


def staff_event_kind(name: str) -> str | None:
    return "staff change" if EVENT_RE.fullmatch(name) else None


def audit_kind(name: str) -> str | None:
    if AUDIT_LOG_RE.fullmatch(name):
        return "audit log"
    return "lock" if AUDIT_LOCK_RE.fullmatch(name) else None


def identity_kind(name: str) -> str | None:
    return "identity" if IDENTITY_RE.fullmatch(name) else None


def conflict_origin(name: str, kind_of: Callable[[str], str | None] | None = None) -> tuple[str, str] | None:
    """(original name, engine) when ``name`` is a sync engine's conflict copy, else None. ``kind_of`` tells
    the names dacli writes in the folder: OneDrive's '-COMPUTERNAME' is recognised only with it (a bare
    hyphenated name is too common to guess at). A copy of a copy is traced back to the first name."""
    found: tuple[str, str] | None = None
    for _ in range(8):
        step = _one_step(name, kind_of)
        if step is None:
            return found
        name = step[0]
        found = (name, found[1] if found else step[1])
    return found


def _one_step(name: str, kind_of: Callable[[str], str | None] | None) -> tuple[str, str] | None:
    for pattern, engine in ((_SYNCTHING, SYNCTHING), (_DROPBOX, DROPBOX), (_NEXTCLOUD, NEXTCLOUD)):
        m = pattern.fullmatch(name)
        if m and (m["stem"] + (m["ext"] or "")):
            return m["stem"] + (m["ext"] or ""), engine
    m = _OWNCLOUD.fullmatch(name)
    if m and (kind_of is None or kind_of(m["stem"] + (m["ext"] or ""))):
        return m["stem"] + (m["ext"] or ""), NEXTCLOUD
    if kind_of is None or kind_of(name):
        return None
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    for i in range(len(stem) - 1, 0, -1):  # the shortest computer name first: the longest original
        if stem[i] == "-" and _COMPUTER.fullmatch(stem[i + 1 :]) and kind_of(stem[:i] + ext):
            return stem[:i] + ext, ONEDRIVE
    return None


RECORD_EXT = ".toml.age"


def doubled_records(names: Iterable[str]) -> dict[str, str]:
    """{copy: original} for the names among a case folder's that pass as record names but are a copy of
    another name there with a computer name put in before `.toml.age` (`note-x-LAPTOP1.toml.age` beside
    `note-x.toml.age`: OneDrive, or a person, treating `.toml.age` as one extension). dacli never writes a
    record whose name is another's with a suffix, so such a name is a copy: never read as a record (it would
    fail its signature, made for the other name) and checked by `sync status` under its original name."""
    present = set(names)
    found = {}
    for name in present:
        if not name.endswith(RECORD_EXT):
            continue
        stem = name[: -len(RECORD_EXT)]
        for i in range(len(stem) - 1, 0, -1):  # the shortest computer name first: the longest original
            if stem[i] == "-" and _COMPUTER.fullmatch(stem[i + 1 :]) and stem[:i] + RECORD_EXT in present:
                found[name] = stem[:i] + RECORD_EXT
                break
    return found


def is_conflict_copy(name: str, kind_of: Callable[[str], str | None] | None = None) -> bool:
    return conflict_origin(name, kind_of) is not None


def audit_logs(folder: Path) -> list[Path]:
    """The audit logs in ``folder`` (every `*.jsonl`), without the conflict copies a sync engine made of
    them: a Syncthing copy of `s-x-m.jsonl` is `s-x-m.sync-conflict-....jsonl`, which `*.jsonl` matches."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl") if not _copy_of_a_log(p.name))


def _copy_of_a_log(name: str) -> bool:
    origin = conflict_origin(name, audit_kind)
    return origin is not None and audit_kind(origin[0]) == "audit log"


@dataclass(frozen=True)
class Copy:
    """A conflict copy found in the store."""

    path: Path
    place: str
    """The folder it is in, from the store's root: a case reference, `.dacli`, `.dacli/audit` or
    `.dacli/identities`."""
    original: str
    engine: str
    kind: str

    @property
    def case(self) -> str | None:
        return self.place if CASE_REF_RE.fullmatch(self.place) else None

    @property
    def shown(self) -> str:
        return f"{self.place}/{self.path.name}"


def _scan(folder: Path, place: str, kind_of: Callable[[str], str | None]) -> list[Copy]:
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
    except OSError:
        return []  # not there (or not readable): the readers of that folder say so
    found = []
    doubled = doubled_records(names) if kind_of is case_kind else {}
    for name in names:
        if name.startswith(TMP_PREFIX):
            continue
        origin = (doubled[name], ONEDRIVE) if name in doubled else conflict_origin(name, kind_of)
        kind = kind_of(origin[0]) if origin is not None else None
        if origin is not None and kind is not None:  # a copy of a file dacli writes there (not another's)
            found.append(Copy(folder / name, place, origin[0], origin[1], kind))
    return found


def case_copies(root: Path, ref: str) -> list[Copy]:
    """The conflict copies in one case's folder."""
    return _scan(root / ref, ref, case_kind)


def find_copies(root: Path) -> list[Copy]:
    """Every conflict copy in the store: in each case folder and in `.dacli/` (its own files, the audit
    logs and the identity files)."""
    meta = root / META
    found = _scan(meta, META, meta_kind)
    found += _scan(meta / "audit", f"{META}/audit", audit_kind)
    found += _scan(meta / "identities", f"{META}/identities", identity_kind)
    found += _scan(meta / EVENTS, f"{META}/{EVENTS}", staff_event_kind)
    try:
        refs = sorted(n for n in (p.name for p in root.iterdir()) if CASE_REF_RE.fullmatch(n))
    except OSError:
        refs = []
    for ref in refs:
        found += case_copies(root, ref)
    return found


def legacy_files(root: Path) -> list[str]:
    """Derived files a format-2 store still holds in `.dacli/`: no longer used, safe to delete."""
    return [name for name in LEGACY if (root / META / name).is_file()]


# -- the engines' ignore files -------------------------------------------------------------------------

IGNORED = (".lock", "*.lock", f"{TMP_PREFIX}*")
"""What no engine should carry between computers: dacli's locks (`.lock` in each folder, `<log>.lock` beside
each audit log) and its interrupted writes (`fsio.TMP_PREFIX`)."""

IGNORE_FILES = {
    # marker -> (engine, ignore file, line for a pattern). Syncthing's `(?d)` lets it delete an ignored lock
    # file that would stop a folder removed on another computer (a purged case) from going here too.
    ".stfolder": (SYNCTHING, ".stignore", lambda p: f"(?d){p}"),
    ".sync_*.db": (NEXTCLOUD, ".sync-exclude.lst", lambda p: p),
}
"""Engines that read an ignore file in the synced folder. Dropbox and OneDrive have none: their folders
carry the lock and temp files (harmless, see README 'Sharing a store between offices')."""


def _markers(root: Path) -> list[tuple[str, str, Callable[[str], str]]]:
    found = []
    for marker, (engine, ignore, line) in IGNORE_FILES.items():
        if any(root.glob(marker)):
            found.append((engine, ignore, line))
    return found


def _missing_lines(path: Path, line: Callable[[str], str]) -> list[str]:
    try:
        have = {row.strip() for row in path.read_text(errors="replace").splitlines()}
    except FileNotFoundError:
        have = set()
    bare = {re.sub(r"^(\(\?[di]\))+", "", row) for row in have}
    return [line(p) for p in IGNORED if p not in bare]


def ignore_files_missing(root: Path) -> list[tuple[str, str, list[str]]]:
    """(engine, ignore file, lines it lacks) for each engine whose marker is in ``root``."""
    out = []
    for engine, ignore, line in _markers(root):
        missing = _missing_lines(root / ignore, line)
        if missing:
            out.append((engine, ignore, missing))
    return out


def write_ignore_files(root: Path) -> list[str]:
    """Add dacli's lock and temp file patterns to the ignore file of each engine whose marker is in ``root``
    (appended to an existing file, never a line twice). Returns the ignore files written."""
    written = []
    for _engine, ignore, missing in ignore_files_missing(root):
        path = root / ignore
        try:
            before = path.read_bytes()
        except FileNotFoundError:
            before = b""
        if before and not before.endswith(b"\n"):
            before += b"\n"
        header = b"// dacli: its locks and interrupted writes stay on each computer\n"
        if ignore != ".stignore":
            header = b"# dacli: its locks and interrupted writes stay on each computer\n"
        atomic_write(path, before + header + "".join(f"{m}\n" for m in missing).encode())
        written.append(ignore)
    return written


# -- checking copies (a room of Session) ---------------------------------------------------------------


@dataclass
class CopyCheck:
    copy: Copy
    verifies: bool | None
    """Opened and checked under its original name; None where there is nothing to check (derived files,
    locks, identity files, which open only with their owner's passphrase)."""
    problem: str | None
    same: bool | None
    """It holds nothing the file it copies lacks (the same content; for an append-only log or register,
    lines all in the current file): a harmless duplicate. None where it does not matter (derived, locks)."""
    note: str = ""

    @property
    def to_look_at(self) -> bool:
        return self.verifies is False or self.same is False


class SyncRoom:
    """The part of a `Session` that checks conflict copies under their original names."""

    def conflict_checks(self) -> list[CopyCheck]:
        return [self.check_copy(c) for c in find_copies(self.store.root)]

    def check_copy(self, copy: Copy) -> CopyCheck:
        opener = {
            "record": self._open_record_copy,
            "key ring": self._open_ring_copy,
            "reason key": self._open_reason_copy,
            "staff list": self._open_staff_copy,
            "store settings": lambda p, _c: self._checked_by_manager("settings", p.read_bytes(), str(p.name)),
            "store policy": lambda p, _c: self._checked_by_manager("policy", p.read_bytes(), str(p.name)),
            "store key ring": lambda p, c: self._ring_secrets(p, "store", p.name, c.original),
            "staff change": self._open_staff_change_copy,
        }.get(copy.kind)
        if opener is not None:
            return self._compare(copy, opener)
        if copy.kind in ("audit log", "tombstone register"):
            return self._compare_lines(copy)
        if copy.kind == "identity":
            same = _read(copy.path) == _read(copy.path.parent / copy.original)
            note = (
                "" if same else "an identity file under another passphrase: keep the one its owner can open"
            )
            return CopyCheck(copy, None, None, same, note)
        derived = {
            "lock": "a lock file: safe to delete",
            "retention register": "derived (written again from the records): safe to delete",
        }.get(copy.kind, "derived, no longer used: safe to delete")
        return CopyCheck(copy, None, None, None, derived)

    def _compare(self, copy: Copy, opener: Callable[[Path, Copy], bytes]) -> CopyCheck:
        try:
            body = opener(copy.path, copy)
        except (DacliError, OSError, UnicodeDecodeError) as exc:
            return CopyCheck(copy, False, _why(exc), None)
        current = copy.path.parent / copy.original
        if not current.exists():
            return CopyCheck(
                copy, True, None, False, f"{copy.original} is missing: this copy is the only one"
            )
        try:
            now = opener(current, copy)
        except (DacliError, OSError, UnicodeDecodeError) as exc:
            return CopyCheck(copy, True, None, False, f"{copy.original} itself cannot be read ({_why(exc)})")
        return CopyCheck(copy, True, None, body == now)

    def _open_record_copy(self, path: Path, copy: Copy) -> bytes:
        ref = copy.place
        return self.open_record(ref, copy.original, path.read_bytes(), f"{ref}/{path.name}")[1]

    def _open_ring_copy(self, path: Path, copy: Copy) -> bytes:
        what = f"{copy.place}/{path.name}"
        try:
            return self._ring_secrets(path, f"case {copy.place}", what, copy.original)
        except AuthError:  # `rekey` re-wraps rings, never a copy: 'run rekey' would be no help here
            raise IntegrityError(f"{what} does not open with your key") from None

    def _open_staff_change_copy(self, path: Path, copy: Copy) -> bytes:
        """A staff change's copy, checked as the change it copies (its signer, for its original name)."""
        from dacli.store import signing
        from dacli.store.staffevents import event_context

        raw = path.read_bytes()
        body, author, signature = signing.split(raw, path.name)
        signer = self._authors.get(author) if self._checked_staff() else None
        context = event_context(self.store.settings.store_id, copy.original)
        if signer is None or not signing.verify(signer.signing_key, signature, context + body):
            raise DacliError(f"{path.name} does not match its signature")
        return body

    def _ring_secrets(self, path: Path, scope: str, what: str, name: str) -> bytes:
        ring = self._load_ring(path, scope, what, name)
        return "\n".join(sorted(k.identity.secret for k in ring.keys)).encode()

    def _open_reason_copy(self, path: Path, copy: Copy) -> bytes:
        from dacli.store import crypto

        what = f"{copy.place}/{path.name}"
        plain = crypto.decrypt(path.read_bytes(), self.case_ring(copy.place).identities, what)
        return self._checked("reason-key", plain, what, copy.place, copy.original)[0]

    def _open_staff_copy(self, path: Path, copy: Copy) -> bytes:
        from dacli.store import signing
        from dacli.store.staff import verify_staff

        raw = path.read_bytes()
        verify_staff(raw, self.store.settings.store_id, self.credentials.trust)
        return signing.split(raw, path.name)[0]

    def _compare_lines(self, copy: Copy) -> CopyCheck:
        """An append-only file (an audit log, the tombstones): its copy is harmless when every line of it is
        in the current file. An audit log's copy is also checked as a chain, signatures included."""
        from dacli.store import audit as auditlog

        verifies, problem = None, None
        if copy.kind == "audit log":
            report = auditlog.verify(copy.path, None, self.audit_signature_problem)
            verifies, problem = not report.problems, (report.problems[0] if report.problems else None)
        lines = set(_read(copy.path).splitlines())
        extra = lines - set(_read(copy.path.parent / copy.original).splitlines())
        extra.discard(b"")
        note = f"it holds {len(extra)} line(s) {copy.original} lacks" if extra else ""
        return CopyCheck(copy, verifies, problem, not extra, note)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _why(exc: BaseException) -> str:
    why = exc.message if isinstance(exc, DacliError) else f"cannot be read ({getattr(exc, 'strerror', '')})"
    return why.rstrip(". ")
