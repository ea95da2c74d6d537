"""Break-glass recovery: the Debian `age` binary reads a record with an exported identity.

This is the README's recovery path, step by step: identity -> case key ring -> record.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import first_intake

AGE = shutil.which("age")
pytestmark = pytest.mark.skipif(
    AGE is None and os.environ.get("CI") != "true",
    reason="the age binary is not installed (apt-get install age); CI installs it",
)


def test_age_binary_decrypts_a_record_with_the_exported_identity(cli, store_path, case_ref, tmp_path):
    assert AGE is not None, "CI must install the age binary"
    exported = cli("identity", "export", "--yes")
    assert exported.exit_code == 0, exported.stderr
    assert "AGE-SECRET-KEY-1" in exported.stdout
    identity = tmp_path / "me.txt"
    identity.write_text(exported.stdout)
    identity.chmod(0o600)
    case = store_path / case_ref
    # bash process substitution keeps the case key ring off the disk, as the README shows
    script = f'age -d -i <(age -d -i "{identity}" "{case}/keys.age") "{case}/{first_intake(case)}"'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('schema = "intake/1"\ncase = "' + case_ref + '"\n')
    assert 'name = "Quorra Testperson-Alpha"' in out.stdout
    # every key file wrapped to you together (README: a case with key files added since)
    union = f'for f in "{case}"/keys*.age; do age -d -i "{identity}" "$f" 2>/dev/null; done'
    script = f'age -d -i <({union}) "{case}/{first_intake(case)}"'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # and this person's caseload index on this computer (outside the store), encrypted to them
    from tests.conftest import local_index_files

    assert cli("case", "list").exit_code == 0  # the index is made at the first listing
    (index,) = local_index_files(store_path)
    out = subprocess.run(["age", "-d", "-i", str(identity), str(index)], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert case_ref.encode() in out.stdout


def test_age_binary_decrypts_a_passphrase_identity_written_by_dacli(tmp_path):
    """The identity files use dacli's own scrypt writer; age must read them (it asks on a terminal)."""
    assert AGE is not None
    if shutil.which("script") is None:
        pytest.skip("util-linux `script` is needed to give age a terminal")
    from dacli.store import crypto

    sealed = tmp_path / "id.age"
    sealed.write_bytes(crypto.passphrase_encrypt(b"# test\nhello from dacli\n", "tty pass", 10))
    out = subprocess.run(
        ["script", "-qec", f'age -d "{sealed}"', "/dev/null"],
        input="tty pass\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "hello from dacli" in out.stdout, out.stdout + out.stderr


def test_identity_export_needs_yes(cli):
    result = cli("identity", "export")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert "AGE-SECRET" not in result.stdout
