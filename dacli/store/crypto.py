"""age v1 encryption, in memory only.

Everything dacli writes is a standard age file (https://age-encryption.org/v1), so the `age` binary can read
it when dacli is gone. Two kinds:

* X25519 files (records, key rings, the caseload index) go through ``pyrage``. Decryption always uses
  ``pyrage.decrypt_io`` over ``BytesIO`` buffers: ``decrypt_file`` leaves partial plaintext on disk when a
  file is corrupt, and ``decrypt`` on bytes slows with the square of the header size.
* Passphrase (scrypt) files hold each person's identity. ``pyrage.passphrase.encrypt`` calibrates its own
  scrypt cost (log2 N = 19 here, about 2 s to unlock), so dacli writes the scrypt stanza itself with the
  work factor from the store settings (default 17, see ``dacli.defaults``), and reads it back through
  ``pyrage.passphrase.decrypt``. The writer below follows the age specification; tests check that pyrage and
  the `age` binary both read what it writes.

This module never prompts, never logs and never touches the disk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from dacli.errors import AuthError, IntegrityError

AGE_MAGIC = b"age-encryption.org/v1\n"
SECRET_PREFIX = "AGE-SECRET-KEY-1"
PUBLIC_PREFIX = "age1"
MIN_LOG_N = 10
MAX_LOG_N = 22
_CHUNK = 64 * 1024


class Identity:
    """An X25519 key pair. ``secret`` is the ``AGE-SECRET-KEY-1...`` string; keep it out of logs."""

    __slots__ = ("_identity", "secret", "public")

    def __init__(self, secret: str) -> None:
        try:
            self._identity = pyrage.x25519.Identity.from_str(secret.strip())
        except Exception as exc:  # pyrage raises its own IdentityError
            raise IntegrityError("A key file holds a malformed age identity.") from exc
        self.secret = secret.strip()
        self.public = str(self._identity.to_public())

    @classmethod
    def generate(cls) -> Identity:
        return cls(str(pyrage.x25519.Identity.generate()))

    @property
    def pyrage(self) -> pyrage.x25519.Identity:
        return self._identity

    def __repr__(self) -> str:  # never print the secret
        return f"Identity({self.public})"


def recipient(public: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(public.strip())
    except Exception as exc:
        raise IntegrityError(f"{public[:12]}... is not a valid age recipient.") from exc


def encrypt(plaintext: bytes, recipients: list[str]) -> bytes:
    """Encrypt to one or more X25519 recipients (``age1...`` strings)."""
    if not recipients:
        raise ValueError("encrypt needs at least one recipient")
    out = io.BytesIO()
    pyrage.encrypt_io(io.BytesIO(plaintext), out, [recipient(r) for r in recipients])
    return out.getvalue()


def decrypt(ciphertext: bytes, identities: list[Identity], what: str) -> bytes:
    """Decrypt in memory. ``what`` names the file in the error (never its content)."""
    if not ciphertext:
        raise IntegrityError(f"{what} is empty.")
    if not ciphertext.startswith(AGE_MAGIC):
        raise IntegrityError(f"{what} is not an age file (corrupt or replaced).")
    out = io.BytesIO()
    try:
        pyrage.decrypt_io(io.BytesIO(ciphertext), out, [i.pyrage for i in identities])
    except pyrage.DecryptError as exc:
        if "No matching keys" in str(exc):
            raise IntegrityError(
                f"{what} is not encrypted to any key you hold (tampered, or copied from elsewhere)."
            ) from None
        raise IntegrityError(f"{what} is damaged or truncated and cannot be decrypted.") from None
    except OSError:
        raise IntegrityError(f"{what} is damaged or tampered with and cannot be decrypted.") from None
    return out.getvalue()


# --- passphrase (scrypt) files -------------------------------------------------------------------------


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _scrypt_key(passphrase: str, salt: bytes, log_n: int) -> bytes:
    kdf = Scrypt(salt=b"age-encryption.org/v1/scrypt" + salt, length=32, n=1 << log_n, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


def _stream_encrypt(file_key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(16)
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    chunks = [plaintext[i : i + _CHUNK] for i in range(0, len(plaintext), _CHUNK)] or [b""]
    out = [nonce]
    for counter, chunk in enumerate(chunks):
        last = 1 if counter == len(chunks) - 1 else 0
        out.append(aead.encrypt(counter.to_bytes(11, "big") + bytes([last]), chunk, None))
    return b"".join(out)


def passphrase_encrypt(plaintext: bytes, passphrase: str, log_n: int) -> bytes:
    """Write an age file with a single scrypt stanza of work factor 2**log_n."""
    if not MIN_LOG_N <= log_n <= MAX_LOG_N:
        raise ValueError(f"scrypt work factor must be between {MIN_LOG_N} and {MAX_LOG_N}")
    if not passphrase:
        raise AuthError("A passphrase cannot be empty.")
    file_key = os.urandom(16)
    salt = os.urandom(16)
    body = ChaCha20Poly1305(_scrypt_key(passphrase, salt, log_n)).encrypt(b"\x00" * 12, file_key, None)
    header = AGE_MAGIC + b"-> scrypt " + _b64(salt) + b" " + str(log_n).encode() + b"\n"
    header += _b64(body) + b"\n---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    return header + b" " + _b64(mac) + b"\n" + _stream_encrypt(file_key, plaintext)


def scrypt_log_n(ciphertext: bytes) -> int | None:
    """The work factor of a passphrase file, or None when it is not one."""
    lines = ciphertext.split(b"\n", 2)
    if len(lines) < 2 or lines[0] + b"\n" != AGE_MAGIC:
        return None
    parts = lines[1].split(b" ")
    if len(parts) != 4 or parts[:2] != [b"->", b"scrypt"] or not parts[3].isdigit():
        return None
    return int(parts[3])


def passphrase_decrypt(ciphertext: bytes, passphrase: str, what: str) -> bytes:
    """Decrypt a passphrase file; tell a wrong passphrase apart from a damaged file."""
    log_n = scrypt_log_n(ciphertext)
    if log_n is None:
        raise IntegrityError(f"{what} is not a passphrase-protected age file (corrupt or replaced).")
    if not MIN_LOG_N <= log_n <= MAX_LOG_N:
        raise IntegrityError(f"{what} asks for an scrypt work factor dacli refuses ({log_n}).")
    try:
        return pyrage.passphrase.decrypt(ciphertext, passphrase)
    except (pyrage.DecryptError, OSError):
        pass
    # Work out which it was, so the person is told the right thing.
    try:
        header_line = ciphertext.split(b"\n", 3)
        salt = _unb64(header_line[1].split(b" ")[2])
        body = _unb64(header_line[2])
        if len(salt) != 16 or len(body) != 32 or len(header_line) < 4:
            raise ValueError
    except (ValueError, IndexError):
        raise IntegrityError(f"{what} is damaged or truncated.") from None
    try:
        ChaCha20Poly1305(_scrypt_key(passphrase, salt, log_n)).decrypt(b"\x00" * 12, body, None)
    except InvalidTag:
        raise AuthError(f"Wrong passphrase for {what}.") from None
    raise IntegrityError(f"{what} is damaged or tampered with (the passphrase is right).")
