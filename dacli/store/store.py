"""The encrypted case store.

Layout (``STORE`` is ``--store``, ``DACLI_STORE`` or ``./casefiles``)::

    STORE/
      .gitignore                 keeps locks, temp files and the derived index out of git
      .gitattributes             *.age binary
      .dacli/
        store.toml               store settings (plain TOML)
        policy.toml              thresholds, review interval, retention (plain TOML a manager edits)
        staff.toml               staff list: username, role, public age recipient (plain TOML)
        identities/s-<id>.age    each person's age identity, under their passphrase (scrypt)
        store-keys.age           store key ring, encrypted to every current member of staff
        index.json.age           caseload index (derived, encrypted to the store key)
        audit/s-<id>-<machine>.jsonl   hash-chained audit log, one per person and machine
      DA-XXXXX-XXXXX/            one folder per client, named by an opaque reference
        keys.age                 the case key ring, encrypted to every current member of staff
        case.toml.age            case status and worker (updated in place, under the case lock)
        intake-1.toml.age ...    records, each encrypted to the case key alone

The crypto layer receives keys and never prompts. Plaintext exists only in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dacli import clock
from dacli.defaults import PASSPHRASE_LOG_N
from dacli.errors import (
    AuthError,
    DacliError,
    IntegrityError,
    InvalidInput,
    NotFound,
    PartlySaved,
    PermissionDenied,
    StoreError,
)
from dacli.schemas.common import CASE_REF_RE, RECORD_NAME_RE, Role, is_case_ref
from dacli.schemas.records import decision_problem, record_problem
from dacli.schemas.store import STORE_FORMAT, Policy, StaffList, StaffMember, StoreSettings
from dacli.store import audit as auditlog
from dacli.store import crypto, seen, signing
from dacli.store.fsio import (
    TMP_PREFIX,
    atomic_write,
    clean_stale_temps,
    folder_lock,
    make_dir,
)
from dacli.store.keys import Credentials, KeyRing, dump_identity, load_identity
from dacli.text import Refused, load_json, load_toml, neutralise

META = ".dacli"
STORE_TOML = "store.toml"
POLICY_TOML = "policy.toml"
STAFF_TOML = "staff.toml"
STORE_KEYS = "store-keys.age"
CASE_KEYS = "keys.age"
INDEX = "index.json.age"
ANCHORS = "anchors.json.age"
"""The audit anchors alone (the heads of every audit log), beside the index: the retention sweep deletes
the index after a purge (it holds names and cannot be rewritten without a staff key), and the anchors
must outlive that."""
INDEX_SCHEMA = "caseload-index/3"
"""/3: rows carry the accumulated view (perpetrators of every intake), the incomplete and marac-referral-due
flags, and the sign-off clock from the sharing: an older index is rebuilt from the records when met."""


class StaleIndex(IntegrityError):
    """An index written by an earlier dacli: a cache of the records, rebuilt from them (`dacli reindex`)."""


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

STORE_GITIGNORE = """\
# dacli: locks, interrupted writes and the derived caseload index stay out of git.
# After pulling another copy's changes, run `dacli reindex`.
.lock
.tmp-*
.dacli/index.json.age
.dacli/audit/*.lock
"""


# What may already be in a folder a new store is made in: a README or .gitignore the team put there, and the
# markers and metadata a sync engine or a desktop keeps in every folder it looks after (the folder is
# "empty" to a person who has just shared it). Compared without case (Windows names); `*` as in fnmatch.
HARMLESS_ENTRIES = (
    ".gitignore", ".gitattributes", "README.md",  # the two dacli itself writes (a copy there is kept)
    ".stfolder", ".stignore", ".stversions",  # Syncthing
    ".sync_*.db*", ".owncloudsync.log",  # Nextcloud and ownCloud clients
    ".dropbox", ".dropbox.attr",  # Dropbox
    "desktop.ini", "Thumbs.db", ".DS_Store",  # Windows (also OneDrive) and macOS
)  # fmt: skip


def foreign_entries(root: Path) -> list[str]:
    """Names in ``root`` other than `HARMLESS_ENTRIES`: what makes a folder not empty for a new store."""
    from fnmatch import fnmatchcase

    patterns = [p.lower() for p in HARMLESS_ENTRIES]
    return sorted(
        p.name for p in root.iterdir() if not any(fnmatchcase(p.name.lower(), pat) for pat in patterns)
    )


def _now() -> datetime:
    return clock.now()


def signed_context(kind: str, store_id: str, *where: str) -> bytes:
    """What a signature covers besides the content: the kind of file, the store, and where it belongs (case
    and record name, key ring scope), so a signed file copied to another place or store fails."""
    return ("\n".join([f"dacli-{kind}/1", store_id, *where]) + "\n").encode()


def certificate_context(store_id: str, m: StaffMember) -> bytes:
    return signed_context(
        "staff-member", store_id, m.id, m.username, m.role.value, m.recipient, m.signing_key, m.added_by or ""
    )


def verify_staff(raw: bytes, store_id: str, trust: str) -> StaffList:
    """The staff list in ``raw`` if it is signed by a current manager and every person on it holds a
    certificate chain back to the founding manager whose public key is ``trust``; else IntegrityError."""
    what = "The staff list"
    body, author, signature = signing.split(raw, what)
    try:
        staff = StaffList.model_validate(load_toml(body.decode("utf-8"), what))
    except (UnicodeDecodeError, Refused, ValidationError):
        raise IntegrityError(f"{what} is damaged.") from None
    by_id = {m.id: m for m in staff.staff}
    founders = [m for m in staff.staff if m.added_by is None]
    if len(founders) != 1 or founders[0].signing_key != trust:
        raise IntegrityError(f"{what} does not lead back to this store's founding manager (forged).")
    certified: set[str] = set()

    def certify(m: StaffMember, seen: frozenset[str]) -> None:
        if m.id in certified:
            return
        issuer = m if m.added_by is None else by_id.get(m.added_by)
        if issuer is None or issuer.id in seen or issuer.role != Role.manager:
            raise IntegrityError(
                f"{what} names {m.username}, who was not added by a manager (edited by hand)."
            )
        if not signing.verify(issuer.signing_key, m.certificate, certificate_context(store_id, m)):
            raise IntegrityError(
                f"{what} entry for {m.username} does not match its certificate (edited by hand, or forged)."
            )
        if issuer is not m:
            certify(issuer, seen | {m.id})
        certified.add(m.id)

    for m in staff.staff:
        certify(m, frozenset())
    signer = by_id.get(author)
    if signer is None or signer.role != Role.manager or not signer.active:
        raise IntegrityError(f"{what} is not signed by a current manager (edited by hand, or forged).")
    if not signing.verify(signer.signing_key, signature, signed_context("staff", store_id) + body):
        raise IntegrityError(f"{what} was changed outside dacli (it does not match its signature).")
    return staff


def new_case_ref() -> str:
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(10))
    return f"DA-{chars[:5]}-{chars[5:]}"


def check_case_ref(ref: str) -> str:
    if not isinstance(ref, str) or not CASE_REF_RE.fullmatch(ref):
        raise InvalidInput(f"{ref!r} is not a case reference (they look like DA-7K3M9-QXP2T).")
    return ref


def _pydantic_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "the document"
    return f"{where}: {err['msg']}"


def _strip_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(v) for v in value if v is not None]
    return value


def encode_document(doc: dict) -> bytes:
    """TOML text, ``schema`` and ``case`` first. Imported lazily: only writers need tomli_w."""
    import tomli_w

    if "schema" not in doc or "case" not in doc:
        raise ValueError("a document needs 'schema' and 'case'")
    ordered = {"schema": doc["schema"], "case": doc["case"]}
    ordered.update({k: v for k, v in doc.items() if k not in ordered})
    return tomli_w.dumps(_strip_none(ordered)).encode("utf-8")


def decode_document(data: bytes, ref: str, what: str) -> dict:
    try:
        # stored text can be old (written before forms refused control characters): it is read, and
        # every control character but newline and tab is shown as a placeholder wherever it is output
        doc = load_toml(data.decode("utf-8"), what, stored=True)
    except UnicodeDecodeError:
        raise IntegrityError(f"{what} decrypts but is not valid TOML.") from None
    except Refused as exc:
        if exc.syntax:
            raise IntegrityError(f"{what} decrypts but is not valid TOML.") from None
        raise IntegrityError(str(exc)) from None
    if not isinstance(doc.get("schema"), str):
        raise IntegrityError(f"{what} has no schema line.")
    if doc.get("case") != ref:
        raise IntegrityError(
            f"{what} belongs to another case, not {ref}: it was copied or moved into this folder."
        )
    return doc


def incomplete_sentence(ref: str, problems: list[tuple[str, str]]) -> str:
    """The one sentence for a case with records that cannot be read: `case show` marks the case with it,
    and every command that would change the case refuses with it (exit 6)."""
    names = ", ".join(name for name, _ in problems)
    why = "; ".join(text.rstrip(".") for _, text in problems)
    return (
        f"Case {ref} is incomplete: {names} cannot be read ({why}); nothing can be written to the case "
        "until that is restored from a backup."
    )


def read_plain_toml(path: Path, model: type, what: str) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{what} is missing ({path}).") from None
    except OSError as exc:
        raise StoreError(f"Cannot read {what} ({exc.strerror}).") from None
    try:
        data = load_toml(raw.decode("utf-8"), f"{what} ({path.name})")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} ({path.name}) is not valid TOML: {exc}.") from None
    except Refused as exc:
        raise InvalidInput(str(exc)) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{what} ({path.name}) has a bad value: {_pydantic_problem(exc)}.") from None


def _dump_plain_toml(model: Any) -> bytes:
    import tomli_w

    return tomli_w.dumps(_strip_none(model.model_dump(mode="python", by_alias=True))).encode()


def machine_id() -> str:
    """A random id for this machine and person, kept in the user's data folder.

    It names the audit log this process appends to, so each log has a single writer.
    """
    env = os.environ.get("DACLI_MACHINE_ID")
    if env:
        if not all(c.isalnum() for c in env) or len(env) > 32:
            raise InvalidInput("DACLI_MACHINE_ID must be up to 32 letters and digits.")
        return env
    from platformdirs import user_data_path

    path = user_data_path("dacli") / "machine-id"
    try:
        value = path.read_text().strip()
        if value.isalnum() and len(value) == 12:
            return value
    except OSError:
        pass
    value = secrets.token_hex(6)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(value + "\n")
    except OSError:
        pass  # a read-only home: the id lasts for this process only
    return value


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
            raise NotFound(f"There is no dacli store at {self.root}; create one with `dacli init`.")
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
        return read_plain_toml(self.meta / STAFF_TOML, StaffList, "The staff list")

    def staff_checked_alone(self) -> StaffList:
        """The staff list checked against its own signatures and certificates, with the founder it names as
        the root (no passphrase needed): a hand edit fails, a list forged whole does not. A session checks
        it against the founding manager's key in the user's identity file instead."""
        raw = self.staff_bytes()
        body = signing.split(raw, "The staff list")[0]
        try:
            listed = StaffList.model_validate(load_toml(body.decode("utf-8"), "The staff list"))
        except (UnicodeDecodeError, Refused, ValidationError):
            raise IntegrityError("The staff list is damaged.") from None
        founder = next((m.signing_key for m in listed.staff if m.added_by is None), "")
        return verify_staff(raw, self.settings.store_id, founder)

    def staff_bytes(self) -> bytes:
        try:
            return (self.meta / STAFF_TOML).read_bytes()
        except FileNotFoundError:
            raise NotFound("The staff list is missing.") from None
        except OSError as exc:
            raise StoreError(f"Cannot read the staff list ({exc.strerror}).") from None

    def lock_timeout(self) -> float:
        return self.settings.security.lock_timeout_seconds

    @contextmanager
    def meta_lock(self) -> Iterator[None]:
        with folder_lock(self.meta, self.lock_timeout(), "the store settings"):
            # identity files are written under this lock too: a temp file there is a dead writer's
            clean_stale_temps(self.meta / "identities")
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
                    "created": _now(),
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
                added=_now(),
            )
        except ValidationError as exc:
            raise InvalidInput(_pydantic_problem(exc)) from None
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
        with folder_lock(meta, settings.security.lock_timeout_seconds, "the new store"):
            atomic_write(
                meta / "identities" / f"{member.id}.age",
                crypto.passphrase_encrypt(dump_identity(member.id, creds), passphrase, passphrase_log_n),
            )
            sid = settings.store_id
            ring = KeyRing.new("store", 0)
            ring_text = signer.seal(signed_context("keyring", sid, ring.scope), ring.dump())
            atomic_write(meta / STORE_KEYS, crypto.encrypt(ring_text, [identity.public]))
            staff_text = _dump_plain_toml(StaffList(staff=[member]))
            atomic_write(meta / STAFF_TOML, signer.seal(signed_context("staff", sid), staff_text))
            policy_text = signer.seal(signed_context("policy", sid), policy_template().encode())
            atomic_write(meta / POLICY_TOML, policy_text)
            # store.toml last: until it exists, the folder is not a store
            settings_text = signer.seal(signed_context("settings", sid), _dump_plain_toml(settings))
            atomic_write(meta / STORE_TOML, settings_text)
        for name, text in ((".gitignore", STORE_GITIGNORE), (".gitattributes", "*.age binary\n")):
            if not (root / name).exists():
                atomic_write(root / name, text.encode())
        store = cls(root)
        session = store.unlock_with_identity(member, creds)
        session.audit("store-init", detail={"store_id": settings.store_id})
        session.write_index({})
        return store

    def member(self, username: str) -> StaffMember:
        staff = self.staff()
        member = staff.by_username(username)
        if member is None:
            removed = any(s.username == username for s in staff.staff)
            if removed:
                raise AuthError(f"{username} has been removed from this store.")
            raise AuthError(f"There is no user called {username!r} in this store.")
        return member

    def unlock(self, username: str, passphrase: str) -> Session:
        member = self.member(username)
        path = self.identity_path(member.id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(f"The identity file for {username} is missing.") from None
        plain = crypto.passphrase_decrypt(sealed, passphrase, f"user {username}")
        creds = load_identity(plain, member.id, f"The identity file for {username}")
        return self.unlock_with_identity(member, creds)

    def unlock_with_identity(self, member: StaffMember, creds: Credentials) -> Session:
        """A session for ``member`` once the staff list has been checked against the founding manager's key
        their identity file holds, and their keys against the list."""
        raw = self.staff_bytes()
        staff = verify_staff(raw, self.settings.store_id, creds.trust)
        seen.check(self.settings.store_id, staff)
        listed = next((m for m in staff.staff if m.id == member.id and m.active), None)
        if (
            listed is None
            or creds.identity.public != listed.recipient
            or signing.public_of(creds.signing_seed) != listed.signing_key
        ):
            raise IntegrityError(
                f"The identity file for {member.username} does not match the staff list (tampered)."
            )
        session = Session(self, listed, creds, raw, staff)
        self.settings = session.checked_settings()
        clock.set_zone(self.settings.timezone)
        session.check_policy()
        return session

    def unlock_from_agent(self, username: str) -> Session | None:
        """A session from a running unlock agent (`dacli unlock`), or None when there is none or it holds
        an identity the staff list no longer names (then the caller asks for the passphrase)."""
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
        return self.unlock_with_identity(member, creds)


class Session:
    """A store unlocked by one member of staff. Holds keys in memory only."""

    def __init__(
        self, store: Store, member: StaffMember, creds: Credentials, staff_raw: bytes, staff: StaffList
    ) -> None:
        self.store = store
        self.member = member
        self.credentials = creds
        self.identity = creds.identity
        self.signer = signing.Signer(member.id, creds.signing_seed)
        self._staff_raw, self._staff = staff_raw, staff
        self._authors = {m.id: m for m in staff.staff}
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

    # -- the checked staff list and signatures -------------------------------------------------------

    def staff(self) -> StaffList:
        """The staff list, its signature and every certificate checked (again only when the file changed).
        A list edited by hand, or signed by anyone but a current manager, is refused. A copy: change it and
        save it with `_save_staff`."""
        return self._checked_staff().model_copy(deep=True)

    def _checked_staff(self) -> StaffList:
        raw = self.store.staff_bytes()
        if raw != self._staff_raw:
            staff = verify_staff(raw, self.store.settings.store_id, self.credentials.trust)
            seen.check(self.store.settings.store_id, staff)
            self._staff, self._staff_raw = staff, raw
            self._authors = {m.id: m for m in self._staff.staff}
        return self._staff

    def checked_settings(self) -> StoreSettings:
        """store.toml, read again and believed only as signed by a current manager: it names the retention
        key the register is encrypted to, and the scrypt cost of new passphrases."""
        path = self.store.meta / STORE_TOML
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"Cannot read the store settings ({exc.strerror}).") from None
        self._checked_by_manager("settings", raw, "The store settings")
        return read_plain_toml(path, StoreSettings, "The store settings")

    def check_policy(self) -> None:
        """Believe policy.toml only as a manager accepted it (signed). A manager edits it by hand, then
        reads it and runs `dacli policy accept`; until then every rule that needs it stops with a sentence
        saying so (the thresholds decide who is high risk, and the retention dates what is destroyed)."""
        raw = self.store.meta.joinpath(POLICY_TOML).read_bytes()
        problem = (
            "The store policy (policy.toml) has changed since a manager accepted it, or was changed outside "
            "dacli: a manager reads it and runs `dacli policy accept`."
        )
        try:
            self._checked_by_manager("policy", raw, "The store policy")
        except IntegrityError:
            self.store._policy_problem = problem
            return
        self.store._policy_problem = None
        self.store._policy = read_plain_toml(self.store.meta / POLICY_TOML, Policy, "The store policy")

    def accept_policy(self) -> Policy:
        """A manager accepts policy.toml as it now reads: checked, then signed (audited, with its hash)."""
        import hashlib

        self.require_role(Role.manager)
        path = self.store.meta / POLICY_TOML
        with self.store.meta_lock():
            raw = path.read_bytes()
            try:
                body = signing.split(raw, "policy")[0]
            except IntegrityError:
                body = raw  # edited, or never signed: the whole text is the policy
            self.store._policy_problem = None
            self.store._policy = None
            policy = read_plain_toml(path, Policy, "The store policy")  # names a bad key in one sentence
            atomic_write(path, self._signed("policy", body))
            self.store._policy = policy
        self.audit(
            "decision", detail={"decision": "policy-accept", "sha256": hashlib.sha256(body).hexdigest()}
        )
        return policy

    def save_settings(self, settings: StoreSettings) -> None:
        """Write store.toml signed by this manager (the caller holds the store lock)."""
        self.require_role(Role.manager)
        atomic_write(self.store.meta / STORE_TOML, self._signed("settings", _dump_plain_toml(settings)))
        self.store.settings = settings

    def _context(self, kind: str, *where: str) -> bytes:
        return signed_context(kind, self.store.settings.store_id, *where)

    def _signed(self, kind: str, body: bytes, *where: str) -> bytes:
        return self.signer.seal(self._context(kind, *where), body)

    def _checked_by_manager(self, kind: str, data: bytes, what: str) -> bytes:
        """`_checked`, and the author must be a current manager (store settings, policy)."""
        body, author = self._checked(kind, data, what)
        if author.role != Role.manager or not author.active:
            raise IntegrityError(f"{what} is not signed by a current manager (changed by hand).")
        return body

    def _checked(self, kind: str, data: bytes, what: str, *where: str) -> tuple[bytes, StaffMember]:
        """The body of a signed file and its author, if the author is on the checked staff list (current or
        past) and the signature holds; else a clear IntegrityError (written outside dacli, forged, moved)."""
        self._checked_staff()
        keys = {i: m.signing_key for i, m in self._authors.items()}
        body, author = signing.check(data, self._context(kind, *where), keys, what)
        return body, self._authors[author]

    # -- roles ---------------------------------------------------------------------------------------

    def require_role(self, *roles: Role) -> None:
        if self.member.role not in roles:
            wanted = " or ".join(r.value for r in roles)
            raise PermissionDenied(
                f"{self.member.username} is a {self.member.role.value}; this needs a {wanted}."
            )

    @property
    def machine(self) -> str:
        if self._machine is None:
            self._machine = machine_id()
        return self._machine

    # -- key rings -----------------------------------------------------------------------------------

    def _load_ring(self, path: Path, scope: str, what: str) -> KeyRing:
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(f"{what} is missing.") from None
        try:
            plain = crypto.decrypt(sealed, [self.identity], what)
        except IntegrityError as exc:
            if "not encrypted to any key" in str(exc):
                raise AuthError(
                    f"{what} is not wrapped for {self.member.username}: a manager must run `dacli rekey`."
                ) from None
            raise
        body, author = self._checked("keyring", plain, what, scope)
        ring = KeyRing.load(body, scope, what)
        if not author.active and ring.epoch >= (author.removed_epoch or 0):
            # A ring they signed while on the staff is older than their removal (and is rotated before the
            # next write); one at the epoch of their removal or later was made after they left.
            raise IntegrityError(f"{what} is signed by {author.username}, who has left (forged).")
        if ring.epoch > self._checked_staff().key_epoch:
            raise IntegrityError(
                f"{what} is newer than the staff list (key epoch {ring.epoch}): the staff list was put back "
                "from an older copy."
            )
        return ring

    def _save_ring(self, path: Path, ring: KeyRing, staff: StaffList) -> None:
        recipients = [s.recipient for s in staff.active()]
        atomic_write(path, crypto.encrypt(self._signed("keyring", ring.dump(), ring.scope), recipients))

    def store_ring(self) -> KeyRing:
        if self._store_ring is None:
            self._store_ring = self._load_ring(self.store.meta / STORE_KEYS, "store", "The store key ring")
        return self._store_ring

    def case_ring(self, ref: str) -> KeyRing:
        ring = self._rings.get(ref)
        if ring is None:
            folder = self.store.case_dir(ref)
            if not folder.is_dir():
                raise NotFound(f"There is no case {ref} in this store.")
            ring = self._load_ring(folder / CASE_KEYS, f"case {ref}", f"The key ring of {ref}")
            self._rings[ref] = ring
        return ring

    def _ring_for_write(self, ref: str) -> KeyRing:
        """The case ring, fresh from disk (the caller holds the case lock), rotated first if someone was
        removed since its newest key was made. Never the cached copy: another process may have rotated
        it, and saving a stale ring would drop the newer key."""
        self._rings.pop(ref, None)
        ring = self.case_ring(ref)
        staff = self.staff()
        if ring.epoch < staff.key_epoch:
            ring.rotate(staff.key_epoch)
            self._save_ring(self.store.case_dir(ref) / CASE_KEYS, ring, staff)
        return ring

    # -- one change as a whole ------------------------------------------------------------------------

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
        except BaseException as exc:
            if not self._unit_saved or isinstance(exc, GeneratorExit | SystemExit):
                raise
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

    # -- cases and records -----------------------------------------------------------------------------

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
                staff = self.staff()
                ring = KeyRing.new(f"case {ref}", staff.key_epoch)
                self._save_ring(folder / CASE_KEYS, ring, staff)
            self._rings[ref] = ring
            self.audit("case-create", case=ref)
            return ref
        raise StoreError("Could not find a free case reference.")  # pragma: no cover

    def unindexed_cases(self, index: dict) -> list[str]:
        """Case folders holding records that ``index`` does not list (not boiled down or purged): saved by a
        command that stopped before the index was written, or pulled from another copy of the store. Call
        under the store lock (no new case is being made meanwhile)."""
        from dacli.store.retention import tombstones

        seen = {*index["cases"], *index.get("unreadable", [])}  # a damaged case is reindex's to report
        loose = [r for r in self.store.case_refs() if r not in seen]
        if not loose:
            return []
        gone = tombstones(self.store.meta)
        return [r for r in loose if r not in gone and self._holds_record(r)]

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
        return all(n in ("keys.age", ".lock") or n.startswith(TMP_PREFIX) for n in names)

    def _cases_with_audited_records(self) -> set[str]:
        """Cases the audit trail shows a record written to: never an interrupted new case, whatever their
        folder holds now (records still arriving from another computer, or deleted)."""
        folder = self.store.audit_dir()
        cases: set[str] = set()
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
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
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
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
        except OSError as exc:
            raise StoreError(f"Cannot list case {ref} ({exc.strerror}).") from None

    def record_names(self, ref: str) -> list[str]:
        folder = self.store.case_dir(ref)
        if not folder.is_dir():
            raise NotFound(f"There is no case {ref} in this store.")
        return sorted(
            n for n in os.listdir(folder) if n.endswith(".toml.age") and not n.startswith(TMP_PREFIX)
        )

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
        what = f"{ref}/{name}"
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
        self._readable.setdefault(ref, {})[name] = (stat.st_size, stat.st_mtime_ns)
        return doc

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

    def _refuse_boiled(self, ref: str) -> None:
        folder = self.store.root / ref
        if (folder / "summary.toml.age").exists() and not (folder / "case.toml.age").exists():
            raise StoreError(
                f"Case {ref} was boiled down by the retention sweep: only its summary is kept, and nothing "
                "can be added to it. A new referral starts a new case."
            )

    def _sign_audit(self, entry_hash: str) -> str:
        return self.signer.sign(self._context("audit", entry_hash))

    def audit_signature_problem(self, staff: str, entry_hash: str, sig: str) -> str | None:
        """Why an audit entry is not signed by the member of staff it names, or None."""
        if staff == "retention":
            return None  # the unattended sweep's own log: it holds no signing key (its entries are chained)
        self._checked_staff()
        member = self._authors.get(staff)
        if member is None:
            return f"names {staff}, who is not on the staff list (forged)"
        if not sig or not signing.verify(member.signing_key, sig, self._context("audit", entry_hash)):
            return f"is not signed by {member.username}, whom it names (forged, or changed by hand)"
        return None

    def _sign_register(self, body: bytes) -> bytes:
        return self._signed("register", body)

    def write_register(self, index: dict) -> None:
        """Write the retention register from ``index`` now (the caller holds the store lock). Called before a
        hold or a reopening is written, so the register never shows a case as purgeable that is not."""
        from dacli.store import retention

        self.store.settings = self.checked_settings()
        if self.store.settings.retention_recipient:
            retention.write_register(
                self.store.meta,
                index["cases"],
                [self.store.settings.retention_recipient, self.store_ring().current.public],
                self._sign_register,
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

    # -- caseload index ------------------------------------------------------------------------------

    def read_index(self) -> dict | None:
        """The decrypted index, or None when it is missing (rebuild with `dacli reindex`)."""
        path = self.store.meta / INDEX
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            plain = crypto.decrypt(sealed, self.store_ring().identities, "The caseload index")
        except IntegrityError:
            self._store_ring = None  # rotated by another process since we cached it: reload once
            plain = crypto.decrypt(sealed, self.store_ring().identities, "The caseload index")
        body, author = self._checked("index", plain, "The caseload index")
        if not author.active:  # the re-wrap after a removal writes it again (or drops it)
            raise IntegrityError(
                f"The caseload index is signed by {author.username}, who has left; a manager runs "
                "`dacli rekey`."
            )
        try:
            index = load_json(body, "The caseload index", stored=True)
        except Refused:
            raise IntegrityError("The caseload index is damaged; run `dacli reindex`.") from None
        if not isinstance(index, dict) or not str(index.get("schema", "")).startswith("caseload-index/"):
            raise IntegrityError("The caseload index is damaged; run `dacli reindex`.")
        shapes = (("cases", dict), ("audit_heads", dict), ("unreadable", list))
        if any(not isinstance(index.get(key, kind()), kind) for key, kind in shapes) or not all(
            isinstance(row, dict) for row in index.get("cases", {}).values()
        ):
            raise IntegrityError("The caseload index is damaged; run `dacli reindex`.")
        if index["schema"] != INDEX_SCHEMA:
            raise StaleIndex(
                "The caseload index was written by another version of dacli; run `dacli reindex` "
                "(the records are untouched)."
            )
        return index

    def read_anchors(self) -> dict[str, tuple[int, str]]:
        """The audit anchors kept beside the index ({log name: (seq, head)}); empty when there are none yet,
        or when they are signed by someone who has left (the next index write signs them afresh)."""
        path = self.store.meta / ANCHORS
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            return {}
        plain = crypto.decrypt(sealed, self.store_ring().identities, "The audit anchors")
        body, author = self._checked("anchors", plain, "The audit anchors")
        if not author.active:
            return {}
        try:
            heads = json.loads(body)["audit_heads"]
            return {str(k): (int(v[0]), str(v[1])) for k, v in heads.items()}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            raise IntegrityError("The audit anchors are damaged.") from None

    def _read_index_any_version(self) -> dict:
        """An older index, for its audit anchors only (reindex keeps them across a format change)."""
        try:
            sealed = (self.store.meta / INDEX).read_bytes()
            plain = crypto.decrypt(sealed, self.store_ring().identities, "index")
            body, author = self._checked("index", plain, "The caseload index")
            if not author.active:
                return {}
            index = load_json(body, "The caseload index", stored=True)
            return index if isinstance(index, dict) else {}
        except (OSError, ValueError, DacliError):
            return {}

    def _seal_index(self, index: dict) -> None:
        """Encrypt and write the index. The caller holds the store lock; the ring is re-read from disk."""
        staff = self.staff()
        self._store_ring = None
        ring = self.store_ring()
        if ring.epoch < staff.key_epoch:
            ring.rotate(staff.key_epoch)
            self._save_ring(self.store.meta / STORE_KEYS, ring, staff)
        from dacli.store import retention

        for ref in retention.tombstones(self.store.meta):
            if retention.gone_for_good(self.store.root, ref):
                index["cases"].pop(ref, None)  # purged by the retention sweep since the last write
        _fill_schedules(index, self.store.policy)
        index["schema"] = INDEX_SCHEMA
        index["updated"] = _now().isoformat()
        heads = index.setdefault("audit_heads", {})
        try:
            kept = self.read_anchors()
        except DacliError:
            kept = {}  # damaged: `audit verify` reports it; this write anchors afresh
        for name, (seq, head) in [*kept.items(), *self._own_heads().items()]:
            if seq >= heads.get(name, [0, ""])[0]:
                heads[name] = [seq, head]
        data = json.dumps(index, separators=(",", ":"), default=_json_default).encode()
        anchors = json.dumps({"schema": "audit-anchors/1", "audit_heads": heads}).encode()
        atomic_write(
            self.store.meta / ANCHORS, crypto.encrypt(self._signed("anchors", anchors), [ring.current.public])
        )
        atomic_write(
            self.store.meta / INDEX, crypto.encrypt(self._signed("index", data), [ring.current.public])
        )
        self.store.settings = self.checked_settings()
        retention_key = self.store.settings.retention_recipient  # re-read: `retention init` may be newer
        if retention_key:
            retention.write_register(
                self.store.meta, index["cases"], [retention_key, ring.current.public], self._sign_register
            )

    def _own_heads(self) -> dict[str, tuple[int, str]]:
        path = self._audit_path()
        if not path.exists():
            return {}
        return {path.name: auditlog.head(path)}

    def write_index(self, rows: dict[str, dict], unreadable: list[str] = ()) -> None:
        """Replace every row (reindex), keeping the audit anchors of the old index if readable.
        ``unreadable``: cases reindex could not read, so that a new intake knows they were seen."""
        with self.store.meta_lock():
            try:
                old = self.read_index() or {}
            except IntegrityError:
                old = self._read_index_any_version()
            except DacliError:
                old = {}
            index = {"cases": rows, "audit_heads": old.get("audit_heads", {})}
            if unreadable:
                index["unreadable"] = sorted(unreadable)
            self._seal_index(index)

    rebuild_index: Callable[[Session], Any] | None = None
    """Rebuilds a missing index from the records (`services.case_view.reindex`, set there: the store cannot
    read records as cases). The retention sweep deletes the index after each purge."""

    @contextmanager
    def index_transaction(self) -> Iterator[dict]:
        """Hold the store lock, yield the index for changing, and seal it on a clean exit.

        Take it *before* writing a new case: a busy store then fails before anything is written, and the
        index never misses a case that was created. Lock order is always store lock, then case lock.
        A missing index (deleted by the retention sweep) or one an earlier dacli wrote is rebuilt from the
        records first (outside the lock, which the rebuild takes itself).
        """
        with self.unit():
            for last in (False, True):
                with self.store.meta_lock():
                    try:
                        index = self.read_index()
                    except StaleIndex:
                        if last or self.rebuild_index is None:
                            raise
                        index = None
                    if index is not None or last or self.rebuild_index is None:
                        if index is None:
                            raise NotFound("The caseload index is missing; run `dacli reindex`.")
                        self._unit_index = "pending"
                        yield index
                        self._unit_finishing = True
                        self._flush_audits()  # the records' entries, then the index anchors them
                        self._seal_index(index)
                        self._unit_index = "done"
                        self._unit_finishing = False
                        return
                self.rebuild_index()

    def update_index_row(self, ref: str, row: dict | None) -> None:
        """Set (or with None, drop) one row, under the store lock."""
        with self.index_transaction() as index:
            if row is None:
                index["cases"].pop(ref, None)
            else:
                index["cases"][ref] = row

    # -- audit ---------------------------------------------------------------------------------------

    def _audit_path(self) -> Path:
        return self.store.audit_dir() / f"{self.member.id}-{self.machine}.jsonl"

    def audit(
        self,
        action: str,
        *,
        case: str | None = None,
        record: str | None = None,
        reason: str | None = None,
        detail: dict | None = None,
    ) -> dict | None:
        """Append an entry to this person's log; inside a change (`unit`), once its records are saved."""
        entry = {"action": action, "case": case, "record": record, "reason": reason, "detail": detail}
        if self._unit_depth:
            self._unit_audits.append(entry)
            return None
        return self._write_audit(**entry)

    def _write_audit(
        self,
        action: str,
        *,
        case: str | None,
        record: str | None,
        reason: str | None,
        detail: dict | None,
    ) -> dict:
        if clock.pinned_by_environment():  # a moved clock is not hidden: the computer's own time is kept
            computer = clock.computer_now().isoformat(timespec="seconds")
            detail = {**(detail or {}), "clock": f"set by DACLI_NOW; the computer's was {computer}"}
        reason_enc = None
        if reason:
            key = self._reason_key(case) if case else None
            if key is None:
                self._store_ring = None  # the newest store key, never a cached one a leaver held
                key = self.store_ring().current.public
            reason_enc = crypto.encrypt(reason.encode(), [key])
        path = self._audit_path()
        make_dir(path.parent)
        lock = path.with_suffix(".lock")
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(lock), timeout=self.store.lock_timeout(), mode=0o600):
                return auditlog.append(
                    path,
                    staff=self.member.id,
                    user=self.member.username,
                    machine=self.machine,
                    action=action,
                    case=case,
                    record=record,
                    reason_enc=reason_enc,
                    detail=detail,
                    sign=self._sign_audit,
                )
        except Timeout:
            raise StoreError("The audit log is held by another dacli process; try again.") from None

    def decrypt_reason(self, encoded: str | None, case: str | None = None) -> str | None:
        """An audit entry's reason: a case's reasons open with that case's reason keys (gone with the case
        once the retention sweep purged it), others (and entries written before reason keys) with the store
        key."""
        import base64

        if not encoded:
            return None
        if not isinstance(encoded, str):  # a line written by hand
            return "(unreadable)"
        identities = list(self.store_ring().identities)
        if isinstance(case, str) and is_case_ref(case):
            # the case's keys cannot be read (gone, damaged): the store key may still open it
            with contextlib.suppress(DacliError):
                identities = self._reason_identities(case) + identities
        try:
            reason = crypto.decrypt(base64.b64decode(encoded), identities, "An audit reason")
            return neutralise(reason.decode())  # typed by a person: shown, never sent to a terminal raw
        except (DacliError, ValueError):
            return "(unreadable)"

    # -- reason keys: what people type into audit reasons goes with the case --------------------------

    def _reason_file(self, ref: str, epoch: int) -> Path:
        # one file per person, computer and key epoch: written once, by one writer (safe under a sync engine)
        return self.store.case_dir(ref) / f"reasons-e{epoch}-{self.member.id}-{self.machine}.age"

    def _reason_key(self, ref: str) -> str | None:
        """The public key a reason typed about case ``ref`` is encrypted to: a key of the case's own
        (`reasons-e<epoch>-<staff>-<machine>.age`, an age identity encrypted to the case key and signed),
        made on first use for the case key's current epoch. The retention sweep's purge removes it with the
        case (destroy removes the folder; a boil-down keeps only the key ring and the summary), so reasons
        that name people go with the case although the audit logs they sit in are kept. None when the case
        folder is missing or boiled down (the store key is used)."""
        folder = self.store.case_dir(ref)
        boiled = (folder / "summary.toml.age").exists() and not (folder / "case.toml.age").exists()
        if not (folder / CASE_KEYS).is_file() or boiled:
            return None
        ring = self.case_ring(ref)
        path = self._reason_file(ref, ring.epoch)
        cached = self._reason_keys.get(f"{ref}/{path.name}")
        if cached is not None:
            return cached.public
        if path.exists():
            identity = self._read_reason_file(ref, path)
        else:
            identity = crypto.Identity.generate()
            body = self._signed("reason-key", identity.secret.encode(), ref, path.name)
            try:  # written once: a second process of the same person making it at once keeps the first
                atomic_write(path, crypto.encrypt(body, [ring.current.public]), replace=False)
            except FileExistsError:
                identity = self._read_reason_file(ref, path)
        self._reason_keys[f"{ref}/{path.name}"] = identity
        return identity.public

    def _read_reason_file(self, ref: str, path: Path) -> crypto.Identity:
        what = f"The reason key {ref}/{path.name}"
        try:
            sealed = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"Cannot read {what} ({exc.strerror}).") from None
        plain = crypto.decrypt(sealed, self.case_ring(ref).identities, what)
        body, _ = self._checked("reason-key", plain, what, ref, path.name)
        return crypto.Identity(body.decode())

    def _reason_identities(self, ref: str) -> list[crypto.Identity]:
        folder = self.store.case_dir(ref)
        found = []
        for path in sorted(folder.glob("reasons-e*.age")) if folder.is_dir() else []:
            identity = self._reason_keys.get(f"{ref}/{path.name}")
            if identity is None:
                with contextlib.suppress(DacliError):
                    identity = self._reason_keys[f"{ref}/{path.name}"] = self._read_reason_file(ref, path)
            if identity is not None:
                found.append(identity)
        return found

    # -- staff ---------------------------------------------------------------------------------------

    def _save_staff(self, staff: StaffList) -> None:
        atomic_write(self.store.meta / STAFF_TOML, self._signed("staff", _dump_plain_toml(staff)))

    def add_user(self, username: str, role: Role, passphrase: str) -> tuple[StaffMember, int]:
        self.require_role(Role.manager)
        identity = crypto.Identity.generate()
        # One store lock for the whole change: the staff list, the new identity and every re-wrap. Two
        # managers changing staff at once are then serialised, so no ring is wrapped to a stale list.
        seed, public = signing.generate()
        with self.store.meta_lock():
            staff = self.staff()
            if any(s.username == username for s in staff.staff):
                raise InvalidInput(f"There is already a user called {username!r} (or there was).")
            try:
                member = StaffMember(
                    id=f"s-{secrets.token_hex(6)}",
                    username=username,
                    role=role,
                    recipient=identity.public,
                    signing_key=public,
                    certificate="",
                    added=_now(),
                    added_by=self.member.id,
                )
            except ValidationError as exc:
                raise InvalidInput(f"username: {exc.errors()[0]['msg']}") from None
            # this manager vouches for the new person and their keys
            member.certificate = self.signer.sign(certificate_context(self.store.settings.store_id, member))
            make_dir(self.store.meta / "identities")
            atomic_write(
                self.store.identity_path(member.id),
                crypto.passphrase_encrypt(
                    dump_identity(member.id, Credentials(identity, seed, self.credentials.trust)),
                    passphrase,
                    self.store.settings.security.passphrase_log_n,
                ),
            )
            staff.staff.append(member)
            staff.rewrap_pending = True
            self._save_staff(staff)
            self.audit("user-add", detail={"staff": member.id, "role": role.value})
            count = self._rewrap_locked()
        return member, count

    def remove_user(self, username: str, reason: str | None = None) -> int:
        self.require_role(Role.manager)
        with self.store.meta_lock():
            staff = self.staff()
            member = staff.by_username(username)
            if member is None:
                raise NotFound(f"There is no current user called {username!r}.")
            if member.id == self.member.id:
                raise InvalidInput("You cannot remove yourself; ask another manager.")
            member.removed = _now()
            member.removed_by = self.member.id
            staff.key_epoch += 1
            member.removed_epoch = staff.key_epoch
            staff.rewrap_pending = True
            self._save_staff(staff)
            with suppress(FileNotFoundError):
                self.store.identity_path(member.id).unlink()

            def audit_removal() -> None:
                # after the store ring is rotated, so the reason is sealed to a key the leaver never held;
                # before the case rings, so an interrupted re-wrap still leaves the removal on record
                self.audit("user-remove", reason=reason, detail={"staff": member.id})

            return self._rewrap_locked(after_store_ring=audit_removal)

    def change_passphrase(self, new_passphrase: str) -> None:
        with self.store.meta_lock():
            atomic_write(
                self.store.identity_path(self.member.id),
                crypto.passphrase_encrypt(
                    dump_identity(self.member.id, self.credentials),
                    new_passphrase,
                    self.store.settings.security.passphrase_log_n,
                ),
            )
        self.audit("user-passwd")

    def rewrap_all(self) -> int:
        """Wrap every key ring to the current staff, rotating where someone was removed.

        Idempotent and resumable: an interrupted run leaves ``rewrap_pending`` set and `dacli rekey`
        finishes it. Holds the store lock throughout (writers of new cases wait); each ring is rewritten
        atomically under its own folder's lock as well.
        """
        self.require_role(Role.manager)
        with self.store.meta_lock():
            return self._rewrap_locked()

    def _rewrap_locked(self, after_store_ring: Callable[[], None] | None = None) -> int:
        staff = self.staff()  # read under the store lock: nobody changes it until we finish
        refs = self.store.case_refs()
        count = 0
        try:
            path = self.store.meta / STORE_KEYS
            ring = self._load_ring(path, "store", "The store key ring")
            if ring.epoch < staff.key_epoch:
                ring.rotate(staff.key_epoch)
            self._save_ring(path, ring, staff)
            self._store_ring = ring
            count += 1
            if after_store_ring is not None:
                after_store_ring()
            for ref in refs:
                folder = self.store.root / ref
                what = f"The key ring of {ref}"
                with folder_lock(folder, self.store.lock_timeout(), what):
                    path = folder / CASE_KEYS
                    if not path.exists():
                        continue
                    ring = self._load_ring(path, f"case {ref}", what)
                    if ring.epoch < staff.key_epoch:
                        ring.rotate(staff.key_epoch)
                    self._save_ring(path, ring, staff)
                    count += 1
                self._rings[ref] = ring
            # The index and the retention register again, to the newest store key and signed by a current
            # member of staff: from now on one signed by a leaver is refused.
            try:
                index = self.read_index()
            except IntegrityError:
                # Signed by the leaver, or damaged: it is derived from the records, so it is not carried
                # forward (a leaver could have planted it); the next listing rebuilds it from the records.
                index = None
                with suppress(FileNotFoundError):
                    (self.store.meta / INDEX).unlink()
                self.audit("index-dropped", detail={"why": "not readable or signed by someone who left"})
            if index is not None:
                self._seal_index(index)
            staff.rewrap_pending = False
            self._save_staff(staff)
        except StoreError as exc:
            # Not "nothing was written": the staff change is saved and some rings are done. Each ring is
            # whole (old or new) and rewrap_pending is still set, so say how to finish.
            reason = exc.message.partition(":")[0].rstrip(".")
            raise StoreError(
                f"{reason}: the re-key stopped part way ({count} of {1 + len(refs)} key rings done, none "
                "half written); once that is fixed, run `dacli rekey` to finish."
            ) from None
        self.audit("rekey", detail={"key_rings": count})
        return count

    def export_identity(self) -> str:
        self.audit("identity-export")
        return dump_identity(self.member.id, self.credentials).decode()

    def clean_temps(self) -> int:
        """Remove temp files of dead writers everywhere (each folder under its lock)."""
        removed = 0
        for folder in [self.store.meta, *(self.store.root / r for r in self.store.case_refs())]:
            with folder_lock(folder, self.store.lock_timeout(), str(folder.name)):
                removed += clean_stale_temps(folder)
        return removed


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def one_change(fn: Callable) -> Callable:
    """A service that writes records and then audits a decision about them, as one `Session.unit`: a failure
    after a record is saved names it and what to run (its first argument is the session)."""
    import functools

    @functools.wraps(fn)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        with session.unit():
            return fn(session, *args, **kwargs)

    return wrapper


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def policy_template() -> str:
    """The policy file `dacli init` writes: every setting, its default and where the default comes from."""
    return """\
# dacli store policy. Plain TOML: a manager may edit it; dacli checks every value when it loads.
# The defaults are the national rules of the SafeLives Case Management Pack (2014); where a rule is
# local practice it is off or at the national value until you change it.
schema = "policy/1"

[dash]
# Yes answers on the SafeLives Dash that make visible high risk (SafeLives: 14).
visible_high_risk = 14
# A local 'medium' band: suggests a level, never lowers one. Off by default (local guidance only).
medium_band_enabled = false
medium_band_min = 10
medium_band_max = 13
# Police incidents in the past 12 months that make 'potential escalation' (SafeLives: 3).
potential_escalation_incidents = 3
# A new incident within this many months of the last Marac referral is a Marac repeat.
marac_repeat_months = 12
# Risk is reassessed at least this often, in weeks (pack: every 6-8 weeks).
reassess_weeks = 8

[review]
# The first case review falls 6-8 weeks after intake, then at this interval (weeks).
first_review_weeks_min = 6
first_review_weeks_max = 8
interval_weeks = 8
# No client contact for this many weeks: the case is listed as a candidate for closure.
no_contact_close_weeks = 8
# A new referral is contacted within this many hours.
first_contact_hours = 48
# Follow-up call after closure, only where the client consented (months).
follow_up_months = 6

[retention]
# Keep case files at least this many years after the last contact (Limitation Act 1980: 6).
years_from_last_contact = 6
# Uncomment to keep files involving children until the youngest child's birthday at this age.
# children_until_age = 25
# After the period: "destroy", or "boil-down" to a summary in case the client returns.
action = "destroy"
"""


def _fill_schedules(index: dict, policy: Policy) -> None:
    """Resolve each row's deadlines (rules.schedule.encode) where not done yet under this policy, so listing
    the caseload compares integers instead of running every rule on every row. Services replace a changed
    row with a new dict, which has no "_due" yet."""
    from dacli.rules import schedule
    from dacli.schemas.case import CaseRow

    review = policy.review
    args = (review.first_contact_hours, policy.dash.reassess_weeks, review)
    fingerprint = schedule.fingerprint(*args)
    fresh = index.get("schedule") != fingerprint
    index["schedule"] = fingerprint
    for row in index["cases"].values():
        if fresh or "_due" not in row:
            row["_due"] = schedule.encode(CaseRow.from_index(row), *args)
