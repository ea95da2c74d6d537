"""A deterministic sync simulator (issue 14): copies of one store, one per office, each on its own computer,
merged by the rules of a file-sync engine, and the invariants store format 3 promises once they are merged.

Each `Office` is a copy of the store in a folder of its own, with its own cache folder (`DACLI_CACHE`: the
caseload index and audit anchors) and its own machine id (`DACLI_MACHINE_ID`: its audit logs), set while
that office works (`Sim.at`). Work is done in process through `dacli.services`, one session per person per
office (kept, as a dashboard keeps it), with the one clock moved forward by the simulator.

The engine (`Sim.sync`) merges two copies file by file, as Syncthing does: each copy's scan gives a file
new, changed or deleted there the copy's next version (a version vector, device -> counter), and a pair
compares each file's versions:
- changed on one side only since the other last had it (created, modified or deleted): the change is copied
  across; a deletion on one side of a file unchanged on the other deletes it there;
- changed on both sides, differently (neither version follows the other): the newer modification time wins
  under the name (a tie goes to the larger device id), and the other becomes a Syncthing conflict copy
  `name.sync-conflict-YYYYMMDD-HHMMSS-DEVICE.ext` beside it on both sides; a deletion against a change: the
  changed file comes back (Syncthing never lets a deletion beat a change).
With two copies this is the same as comparing each side with the state the pair last synced; with three it
is what keeps a newer version relayed through a third office (a single writer's audit log) from being taken
for a conflict, as a per-pair snapshot would.
Locks (`.lock`, `*.lock`) and temp files (`.tmp-*`) stay where they are (the store's `.stignore`). Bytes and
modification times are copied.

`Sim.check` merges every pair until the copies are the same and checks the invariants in every copy; it
raises `SimulationFailure` naming the operations done so far. Every person here is invented.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dacli import clock
from dacli.schemas.common import CASE_REF_RE, RECORD_NAME_RE
from dacli.store.store import Session, Store
from tests.conftest import MANAGER, PASSPHRASE, SYNTHETIC_FORM, TEST_LOG_N

STAFF = {MANAGER: "manager", "sen.ada": "senior", "cw.bex": "caseworker", "cw.cal": "caseworker"}
"""Who works in the offices (any of them in any office): invented usernames."""
SENIORS = [u for u, role in STAFF.items() if role in ("senior", "manager")]
SHARED_REWRITTEN: set[str] = set()
"""Case files still rewritten in place: none since a closure's summary is written once (it was
`summary.toml.age`, and two offices closing one case while apart left a conflict copy of it)."""
_IGNORED = re.compile(r"^(\.lock|.*\.lock|\.tmp-.*|\.syncthing\..*\.tmp)$")
_CONFLICT = ".sync-conflict-"
VIRTUAL_MTIMES = True


class SimulationFailure(AssertionError):
    """An invariant does not hold; the message names it and the operations that led there."""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    """Every file the engine syncs: relative path -> sha256 (locks and temp files left out)."""
    found: dict[str, str] = {}
    for path in root.rglob("*"):
        if path.is_file() and not _IGNORED.match(path.name):
            found[path.relative_to(root).as_posix()] = sha(path)
    return found


def conflict_name(rel: str, mtime_ns: int, device: str) -> str:
    """Syncthing's name for the losing side of a conflict (its `conflictName`: before the last extension)."""
    folder, _, name = rel.rpartition("/")
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    when = dt.datetime.fromtimestamp(mtime_ns / 1e9, dt.UTC).strftime("%Y%m%d-%H%M%S")
    copy = f"{stem}{_CONFLICT}{when}-{device}{ext}"
    return f"{folder}/{copy}" if folder else copy


def _newer(a: dict[str, int], b: dict[str, int]) -> bool:
    """Version ``a`` follows ``b`` (every device's counter at least as high, and not the same version)."""
    return a != b and all(a.get(k, 0) >= v for k, v in b.items())


def _merged(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in {*a, *b}}


@dataclass
class Office:
    name: str
    root: Path
    cache: Path
    machine: str
    device: str
    sessions: dict[str, Session] = field(default_factory=dict)
    known: dict[str, tuple[str | None, dict[str, int]]] = field(default_factory=dict)
    """The engine's view of this copy: relative path -> (sha256, None once deleted; version vector)."""


@dataclass
class Sim:
    """N offices sharing one store through a simulated sync engine; see the module docstring."""

    base: Path
    n: int = 2
    offices: list[Office] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    now: dt.datetime = field(default_factory=clock.now)
    # what the offices did: the ground truth the invariants are checked against
    cases: set[str] = field(default_factory=set)
    case_order: list[str] = field(default_factory=list)
    written: dict[tuple[str, str], str] = field(default_factory=dict)  # (case, record) -> sha256 first seen
    clients: dict[str, str] = field(default_factory=dict)  # client name -> the case its first intake opened
    actions: dict[str, set[str]] = field(default_factory=dict)  # case -> risks of every plan action added
    completed: dict[str, set[str]] = field(default_factory=dict)  # case -> risks of actions completed
    finishes: dict[str, set[str]] = field(
        default_factory=dict
    )  # case -> intake versions `intake finish` wrote
    counter: int = 0
    # staff: who was added (username -> role), the identities of everyone ever on the staff, who left and when
    roles: dict[str, str] = field(default_factory=lambda: dict(STAFF))
    identities: dict = field(default_factory=dict)  # username -> their age identity (kept after they leave)
    removed: dict[str, dt.datetime] = field(default_factory=dict)  # username -> when their removal was made
    known_gone: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(case, record) -> who the copy it was written in knew as removed then: their key must not open it."""
    written_at: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)
    sweep_day: dt.date | None = None
    """The day the simulated retention sweep runs for: years after the work, moved on by each sweep (the
    sweep is given it as its `today`; the offices' own clock stays where the work is)."""

    # -- setting up ----------------------------------------------------------------------------------------

    def __post_init__(self) -> None:
        for i in range(self.n):
            letter = "ABC"[i]
            folder = self.base / f"office-{letter.lower()}"
            self.offices.append(
                Office(letter, folder / "casefiles", folder / "cache", f"office{letter}", f"OFFICE{letter}")
            )
        first = self.offices[0]
        with self.at(first):
            store = Store.create(
                first.root, username=MANAGER, passphrase=PASSPHRASE, passphrase_log_n=TEST_LOG_N
            )
            from dacli.services.admin import add_user
            from dacli.services.retention import init_retention

            mgr = store.unlock(MANAGER, PASSPHRASE)
            for user, role in STAFF.items():
                if user != MANAGER:
                    add_user(mgr, user, role, PASSPHRASE)
            for user in STAFF:
                self.identities[user] = store.unlock(user, PASSPHRASE).identity
            # each person's own retention register per computer, written by their listings
            init_retention(mgr, self.base / "retention-key.age", None, TEST_LOG_N)
        for other in self.offices[1:]:  # the store arrives in the other offices before anyone works there
            shutil.copytree(
                first.root, other.root, ignore=shutil.ignore_patterns(".lock", "*.lock", ".tmp-*")
            )
        start = {rel: (digest, {first.device: 1}) for rel, digest in tree(first.root).items()}
        for office in self.offices:
            office.known = dict(start)
        self.pairs = [(i, j) for i in range(self.n) for j in range(i + 1, self.n)]

    @contextlib.contextmanager
    def at(self, office: Office) -> Iterator[None]:
        """Work as on ``office``'s computer: its cache folder, its machine id, the simulator's clock. Every
        file written meanwhile gets the simulator's time as its modification time (the office computer's
        clock), so the engine decides its conflicts the same way on every run."""
        saved = {k: os.environ.get(k) for k in ("DACLI_CACHE", "DACLI_MACHINE_ID", "XDG_DATA_HOME")}
        os.environ["DACLI_CACHE"] = str(office.cache)
        os.environ["DACLI_MACHINE_ID"] = office.machine
        os.environ["XDG_DATA_HOME"] = str(office.cache.parent / "data")  # what this computer has seen
        before = tree(office.root)
        gone = self.gone_in(office)
        try:
            with clock.pinned(self.now):
                yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            stamp = int(self.now.timestamp() * 1e9)
            for rel, digest in tree(office.root).items():
                if before.get(rel) != digest:
                    if VIRTUAL_MTIMES:
                        os.utime(office.root / rel, ns=(stamp, stamp))
                    ref, _, name = rel.partition("/")
                    if CASE_REF_RE.fullmatch(ref) and RECORD_NAME_RE.fullmatch(name) and rel not in before:
                        self.written[(ref, name)] = digest
                        self.known_gone[(ref, name)] = gone
                        self.written_at[(ref, name)] = self.now
                        if ref not in self.cases:
                            self.cases.add(ref)
                            self.case_order.append(ref)

    def session(self, office: Office, user: str) -> Session:
        if user not in office.sessions:
            office.sessions[user] = Store(office.root).unlock(user, PASSPHRASE)
        return office.sessions[user]

    def local_cases(self, office: Office) -> list[str]:
        """The cases in ``office``'s copy, oldest first (never by their random references: the simulator's
        choices must not depend on them)."""
        return [ref for ref in self.case_order if (office.root / ref).is_dir()]

    def step(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    # -- the engine ------------------------------------------------------------------------------------

    def scan(self, office: Office) -> None:
        """What the engine does before it syncs: a file new, changed or deleted since the last scan gets
        this device's next version (its version vector: device -> counter)."""
        now = tree(office.root)
        for rel in set(now) | set(office.known):
            digest = now.get(rel)
            old, vector = office.known.get(rel, (None, {}))
            if digest != old:
                office.known[rel] = (digest, {**vector, office.device: vector.get(office.device, 0) + 1})

    def sync(self, i: int, j: int) -> None:
        """Merge office i's copy and office j's, file by file (module docstring)."""
        x, y = self.offices[i], self.offices[j]
        self.scan(x)
        self.scan(y)
        for rel in sorted(set(x.known) | set(y.known)):
            hx, vx = x.known.get(rel, (None, {}))
            hy, vy = y.known.get(rel, (None, {}))
            if vx == vy:
                continue
            if _newer(vx, vy):  # changed on x since y last had it (created, modified or deleted)
                self._take(x, y, rel)
            elif _newer(vy, vx):
                self._take(y, x, rel)
            elif hx == hy:  # the same change made on both sides
                x.known[rel] = y.known[rel] = (hx, _merged(vx, vy))
            else:  # changed on both, differently: a conflict
                self._conflict(x, y, rel)

    def _conflict(self, x: Office, y: Office, rel: str) -> None:
        (hx, vx), (hy, vy) = x.known[rel], y.known[rel]
        if hx is None or hy is None:  # a deletion against a change: the change wins, and no copy is made
            win, lose = (y, x) if hx is None else (x, y)
        else:  # the newer modification time keeps the name (a tie: the larger device id)
            mx, my = (o.root.joinpath(rel).stat().st_mtime_ns for o in (x, y))
            win, lose = (x, y) if (mx, x.device) > (my, y.device) else (y, x)
            loser = lose.root / rel
            when = loser.stat().st_mtime_ns
            copy = conflict_name(rel, when, lose.device)
            while any(copy in o.known for o in (x, y)):  # a name already taken: the next second
                when += 1_000_000_000
                copy = conflict_name(rel, when, lose.device)
            for o in (x, y):
                self._copy(loser, o.root / copy)
                o.known[copy] = (sha(loser), {lose.device: 1})
            self.log.append(f"    engine: conflict on {rel} between {x.name} and {y.name}: {copy}")
        digest = win.known[rel][0]
        if digest is None:
            with contextlib.suppress(FileNotFoundError):
                (lose.root / rel).unlink()
        else:
            self._copy(win.root / rel, lose.root / rel)
        merged = _merged(vx, vy)
        merged[win.device] = merged.get(win.device, 0) + 1
        x.known[rel] = y.known[rel] = (digest, merged)

    def _take(self, src: Office, dst: Office, rel: str) -> None:
        digest = src.known[rel][0]
        if digest is None:
            with contextlib.suppress(FileNotFoundError):
                (dst.root / rel).unlink()
        else:
            self._copy(src.root / rel, dst.root / rel)
        dst.known[rel] = src.known[rel]

    @staticmethod
    def _copy(src: Path, dst: Path) -> None:
        """The bytes and the modification time, through a temp file renamed into place (as an engine does)."""
        if src == dst:
            return
        dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = src.stat()
        tmp = dst.parent / f".syncthing.{dst.name}.tmp"
        tmp.write_bytes(src.read_bytes())
        os.chmod(tmp, st.st_mode & 0o777)
        os.utime(tmp, ns=(st.st_mtime_ns, st.st_mtime_ns))
        os.replace(tmp, dst)

    def sync_all(self, order: list[tuple[int, int]] | None = None) -> None:
        """Merge pairs (in ``order``, then in turn) until every copy holds the same files."""
        pairs = order or self.pairs
        for _ in range(6):
            for i, j in pairs:
                self.sync(i, j)
            trees = [tree(o.root) for o in self.offices]
            if all(t == trees[0] for t in trees):
                return
            pairs = self.pairs
        self.fail("the engine did not converge: the copies still differ after six rounds")

    # -- the operations --------------------------------------------------------------------------------

    def do(self, office: Office, user: str, what: str, run) -> object:
        """Run one operation as ``user`` in ``office`` (the records it writes are noted by `at`)."""
        self.log.append(f"{office.name} {user} {self.now:%H:%M}: {what}")
        with self.at(office):
            return run(self.session(office, user))

    def _records(self, office: Office) -> dict[tuple[str, str], str]:
        found = {}
        for ref in self.local_cases(office):
            for path in (office.root / ref).iterdir():
                if RECORD_NAME_RE.fullmatch(path.name):
                    found[(ref, path.name)] = sha(path)
        return found

    def new_form(self, client: str):
        from dacli.services.intake import parse_intake

        text = SYNTHETIC_FORM.replace("Quorra Testperson-Alpha", client)
        with clock.pinned(self.now):
            return parse_intake(tomllib.loads(text), clock.today())

    def intake(self, office: Office, user: str, client: str | None = None) -> str:
        """A referral: a new client (``client`` None), or another referral of a client taken before."""
        from dacli.services.intake import intake

        if client is None:
            self.counter += 1
            client = f"Quorra Testperson-N{self.counter}"
        form = self.new_form(client)
        result = self.do(office, user, f"intake {client!r}", lambda s: intake(s, form))
        self.clients.setdefault(client, result.case)
        self.log[-1] += f" -> {result.case} (intake {result.intake})"
        return result.case

    def finish(self, office: Office, user: str, ref: str) -> None:
        from dacli.schemas.intake import IntakeForm
        from dacli.services.intake import finish_intake, latest_intake

        self.counter += 1
        detail = f"Finished in office {office.name} (#{self.counter})."

        def run(s: Session) -> None:
            old = latest_intake(s, ref)
            doc = old.model_dump(mode="python", include=set(IntakeForm.model_fields))
            doc["concerns"]["details"] = detail
            finish_intake(s, ref, IntakeForm.model_validate(doc))

        before = set(self._records(office))
        self.do(office, user, f"intake finish {ref}", run)
        made = {n for (r, n) in set(self._records(office)) - before if r == ref and n.startswith("intake-")}
        self.finishes.setdefault(ref, set()).update(made)

    def note(self, office: Office, user: str, ref: str) -> None:
        from dacli.services.notes import add_note, parse_note

        def run(s: Session) -> None:
            fields = {"at": clock.now(), "initials": "QT", "contact_type": "telephone",
                      "contact_with": "client", "facts": "Spoke to the client by phone."}  # fmt: skip
            add_note(s, ref, parse_note(fields, clock.now()))

        self.do(office, user, f"note add {ref}", run)

    def dash(self, office: Office, user: str, ref: str, yes: int) -> None:
        from dacli.services.dash import parse_dash, record_dash

        answers = {f"q{n}": "yes" if n <= yes else "no" for n in range(1, 25)}
        self.do(
            office, user, f"dash record {ref} ({yes} yes)",
            lambda s: record_dash(s, ref, parse_dash({"answers": answers}, clock.today()), clock.today()),
        )  # fmt: skip

    def plan_record(self, office: Office, user: str, ref: str) -> None:
        """`issp record`: the template (the plan as it stands, or seeded) with one action more."""
        from dacli.services import issp

        self.counter += 1
        risk = f"Risk {self.counter}"

        def run(s: Session) -> None:
            doc = issp.template(s, ref, clock.today())
            doc["actions"] = [*doc["actions"], {"risk": risk, "action": "Agreed step", "who": "Idva"}]
            issp.record(s, ref, issp.parse_issp(doc, clock.today()), clock.today())

        self.do(office, user, f"issp record {ref} (+{risk!r})", run)
        self.actions.setdefault(ref, set()).add(risk)

    def plan_add(self, office: Office, user: str, ref: str) -> None:
        from dacli.services import issp

        self.counter += 1
        risk = f"Risk {self.counter}"

        def run(s: Session) -> None:
            issp.add_action(
                s, ref, issp.parse_action({"risk": risk, "action": "Step"}, clock.today()), clock.today()
            )

        self.do(office, user, f"issp add-action {ref} ({risk!r})", run)
        self.actions.setdefault(ref, set()).add(risk)

    def plan_complete(self, office: Office, user: str, ref: str, pick: int) -> bool:
        """Complete an open action of the plan as this office shows it (False when there is none)."""
        from dacli.errors import NotFound
        from dacli.services import issp

        with self.at(office):
            try:
                _, plan, _ = issp.to_show(self.session(office, user), ref)
            except NotFound:
                return False
        open_ = [(n, a.risk) for n, a in enumerate(plan.actions, 1) if a.done is None]
        if not open_:
            return False
        number, risk = open_[pick % len(open_)]
        self.do(
            office, user, f"issp complete {ref} --action {number} ({risk!r})",
            lambda s: issp.complete(s, ref, number, clock.today(), None, clock.today()),
        )  # fmt: skip
        self.completed.setdefault(ref, set()).add(risk)
        return True

    def local_state(self, office: Office, user: str) -> dict[str, tuple[str, int]]:
        """Each case in ``office``'s copy as it shows it there: (status, holds in force)."""
        from dacli.services.case_view import load_case

        with self.at(office):
            views = {ref: load_case(self.session(office, user), ref) for ref in self.local_cases(office)}
        return {ref: (str(v.case.status), len(v.holds)) for ref, v in views.items()}

    def status(self, office: Office, user: str, ref: str) -> str:
        from dacli.services.case_view import load_case

        with self.at(office):
            return str(load_case(self.session(office, user), ref).case.status)

    def close(self, office: Office, user: str, ref: str) -> bool:
        from dacli.services.review import close_case, parse_exit

        if self.status(office, user, ref) != "open":
            return False
        exit_form = {"reason": "client-request", "follow_up_consent": False}
        self.do(
            office, user, f"close {ref}",
            lambda s: close_case(s, ref, parse_exit(exit_form, clock.today()), clock.today()),
        )  # fmt: skip
        return True

    def reopen(self, office: Office, user: str, ref: str) -> bool:
        from dacli.services.review import reopen

        if self.status(office, user, ref) != "closed":
            return False
        self.do(
            office, user, f"reopen {ref}", lambda s: reopen(s, ref, "The client asked for support again.")
        )
        return True

    def hold(self, office: Office, user: str, ref: str) -> None:
        from dacli.services.retention import add_hold

        self.do(office, user, f"hold add {ref}", lambda s: add_hold(s, ref, "Domestic homicide review."))

    def hold_end(self, office: Office, user: str, ref: str) -> bool:
        from dacli.services.case_view import load_case
        from dacli.services.retention import remove_hold

        with self.at(office):
            holds = [n for n, _ in load_case(self.session(office, user), ref).holds]
        if not holds:
            return False
        self.do(
            office,
            user,
            f"hold end {ref} {holds[0]}",
            lambda s: remove_hold(s, ref, holds[0], "Review done."),
        )
        return True

    # -- staff changes and re-keys -------------------------------------------------------------------

    def gone_in(self, office: Office) -> set[str]:
        """Who ``office``'s copy shows as removed (its staff list as it reads there, unchecked)."""
        if not (office.root / ".dacli" / "store.toml").is_file():
            return set()  # not made yet
        return {m.username for m in Store(office.root).staff().staff if not m.active}

    def users_in(self, office: Office, roles: tuple[str, ...] = ("manager", "senior", "caseworker")) -> list:
        """Who can work in ``office``: on its copy's staff list (their addition has arrived there) and never
        removed anywhere (a person removed in one office has left: they work in none)."""
        here = {m.username for m in Store(office.root).staff().active()}
        return [u for u, role in self.roles.items() if u in here and u not in self.removed and role in roles]

    def add_user(self, office: Office, role: str) -> str:
        from dacli.services.admin import add_user

        self.counter += 1
        user = f"{'cw' if role == 'caseworker' else 'sen'}.n{self.counter}"
        self.do(
            office, MANAGER, f"user add {user} --role {role}", lambda s: add_user(s, user, role, PASSPHRASE)
        )
        self.roles[user] = role
        with self.at(office):
            self.identities[user] = self.session(office, user).identity
        return user

    def remove_user(self, office: Office, user: str) -> None:
        from dacli.services.admin import remove_user

        self.do(office, MANAGER, f"user remove {user}", lambda s: remove_user(s, user, "Left the service."))
        self.removed.setdefault(user, self.now)
        for o in self.offices:
            o.sessions.pop(user, None)

    def rekey(self, office: Office) -> None:
        self.do(office, MANAGER, "rekey", lambda s: s.rewrap_all())

    def leaver_keys(self, office: Office, user: str, ref: str) -> list:
        """Every key ``user`` (removed) can open in case ``ref`` of ``office``'s copy: their identity, and the
        keys of each key file there wrapped to it (what they could have copied while they could)."""
        from dacli.errors import IntegrityError
        from dacli.store import crypto
        from dacli.store.keys import KeyRing
        from dacli.store.layout import key_files

        mine = self.identities[user]
        found = [mine]
        for path in key_files(office.root / ref, False):
            try:
                plain = crypto.decrypt(path.read_bytes(), [mine], path.name)
            except IntegrityError:
                continue
            found += KeyRing.load(plain, f"case {ref}", path.name).identities
        return found

    def leaver_reads(self, office: Office, ref: str, name: str, user: str) -> bool:
        from dacli.errors import IntegrityError
        from dacli.store import crypto

        try:
            crypto.decrypt((office.root / ref / name).read_bytes(), self.leaver_keys(office, user, ref), name)
        except IntegrityError:
            return False
        return True

    def reencrypted(self, office: Office) -> set[tuple[str, str]]:
        """Records a re-key encrypted again (audited as such): the only records ever written twice."""
        from dacli.store import audit as auditlog
        from dacli.store.sync import audit_logs

        found = set()
        for path in audit_logs(office.root / ".dacli" / "audit"):
            for entry in auditlog.iter_entries(path):
                if entry.get("action") == "record-reencrypt":
                    found.add((entry.get("case"), entry.get("record")))
        return found

    def sweep(self, office: Office, days: int) -> None:
        """The retention sweep with `--apply --mode destroy`, in ``office``, ``days`` after the last one (the
        first runs seven years after the work began: every closed case is due). It writes intents, cancels
        those overtaken, and purges once the grace period has passed."""
        from dacli.services.retention import retention_identity
        from dacli.services.sweep import apply

        if self.sweep_day is None:
            self.sweep_day = clock.today() + dt.timedelta(days=7 * 366)
        self.sweep_day += dt.timedelta(days=days)
        day = self.sweep_day
        with self.at(office):
            store = Store(office.root)
            identity = retention_identity(store, self.base / "retention-key.age", None)
            out = apply(store, identity, day, "destroy", "simulated sweep", today=day)
        self.log.append(
            f"{office.name} retention sweep for {day}: intended {[r for r, _ in out.intended]}, purged "
            f"{out.purged + out.resumed}, cancelled {[r for r, _ in out.cancelled]}, failed {out.failed}, "
            f"late {out.late}"
        )

    # -- the invariants --------------------------------------------------------------------------------

    def fail(self, message: str) -> None:
        steps = "\n".join(f"  {n:>3}. {line}" for n, line in enumerate(self.log, 1))
        raise SimulationFailure(f"{message}\noperations ({self.n} offices):\n{steps}")

    def check(self, order: list[tuple[int, int]] | None = None) -> None:
        """Merge every copy (pairs in ``order`` first), then check every invariant in every copy."""
        self.sync_all(order)
        self.log.append("    engine: every copy merged")
        if self.removed or len(self.roles) > len(STAFF):
            # a manager re-keys once the offices have met (README: after staff changes made apart), so
            # newcomers hold every key and what was written after a removal is closed to the leaver
            self.rekey(self.offices[0])
            self.sync_all()
            self.log.append("    engine: every copy merged")
        self.check_merged(rekeyed=True)

    def check_merged(self, rekeyed: bool = False) -> None:
        """The invariants, in every copy, of copies already merged (`check` merges them first)."""
        from dacli.services.admin import verify_audit
        from dacli.services.case_facts import intake_versions
        from dacli.services.case_view import load_case
        from dacli.services.caseload import caseload
        from dacli.services.issp import to_show
        from dacli.services.sync import sync_status

        statuses: dict[str, dict[str, str]] = {}
        for office in self.offices:
            where = f"office {office.name}"
            with self.at(office):
                s = self.session(office, MANAGER)
                members = self.users_in(office)
                status_now = sync_status(s)
                copies = {c.copy.shown: c for c in status_now.copies}
                gone = s.tombstone_book().entries
                self._check_purged(where, office, gone, status_now.late)
                on_disk = {p.relative_to(office.root).as_posix() for p in office.root.rglob(f"*{_CONFLICT}*")}
                if set(copies) != on_disk:
                    self.fail(
                        f"{where}: `sync status` lists {sorted(copies)}, the folder holds {sorted(on_disk)}"
                    )
                in_cases = [c for c in copies.values() if c.copy.case]
                twice = self.reencrypted(office)  # two offices re-keying apart: a copy of the same content
                bad = [
                    c.copy.shown
                    for c in in_cases
                    if c.copy.original not in SHARED_REWRITTEN
                    and not ((c.copy.case, c.copy.original) in twice and c.same)
                ]
                if bad:
                    self.fail(f"{where}: conflict copies of write-once case records: {bad}")
                reported = {(c.copy.case, c.copy.original) for c in in_cases}
                for (ref, name), digest in sorted(self.written.items()):
                    if ref in gone:
                        continue  # checked by _check_purged
                    path = office.root / ref / name
                    if not path.is_file():
                        if (ref, name) not in reported:
                            self.fail(f"{where}: record {ref}/{name} is lost (not there, no conflict copy)")
                        continue
                    if name not in SHARED_REWRITTEN and sha(path) != digest and (ref, name) not in twice:
                        self.fail(f"{where}: record {ref}/{name} was rewritten (records are written once)")
                    for user in members:  # every current member reads it
                        try:
                            self.session(office, user).read_record(ref, name)
                        except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
                            self.fail(f"{where}: record {ref}/{name} does not read for {user}: {exc}")
                    for user in sorted(self.known_gone.get((ref, name), set())):
                        if self.leaver_reads(office, ref, name, user):  # written where they were known gone
                            self.fail(f"{where}: {user} (removed) reads {ref}/{name}, written after that")
                    for user, when in sorted(self.removed.items()):
                        late = self.written_at[(ref, name)] > when and rekeyed
                        if late and self.leaver_reads(office, ref, name, user):
                            self.fail(
                                f"{where}: {user} (removed) reads {ref}/{name}, written after, re-keyed"
                            )
                listed = {row.ref: row for row in caseload(s)}
                missing = sorted(self.cases - set(listed) - set(gone))
                if missing:
                    self.fail(f"{where}: the caseload lacks {missing}")
                check = verify_audit(s.store, s)
                if not check.ok:
                    problems = [*check.files, *(p for log in check.logs for p in log.problems)]
                    self.fail(f"{where}: audit verify fails: {problems}")
                for ref in sorted(self.cases - set(gone)):
                    view = load_case(s, ref)
                    if view.unreadable:
                        self.fail(f"{where}: case {ref} has unreadable records {view.unreadable}")
                    status = str(view.case.status)
                    if str(listed[ref].status) != status:
                        self.fail(
                            f"{where}: case {ref} is {status} but the caseload says {listed[ref].status}"
                        )
                    statuses.setdefault(ref, {})[office.name] = status
                    if self.actions.get(ref):
                        _, plan, _ = to_show(s, ref)
                        shown = {a.risk: a for a in plan.actions}
                        lost = sorted(self.actions[ref] - set(shown))
                        if lost:
                            self.fail(f"{where}: case {ref}'s plan lost the actions {lost}")
                        undone = sorted(r for r in self.completed.get(ref, ()) if shown[r].done is None)
                        if undone:
                            self.fail(f"{where}: case {ref}'s plan lost the completion of {undone}")
                    current, forks = intake_versions(view.all_intakes)
                    kept = {n for n, _ in current} | {n for f in forks for n, _ in f}
                    kept |= {old for _, r in view.all_intakes for old in r.replaces}
                    lost = sorted(self.finishes.get(ref, set()) - kept)
                    if lost:
                        self.fail(
                            f"{where}: case {ref}'s intake versions {lost} are neither current nor a fork"
                        )
                    if len(forks) > len([f for f in view.forks if "intake" in f]):
                        self.fail(f"{where}: case {ref}'s intake was completed at once, and nothing says so")
        split = {ref: by for ref, by in statuses.items() if len(set(by.values())) > 1}
        if split:
            self.fail(f"merged copies disagree on a case's status: {split}")

    def _check_purged(self, where: str, office: Office, gone: dict, late: dict[str, list[str]]) -> None:
        """No held or reopened case was destroyed (judged by the files its purge took, which the tombstone
        lists), and every record of a purged case is either one its purge took or, arrived since, still
        there and reported by name (`sync status`)."""
        for ref in sorted(self.cases & set(gone)):
            files = gone[ref].get("files") or []
            closures = sorted(n.split("-")[1] for n in files if n.startswith("closure-"))
            reopens = sorted(n.split("-")[1] for n in files if n.startswith("reopen-"))
            holds = sum(n.startswith("hold-") for n in files) - sum(n.startswith("holdend-") for n in files)
            if not closures or holds > 0 or (reopens and reopens[-1] >= closures[-1]):
                self.fail(f"{where}: case {ref} was destroyed held, reopened or open: {files}")
            for (case, name), _ in sorted(self.written.items()):
                if case != ref or name in files:
                    continue
                if not (office.root / ref / name).is_file() or name not in late.get(ref, []):
                    self.fail(
                        f"{where}: record {ref}/{name} arrived after the purge of {ref} and is not reported "
                        f"by name (reported: {late.get(ref)})"
                    )
