"""The age layer: our scrypt writer against pyrage, and errors that say the right thing."""

from __future__ import annotations

import pyrage
import pytest

from dacli.errors import AuthError, IntegrityError
from dacli.store import crypto


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 200_000])
def test_passphrase_files_are_read_by_pyrage(size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    sealed = crypto.passphrase_encrypt(data, "pass phrase", 10)
    assert sealed.startswith(b"age-encryption.org/v1\n-> scrypt ")
    assert pyrage.passphrase.decrypt(sealed, "pass phrase") == data
    assert crypto.passphrase_decrypt(sealed, "pass phrase", "it") == data


def test_pyrage_passphrase_files_are_read_by_dacli():
    sealed = pyrage.passphrase.encrypt(b"hello", "pw")
    assert crypto.passphrase_decrypt(sealed, "pw", "it") == b"hello"


def test_work_factor_is_written_and_bounded():
    assert crypto.scrypt_log_n(crypto.passphrase_encrypt(b"", "pw", 12)) == 12
    with pytest.raises(ValueError):
        crypto.passphrase_encrypt(b"", "pw", 9)
    forged = crypto.passphrase_encrypt(b"", "pw", 10).replace(b" 10\n", b" 30\n", 1)
    with pytest.raises(IntegrityError, match="work factor"):
        crypto.passphrase_decrypt(forged, "pw", "it")


def test_wrong_passphrase_is_told_apart_from_damage():
    sealed = crypto.passphrase_encrypt(b"secret" * 100, "right", 10)
    with pytest.raises(AuthError, match="Wrong passphrase"):
        crypto.passphrase_decrypt(sealed, "wrong", "it")
    damaged = bytearray(sealed)
    damaged[-4] ^= 0x01
    with pytest.raises(IntegrityError, match="passphrase is right"):
        crypto.passphrase_decrypt(bytes(damaged), "right", "it")


def test_x25519_round_trip_and_wrong_key():
    me, other = crypto.Identity.generate(), crypto.Identity.generate()
    sealed = crypto.encrypt(b"payload", [me.public])
    assert crypto.decrypt(sealed, [other, me], "it") == b"payload"
    with pytest.raises(IntegrityError, match="not encrypted to any key"):
        crypto.decrypt(sealed, [other], "it")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b"",
        lambda b: b[: len(b) // 2],
        lambda b: b[:-1],
        lambda b: b[:-5] + bytes([b[-5] ^ 1]) + b[-4:],
        lambda b: b"not an age file at all",
    ],
    ids=["empty", "half", "last-byte-cut", "flipped-byte", "garbage"],
)
def test_damaged_x25519_files_fail_cleanly(mangle):
    me = crypto.Identity.generate()
    sealed = crypto.encrypt(b"payload" * 1000, [me.public])
    with pytest.raises(IntegrityError):
        crypto.decrypt(mangle(sealed), [me], "record")


def test_identity_repr_hides_the_secret():
    ident = crypto.Identity.generate()
    assert "SECRET" not in repr(ident)


def test_truncated_identity_file_is_damage_not_a_wrong_passphrase():
    sealed = crypto.passphrase_encrypt(b"secret", "right", 10)
    with pytest.raises(IntegrityError, match="damaged or truncated"):
        crypto.passphrase_decrypt(sealed[:70], "right", "it")
