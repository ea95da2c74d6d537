"""Key rings that merge: the store's and each case's keys are the union of write-once key files in its folder,
so two offices that add keys while apart both keep them once their copies meet.

A key file (`keys.age`, the first of a case; `keys-<stamp>-<random>.age` after it; `store-keys*.age` in
`.dacli/`) holds one or more secret keys, is signed by its author for its scope and name, and is encrypted to
the staff it was made for; for each key it lists everyone known to hold it. A key ring written before key
files (`keyring/1`) is read as one of them: every key in it is held by the members of the staff snapshot
not removed before that key's epoch (it was wrapped whole to the staff each time).

New records are encrypted to the newest key held by every current member and by no removed one. Where no
key is so, the writer (any role) first makes a new key file; shared key material is never rewritten. A user
add writes a grant (the ring's keys, wrapped to the staff with the newcomer); a removal's
re-key makes a new key without the leaver and re-encrypts the records written under a key the leaver held
after the removal (written in another office before it heard of it). Whether a re-key is due is derived
from the files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dacli import clock
from dacli.errors import AuthError, DacliError, IntegrityError, LockBusy, NotFound, StoreError
from dacli.schemas.common import Role
from dacli.schemas.store import StaffList
from dacli.store import crypto
from dacli.store.fsio import atomic_write, folder_lock
from dacli.store.keys import Key, KeyRing, file_facts
from dacli.store.layout import CASE_KEYS, STORE_KEYS, key_file_name, key_files
from dacli.store.workers import shared


class KeyRoom:
    """The part of a `Session` that holds key rings and makes new keys."""

    # -- one key file ------------------------------------------------------------------------------------

    def _load_ring(self, path: Path, scope: str, what: str, name: str | None = None) -> KeyRing:
        """One key file as this person opens it (``name``: the name it was signed for, when it is a copy):
        AuthError when it is not wrapped to them; IntegrityError when it is damaged, moved or forged."""
        name = name or path.name
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
        staff = self._checked_staff()
        legacy = name in (CASE_KEYS, STORE_KEYS) and b"# schema: keyring/1" in plain
        if legacy:
            body, author = self._checked("keyring", plain, what, scope)
        else:
            body, author = self._checked("keyring", plain, what, scope, name)
        ring = KeyRing.load(body, scope, what)
        if legacy:
            if not author.active and ring.keys[0].epoch >= (author.removed_epoch or 0):
                raise IntegrityError(f"{what} is signed by {author.username}, who has left (forged).")
            if ring.keys[0].epoch > staff.key_epoch:
                raise IntegrityError(
                    f"{what} is newer than the staff list (key epoch {ring.keys[0].epoch}): the staff list "
                    "was put back from an older copy."
                )
            base = self._fold.base_ids
            for key in ring.keys:  # wrapped whole to the staff of the time: who was not gone by then
                key.holders = frozenset(
                    m.id
                    for m in staff.staff
                    if m.id in base and (m.removed is None or (m.removed_epoch or 10**9) > key.epoch)
                )
        else:
            made, by, claimed = file_facts(body, what)
            if by != author.id:
                raise IntegrityError(f"{what} names another author than its signer (forged).")
            # What a key file says of its keys is its author's word: the author always holds them (so a key
            # whose author has left is never written to again, whatever holders it lists), and no key is
            # newer than the file that first carried it.
            for key in ring.keys:
                key.holders = key.holders | {author.id}
                key.created = min(key.created, made)
            notes = []
            now = clock.now()
            if author.removed is not None and made >= author.removed:
                notes.append(
                    f"{what} was made by {author.username} after their removal: not believed (its keys "
                    "still open what was written to them; nothing new is written to them)."
                )
            future = made - now > self._arrival_grace()
            if future:
                notes.append(f"{what} is dated {made:%Y-%m-%d}, in the future (a wrong clock, or forged).")
            unseen = claimed & {m.id for m in staff.active()}
            if unseen and (future or now - made > self._arrival_grace()):  # no grace from a future date
                who = ", ".join(sorted(m.username for m in staff.staff if m.id in unseen))
                notes.append(
                    f"{what}, made by {author.username}, names {who} as removed, whom the staff list shows "
                    "current: a removal missing here (a staff list put back from an older copy), or a key "
                    "file forged; nothing is written to a key they hold until a manager looks."
                )
            ring.gone = frozenset(unseen)  # not arrived yet here: treated as removed meanwhile
            ring.notes = tuple(notes)
        return ring

    def _arrival_grace(self):
        """How long something from another office may take to arrive (policy `sync.arrival_grace_hours`)."""
        from datetime import timedelta

        try:
            hours = self.store.policy.sync.arrival_grace_hours
        except DacliError:
            hours = 24  # a policy not accepted yet: the default, not a failure to read a key
        return timedelta(hours=hours)

    def _save_ring(self, path: Path, ring: KeyRing, staff: StaffList) -> None:
        """Write ``ring``'s keys as a new key file at ``path`` (written once, never over another), signed by
        this person, wrapped to the current staff; each key's holders gain them. (Every current member reads
        every key file, a grant too: who holds a key is known only from the files one can open, and a
        writer's choice of key depends on it.)"""
        active = [m for m in staff.active() if m.id not in ring.gone]
        for_ids = [m.id for m in active]
        removed = [m.id for m in staff.staff if not m.active] + sorted(ring.gone)
        text = ring.dump_file(clock.now(), self.member.id, for_ids, removed)
        body = self._signed("keyring", text, ring.scope, path.name)
        atomic_write(path, crypto.encrypt(body, [m.recipient for m in active]), replace=False)

    # -- a scope's ring: the union -----------------------------------------------------------------------

    def _ring_place(self, scope: str) -> tuple[Path, bool, str]:
        if scope == "store":
            return self.store.meta, True, "The store key ring"
        ref = scope.removeprefix("case ")
        return self.store.case_dir(ref), False, f"The key ring of {ref}"

    def _union(self, scope: str) -> KeyRing:
        folder, is_store, what = self._ring_place(scope)
        paths = key_files(folder, is_store)
        if not paths:
            raise IntegrityError(f"{what} is missing.")
        keys: dict[str, Key] = {}
        gone: frozenset[str] = frozenset()
        locked_out = None
        damaged: IntegrityError | None = None
        notes: list[str] = []
        for path in paths:
            try:
                ring = self._load_ring(path, scope, what if len(paths) == 1 else f"{what} ({path.name})")
            except AuthError as exc:
                locked_out = exc  # not made for this person (a ring another grant covers, or none)
                continue
            except IntegrityError as exc:
                # one damaged or forged key file does not take the case from everyone: the ring is read
                # without it, and it is named (a record written to a key only it held fails by name)
                damaged = damaged or exc
                notes.append(str(exc))
                continue
            gone |= ring.gone
            notes += ring.notes
            for key in ring.keys:
                known = keys.get(key.identity.secret)
                if known is None:
                    keys[key.identity.secret] = key
                else:
                    known.holders = known.holders | key.holders
                    known.created = min(known.created, key.created)
        if not keys:
            raise damaged or locked_out or IntegrityError(f"{what} is missing.")
        ring = self._order(scope, list(keys.values()), gone)
        ring.notes = tuple(notes)
        return ring

    def _order(self, scope: str, keys: list[Key], gone: frozenset[str]) -> KeyRing:
        staff = self._checked_staff()
        removed = {m.id for m in staff.staff if not m.active} | gone
        active = {m.id for m in staff.active()} - gone
        newest = sorted(keys, key=lambda k: (k.created, k.identity.secret), reverse=True)
        fitting = [k for k in newest if not (k.holders & removed) and active <= k.holders]
        if fitting:
            first = fitting[0]
            return KeyRing(scope, [first, *(k for k in newest if k is not first)], True, gone)
        return KeyRing(scope, newest, False, gone)

    def store_ring(self) -> KeyRing:
        if self._store_ring is None:
            self._store_ring = self._union("store")
        return self._store_ring

    def case_ring(self, ref: str) -> KeyRing:
        ring = self._rings.get(ref)
        if ring is None:
            if not self.store.case_dir(ref).is_dir():
                raise NotFound(f"There is no case {ref} in this store.")
            ring = self._rings[ref] = self._union(f"case {ref}")
        return ring

    def _new_key(self, scope: str) -> KeyRing:
        """A new key file with one new key for the current staff (any writer may make one: nothing shared is
        rewritten), and the ring read again with it."""
        folder, is_store, _ = self._ring_place(scope)
        ring = KeyRing.new(scope)
        ring.gone = self._union(scope).gone
        self._save_ring(folder / key_file_name(is_store, clock.now()), ring, self.staff())
        return self._union(scope)

    def _ring_for_write(self, ref: str) -> KeyRing:
        """The case ring, fresh from disk (the caller holds the case lock), with a new key made first if no
        key is held by every current member and no removed one."""
        self._rings.pop(ref, None)
        ring = self.case_ring(ref)
        if not ring.fits:
            ring = self._rings[ref] = self._new_key(f"case {ref}")
        return ring

    def _store_ring_for_write(self) -> KeyRing:
        """The store ring, fresh from disk, a new key made first where none fits (as `_ring_for_write`)."""
        self._store_ring = None
        ring = self.store_ring()
        if not ring.fits:
            ring = self._store_ring = self._new_key("store")
        return ring

    # -- re-keys ------------------------------------------------------------------------------------------

    def rekey_due(self) -> list[str]:
        """The scopes whose ring lacks a key held by every current member and no removed one, or lacks a
        grant to a current member: what `dacli rekey` would do (derived from the files, never a flag)."""
        due = []
        for scope in ["store", *(f"case {r}" for r in self._rekey_refs())]:
            try:
                ring = self._union(scope)
            except AuthError:
                due.append(scope)
                continue
            if self._ring_change(ring) is not None:
                due.append(scope)
        return due

    def _rekey_refs(self) -> list[str]:
        return [r for r in self.store.case_refs() if key_files(self.store.root / r, False)]

    def _ring_change(self, ring: KeyRing) -> KeyRing | None:
        """What a re-key writes for ``ring``: its keys plus a new one (where none fits), for the staff, when
        a key is new or a current member lacks one; else None."""
        staff = self._checked_staff()
        active = {m.id for m in staff.active()} - ring.gone
        removed = {m.id for m in staff.staff if not m.active} | ring.gone
        keys = list(ring.keys)
        if all(k.holders & removed for k in keys):
            keys = [*KeyRing.new(ring.scope).keys, *keys]
        elif ring.fits and all(active <= k.holders for k in keys):
            return None
        return KeyRing(ring.scope, keys, gone=ring.gone)

    def rewrap_all(self) -> int:
        """`dacli rekey`: every ring given a key for the current staff without the removed, the newcomers
        granted every key, and records written under a leaver's key after their removal re-encrypted.

        Idempotent and resumable: each key file and record is written whole; an interrupted run is finished
        by running it again. Holds the store lock throughout."""
        self.require_role(Role.manager)
        with self.store.meta_lock():
            return self._rewrap_locked()

    def _rewrap_locked(self, after_store_ring: Callable[[], None] | None = None) -> int:
        staff = self.staff()
        refs = self._rekey_refs()
        count = changed = 0  # rings done, and of those the ones given a new key file
        removed = frozenset(m.id for m in staff.staff if m.removed is not None)
        try:
            with self.held_staff():  # the staff list looked at once for every ring (`StaffRoom.held_staff`)
                changed += self._rekey_scope("store", self.store.meta, True, staff)[1]
                self._store_ring = None
                count += 1
                if after_store_ring is not None:
                    after_store_ring()
                written = self._record_times() if removed else {}

                def one(ref: str) -> bool:
                    folder = self.store.root / ref
                    with folder_lock(folder, self.store.lock_timeout(), f"The key ring of {ref}"):
                        ring, new = self._rekey_scope(f"case {ref}", folder, False, staff, removed)
                        if ring is not None:
                            self._reencrypt(ref, ring, staff, written)
                    return new

                for new in shared(one, refs):
                    count += 1
                    changed += new
            if self.store.settings.retention_recipient:  # rows rebuilt against the staff list as it is now
                self.write_register(self.read_index())
        except (StoreError, LockBusy) as exc:
            # Not "nothing was written": some rings are done. Each file is whole, so say how to finish.
            if isinstance(exc, LockBusy):  # its "nothing was changed" is of that one ring only
                reason = exc.message.partition(";")[0]
            else:
                reason = exc.message.partition(":")[0].rstrip(".")
            raise StoreError(
                f"{reason}: the re-key stopped part way ({count} of {1 + len(refs)} key rings done, none "
                "half written); once that is fixed, run `dacli rekey` to finish."
            ) from None
        self.audit("rekey", detail={"key_rings": changed})
        return changed

    def _rekey_scope(
        self, scope: str, folder: Path, is_store: bool, staff: StaffList, removed: frozenset | None = None
    ) -> tuple[KeyRing | None, bool]:
        """The scope's ring for the current staff, and whether a key file was written for it. Given
        ``removed`` (the removed members), a ring none of whose keys a removed member held is not read again
        after its new key file is written, and None is given for it: nothing of it needs encrypting again
        (`_reencrypt`), and the new file adds no removed holder. That halves a re-key's reading."""
        ring = self._union(scope)
        change = self._ring_change(ring)
        ref = scope.removeprefix("case ")
        if change is not None:
            self._save_ring(folder / key_file_name(is_store, clock.now()), change, staff)
            if removed is not None and not any(k.holders & removed for k in ring.keys):
                self._rings.pop(ref, None)  # read again when next asked
                return None, True
            ring = self._union(scope)
        if not is_store:
            self._rings[ref] = ring
        return ring, change is not None

    def _record_times(self) -> dict[tuple[str, str], str]:
        """When each record was first written, as the audit trail says (case, name -> ISO time)."""
        from dacli.store import audit as auditlog
        from dacli.store.sync import audit_logs

        times: dict[tuple[str, str], str] = {}
        for path in audit_logs(self.store.audit_dir()):
            for entry in auditlog.iter_entries(path):
                case, record, at = entry.get("case"), entry.get("record"), entry.get("at")
                named = isinstance(case, str) and isinstance(record, str) and isinstance(at, str)
                if named and at < times.get((case, record), "~"):
                    times[(case, record)] = at
        return times

    def _reencrypt(self, ref: str, ring: KeyRing, staff: StaffList, written: dict) -> None:
        """Encrypt again, to the key that now fits, each record of ``ref`` under a key a removed member held,
        written after that removal (or at a time the audit trail does not tell yet: then to be safe)."""
        removed = {m.id: m.removed for m in staff.staff if m.removed is not None}
        tainted = [k for k in ring.keys if k.holders & set(removed)]
        if not tainted or not ring.fits:
            return
        for name in self.record_names(ref):
            path = self.store.case_dir(ref) / name
            sealed = path.read_bytes()
            for key in tainted:
                try:
                    plain = crypto.decrypt(sealed, [key.identity], f"{ref}/{name}")
                except DacliError:
                    continue
                since = min(removed[s] for s in key.holders if s in removed)
                at = written.get((ref, name))
                if at is None or _when(at) is None or _when(at) > since:
                    atomic_write(path, crypto.encrypt(plain, [ring.current.public]))
                    self._readable.get(ref, {}).pop(name, None)
                    self.audit("record-reencrypt", case=ref, record=name)
                break


def _when(text: str):
    from datetime import datetime

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
