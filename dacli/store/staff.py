"""Staff and settings: the signed staff list and its certificate chains, store settings and policy as a
manager signed them, signatures checked against the staff list, roles, and staff changes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pydantic import ValidationError

from dacli import clock
from dacli.errors import (
    IntegrityError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreError,
)
from dacli.schemas.common import Role
from dacli.schemas.store import Policy, StaffList, StaffMember, StoreSettings
from dacli.store import crypto, seen, signing
from dacli.store.documents import (
    certificate_context,
    dump_plain_toml,
    read_plain_toml,
    signed_context,
)
from dacli.store.fsio import (
    atomic_write,
    make_dir,
)
from dacli.store.keys import Credentials, dump_identity
from dacli.store.layout import POLICY_TOML, STAFF_TOML, STORE_TOML
from dacli.store.staffevents import EVENTS, Fold, StaffEvent, event_context, event_name, event_names, fold
from dacli.text import Refused, load_toml


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


def staff_sources(meta: Path) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The snapshot `staff.toml` and every staff event (name, bytes), as they are on disk."""
    try:
        raw = (meta / STAFF_TOML).read_bytes()
    except FileNotFoundError:
        raise NotFound("The staff list is missing.") from None
    except OSError as exc:
        raise StoreError(f"Cannot read the staff list ({exc.strerror}).") from None
    folder = meta / EVENTS
    events = []
    for name in event_names(folder):
        try:
            events.append((name, (folder / name).read_bytes()))
        except FileNotFoundError:
            continue  # taken away meanwhile (a sync engine's rename): the next read sees what is there
        except OSError as exc:
            raise StoreError(f"Cannot read the staff change {name} ({exc.strerror}).") from None
    return raw, events


def staff_mark(meta: Path) -> tuple:
    """What tells that the staff list may have changed: the snapshot's bytes, and each staff change's name,
    size, modification time and inode (so a store's changes are read again only when one differs)."""
    import os

    try:
        raw = (meta / STAFF_TOML).read_bytes()
    except OSError:
        return ()
    marks = []
    try:
        with os.scandir(meta / EVENTS) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                marks.append((entry.name, st.st_size, st.st_mtime_ns, st.st_ino))
    except (FileNotFoundError, NotADirectoryError):
        pass
    return (raw, tuple(sorted(marks)))


def arriving_since(store):
    """The moment before which nothing can still be arriving from another office: now less the policy's
    arrival grace (`sync.arrival_grace_hours`; 24 h while the policy is not accepted)."""
    from datetime import timedelta

    from dacli.errors import DacliError

    try:
        hours = store.policy.sync.arrival_grace_hours
    except DacliError:
        hours = 24
    return clock.now() - timedelta(hours=hours)


def checked_fold(meta: Path, store_id: str, trust: str, sources=None, memory=None) -> Fold:
    """The staff list folded from the snapshot and every event, each checked (see `staffevents`)."""
    raw, events = sources if sources is not None else staff_sources(meta)
    found = fold(verify_staff(raw, store_id, trust), events, store_id, memory=memory)
    pinned_snapshot(found, raw)
    return found


def pinned_by_identity(raw: bytes, creds: Credentials) -> None:
    """Refuse a staff list whose snapshot (``raw``) is not the one the person's identity file was made with
    (`Credentials.snapshot`; nothing to compare in a file an older dacli made)."""
    if creds.snapshot is not None and hashlib.sha256(raw).hexdigest() != creds.snapshot:
        raise IntegrityError(
            f"The staff list's snapshot (.dacli/{STAFF_TOML}) is not the one your identity file was made "
            "with: it was written again since (it never is, after the store is made). A manager puts it "
            "back from a backup or another computer's copy."
        )


def pinned_snapshot(found: Fold, raw: bytes) -> None:
    """Refuse a staff list whose snapshot (``raw``, `staff.toml`) is not the one a believed removal by a
    current manager, not in doubt, saw (`StaffEvent.snapshot`): it is written once, when the store is made,
    so it was written since, and a removed manager's key still signs one that verifies (with a crony of
    theirs in it). A removal by someone removed since, or in doubt, pins nothing: a leaver's, dated within
    the grace before their removal, is believed, and could name any digest to lock everyone out."""
    from dacli.store.leavers import in_doubt

    digest = hashlib.sha256(raw).hexdigest()
    names = {m.id: m.username for m in found.staff.staff}
    current = {m.id for m in found.staff.staff if m.active}
    for event, _digest in found.removals:
        if event.snapshot is None or event.author not in current or in_doubt(found, event.author):
            continue  # only a current author not in doubt pins it: a leaver could name any digest
        if event.snapshot != digest:
            by, who = names.get(event.author, event.author), names.get(event.staff, event.staff)
            raise IntegrityError(
                f"The staff list's snapshot (.dacli/{STAFF_TOML}) is not the one {by} read when removing "
                f"{who}: it was written again since (it never is, after the store is made). A manager puts "
                "it back from a backup or another computer's copy."
            )


def watched_fold(store_id: str, meta: Path, trust: str, sources) -> Fold:
    """`checked_fold` with what this computer remembers (`seen`): a staff list older than one seen here is
    refused, a leaver's change that reached this computer after it knew of their removal is not believed,
    and what is believed now is remembered."""
    tries = 3
    while True:
        memory = seen.memory(store_id, clock.now())
        found = checked_fold(meta, store_id, trust, sources, memory)
        try:
            found.memory_stamp = seen.check(
                store_id, found.staff, found.names, found.added, read_with=memory, fooled=bool(found.held)
            )
        except seen.MemoryReplaced:  # `dacli sync join` took an introduction meanwhile: read with it
            tries -= 1
            if not tries:
                raise
            continue
        return found


class StaffRoom:
    """The part of a `Session` that knows who is who."""

    def staff(self) -> StaffList:
        """The staff list, its signature and every certificate checked (again only when the file changed).
        A list edited by hand, or signed by anyone but a current manager, is refused. A copy: change it and
        save it with `_save_staff`."""
        return self._checked_staff().model_copy(deep=True)

    _staff_held: bool = False
    """Set while a re-key runs (`held_staff`): the staff list as it was looked at when it began."""

    @contextmanager
    def held_staff(self) -> Iterator[StaffList]:
        """The staff list looked at once, and held for a re-key that writes every key ring for it (under the
        store lock): each of 20,000 rings read and written against the same list, rather than the staff
        folder looked at again for each (a change arriving meanwhile is for the next re-key, as it would
        be had it arrived a moment later)."""
        staff = self._checked_staff()
        self._staff_held = True
        try:
            yield staff
        finally:
            self._staff_held = False

    def _checked_staff(self) -> StaffList:
        """The staff list, folded and checked again only when the snapshot's bytes or the staff changes
        (their names, sizes, times and inodes: each is written once) differ from the last look."""
        if self._staff_held:
            return self._staff
        store_id = self.store.settings.store_id
        mark = staff_mark(self.store.meta)
        if (mark, seen.stamp(store_id)) != self._staff_mark:  # or an introduction replaced the memory
            sources = staff_sources(self.store.meta)
            found = watched_fold(store_id, self.store.meta, self.credentials.trust, sources)
            self._staff, self._staff_raw, self._fold = found.staff, sources, found
            self._staff_mark = (mark, found.memory_stamp)
            self._authors = {m.id: m for m in self._staff.staff}
        return self._staff

    def staff_refused(self) -> list[str]:
        """Staff changes not believed: made by a manager after their removal (one sentence each)."""
        self._checked_staff()
        return list(self._fold.late)

    def staff_notes(self) -> list[str]:
        """Staff changes not believed (made after their author's removal), waiting for another to arrive, or
        believed but for a manager to check (a leaver's, made shortly before their removal)."""
        self._checked_staff()
        return [*self._fold.late, *self._fold.waiting, *self._fold.doubts, *self._fold.held]

    def staff_waiting(self) -> list[str]:
        self._checked_staff()
        return list(self._fold.waiting)

    def staff_doubts(self) -> list[str]:
        self._checked_staff()
        return [*self._fold.doubts, *self._fold.held]

    def _event_file(self, event: StaffEvent) -> tuple[str, bytes]:
        """One staff change's file name and bytes, signed by this manager for that name."""
        name = event_name(event.at)
        body = dump_plain_toml(event)
        return name, self.signer.seal(event_context(self.store.settings.store_id, name), body)

    def _write_event(self, event: StaffEvent, made: tuple[str, bytes] | None = None) -> str:
        """Write one staff change, once, signed by this manager for its own name."""
        folder = self.store.meta / EVENTS
        make_dir(folder)
        name, raw = made or self._event_file(event)
        atomic_write(folder / name, raw, replace=False)
        self._staff_mark = None  # read again, checked, on the next look
        return name

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
        atomic_write(self.store.meta / STORE_TOML, self._signed("settings", dump_plain_toml(settings)))
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

    def require_role(self, *roles: Role) -> None:
        if self.member.role not in roles:
            wanted = " or ".join(r.value for r in roles)
            raise PermissionDenied(
                f"{self.member.username} is a {self.member.role.value}; this needs a {wanted}."
            )

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
                    added=clock.now(),
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
                    dump_identity(
                        member.id,
                        Credentials(identity, seed, self.credentials.trust, self._snapshot_digest()),
                    ),
                    passphrase,
                    self.store.settings.security.passphrase_log_n,
                ),
            )
            self._write_event(StaffEvent(kind="add", at=member.added, author=self.member.id, member=member))
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
            event = StaffEvent(
                kind="remove",
                at=clock.now(),
                author=self.member.id,
                staff=member.id,
                seal=self._fold.seal_of(member.id),
                grace_hours=int((clock.now() - arriving_since(self.store)).total_seconds() // 3600),
                snapshot=self._snapshot_digest(),  # only where this computer vouches for the list
            )
            made = self._event_file(event)
            self._check_removal(member, made)  # before anything is written
            self._sign_over(member)
            self._write_event(event, made)
            with suppress(FileNotFoundError):
                self.store.identity_path(member.id).unlink()

            def audit_removal() -> None:
                # after the store ring is rotated, so the reason is sealed to a key the leaver never held;
                # before the case rings, so an interrupted re-wrap still leaves the removal on record
                self.audit("user-remove", reason=reason, detail={"staff": member.id})

            return self._rewrap_locked(after_store_ring=audit_removal)

    def _check_removal(self, member: StaffMember, made: tuple[str, bytes]) -> None:
        """Refuse, writing nothing, a removal every computer would not believe (the staff list folded with it
        still shows ``member`` as current)."""
        raw, events = self._staff_raw
        sid = self.store.settings.store_id
        found = checked_fold(self.store.meta, sid, self.credentials.trust, (raw, [*events, made]))
        after = next((m for m in found.staff.staff if m.id == member.id), None)
        if after is not None and after.active:
            why = next((n for n in found.late if made[0] in n), "it would not be believed")
            raise IntegrityError(f"{member.username} cannot be removed here: {why}. Nothing was written.")

    def _sign_over(self, leaving: StaffMember) -> None:
        """The store settings and the policy the leaving manager signed, signed again as they stand by this
        manager before the removal: settings and policy are believed only as signed by a current manager, so
        otherwise removing the manager who signed them (the founder, say) would stop every unlock and the
        sweep. Only what verifies now is signed again; a policy edited since it was accepted stays for a
        manager to read and accept."""
        for kind, name, what in (
            ("settings", STORE_TOML, "The store settings"),
            ("policy", POLICY_TOML, "The store policy"),
        ):
            path = self.store.meta / name
            try:
                raw = path.read_bytes()
                if signing.split(raw, what)[1] != leaving.id:
                    continue
                body = self._checked_by_manager(kind, raw, what)
            except (OSError, IntegrityError):
                continue
            atomic_write(path, self._signed(kind, body))

    def _snapshot_digest(self) -> str | None:
        """SHA-256 of the staff list's snapshot as this session checked it (`Credentials.snapshot`), on a
        computer that vouches for the staff list (`seen.vouches`); None elsewhere: one that read a store
        with leavers alone may be reading a rewritten snapshot, and a pin of it would lock its owner out
        once a manager puts the real one back."""
        if not seen.vouches(seen.remembered(self.store.settings.store_id)):
            return None
        return hashlib.sha256(self._staff_raw[0]).hexdigest()

    def change_passphrase(self, new_passphrase: str) -> None:
        if self.credentials.snapshot is None:  # made by an older dacli: pinned from now on
            self.credentials.snapshot = self._snapshot_digest()
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

    def export_identity(self) -> str:
        self.audit("identity-export")
        return dump_identity(self.member.id, self.credentials).decode()
