"""Ed25519 signatures on everything staff write: records, key rings, the index and the staff list.

age encrypts to public keys, and encryption is not authorship: anyone who can write the store folder could
write a file that opens with a case key (or replace a key ring with one whose keys they chose, so that
staff then write to them). So every member of staff also holds an Ed25519 signing key, kept in their
identity file under their passphrase, and every file dacli writes ends with one line naming its author
and signing its content, what it is and where it belongs::

    # dacli-signed: s-1a2b3c4d5e6f <base64 signature>

The line is a comment in TOML and in age identity files, so records and key rings stay readable by any
TOML parser and usable with `age -d -i` when dacli is gone. The public signing keys are in the staff list,
each certified by the manager who added the person; the list itself is signed by the manager who last
changed it, and the chain of certificates must lead back to the store's founding manager, whose key each
person's identity file holds (`trust`) where only their passphrase opens it.
"""

from __future__ import annotations

import base64
import re

from dacli.errors import IntegrityError

MARK = b"# dacli-signed: "
_LINE = re.compile(rb"(?P<author>s-[0-9a-f]{12}) (?P<sig>[A-Za-z0-9+/]{86}==)\n")
"""After the mark: a staff id and a 64-byte signature in canonical base64, and nothing else."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def generate() -> tuple[str, str]:
    """A new key pair: (private seed, public key), both base64."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _b64(seed), _b64(public)


def public_of(seed: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


class Signer:
    """A member of staff's signing key, in memory only."""

    def __init__(self, staff_id: str, seed: str) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.staff_id = staff_id
        self.seed = seed
        self._key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))

    def sign(self, message: bytes) -> str:
        return _b64(self._key.sign(message))

    def seal(self, context: bytes, body: bytes) -> bytes:
        """``body`` with the signature line for ``context`` (what and where) appended."""
        if not body.endswith(b"\n"):
            body += b"\n"
        return body + MARK + f"{self.staff_id} {self.sign(context + body)}\n".encode()


_KEYS: dict[str, object] = {}


def verify(public: str, signature: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = _KEYS.get(public)
    try:
        if key is None:
            key = _KEYS[public] = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


_VERIFIED: dict[tuple[str, str, bytes], bool] = {}


def verify_once(public: str, signature: str, message: bytes) -> bool:
    """`verify`, remembered for this process (the staff list is folded once per person removed)."""
    import hashlib

    key = (public, signature, hashlib.sha256(message).digest())
    done = _VERIFIED.get(key)
    if done is None:
        if len(_VERIFIED) > 50_000:
            _VERIFIED.clear()
        done = _VERIFIED[key] = verify(public, signature, message)
    return done


def split(data: bytes, what: str) -> tuple[bytes, str, str]:
    """(body, author's staff id, signature) of a signed file; refuses one that is not signed."""
    at = data.rfind(b"\n" + MARK)
    if at < 0 and data.startswith(MARK):
        at = -1
    elif at < 0:
        raise IntegrityError(
            f"{what} is not signed by any member of staff (written outside dacli, or forged)."
        )
    body, line = data[: at + 1], data[at + 1 + len(MARK) :]
    if line.rstrip(b"\n").count(b"\n"):
        raise IntegrityError(f"{what} has text after its signature (changed by hand).")
    match = _LINE.fullmatch(line)
    if match is None:
        raise IntegrityError(f"{what} has a damaged signature line.")
    return body, match["author"].decode(), match["sig"].decode()


def check(data: bytes, context: bytes, keys: dict[str, str], what: str) -> tuple[bytes, str]:
    """The body and author of ``data`` if its signature verifies with the author's key in ``keys`` (staff
    id to public key), else a clear IntegrityError."""
    body, author, signature = split(data, what)
    public = keys.get(author)
    if public is None:
        raise IntegrityError(f"{what} is signed by {author}, who is not on the staff list (forged).")
    if not verify(public, signature, context + body):
        raise IntegrityError(
            f"{what} does not match its signature: it was changed outside dacli, forged, or copied or moved "
            "here from elsewhere."
        )
    return body, author
