"""Key rings: the store's and each case's, wrapped to every current member of staff, rotated after a
removal, and the manager's re-key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dacli.errors import (
    AuthError,
    IntegrityError,
    NotFound,
    StoreError,
)
from dacli.schemas.common import Role
from dacli.schemas.store import StaffList
from dacli.store import crypto
from dacli.store.fsio import (
    atomic_write,
    folder_lock,
)
from dacli.store.keys import KeyRing
from dacli.store.layout import CASE_KEYS, STORE_KEYS


class KeyRoom:
    """The part of a `Session` that holds and rotates key rings."""

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
            # The retention register again, to the newest store key and signed by a current member of
            # staff (every index is on its owner's computer, encrypted to them alone: nothing to re-wrap).
            if self.store.settings.retention_recipient:
                self.write_register(self.read_index())
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
