"""Key rings and identity files.

Both are, in plaintext, standard age identity files: ``#`` comment lines and ``AGE-SECRET-KEY-1...``
lines. So the `age` binary can use them directly with ``-i``. The comments carry the schema, the scope
(``store`` or ``case DA-...``) and one line per key generation, newest first; dacli checks the scope on
load, so a key ring copied from another case folder fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from dacli import clock
from dacli.errors import IntegrityError
from dacli.store.crypto import SECRET_PREFIX, Identity

KEYRING_SCHEMA = "keyring/1"
KEYFILE_SCHEMA = "keyfile/1"
IDENTITY_SCHEMA = "identity/2"


def _now() -> datetime:
    return clock.now()


@dataclass
class Key:
    created: datetime
    epoch: int
    """The staff list's key epoch when this key was made; a removal raises the epoch."""
    identity: Identity
    holders: frozenset[str] = frozenset()
    """The staff ids this key was wrapped to, as the key files holding it say (a key file written before key
    files knew this: everyone its ring was wrapped to, see `KeyRoom`)."""


@dataclass
class KeyRing:
    """The secret keys of one scope: the union of its key files. ``keys[0]`` is the key new records are
    encrypted to (``current``): the newest key held by every current member and by no removed one, where
    there is one (``fits``); else the newest, and a writer makes a new key file first."""

    scope: str
    keys: list[Key] = field(default_factory=list)
    fits: bool = True
    gone: frozenset[str] = frozenset()
    """Staff a key file of the ring names as removed though this copy's staff list does not (yet): never
    given a new key, and no key they hold is written to."""
    notes: tuple[str, ...] = ()
    """Key files of the ring not believed in full, one sentence each (made after their author's removal, dated
    in the future, naming a removal this copy never had, or not opening at all): the ring is read without
    what they claim, and `audit verify` names them."""

    @classmethod
    def new(cls, scope: str, epoch: int | None = None) -> KeyRing:
        now = _now()
        return cls(scope, [Key(now, int(now.timestamp()) if epoch is None else epoch, Identity.generate())])

    @property
    def current(self) -> Identity:
        return self.keys[0].identity

    @property
    def epoch(self) -> int:
        return self.keys[0].epoch

    @property
    def identities(self) -> list[Identity]:
        return [k.identity for k in self.keys]

    def rotate(self, epoch: int) -> None:
        self.keys.insert(0, Key(_now(), epoch, Identity.generate()))

    def dump(self) -> bytes:
        lines = [
            "# dacli key ring: an age identity file (use with `age -d -i`)",
            f"# schema: {KEYRING_SCHEMA}",
            f"# scope: {self.scope}",
        ]
        for n, key in enumerate(self.keys):
            lines.append(
                f"# generation {len(self.keys) - n} created {key.created.isoformat()} epoch {key.epoch}"
            )
            lines.append(key.identity.secret)
        return ("\n".join(lines) + "\n").encode()

    def dump_file(self, made: datetime, by: str, for_ids: list[str], removed: list[str] = ()) -> bytes:
        """A key file (``keyfile/1``): these keys, who made the file and when, the staff it is wrapped to
        (``for``), and for each key everyone known to hold it. Written once, never changed."""
        lines = [
            "# dacli key file: an age identity file (use with `age -d -i`)",
            f"# schema: {KEYFILE_SCHEMA}",
            f"# scope: {self.scope}",
            f"# made: {made.isoformat()}",
            f"# by: {by}",
            f"# for: {' '.join(sorted(for_ids))}",
            f"# removed: {' '.join(sorted(removed))}",
        ]
        for key in self.keys:
            holders = " ".join(sorted(key.holders | set(for_ids)))
            lines.append(f"# key created {key.created.isoformat()} epoch {key.epoch} holders {holders}")
            lines.append(key.identity.secret)
        return ("\n".join(lines) + "\n").encode()

    @classmethod
    def load(cls, text: bytes, expected_scope: str, what: str) -> KeyRing:
        """A key ring (``keyring/1``, as format 3 wrote `keys.age` before key files) or a key file."""
        meta, secrets = _parse(text, what)
        if meta.get("schema") not in (KEYRING_SCHEMA, KEYFILE_SCHEMA):
            raise IntegrityError(f"{what} is not a dacli key ring.")
        if meta.get("scope") != expected_scope:
            raise IntegrityError(
                f"{what} belongs to {meta.get('scope', 'nothing')!s}, not {expected_scope}: "
                "it was copied or moved here."
            )
        if meta["schema"] == KEYFILE_SCHEMA:
            listed = meta.get("keys", [])
            if not secrets or len(listed) != len(secrets) or "made" not in meta or "by" not in meta:
                raise IntegrityError(f"{what} is malformed.")
            keys = [Key(c, e, Identity(s), h) for (c, e, h), s in zip(listed, secrets, strict=True)]
            return cls(expected_scope, keys)
        generations = meta.get("generations", [])
        if not secrets or len(generations) != len(secrets):
            raise IntegrityError(f"{what} is malformed.")
        keys = [Key(c, e, Identity(s)) for (c, e), s in zip(generations, secrets, strict=True)]
        return cls(expected_scope, keys)


def file_facts(text: bytes, what: str) -> tuple[datetime, str, frozenset[str]]:
    """(made, by, removed) of a key file's text (``keyfile/1``): ``removed``, the staff its maker knew as
    removed (a copy whose staff list shows one of them current has not had the removal yet, or had it
    taken away)."""
    meta, _ = _parse(text, what)
    return meta["made"], meta["by"], meta.get("removed", frozenset())


@dataclass
class Credentials:
    """What a person's identity file holds: their age identity, their Ed25519 signing key (base64 seed)
    and ``trust``, the public signing key of the store's founding manager, which every certificate chain
    in the staff list must lead back to. Only their passphrase opens it."""

    identity: Identity
    signing_seed: str
    trust: str
    snapshot: str | None = None
    """SHA-256 of the staff list's snapshot (`staff.toml`) when the file was made: it is written once, when
    the store is made, so one that differs was written since (`staff.pinned_by_identity`). None in a file
    made by an older dacli (`user passwd` adds it)."""


def dump_identity(staff_id: str, creds: Credentials) -> bytes:
    lines = [
        "# dacli identity: an age identity file (use with `age -d -i`)",
        f"# schema: {IDENTITY_SCHEMA}",
        f"# staff: {staff_id}",
        f"# public key: {creds.identity.public}",
        f"# signing key: {creds.signing_seed}",
        f"# trust: {creds.trust}",
        *([f"# snapshot: {creds.snapshot}"] if creds.snapshot else []),
        creds.identity.secret,
    ]
    return ("\n".join(lines) + "\n").encode()


def load_identity(text: bytes, staff_id: str, what: str) -> Credentials:
    meta, secrets = _parse(text, what)
    if meta.get("schema") != IDENTITY_SCHEMA or len(secrets) != 1:
        raise IntegrityError(f"{what} is not a dacli identity.")
    if meta.get("staff") != staff_id:
        raise IntegrityError(f"{what} belongs to another member of staff.")
    if not meta.get("signing key") or not meta.get("trust"):
        raise IntegrityError(f"{what} has no signing key: it was made by an older dacli.")
    snapshot = meta.get("snapshot")
    if snapshot is not None and not re.fullmatch(r"[0-9a-f]{64}", snapshot):
        raise IntegrityError(f"{what} is malformed.")
    return Credentials(Identity(secrets[0]), meta["signing key"], meta["trust"], snapshot)


def _parse(text: bytes, what: str) -> tuple[dict, list[str]]:
    meta: dict = {}
    secrets: list[str] = []
    generations: list[tuple[datetime, int]] = []
    try:
        decoded = text.decode("ascii")
    except UnicodeDecodeError:
        raise IntegrityError(f"{what} is malformed.") from None
    for line in decoded.splitlines():
        if line.startswith("# schema: "):
            meta["schema"] = line[len("# schema: ") :]
        elif line.startswith("# scope: "):
            meta["scope"] = line[len("# scope: ") :]
        elif line.startswith("# staff: "):
            meta["staff"] = line[len("# staff: ") :]
        elif line.startswith("# signing key: "):
            meta["signing key"] = line[len("# signing key: ") :]
        elif line.startswith("# trust: "):
            meta["trust"] = line[len("# trust: ") :]
        elif line.startswith("# snapshot: "):
            meta["snapshot"] = line[len("# snapshot: ") :]
        elif line.startswith("# made: "):
            try:
                meta["made"] = datetime.fromisoformat(line[len("# made: ") :])
            except ValueError:
                raise IntegrityError(f"{what} is malformed.") from None
        elif line.startswith("# by: "):
            meta["by"] = line[len("# by: ") :]
        elif line.startswith("# for: "):
            meta["for"] = frozenset(line[len("# for: ") :].split())
        elif line.startswith("# removed: "):
            meta["removed"] = frozenset(line[len("# removed: ") :].split())
        elif line == "# removed:":
            meta["removed"] = frozenset()
        elif line.startswith("# key created "):
            parts = line.split(" ")
            try:
                if len(parts) < 7 or parts[4] != "epoch" or parts[6] != "holders":
                    raise ValueError
                meta.setdefault("keys", []).append(
                    (datetime.fromisoformat(parts[3]), int(parts[5]), frozenset(parts[7:]))
                )
            except ValueError:
                raise IntegrityError(f"{what} is malformed.") from None
        elif line.startswith("# generation "):
            parts = line.split(" ")
            try:
                if len(parts) != 7 or parts[3] != "created" or parts[5] != "epoch":
                    raise ValueError
                generations.append((datetime.fromisoformat(parts[4]), int(parts[6])))
            except ValueError:
                raise IntegrityError(f"{what} is malformed.") from None
        elif line.startswith(SECRET_PREFIX):
            secrets.append(line)
        elif line and not line.startswith("#"):
            raise IntegrityError(f"{what} is malformed.")
    meta["generations"] = generations
    return meta, secrets
