"""The encrypted case store.

Layout (``STORE`` is ``--store``, ``DACLI_STORE`` or ``./casefiles``)::

    STORE/
      .gitignore                 keeps locks, temp files and the derived index out of git
      .gitattributes             *.age binary
      .dacli/
        store.toml               store settings (plain TOML)
        policy.toml              thresholds, review interval, retention (plain TOML a manager edits)
        staff.toml               the staff list's snapshot: username, role, public age recipient (plain TOML)
        staff/<when>-<rand>.toml one staff change each, written once, signed by its manager (staffevents.py)
        identities/s-<id>.age    each person's age identity, under their passphrase (scrypt)
        store-keys*.age          the store's key files (their union is the store key ring)
        retention/<staff>-<machine>.json.age   each writer's retention register (to the retention key)
        intents/<ref>-<when>-<rand>.json       the sweep's signed purge intents and cancellations
        audit/s-<id>-<machine>.jsonl   hash-chained audit log, one per person and machine
      DA-XXXXX-XXXXX/            one folder per client, named by an opaque reference
        keys.age, keys-*.age     the case's key files, each written once: their union is its key ring
        case.toml.age            case status and worker (updated in place, under the case lock)
        intake-1.toml.age ...    records, each encrypted to the case key alone

The crypto layer receives keys and never prompts. Plaintext exists only in memory.

The store's rooms (no module imports this one; this one puts them together):
    layout.py      names of files and folders, case references, this computer's id
    documents.py   what a signature covers, TOML records and plain settings files
    staff.py       the signed staff list, settings and policy, roles, staff changes   (StaffRoom)
    staffevents.py staff changes as write-once events, and the staff list as their fold
    rings.py       key rings as the union of write-once key files, new keys, re-key    (KeyRoom)
    records.py     one change as a whole, case folders, reading and writing records    (RecordRoom)
    index.py       the derived caseload index, audit anchors, the retention register    (IndexRoom)
    listing.py     the caseload's listed columns, saved with the index                  (ListingRoom)
    auditing.py    a session's audit entries and the per-case reason keys               (AuditRoom)
    sync.py        a sync engine's conflict copies, checked under their original names  (SyncRoom)
    registers.py   each writer's retention register, merged by the sweep most cautiously
    intents.py     the sweep's signed purge intents (the first of its two phases)
    retention.py   the sweep's key file, what it checks, purging one case, late arrivals
    tombstones.py  the tombstone chain, signed by the sweep's key, and who believes a line
    audit.py, crypto.py, signing.py, keys.py, fsio.py, seen.py, agent.py: the formats and primitives
`Session` is one object made of the rooms (mixins sharing its state), so a service holds one session.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from dacli import clock
from dacli.defaults import PASSPHRASE_LOG_N
from dacli.errors import (
    AuthError,
    IntegrityError,
    InvalidInput,
    NotFound,
    StoreError,
)
from dacli.schemas.common import CASE_REF_RE, Role
from dacli.schemas.store import STORE_FORMAT, Policy, StaffList, StaffMember, StoreSettings
from dacli.store import crypto, signing
from dacli.store.auditing import AuditRoom
from dacli.store.documents import (
    certificate_context,
    dump_plain_toml,
    pydantic_problem,
    read_plain_toml,
    signed_context,
)
from dacli.store.fsio import (
    atomic_write,
    clean_stale_temps,
    folder_lock,
    make_dir,
)
from dacli.store.index import IndexRoom
from dacli.store.keys import Credentials, KeyRing, dump_identity, load_identity
from dacli.store.layout import (
    META,
    POLICY_TOML,
    STAFF_TOML,
    STORE_GITIGNORE,
    STORE_KEYS,
    STORE_TOML,
    check_case_ref,
    foreign_entries,
    machine_id,
    policy_template,
)
from dacli.store.listing import ListingRoom
from dacli.store.people import MatchRoom, PeopleRoom
from dacli.store.records import RecordRoom
from dacli.store.rings import KeyRoom
from dacli.store.staff import (
    StaffRoom,
    checked_fold,
    pinned_by_identity,
    staff_mark,
    staff_sources,
    watched_fold,
)
from dacli.store.staffevents import EVENTS, Fold, fold
from dacli.store.sync import SyncRoom, write_ignore_files
from dacli.text import Refused, load_toml


class Store:
    """A store on disk. Opening it reads only plain settings; nothing is decrypted until unlock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.meta = self.root / META
        if not (self.meta / STORE_TOML).is_file():
            if self.root.exists() and not self.root.is_dir():
                raise NotFound(f"{self.root} is a file, not a dacli store.")
            if self.root.exists() and foreign_entries(self.root):
                raise NotFound(f"{self.root} is not a dacli store (no {META}/{STORE_TOML}).")
            raise NotFound(
                f"There is no dacli store at {self.root} (if a sync engine shares this folder, wait until "
                "the store has arrived from another computer; to start a new store, `dacli init`)."
            )
        self.settings: StoreSettings = read_plain_toml(
            self.meta / STORE_TOML, StoreSettings, "The store settings"
        )
        clock.set_zone(self.settings.timezone)
        self._policy: Policy | None = None
        self._policy_problem: str | None = None

    # -- plain files -------------------------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        if self._policy_problem:
            raise IntegrityError(self._policy_problem)
        if self._policy is None:
            self._policy = read_plain_toml(self.meta / POLICY_TOML, Policy, "The store policy")
        return self._policy

    def staff(self) -> StaffList:
        """The staff list as it reads, unchecked (who is who, before anyone unlocks). A session checks its
        signatures (`Session.staff`) before trusting it with keys or authorship."""
        base = read_plain_toml(self.meta / STAFF_TOML, StaffList, "The staff list")
        return fold(base, staff_sources(self.meta)[1], self.settings.store_id, check=False).staff

    def staff_checked_alone(self) -> StaffList:
        """The staff list checked against its own signatures and certificates, with the founder it names as
        the root (no passphrase needed): a hand edit fails, a list forged whole does not. A session checks
        it against the founding manager's key in the user's identity file instead."""
        sources = staff_sources(self.meta)
        body = signing.split(sources[0], "The staff list")[0]
        try:
            listed = StaffList.model_validate(load_toml(body.decode("utf-8"), "The staff list"))
        except (UnicodeDecodeError, Refused, ValidationError):
            raise IntegrityError("The staff list is damaged.") from None
        founder = next((m.signing_key for m in listed.staff if m.added_by is None), "")
        return checked_fold(self.meta, self.settings.store_id, founder, sources).staff

    def lock_timeout(self) -> float:
        return self.settings.security.lock_timeout_seconds

    @contextmanager
    def meta_lock(self) -> Iterator[None]:
        with folder_lock(self.meta, self.lock_timeout(), "the store settings"):
            # identity files are written under this lock too: a temp file there is a dead writer's
            clean_stale_temps(self.meta / "identities")
            clean_stale_temps(self.meta / EVENTS)  # staff changes are written under it too
            yield

    def identity_path(self, staff_id: str) -> Path:
        return self.meta / "identities" / f"{staff_id}.age"

    def case_dir(self, ref: str) -> Path:
        return self.root / check_case_ref(ref)

    def case_refs(self) -> list[str]:
        try:
            names = os.listdir(self.root)
        except OSError as exc:
            raise StoreError(f"Cannot list the store ({exc.strerror}).") from None
        return sorted(n for n in names if CASE_REF_RE.fullmatch(n))

    def audit_dir(self) -> Path:
        return self.meta / "audit"

    # -- creation and unlock -----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        username: str,
        passphrase: str,
        service_name: str = "",
        passphrase_log_n: int = PASSPHRASE_LOG_N,
    ) -> Store:
        root = Path(root)
        if (root / META).exists():
            raise StoreError(f"{root} already holds a dacli store.")
        if root.exists() and foreign_entries(root):
            raise StoreError(
                f"{root} is not empty; choose an empty folder for a new store (a sync engine's own "
                "markers, such as .stfolder, may stay)."
            )
        try:
            settings = StoreSettings.model_validate(
                {
                    "schema": STORE_FORMAT,
                    "store_id": secrets.token_hex(8),
                    "service_name": service_name,
                    "created": clock.now(),
                    "security": {"passphrase_log_n": passphrase_log_n},
                }
            )
            member = StaffMember(
                id=f"s-{secrets.token_hex(6)}",
                username=username,
                role=Role.manager,
                recipient="",
                signing_key="",
                certificate="",
                added=clock.now(),
            )
        except ValidationError as exc:
            raise InvalidInput(pydantic_problem(exc)) from None
        identity = crypto.Identity.generate()
        seed, public = signing.generate()
        member.recipient, member.signing_key = identity.public, public
        creds = Credentials(identity, seed, trust=public)  # the founder is the root of every chain
        signer = signing.Signer(member.id, seed)
        member.certificate = signer.sign(certificate_context(settings.store_id, member))
        make_dir(root)
        make_dir(root / META)
        make_dir(root / META / "identities")
        make_dir(root / META / "audit")
        meta = root / META
        sid = settings.store_id
        staff_raw = signer.seal(signed_context("staff", sid), dump_plain_toml(StaffList(staff=[member])))
        creds.snapshot = hashlib.sha256(staff_raw).hexdigest()  # the identity pins the snapshot
        with folder_lock(meta, settings.security.lock_timeout_seconds, "the new store"):
            atomic_write(
                meta / "identities" / f"{member.id}.age",
                crypto.passphrase_encrypt(dump_identity(member.id, creds), passphrase, passphrase_log_n),
            )
            ring = KeyRing.new("store")
            ring_text = ring.dump_file(clock.now(), member.id, [member.id])
            ring_text = signer.seal(signed_context("keyring", sid, ring.scope, STORE_KEYS), ring_text)
            atomic_write(meta / STORE_KEYS, crypto.encrypt(ring_text, [identity.public]))
            atomic_write(meta / STAFF_TOML, staff_raw)
            policy_text = signer.seal(signed_context("policy", sid), policy_template().encode())
            atomic_write(meta / POLICY_TOML, policy_text)
            # store.toml last: until it exists, the folder is not a store
            settings_text = signer.seal(signed_context("settings", sid), dump_plain_toml(settings))
            atomic_write(meta / STORE_TOML, settings_text)
        for name, text in ((".gitignore", STORE_GITIGNORE), (".gitattributes", "*.age binary\n")):
            if not (root / name).exists():
                atomic_write(root / name, text.encode())
        write_ignore_files(root)  # a sync engine's folder (.stfolder): its locks and temp files stay here
        store = cls(root)
        session = store.unlock_with_identity(member, creds)
        session.audit("store-init", detail={"store_id": settings.store_id})
        return store

    def member(self, username: str) -> StaffMember:
        """Who ``username`` is, from the staff list as it reads (unchecked: before a passphrase). Someone it
        shows as removed is refused only once the list is checked (`unlock_with_identity`), and where two
        changes add the same username the one with an identity file is taken: a change no one has checked
        yet (planted in the folder, or a leaver's) must not lock anyone out."""
        base = read_plain_toml(self.meta / STAFF_TOML, StaffList, "The staff list")
        found = fold(base, staff_sources(self.meta)[1], self.settings.store_id, check=False)
        named = [m for m in (*found.staff.staff, *found.aliases) if m.username == username]
        if not named:
            raise AuthError(f"There is no user called {username!r} in this store.")
        for m in named:
            if m.active and self.identity_path(m.id).is_file():
                return m
        return next((m for m in named if m.active), named[-1])

    def unlock(self, username: str, passphrase: str) -> Session:
        return self.unlock_with_identity(*self.credentials(username, passphrase))

    def credentials(self, username: str, passphrase: str) -> tuple[StaffMember, Credentials]:
        """``username``'s identity file opened with ``passphrase`` (their keys and the founding manager's
        key they trust), before the staff list is checked (`unlock_with_identity` does that)."""
        member = self.member(username)
        path = self.identity_path(member.id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            if not member.active:  # a removal deletes the identity file
                raise AuthError(f"{username} has been removed from this store.") from None
            raise IntegrityError(f"The identity file for {username} is missing.") from None
        plain = crypto.passphrase_decrypt(sealed, passphrase, f"user {username}")
        return member, load_identity(plain, member.id, f"The identity file for {username}")

    def unlock_with_identity(self, member: StaffMember, creds: Credentials) -> Session:
        """A session for ``member`` once the staff list has been checked against the founding manager's key
        their identity file holds, and their keys against the list."""
        mark = staff_mark(self.meta)  # before reading: a change meanwhile is read again at the next look
        sources = staff_sources(self.meta)
        pinned_by_identity(sources[0], creds)
        found = watched_fold(self.settings.store_id, self.meta, creds.trust, sources)
        staff = found.staff
        listed = next((m for m in staff.staff if m.id == member.id), None)
        if listed is not None and not listed.active:
            raise AuthError(f"{member.username} has been removed from this store.")
        if listed is None:
            why = found.unadded.get(member.id, "the change that added them has not arrived here")
            raise IntegrityError(f"{member.username} is not on the staff list as checked here: {why}.")
        if (
            listed is None
            or creds.identity.public != listed.recipient
            or signing.public_of(creds.signing_seed) != listed.signing_key
        ):
            raise IntegrityError(
                f"The identity file for {member.username} does not match the staff list (tampered)."
            )
        session = Session(self, listed, creds, sources, found, (mark, found.memory_stamp))
        self.settings = session.checked_settings()
        clock.set_zone(self.settings.timezone)
        session.check_policy()
        return session

    def unlock_from_agent(self, username: str) -> Session | None:
        """A session from a running unlock agent (`dacli unlock`), or None when there is none or it holds
        an identity the staff list no longer names (then the caller asks for the passphrase)."""
        found = self.credentials_from_agent(username)
        return None if found is None else self.unlock_with_identity(*found)

    def credentials_from_agent(self, username: str) -> tuple[StaffMember, Credentials] | None:
        """`credentials` from a running unlock agent, or None (none running, or another identity)."""
        from dacli.store import agent

        member = self.member(username)
        text = agent.fetch_identity(self.root, member.id)
        if text is None:
            return None
        try:
            creds = load_identity(text, member.id, "The agent's identity")
        except IntegrityError:
            return None
        if creds.identity.public != member.recipient:
            return None
        return member, creds


class Session(
    StaffRoom, KeyRoom, RecordRoom, IndexRoom, ListingRoom, PeopleRoom, MatchRoom, AuditRoom, SyncRoom
):
    """A store unlocked by one member of staff. Holds keys in memory only."""

    def __init__(
        self,
        store: Store,
        member: StaffMember,
        creds: Credentials,
        staff_raw: tuple,
        found: Fold,
        mark: tuple | None = None,
    ) -> None:
        self.store = store
        self.member = member
        self.credentials = creds
        self.identity = creds.identity
        self.signer = signing.Signer(member.id, creds.signing_seed)
        self._staff_raw, self._staff, self._fold = staff_raw, found.staff, found
        self._staff_mark = mark
        self._authors = {m.id: m for m in found.staff.staff}
        self._machine: str | None = None
        self._store_ring: KeyRing | None = None
        self._rings: dict[str, KeyRing] = {}
        # the change in progress (`unit`): records saved, audit entries not yet written, the index's state
        self._unit_depth = 0
        self._unit_saved: list[tuple[str, str]] = []
        self._unit_audits: list[dict] = []
        self._unit_index = ""  # "" (no index step), "pending" or "done"
        self._unit_finishing = False
        # records of each case read (or written) whole in this session: name -> (size, mtime) of the file
        self._readable: dict[str, dict[str, tuple[int, int]]] = {}
        self._reason_keys: dict[str, crypto.Identity] = {}  # reason key files read or made: "ref/name"
        self._sweep_keys: tuple[set[str], set[str]] | None = None  # the sweep's keys, entries vouched for

    @property
    def machine(self) -> str:
        if self._machine is None:
            self._machine = machine_id()
        return self._machine

    def clean_temps(self) -> int:
        """Remove temp files of dead writers everywhere (each folder under its lock)."""
        removed = 0
        for folder in [self.store.meta, *(self.store.root / r for r in self.store.case_refs())]:
            with folder_lock(folder, self.store.lock_timeout(), str(folder.name)):
                removed += clean_stale_temps(folder)
        return removed
