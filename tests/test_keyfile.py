"""Keys at rest (issue 13): the ikrar-key v1 file, read here by an independent decoder written from
docs/FORMATS.md §2.1; tampering, the passphrase floor, legacy PKCS#8 files and `ikrar keys upgrade`."""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask
from sqlalchemy import select

from registry import create_app
from registry.core import keyfile
from registry.core.errors import KeyRingError
from registry.core.keys import Signer, encrypt_private_key
from registry.core.keystore import KeyDirectory
from registry.core.passphrase import WeakPassphraseError, check_strength
from registry.services import keyring
from registry.startup import StartupError
from tests.conftest import PASSPHRASE, ROOT, Env, Ran, ikrar

SECRET = PASSPHRASE.encode()
# The documented floor, restated here rather than imported: the test checks the code against the doc.
FLOOR_M, FLOOR_T, FLOOR_P = 65536, 3, 1


# --- an outsider's decoder, from docs/FORMATS.md §2.1 alone ----------------------------------------


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def outsider_fields(data: bytes) -> dict[str, str]:
    lines = data.decode("ascii").split("\n")
    assert lines[0] == "-----BEGIN IKRAR PRIVATE KEY-----" and lines[16] == "-----END IKRAR PRIVATE KEY-----"
    assert len(lines) == 18 and lines[17] == "" and lines[14] == ""
    fields = dict(line.split(": ", 1) for line in lines[1:14])
    fields["sealed"] = lines[15]
    return fields


def outsider_decrypt(data: bytes, passphrase: bytes) -> bytes:
    """The 32-byte Ed25519 seed, with argon2 and AES-GCM called directly."""
    fields = outsider_fields(data)
    assert (fields["Format"], fields["Version"], fields["KDF"], fields["AEAD"]) == (
        "ikrar-key",
        "1",
        "argon2id",
        "AES-256-GCM",
    )
    key = hash_secret_raw(
        passphrase,
        _b64url(fields["Salt"]),
        time_cost=int(fields["KDF-Iterations"]),
        memory_cost=int(fields["KDF-Memory-KiB"]),
        parallelism=int(fields["KDF-Parallelism"]),
        hash_len=32,
        type=Type.ID,
        version=int(fields["KDF-Version"]),
    )
    associated = data[: data.index(b"\n\n") + 2]
    seed = AESGCM(key).decrypt(_b64url(fields["Nonce"]), _b64url(fields["sealed"]), associated)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    assert public.public_bytes_raw() == _b64url(fields["Public-Key"])
    return seed


def test_a_new_key_file_round_trips_and_an_outsider_can_decrypt_it() -> None:
    signer = Signer.generate()
    data = keyfile.seal(signer, SECRET)
    assert keyfile.load(data, SECRET).public_key == signer.public_key
    assert outsider_decrypt(data, SECRET) == signer.private_bytes_raw()
    fields = outsider_fields(data)
    assert fields["Kid"] == signer.kid
    # The file states its parameters, and they meet the documented floor.
    assert int(fields["KDF-Memory-KiB"]) >= FLOOR_M
    assert int(fields["KDF-Iterations"]) >= FLOOR_T
    assert int(fields["KDF-Parallelism"]) >= FLOOR_P
    assert b"PRIVATE KEY" in data and signer.private_bytes_raw() not in data


def test_the_documented_example_decrypts() -> None:
    doc = (ROOT / "docs" / "FORMATS.md").read_text(encoding="utf-8")
    block = re.search(
        r"```\n(-----BEGIN IKRAR PRIVATE KEY-----\n.*?-----END IKRAR PRIVATE KEY-----\n)```", doc, re.S
    )
    assert block, "FORMATS.md §2.1 has no example key file"
    data = block.group(1).encode("ascii")
    seed = outsider_decrypt(data, b"test-passphrase-not-secret")
    assert keyfile.load(data, b"test-passphrase-not-secret").private_bytes_raw() == seed


def test_a_wrong_passphrase_is_refused() -> None:
    data = keyfile.seal(Signer.generate(), SECRET)
    with pytest.raises(KeyRingError, match=r"cannot decrypt.*wrong IKRAR_KEY_PASSPHRASE"):
        keyfile.load(data, SECRET + b"!")


def _replace_value(data: bytes, name: str) -> bytes:
    """``data`` with one character of field ``name``'s value changed (a digit or base64url letter)."""
    lines = data.decode("ascii").split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"{name}: ") or (name == "sealed" and i == 15) or (name == "tag" and i == 15):
            head, value = ("", line) if i == 15 else (line[: len(name) + 2], line[len(name) + 2 :])
            position = len(value) - 5 if name == "tag" else min(2, len(value) - 1)  # the tag: last 16 bytes
            old = value[position]
            new = "4" if old in "0123456789" and old != "4" else ("B" if old != "B" else "C")
            lines[i] = head + value[:position] + new + value[position + 1 :]
            return "\n".join(lines).encode("ascii")
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Kid", "Kid is not the key id"),
        ("Public-Key", "Public-Key|Kid is not the key id"),
        ("KDF-Memory-KiB", "altered"),
        ("KDF-Iterations", "altered"),
        ("Salt", "altered"),
        ("Nonce", "altered"),
        ("sealed", "altered"),
        ("tag", "altered"),
    ],
)
def test_a_changed_header_salt_parameter_ciphertext_or_tag_is_refused(field: str, expected: str) -> None:
    signer = Signer.generate()
    data = keyfile.seal(signer, SECRET)
    changed = _replace_value(data, field)
    assert changed != data
    with pytest.raises(KeyRingError, match=expected):
        keyfile.load(changed, SECRET)
    # The outsider's decoder refuses it as well (the header is the AEAD's associated data).
    with pytest.raises((InvalidTag, AssertionError, ValueError)):
        outsider_decrypt(changed, SECRET)


def test_every_single_bit_flip_anywhere_in_the_file_is_refused() -> None:
    # Fast parameters, so that every byte of the file can be tried.
    data = keyfile.seal(Signer.generate(), SECRET, keyfile.TEST_ONLY)
    for index in range(len(data)):
        for bit in (0x01, 0x20):
            changed = bytearray(data)
            changed[index] ^= bit
            with pytest.raises(KeyRingError):
                keyfile.load(bytes(changed), SECRET)


def test_version_format_and_bounds_are_checked_before_any_work() -> None:
    data = keyfile.seal(Signer.generate(), SECRET, keyfile.TEST_ONLY)
    with pytest.raises(KeyRingError, match="version '2' is not supported"):
        keyfile.load(data.replace(b"Version: 1\n", b"Version: 2\n"), SECRET)
    with pytest.raises(KeyRingError, match="out of range"):
        keyfile.load(data.replace(b"KDF-Memory-KiB: 8\n", b"KDF-Memory-KiB: 999999999\n"), SECRET)
    with pytest.raises(KeyRingError, match="not a decimal integer"):
        keyfile.load(data.replace(b"KDF-Iterations: 1\n", b"KDF-Iterations: 01\n"), SECRET)
    with pytest.raises(KeyRingError, match="unsupported key file: KDF"):
        keyfile.load(data.replace(b"KDF: argon2id\n", b"KDF: argon2i\n"), SECRET)


@pytest.mark.parametrize(
    "weak",
    [
        "short",
        "aaaaaaaaaaaaaaaaaaaa",
        "passwordpassword",
        "123456789012345",
        "iloveyouiloveyou1",
        "qwertyuiopasdfgh",
    ],
)
def test_a_weak_passphrase_is_refused_for_new_files(weak: str) -> None:
    with pytest.raises(WeakPassphraseError, match=r"too short|too easy to guess"):
        keyfile.seal(Signer.generate(), weak.encode())


def test_the_passphrase_floor_accepts_what_ikrar_itself_generates() -> None:
    import secrets

    check_strength(secrets.token_urlsafe(32).encode())  # the embedded passphrase file
    check_strength(b"empat kata acak yang panjang")
    check_strength(("x" * 72 + "a long tail").replace("x", "correct horse battery staple ")[:200].encode())


def test_production_parameters_cannot_be_lowered() -> None:
    with pytest.raises(KeyRingError, match="below argon2id m=65536"):
        keyfile.seal(Signer.generate(), SECRET, keyfile.KdfParams(65536, 2, 1))
    with pytest.raises(KeyRingError, match="below argon2id m=65536"):
        keyfile.seal(Signer.generate(), SECRET, keyfile.KdfParams(19456, 3, 1))


# --- the registry: legacy files, upgrade, start-up ------------------------------------------------


def _real_kdf(env: Env) -> dict[str, str]:
    variables = env.variables
    variables.pop("IKRAR_TEST_FAST_KDF", None)
    return variables


def _run(variables: dict[str, str], env: Env, *args: str) -> Ran:
    """``ikrar`` with these variables (e.g. the real KDF parameters, another passphrase), in process."""
    return ikrar(env, *args, variables=variables)


def _make_legacy(app: Flask, env: Env, passphrase: bytes = SECRET) -> list[Path]:
    """Turn this registry's key files into what Ikrar wrote before: encrypted PKCS#8."""
    directory = KeyDirectory(env.keys_dir, keyfile.TEST_ONLY)
    paths = []
    for kid in directory.kids():
        signer = directory.load(kid, SECRET)
        path = directory.file_for(kid)
        path.write_bytes(encrypt_private_key(signer, passphrase))
        paths.append(path)
    assert len(paths) == 2
    return paths


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_legacy_files_load_warn_and_upgrade(app: Flask, env: Env, caplog: pytest.LogCaptureFixture) -> None:
    paths = _make_legacy(app, env)
    if shutil.which("openssl"):
        parsed = subprocess.run(
            ["openssl", "asn1parse", "-in", str(paths[0])], capture_output=True, text=True, check=True
        ).stdout
        assert "PBKDF2" in parsed and ":0800" in parsed  # 2,048 iterations, as issue 13 found
    # An upgrade of Ikrar locks no one out: the legacy files still serve, with a warning each.
    with caplog.at_level(logging.WARNING):
        create_app(env.config())
    warnings = [r.getMessage() for r in caplog.records if "ikrar keys upgrade" in r.getMessage()]
    assert len(warnings) == 2 and all("legacy PKCS#8" in w for w in warnings)
    listed = ikrar(env, "keys", "list")
    assert listed.stdout.count("legacy PKCS#8: run `ikrar keys upgrade`") == 2, listed.stdout

    variables = _real_kdf(env)
    upgraded = _run(variables, env, "keys", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.count("upgraded ") == 2
    assert (
        "legacy PKCS#8" in upgraded.stdout and "2 key files rewritten, 0 already current" in upgraded.stdout
    )
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(b"-----BEGIN IKRAR PRIVATE KEY-----\n")
        assert b"ENCRYPTED PRIVATE KEY" not in data
        assert path.stat().st_mode & 0o777 == 0o600
        assert int(outsider_fields(data)["KDF-Memory-KiB"]) >= FLOOR_M
        outsider_decrypt(data, SECRET)
        if shutil.which("openssl"):
            legacy = subprocess.run(
                ["openssl", "asn1parse", "-in", str(path)], capture_output=True, text=True
            )
            assert "PBKDF2" not in legacy.stdout
    assert sorted(p.name for p in env.keys_dir.iterdir()) == sorted(
        p.name for p in paths
    )  # no temp file left
    again = _run(variables, env, "keys", "upgrade")
    assert again.returncode == 0 and "0 key files rewritten, 2 already current" in again.stdout
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(env.config())  # starts on the upgraded keys, without a warning
    assert not [r for r in caplog.records if "ikrar keys upgrade" in r.getMessage()]


def test_upgrade_refuses_a_weak_passphrase_and_changes_it(app: Flask, env: Env) -> None:
    weak = b"rahasia"
    paths = _make_legacy(app, env, weak)
    variables = _real_kdf(env) | {"IKRAR_KEY_PASSPHRASE": weak.decode()}
    refused = _run(variables, env, "keys", "upgrade")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "IKRAR_KEY_PASSPHRASE is refused" in refused.stderr and "--new-passphrase-file" in refused.stderr
    assert all(p.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") for p in paths)
    # Nor does a rotation write a new key under it; the ring stays as it was.
    before = ikrar(env, "keys", "list").stdout
    rotated = _run(variables, env, "keys", "rotate")
    assert rotated.returncode == 1 and "Traceback" not in rotated.stderr
    assert "the key passphrase is too short" in rotated.stderr
    assert sorted(env.keys_dir.iterdir()) == sorted(paths)
    assert ikrar(env, "keys", "list").stdout == before

    new_file = env.instance / "new-passphrase"
    new_file.write_text("tiga ekor kucing oranye melompat\n", encoding="utf-8")
    new_file.chmod(0o600)
    changed = _run(variables, env, "keys", "upgrade", "--new-passphrase-file", str(new_file))
    assert changed.returncode == 0, changed.stderr
    assert "set IKRAR_KEY_PASSPHRASE to it" in changed.stdout
    for path in paths:
        outsider_decrypt(path.read_bytes(), b"tiga ekor kucing oranye melompat")
    # Re-running (as after an interruption) finds every file done.
    rerun = _run(variables, env, "keys", "upgrade", "--new-passphrase-file", str(new_file))
    assert rerun.returncode == 0 and "2 already current" in rerun.stdout, rerun.stderr
    create_app(env.config() | {"IKRAR_KEY_PASSPHRASE": "tiga ekor kucing oranye melompat"})
    with pytest.raises(StartupError, match="cannot decrypt"):
        create_app(env.config() | {"IKRAR_KEY_PASSPHRASE": weak.decode()})


def test_upgrade_with_the_passphrase_file_rewrites_that_file(app: Flask, env: Env) -> None:
    paths = _make_legacy(app, env)
    passphrase_file = env.keys_dir / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    passphrase_file.chmod(0o600)
    variables = _real_kdf(env)
    del variables["IKRAR_KEY_PASSPHRASE"]
    new_file = env.instance / "new-passphrase"
    new_file.write_text("lima burung kecil di atas genteng\n", encoding="utf-8")
    new_file.chmod(0o600)
    done = _run(variables, env, "keys", "upgrade", "--new-passphrase-file", str(new_file))
    assert done.returncode == 0, done.stderr
    assert f"written to {passphrase_file}" in done.stdout
    assert passphrase_file.read_text(encoding="utf-8") == "lima burung kecil di atas genteng\n"
    assert passphrase_file.stat().st_mode & 0o777 == 0o600
    for path in paths:
        outsider_decrypt(path.read_bytes(), b"lima burung kecil di atas genteng")
    assert ikrar(env, "keys", "list").returncode == 0


def test_init_with_a_weak_passphrase_writes_no_key(env: Env) -> None:
    variables = env.variables | {"IKRAR_KEY_PASSPHRASE": "password12345678"}
    result = _run(variables, env, "init")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "too easy to guess" in result.stderr
    assert not list(env.keys_dir.glob("*.pem"))


def test_embedded_init_writes_new_format_keys_at_the_floor(env: Env) -> None:
    # What `ikrar demo` does first: no passphrase configured, a random one is made in a 0600 file.
    variables = _real_kdf(env)
    del variables["IKRAR_KEY_PASSPHRASE"]
    result = _run(variables, env, "init")
    assert result.returncode == 0, result.stderr
    secret = (env.keys_dir / "passphrase").read_text(encoding="utf-8").strip().encode()
    files = sorted(env.keys_dir.glob("*.pem"))
    assert len(files) == 2
    for path in files:
        fields = outsider_fields(path.read_bytes())
        assert (int(fields["KDF-Memory-KiB"]), int(fields["KDF-Iterations"])) >= (FLOOR_M, FLOOR_T)
        outsider_decrypt(path.read_bytes(), secret)
    rotated = _run(variables, env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert len(list(env.keys_dir.glob("*.pem"))) == 3


def test_start_up_refuses_a_key_that_is_not_the_pinned_public_key(app: Flask, env: Env) -> None:
    from registry.extensions import db
    from registry.models import SigningKey

    with app.app_context():
        row = db.session.execute(
            select(SigningKey).where(SigningKey.purpose == "record", SigningKey.status == "active")
        ).scalar_one()
        row.public_key = Signer.generate().public_key  # the kid stays; the pinned key changes
        db.session.commit()
    with pytest.raises(StartupError, match="does not match the public key pinned"):
        create_app(env.config())


def test_start_up_refuses_a_substituted_new_format_key(app: Flask, env: Env) -> None:
    with app.app_context():
        kid = keyring.active_kid("record")
    assert kid
    target = env.keys_dir / f"{kid}.pem"
    target.write_bytes(keyfile.seal(Signer.generate(), SECRET, keyfile.TEST_ONLY))
    with pytest.raises(StartupError, match=r"not the key .* the database expects"):
        create_app(env.config())


def test_serve_warns_when_the_test_only_kdf_is_set(
    app: Flask, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        create_app(env.config() | {"IKRAR_TEST_FAST_KDF": True})
    assert any("IKRAR_TEST_FAST_KDF is set" in r.getMessage() for r in caplog.records)
