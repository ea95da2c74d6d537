"""Store creation, staff, keys and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dacli.defaults import PASSPHRASE_LOG_N
from dacli.errors import DacliError, InvalidInput
from dacli.schemas.common import Role
from dacli.schemas.store import StaffMember
from dacli.services import rows as _rows  # noqa: F401  (the index builds rows with it)
from dacli.store import audit as auditlog
from dacli.store.store import Session, Store
from dacli.store.sync import audit_logs, find_copies


def init_store(
    root: Path,
    username: str,
    passphrase: str,
    service_name: str = "",
    passphrase_log_n: int = PASSPHRASE_LOG_N,
) -> Store:
    if len(passphrase) < 8:
        raise InvalidInput("A passphrase needs at least 8 characters.")
    return Store.create(
        root,
        username=username,
        passphrase=passphrase,
        service_name=service_name,
        passphrase_log_n=passphrase_log_n,
    )


def open_store(root: Path) -> Store:
    return Store(root)


def unlock(store: Store, username: str, passphrase: str) -> Session:
    return store.unlock(username, passphrase)


def session_from_agent(store: Store, username: str) -> Session | None:
    return store.unlock_from_agent(username)


def start_agent(session: Session, idle_minutes: float, max_hours: float) -> int:
    """Hand the unlocked identity to a background agent (`dacli unlock`); audited. Returns its pid."""
    from dacli.store import agent
    from dacli.store.keys import dump_identity

    limits = agent.Limits.from_options(idle_minutes, max_hours)
    pid = agent.start(
        session.store.root, session.member.id, dump_identity(session.member.id, session.credentials), limits
    )
    session.audit(
        "agent-unlock",
        detail={"idle_minutes": round(limits.idle_seconds / 60, 2), "max_hours": max_hours},
    )
    return pid


def lock_agents() -> int:
    from dacli.store import agent

    return agent.lock_all()


def list_users(store: Store, include_removed: bool = False) -> list[StaffMember]:
    """The staff, without a passphrase: the list is checked against its own signatures and certificates
    (a hand edit is refused); only an unlocked session checks it against the founding manager's key."""
    staff = store.staff_checked_alone()
    return [s for s in staff.staff if include_removed or s.active]


def add_user(session: Session, username: str, role: str, passphrase: str) -> tuple[StaffMember, int]:
    try:
        role_ = Role(role)
    except ValueError:
        raise InvalidInput(f"role must be caseworker, senior or manager, not {role!r}.") from None
    if len(passphrase) < 8:
        raise InvalidInput("A passphrase needs at least 8 characters.")
    return session.add_user(username, role_, passphrase)


def remove_user(session: Session, username: str, reason: str | None) -> int:
    return session.remove_user(username, reason)


def change_passphrase(session: Session, new_passphrase: str) -> None:
    if len(new_passphrase) < 8:
        raise InvalidInput("A passphrase needs at least 8 characters.")
    session.change_passphrase(new_passphrase)


def rekey(session: Session) -> int:
    return session.rewrap_all()


def export_identity(session: Session) -> str:
    return session.export_identity()


@dataclass
class AuditCheck:
    logs: list[auditlog.LogReport]
    files: list[str] = field(default_factory=list)
    """Signed files failing their check (staff list, index, key rings, records), one sentence each."""
    checked: int = 0
    """How many signed files were checked."""
    interrupted: list[str] = field(default_factory=list)
    """Case folders holding no record: a new case stopped part way, not tampering (`reindex` removes them)."""
    conflicts: list = field(default_factory=list)
    """Conflict copies a sync engine made (`store.sync.Copy`): expected under one, not tampering; never
    read as the file they copy (`dacli sync status` checks them)."""
    late: dict[str, list[str]] = field(default_factory=dict)
    """{case: files} that arrived in a purged case's folder after its purge (an office offline since): not
    tampering, never read as a case, left for a manager (as `dacli sync status` and the sweep say)."""

    @property
    def ok(self) -> bool:
        return all(not log.problems for log in self.logs) and not self.files


def verify_files(
    store: Store, session: Session | None, staff_problem: str | None = None
) -> tuple[list[str], int]:
    """Check the signature of every file dacli signs. Unlocked: the staff list against the founding
    manager's key in the user's identity file, then the index, every key ring and every record (each one
    decrypted in memory). Without a session, only that the staff list is whole and signed as it says."""

    if staff_problem:
        return [staff_problem], 1
    if session is None:
        try:
            store.staff_checked_alone()
        except DacliError as exc:
            return [str(exc)], 1
        return [], 1  # consistent with itself only: the command says so
    problems: list[str] = []
    checked = 1
    try:
        session.staff()
    except DacliError as exc:
        return [str(exc)], checked
    problems += session.tombstone_book().problems  # a tombstone line not believed, named
    try:
        problems += session.store_ring().notes
    except DacliError as exc:
        problems.append(str(exc))
    problems += session.staff_refused()  # a staff change made after its author's removal, named
    problems += _missing_records(session)
    interrupted = set(session.interrupted_cases())
    from dacli.store.layout import boiled

    late = _late(session)
    for ref in session.store.case_refs():
        if ref in interrupted:
            continue  # no record to check; reported apart, as interrupted
        if ref in late and not boiled(session.store.root / ref):
            continue  # a purged case's folder holding only what arrived after: reported apart, by name
        try:
            checked += 1
            names = session.record_names(ref)
            problems += session.case_ring(ref).notes  # key files not believed in full, named
        except DacliError as exc:
            problems.append(str(exc))
            continue
        for name in names:
            try:
                checked += 1
                session.read_record(ref, name)
            except DacliError as exc:
                problems.append(str(exc))
    return problems, checked


def _missing_records(session: Session) -> list[str]:
    """Records the audit trail says were written that are no longer there. Records are never deleted, but
    by the retention sweep (which leaves a tombstone), so a missing one was removed outside dacli."""
    book = session.tombstone_book()  # a forged tombstone line excuses nothing
    folder = session.store.audit_dir()
    expected: dict[tuple[str, str], str] = {}
    for path in audit_logs(folder):
        for entry in auditlog.iter_entries(path):
            case, record = entry.get("case"), entry.get("record")
            if isinstance(case, str) and isinstance(record, str) and record.endswith(".toml.age"):
                expected.setdefault((case, record), str(entry.get("at", ""))[:10])
    return [
        f"{case}/{record} is gone, though the audit trail shows it written on {day} (deleted outside dacli)"
        for (case, record), day in sorted(expected.items())
        if not (session.store.root / case / record).exists() and not book.believed(case)
    ]


def verify_audit(
    store: Store, session: Session | None = None, *, files: bool = True, staff_problem: str | None = None
) -> AuditCheck:
    """Check every log's chain; with a session, also against the anchors in the caseload index, and (with
    ``files``) the signature of every signed file."""
    anchors: dict[str, list] = {}
    problems, checked = verify_files(store, session, staff_problem) if files else ([], 0)
    if session is not None:
        try:  # the heads of the logs this person has seen on this computer
            kept = session.read_anchors()
        except DacliError as exc:
            kept = {}
            problems.append(str(exc))
        for name, (seq, head) in kept.items():
            if seq >= anchors.get(name, [0, ""])[0]:
                anchors[name] = [seq, head]
    folder = store.audit_dir()
    paths = audit_logs(folder)
    reports = []
    signed_by = session.audit_signature_problem if session is not None else None
    for path in paths:
        anchor = anchors.get(path.name)
        reports.append(auditlog.verify(path, tuple(anchor) if anchor else None, signed_by))
    seen = {p.name for p in paths}
    for name, (seq, _) in anchors.items():
        if name not in seen:
            reports.append(
                auditlog.LogReport(name, 0, "", [f"is missing, but this computer saw {seq} entries in it"])
            )
    interrupted = session.interrupted_cases() if session is not None and files else []
    return AuditCheck(reports, problems, checked, interrupted, find_copies(store.root), _late(session))


def _late(session: Session | None) -> dict[str, list[str]]:
    from dacli.store.retention import late_arrivals

    if session is None:
        return {}  # which tombstone lines to believe needs the staff list as unlocked
    try:
        return late_arrivals(session.store.root, session.store.meta, session.tombstone_book().entries)
    except DacliError:  # a damaged tombstone register: named among the problems already
        return {}


def audit_entries(session: Session, case: str | None = None) -> list[dict]:
    """Every entry of every log, oldest first, reasons decrypted, except those of a case the retention sweep
    purged: reasons are free text (who a share went to, why), so they go with the case."""
    from dacli.schemas.common import is_case_ref
    from dacli.store.retention import gone_for_good

    root, book = session.store.root, session.tombstone_book()
    purged: dict[str, bool] = {}  # case: purged by the sweep (gone, and its tombstone line believed)
    folder = session.store.audit_dir()
    entries: list[dict] = []
    for path in audit_logs(folder):
        for entry in auditlog.iter_entries(path):
            if case is None or entry.get("case") == case:
                entry = dict(entry)
                if not isinstance(entry.get("case"), str | None):  # a line written by hand
                    entry["case"] = str(entry["case"])[:40]
                ref = entry.get("case")
                if isinstance(ref, str) and ref not in purged:
                    purged[ref] = is_case_ref(ref) and gone_for_good(root, ref) and bool(book.believed(ref))
                if isinstance(ref, str) and purged[ref] and entry.get("reason"):
                    entry["reason"] = "(withheld: the case was purged)"
                else:
                    entry["reason"] = session.decrypt_reason(entry.get("reason"), entry.get("case"))
                entry["log"] = path.name
                entries.append(entry)
    entries.sort(key=lambda e: str(e.get("at")))
    session.audit("audit-read", case=case)
    return entries


SETTINGS = {
    "passphrase_log_n": ("security", int),
    "lock_timeout_seconds": ("security", float),
    "service_name": (None, str),
    "service_phone": (None, str),
    "helplines": (None, list),
    "timezone": (None, str),
}


def change_setting(session: Session, key: str, value: str) -> dict:
    """Change one store setting (managers): store.toml is signed, so it is changed here, not by hand.
    Returns the settings as saved; audited with the old and new value."""
    from pydantic import ValidationError

    from dacli.schemas.store import StoreSettings

    session.require_role(Role.manager)
    if key not in SETTINGS:
        raise InvalidInput(f"{key!r} is not a setting; choose one of {', '.join(SETTINGS)}.")
    section, kind = SETTINGS[key]
    try:
        typed = [p.strip() for p in value.split(";") if p.strip()] if kind is list else kind(value)
    except ValueError:
        raise InvalidInput(f"{key} needs a {kind.__name__}, not {value!r}.") from None
    with session.store.meta_lock():
        data = session.checked_settings().model_dump(mode="python", by_alias=True)
        old = (data[section] if section else data)[key]
        (data[section] if section else data)[key] = typed
        try:
            settings = StoreSettings.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InvalidInput(f"{key}: {err['msg']}.") from None
        session.save_settings(settings)
    session.audit("settings-change", detail={"setting": key, "from": old, "to": typed})
    return settings.model_dump(mode="json", by_alias=True)


def accept_policy(session: Session):
    """A manager accepts policy.toml as it now reads (signed, audited)."""
    return session.accept_policy()
