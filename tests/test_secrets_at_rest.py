"""Secrets at rest and in logs: private file modes, the passphrase file rule, redacted access logs,
demo passwords printed once (UU 27/2022: contacts, password and token hashes live in these files)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from registry.core.errors import KeyRingError
from registry.core.keystore import read_passphrase
from registry.services import certificates, signing
from tests.conftest import PASSPHRASE, Env, LiveServer, free_port
from tests.factories import walk_in

EMBEDDED_ONLY = pytest.mark.skipif(
    bool(os.environ.get("IKRAR_TEST_DATABASE_URL")), reason="file modes of the embedded SQLite database"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _loose_umask() -> None:
    # The common default: without care, new files would be 0644 and directories 0755.
    os.umask(0o022)


def _variables(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An embedded installation in tmp_path: the default SQLite database inside the instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKRAR_")}
    env.update(
        {
            "IKRAR_INSTANCE_DIR": str(tmp_path / "instance"),
            "IKRAR_KEYS_DIR": str(tmp_path / "keys"),
            "IKRAR_LOG_ORIGIN": "test.ikrar.localhost/log",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def _ikrar(
    variables: dict[str, str], cwd: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=variables,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
        preexec_fn=_loose_umask,
    )


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_init_creates_every_instance_file_private(tmp_path: Path) -> None:
    done = _ikrar(_variables(tmp_path), tmp_path, "init")
    assert done.returncode == 0, done.stderr
    instance = tmp_path / "instance"
    assert mode(instance) == 0o700
    assert mode(instance / "ikrar.sqlite3") == 0o600
    assert mode(instance / "secret_key") == 0o600
    assert mode(tmp_path / "keys" / "passphrase") == 0o600
    for key in (tmp_path / "keys").glob("*.pem"):
        assert mode(key) == 0o600
    witness = instance / "checkpoint.witness"
    assert witness.exists() and mode(witness) == 0o600


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_existing_loose_files_are_tightened_at_start_with_a_log_line(tmp_path: Path) -> None:
    variables = _variables(tmp_path)
    assert _ikrar(variables, tmp_path, "init").returncode == 0
    instance = tmp_path / "instance"
    loose = [instance / "ikrar.sqlite3", instance / "secret_key", instance / "checkpoint.witness"]
    for path in loose:
        path.chmod(0o644)
    instance.chmod(0o755)
    again = _ikrar(variables, tmp_path, "keys", "list")
    assert again.returncode == 0, again.stderr
    assert mode(instance) == 0o700
    for path in loose:
        assert mode(path) == 0o600, path
        assert f"tightened {path} from 0644 to 0600" in again.stderr
    assert f"tightened {instance} from 0755 to 0700" in again.stderr
    # Nothing left to tighten: no log line the next time.
    quiet = _ikrar(variables, tmp_path, "keys", "list")
    assert "tightened" not in quiet.stderr


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@EMBEDDED_ONLY
def test_database_wal_and_shm_are_private_after_a_signing(loose_umask: None, env: Env) -> None:
    from registry.app import create_app
    from tests.conftest import initialise

    application = create_app(env.config(), startup_checks=False)
    initialise(application)
    database = env.instance / "ikrar.sqlite3"
    with application.app_context():
        signing.sign(walk_in("Wulan Sari"), application.extensions["ikrar.signers"])
        # The session still holds its pooled connection, so the WAL and shared-memory files exist.
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and wal.stat().st_size > 0 and shm.exists()
        assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        from registry.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_passphrase_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "passphrase"
    file.write_text("a passphrase\n", encoding="utf-8")
    file.chmod(0o644)
    with pytest.raises(KeyRingError) as refused:
        read_passphrase(None, file)
    assert str(refused.value) == f"{file} is readable by other users; run: chmod 600 {file}"
    file.chmod(0o600)
    assert read_passphrase(None, file) == b"a passphrase"


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_serve_refuses_a_loose_passphrase_file(tmp_path: Path) -> None:
    variables = _variables(tmp_path)
    assert _ikrar(variables, tmp_path, "init").returncode == 0
    passphrase = tmp_path / "keys" / "passphrase"
    passphrase.chmod(0o644)
    try:
        refused = _ikrar(variables, tmp_path, "serve", "--port", str(free_port()), timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("ikrar serve started with a passphrase file other users can read")
    assert refused.returncode != 0
    assert f"{passphrase} is readable by other users; run: chmod 600 {passphrase}" in refused.stderr


def _wait_for_line(log: Path, needle: str) -> str:
    # gunicorn writes the access line after the response; poll for it rather than sleep blindly.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = log.read_text()
        if needle in text:
            return text
        time.sleep(0.1)
    return log.read_text()


def test_access_log_redacts_the_certificate_token(app: Flask, env: Env, live_server: LiveServer) -> None:
    with app.app_context():
        row = signing.sign(walk_in("Dewi Anggraini"), app.extensions["ikrar.signers"]).record
        record_id, token = row.id, certificates.certificate_token(row.id)
    path = f"/api/v1/signatures/{record_id}/certificate.pdf"
    with urllib.request.urlopen(f"{live_server.url}{path}?t={token}&lang=id", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.read().startswith(b"%PDF")
    port = live_server.url.rsplit(":", 1)[1]
    log = _wait_for_line(env.instance / f"server-{port}.log", path)
    assert f"GET {path}?t=<redacted>&lang=id HTTP/1.1" in log
    assert token not in log
    # The kiosk's invitee search carries people's names: not logged either.
    urllib.request.urlopen(f"{live_server.url}/openapi.json?q=Sri+Wahyuningsih", timeout=30).close()
    log = _wait_for_line(env.instance / f"server-{port}.log", "/openapi.json?q=")
    assert "GET /openapi.json?q=<redacted> HTTP/1.1" in log and "Wahyuningsih" not in log


def test_error_log_redacts_the_uri_of_a_failed_request(capsys: pytest.CaptureFixture[str]) -> None:
    from gunicorn.config import Config

    from registry.wsgi_server import RedactingLogger

    logger = RedactingLogger(Config())  # a real gunicorn logger, writing to stderr
    try:
        raise RuntimeError("response iterator failed")
    except RuntimeError:
        # What a gunicorn worker logs when the application raises (gunicorn/workers/base.py).
        logger.exception("Error handling request %s", "/api/v1/signatures/x/certificate.pdf?t=SeCrEt1")
    logged = capsys.readouterr().err
    assert "Error handling request /api/v1/signatures/x/certificate.pdf?t=<redacted>" in logged
    assert "SeCrEt1" not in logged


def test_redacted_query_keeps_other_parameters() -> None:
    from registry.wsgi_server import redact_query, redact_url

    assert redact_query("t=abc&lang=en&%74=x&tt=1") == "t=<redacted>&lang=en&%74=<redacted>&tt=1"
    assert redact_url("/a?version=2") == "/a?version=2"
    assert redact_url("https://x/v?t=abc") == "https://x/v?t=<redacted>"
    assert redact_url("/a") == "/a"


def _run_demo(variables: dict[str, str], cwd: Path) -> str:
    """Start ``ikrar demo``, wait until it answers, stop it; its console output."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "demo", "--port", str(port)],
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        preexec_fn=_loose_umask,
    )
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    return output


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_demo_prints_passwords_on_the_first_run_only(tmp_path: Path) -> None:
    variables = _variables(tmp_path, IKRAR_KEY_PASSPHRASE=PASSPHRASE)
    first = _run_demo(variables, tmp_path)
    credentials = tmp_path / "instance" / "demo-credentials"
    assert credentials.exists(), first
    assert mode(credentials) == 0o600 and mode(tmp_path / "instance") == 0o700
    lines = credentials.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("database ")  # one section per database (registry/demo_credentials.py)
    rows = [line.split(" ") for line in lines[1:]]
    assert [row[:2] for row in rows] == [["admin", "admin"], ["operator", "operator"], ["auditor", "auditor"]]
    for _, _, password in rows:
        assert password in first
    second = _run_demo(variables, tmp_path)
    assert "sign in" in second, second
    for _, _, password in rows:
        assert password not in second
    assert str(credentials) in second
    assert mode(tmp_path / "instance" / "ikrar.sqlite3") == 0o600
