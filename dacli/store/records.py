"""Records: one change written as a whole (`unit`), case folders, reading a record whole (decrypted,
signed, schema- and role-checked) and writing one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from dacli.errors import (
    DacliError,
    IntegrityError,
    InvalidInput,
    NotArrived,
    NotFound,
    PartlySaved,
    StoreError,
)
from dacli.schemas.common import RECORD_NAME_RE
from dacli.schemas.records import decision_problem, record_problem
from dacli.store import audit as auditlog
from dacli.store import crypto
from dacli.store.documents import decode_document, encode_document, incomplete_sentence
from dacli.store.fsio import (
    TMP_PREFIX,
    atomic_write,
    folder_lock,
)
from dacli.store.keys import KeyRing
from dacli.store.layout import CASE_KEYS, KEY_FILE_RE, boiled, new_case_ref
from dacli.store.sync import audit_logs, doubled_records


class RecordRoom:
    """The part of a `Session` that reads and writes case records."""

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One change, written as a whole: its records, then their audit entries, then the index.

        Every writer of a record runs inside one (`write_record`, `update_record` and `index_transaction` open
        one; a service that audits a decision after its index transaction wraps itself with `one_change`).
        Audit entries wait until the records are saved, so a failure before then leaves no entry naming a
        record that is not there. If a step fails after a record was saved (a full disk or a read-only store
        at the index or the audit log, a held lock, Ctrl-C), the error becomes `PartlySaved`: it names each
        record saved and its case, what was not done, and what to run. Never "nothing was written".
        """
        if self._unit_depth:
            self._unit_depth += 1
            try:
                yield
            finally:
                self._unit_depth -= 1
            return
        self._unit_depth = 1
        self._unit_saved, self._unit_audits, self._unit_index = [], [], ""
        self._unit_finishing = False
        try:
            yield
            self._unit_finishing = True
            self._flush_audits()
            if self._unit_index == "":
                with suppress(DacliError):  # a cache: the next index save anchors them
                    self.anchor_audit()  # this person's entries, anchored on this computer
        except BaseException as exc:
            whole = self._unit_finishing and not self._unit_audits and self._unit_index != "pending"
            if not self._unit_saved or whole or isinstance(exc, GeneratorExit | SystemExit):
                raise  # nothing saved, or the change is whole (an interruption while anchoring it): as it is
            with suppress(DacliError, OSError):  # so a retried intake stops (`unfinished_cases`)
                self.note_unfinished(sorted({ref for ref, _ in self._unit_saved}))
            raise self._partly_saved(exc) from None
        finally:
            self._unit_depth = 0
            self._unit_saved, self._unit_audits, self._unit_index = [], [], ""
            self._unit_finishing = False

    def _flush_audits(self) -> None:
        while self._unit_audits:
            self._write_audit(**self._unit_audits[0])
            self._unit_audits.pop(0)

    def _partly_saved(self, exc: BaseException) -> PartlySaved:
        if isinstance(exc, DacliError):
            cause = exc.message.replace(";", ":").partition(":")[0].rstrip(". ")
        elif isinstance(exc, KeyboardInterrupt):
            cause = "Interrupted"
        else:
            cause = f"Stopped on an unexpected {type(exc).__name__}"
        by_case: dict[str, list[str]] = {}
        for ref, name in self._unit_saved:
            names = by_case.setdefault(ref, [])
            if name not in names:
                names.append(name)
        count = sum(len(n) for n in by_case.values())
        saved = "; ".join(f"{_and(names)} in case {ref}" for ref, names in by_case.items())
        missing = []
        if self._unit_index == "pending":
            missing.append("the caseload index was not updated")
        if self._unit_audits:
            n = len(self._unit_audits)
            missing.append(f"{n} audit {'entry was' if n == 1 else 'entries were'} not written")
        refs = " ".join(by_case)
        if self._unit_finishing:
            then = (
                "do not repeat the command (it would save it twice): once that is fixed, run "
                "`dacli reindex`, which indexes the case and audits what was saved"
            )
        else:
            missing.insert(0, "the command stopped before it finished")
            then = (
                f"once that is fixed, run `dacli reindex` and look at `dacli case show {refs}` before "
                "repeating the command"
            )
        verb = "was" if count == 1 else "were"
        return PartlySaved(f"{cause}: {saved} {verb} saved, but {_and(missing)}; {then}.")

    def discard_new_case(self, ref: str) -> None:
        """Remove a case folder made in this change before anything it was made for was saved: nothing in
        the audit trail or the index names it yet (its audit entries are still waiting), so it goes whole."""
        import shutil

        self._unit_saved = [s for s in self._unit_saved if s[0] != ref]
        self._unit_audits = [a for a in self._unit_audits if a["case"] != ref]
        self._rings.pop(ref, None)
        shutil.rmtree(self.store.case_dir(ref), ignore_errors=True)

    @contextmanager
    def case_lock(self, ref: str) -> Iterator[None]:
        with folder_lock(self.store.case_dir(ref), self.store.lock_timeout(), f"case {ref}"):
            yield

    def new_case(self) -> str:
        """Make a case folder and its key ring (under the store lock: see `interrupted_cases`)."""
        with self.unit():
            return self._new_case()

    def _new_case(self) -> str:
        for _ in range(20):
            ref = new_case_ref()
            folder = self.store.root / ref
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            except OSError as exc:
                raise StoreError(f"Cannot create a case folder ({exc.strerror}).") from None
            with self.case_lock(ref):
                self._save_ring(folder / CASE_KEYS, KeyRing.new(f"case {ref}"), self.staff())
                self.case_ring(ref)
            self.audit("case-create", case=ref)
            return ref
        raise StoreError("Could not find a free case reference.")  # pragma: no cover

    def interrupted_cases(self) -> list[str]:
        """Case folders holding no record: a new case stopped (killed, or a full disk) between making its
        folder and saving its first record. Not tampering: a record once written is in the audit trail, and
        `audit verify` reports one that is gone. Call under the store lock (cases are made under it)."""
        root = self.store.root
        empty = [r for r in self.store.case_refs() if (root / r).is_dir() and self._only_dacli_scaffold(r)]
        if not empty:
            return []
        written = self._cases_with_audited_records()
        return [r for r in empty if r not in written]

    def _only_dacli_scaffold(self, ref: str) -> bool:
        """The folder holds nothing but what dacli makes before a case's first record: its key ring, its lock
        and dacli's own temp files. Anything else (a sync engine's temp copy of a record arriving, a
        conflict copy, a file of unknown kind) means the folder is not an interrupted new case."""
        try:
            names = os.listdir(self.store.root / ref)
        except NotADirectoryError:
            return False  # not a folder dacli made: left for reindex to report
        except OSError as exc:
            raise StoreError(f"Cannot list case {ref} ({exc.strerror}).") from None
        return all(
            n in (CASE_KEYS, ".lock") or KEY_FILE_RE.fullmatch(n) or n.startswith(TMP_PREFIX) for n in names
        )

    def _cases_with_audited_records(self) -> set[str]:
        """Cases the audit trail shows a record written to: never an interrupted new case, whatever their
        folder holds now (records still arriving from another computer, or deleted)."""
        folder = self.store.audit_dir()
        cases: set[str] = set()
        for path in audit_logs(folder):
            for entry in auditlog.iter_entries(path):
                if isinstance(entry.get("case"), str) and isinstance(entry.get("record"), str):
                    cases.add(entry["case"])
        return cases

    def remove_interrupted_cases(self) -> list[str]:
        """Remove every interrupted case folder (`reindex`), audited."""
        import shutil

        with self.store.meta_lock():
            found = self.interrupted_cases()
            for ref in found:
                try:
                    shutil.rmtree(self.store.root / ref)
                except OSError as exc:
                    raise StoreError(f"Cannot remove the interrupted case {ref} ({exc.strerror}).") from None
                self._rings.pop(ref, None)
                self.audit("case-interrupted-removed", case=ref)
        return found

    def audit_unaudited(self, refs: list[str]) -> int:
        """Audit every record of ``refs`` that no audit entry names (a change that stopped after saving it,
        see `unit`), as found by `reindex`. Returns how many."""
        folder = self.store.audit_dir()
        named: set[tuple[str, str]] = set()
        for path in audit_logs(folder):
            for entry in auditlog.iter_entries(path):
                case, record = entry.get("case"), entry.get("record")
                if isinstance(case, str) and isinstance(record, str):
                    named.add((case, record))
        count = 0
        for ref in refs:
            for name in self.record_names(ref):
                if (ref, name) not in named:
                    self.audit("record-unaudited", case=ref, record=name, detail={"found_by": "reindex"})
                    count += 1
        return count

    def _holds_record(self, ref: str) -> bool:
        try:
            names = os.listdir(self.store.root / ref)
            return any(n.endswith(".toml.age") and not n.startswith(TMP_PREFIX) for n in names)
        except NotADirectoryError:
            return True  # not a folder dacli made: left for reindex to report
        except FileNotFoundError:
            return False  # gone since its folder was looked at: the next read drops its row
        except OSError as exc:
            raise StoreError(f"Cannot list case {ref} ({exc.strerror}).") from None

    def record_names(self, ref: str) -> list[str]:
        folder = self.store.case_dir(ref)
        if not folder.is_dir():
            raise NotFound(f"There is no case {ref} in this store.")
        # by name: a sync engine's conflict copy (`note-x (Jo's conflicted copy 2026-12-02).toml.age`) is
        # not a record, and is never read as one (`dacli sync status` checks it under its original name)
        # (nor is a copy that passes as a record's name: `note-x-LAPTOP1.toml.age` beside `note-x.toml.age`)
        names = [n for n in os.listdir(folder) if RECORD_NAME_RE.fullmatch(n)]
        copies = doubled_records(names)
        return sorted(n for n in names if n not in copies)

    def _record_path(self, ref: str, name: str) -> Path:
        if not RECORD_NAME_RE.fullmatch(name):
            raise InvalidInput(f"{name!r} is not a record name.")
        return self.store.case_dir(ref) / name

    def read_record(self, ref: str, name: str) -> dict:
        """A record decrypted, its signature checked and its content checked against the schema it names
        (`schemas.records`): whatever fails is an IntegrityError naming the record."""
        path = self._record_path(ref, name)
        try:
            stat = path.stat()
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"Case {ref} has no record {name}.") from None
        try:
            doc = self.open_record(ref, name, sealed, f"{ref}/{name}")[0]
        except IntegrityError as exc:
            if "not encrypted to any key" in exc.message and self._not_arrived(sealed, stat.st_mtime_ns):
                raise NotArrived(
                    f"{ref}/{name} is encrypted to a key this copy does not have yet: not arrived yet from "
                    "another office; let the sync finish."
                ) from None
            raise
        self._readable.setdefault(ref, {})[name] = (stat.st_size, stat.st_mtime_ns)
        return doc

    def open_record(self, ref: str, name: str, sealed: bytes, what: str) -> tuple[dict, bytes]:
        """The record ``sealed`` holds, checked as record ``name`` of case ``ref`` (decrypted, signed for that
        case and name, schema): the document and its signed text. A sync engine's conflict copy is opened
        with this under its original name (`sync.SyncRoom`)."""
        try:
            plain = crypto.decrypt(sealed, self.case_ring(ref).identities, what)
        except IntegrityError:
            if ref not in self._rings:
                raise
            # Another process may have rotated the key ring since we cached it: reload once.
            self._rings.pop(ref)
            plain = crypto.decrypt(sealed, self.case_ring(ref).identities, what)
        body, author = self._checked("record", plain, what, ref, name)
        doc = decode_document(body, ref, what)
        problem = record_problem(doc) or decision_problem(doc, author.id, author.role.value)
        if problem is not None:
            raise IntegrityError(f"{what} does not match its schema ({problem}).")
        return doc, body

    def _not_arrived(self, sealed: bytes, mtime_ns: int) -> bool:
        """A well-formed age file, written recently (by the file system's clock, within the policy's grace):
        its key file has not arrived yet from the office that made it, rather than tampering."""
        head = sealed[:4096]
        if not head.startswith(b"age-encryption.org/v1\n") or b"\n--- " not in head:
            return False
        grace_ns = self._arrival_grace().total_seconds() * 1e9
        age_ns = self._files_now_ns() - mtime_ns
        # a time in the future is no arrival (anyone can set a file's time, and an engine carries it): that
        # would keep a tampered record 'not arrived yet' for ever; a few minutes of clock skew are allowed
        return -300e9 < age_ns < grace_ns

    def unreadable(self, ref: str) -> list[tuple[str, str]]:
        """Every record of the case that cannot be read whole (decrypted, signature, schema), with why.
        Records read whole already in this session and unchanged since are not read again."""
        seen = self._readable.get(ref, {})
        found = []
        for name in self.record_names(ref):
            try:
                stat = (self.store.case_dir(ref) / name).stat()
                if seen.get(name) == (stat.st_size, stat.st_mtime_ns):
                    continue
                self.read_record(ref, name)
            except FileNotFoundError:
                continue
            except (IntegrityError, NotFound) as exc:
                found.append((name, exc.message))
        return found

    def _refuse_incomplete(self, ref: str) -> None:
        """No command changes a case one of whose records cannot be read (the caller holds the case lock)."""
        problems = self.unreadable(ref)
        if problems:
            raise IntegrityError(incomplete_sentence(ref, problems))

    def _seal(self, ref: str, name: str, doc: dict) -> bytes:
        """The record encrypted to the case key, signed by its author for this case and record name."""
        if doc.get("case") != ref:
            raise ValueError("document and case reference differ")
        text = encode_document(doc)
        # what is written is what the reader will get: checked against the same schema the reader uses,
        # so no service can write a record that would lock the case
        decoded = decode_document(text, ref, f"{ref}/{name}")
        problem = record_problem(decoded) or decision_problem(decoded, self.member.id, self.member.role.value)
        if problem is not None:
            raise IntegrityError(
                f"{ref}/{name} was not written: it would not read back ({problem}); nothing was written."
            )
        body = self._signed("record", text, ref, name)
        return crypto.encrypt(body, [self._ring_for_write(ref).current.public])

    def write_record(
        self, ref: str, name: str, doc: dict, *, action: str = "record-write", new: bool = True
    ) -> None:
        """Write a record under the case lock, then audit it. ``new`` refuses to overwrite."""
        path = self._record_path(ref, name)
        self._refuse_old_format()
        self._refuse_boiled(ref)
        with self.unit():
            with self.case_lock(ref):
                if new and path.exists():
                    raise StoreError(f"Case {ref} already has a record {name}; nothing was written.")
                self._refuse_incomplete(ref)
                atomic_write(path, self._seal(ref, name, doc))
                self._unit_saved.append((ref, name))
                self._mark_readable(ref, name)
            self.audit(action, case=ref, record=name)

    def _mark_readable(self, ref: str, name: str) -> None:
        stat = self._record_path(ref, name).stat()
        self._readable.setdefault(ref, {})[name] = (stat.st_size, stat.st_mtime_ns)

    def _refuse_old_format(self) -> None:
        """A format-2 store is read but not written until a manager runs `dacli upgrade`: a dacli of format 2
        in another office would not follow the records format 3 writes (intake versions, status facts)."""
        from dacli.schemas.store import STORE_FORMAT

        if self.store.settings.schema_ != STORE_FORMAT:
            raise StoreError(
                f"This store is in format {self.store.settings.schema_[-1]}, and this dacli writes format "
                f"{STORE_FORMAT[-1]}: nothing was written; a manager runs `dacli upgrade` once every office "
                "runs this dacli or newer."
            )

    def _refuse_boiled(self, ref: str) -> None:
        if boiled(self.store.root / ref):
            raise StoreError(
                f"Case {ref} was boiled down by the retention sweep: only its summary is kept, and nothing "
                "can be added to it. A new referral starts a new case."
            )

    def update_record(
        self,
        ref: str,
        name: str,
        change: Callable[[dict | None], dict],
        *,
        action: str = "record-update",
    ) -> dict:
        """Read-modify-write one record under the case lock, so no concurrent update is lost."""
        path = self._record_path(ref, name)
        self._refuse_old_format()
        self._refuse_boiled(ref)
        with self.unit():
            with self.case_lock(ref):
                self._refuse_incomplete(ref)
                current = self.read_record(ref, name) if path.exists() else None
                updated = change(current)
                atomic_write(path, self._seal(ref, name, updated))
                self._unit_saved.append((ref, name))
                self._mark_readable(ref, name)
            self.audit(action, case=ref, record=name)
        return updated


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def one_change(fn: Callable) -> Callable:
    """A service that writes records and then audits a decision about them, as one `Session.unit`: a failure
    after a record is saved names it and what to run (its first argument is the session)."""
    import functools

    @functools.wraps(fn)
    def wrapper(session: Any, *args: Any, **kwargs: Any) -> Any:
        with session.unit():
            return fn(session, *args, **kwargs)

    return wrapper
