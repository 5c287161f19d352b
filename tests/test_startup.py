"""Start-up fails closed: a missing, undecryptable or substituted key, or no schema, stops the registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from registry import create_app
from registry.core.keys import Signer, encrypt_private_key
from registry.services import keyring
from registry.startup import StartupError
from tests.conftest import PASSPHRASE, ROOT, Env, ikrar, ikrar_process


def _record_key_file(app: Flask, env: Env) -> Path:
    with app.app_context():
        kid = keyring.active_kid("record")
    assert kid
    return env.keys_dir / f"{kid}.pem"


def test_starts_when_all_is_in_order(app: Flask, env: Env) -> None:
    create_app(env.config())


def test_refuses_a_missing_key(app: Flask, env: Env) -> None:
    _record_key_file(app, env).unlink()
    with pytest.raises(StartupError, match="missing"):
        create_app(env.config())


def test_refuses_an_undecryptable_key(app: Flask, env: Env) -> None:
    with pytest.raises(StartupError, match=r"cannot decrypt.*IKRAR_KEY_PASSPHRASE"):
        create_app(env.config() | {"IKRAR_KEY_PASSPHRASE": "wrong"})


def test_refuses_a_substituted_key(app: Flask, env: Env) -> None:
    target = _record_key_file(app, env)
    target.chmod(0o600)
    target.write_bytes(encrypt_private_key(Signer.generate(), PASSPHRASE.encode()))
    with pytest.raises(StartupError, match=r"not the key .* the database expects"):
        create_app(env.config())


def test_refuses_a_key_file_others_can_read(app: Flask, env: Env) -> None:
    _record_key_file(app, env).chmod(0o644)
    with pytest.raises(StartupError, match="chmod 600"):
        create_app(env.config())


def test_refuses_an_uninitialised_database(env: Env) -> None:
    with pytest.raises(StartupError, match="ikrar init"):
        create_app(env.config())


def test_no_replacement_key_is_ever_generated(app: Flask, env: Env) -> None:
    before = sorted(p.name for p in env.keys_dir.iterdir())
    _record_key_file(app, env).unlink()
    result = ikrar(env, "init")
    assert result.returncode == 0, result.stderr
    assert "generated key" not in result.stdout
    generate = ikrar(env, "keys", "generate")
    assert generate.returncode == 1
    assert "keys already exist" in generate.stderr
    assert sorted(p.name for p in env.keys_dir.iterdir()) == sorted(
        set(before) - {_record_key_file(app, env).name}
    )


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_serve_refuses_with_one_clear_line(app: Flask, env: Env) -> None:
    _record_key_file(app, env).unlink()
    result = ikrar_process(env, "serve", "--port", "1")  # the real console start-up path
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "refusing to start" in result.stderr and "missing" in result.stderr


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_wsgi_module_refuses_to_load(app: Flask, env: Env) -> None:
    _record_key_file(app, env).unlink()
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env.variables,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "StartupError" in result.stderr and "missing" in result.stderr


def test_rotate_refuses_when_the_active_key_is_gone(app: Flask, env: Env) -> None:
    _record_key_file(app, env).unlink()
    result = ikrar(env, "keys", "rotate")
    assert result.returncode == 1
    assert "missing" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_console_script_runs(tmp_path: Path) -> None:
    # The installed `ikrar` script itself (every other CLI test runs the command in process).
    script = Path(sys.executable).with_name("ikrar")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: ikrar" in result.stdout
    for command in ("init", "demo", "serve", "verify", "audit", "users", "tokens", "log"):
        assert f"  {command} " in result.stdout, command
