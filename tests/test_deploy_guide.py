"""docs/DEPLOY.md followed step by step (issue 13: the guide is rehearsed by CI, not just written).

The guide's rehearsed blocks run on this machine (tests/deploy_guide.py moves the host into a
temporary folder): settings file, ``ikrar init`` and key generation with a passphrase file on a
fresh PostgreSQL database, the systemd unit's ``ExecStart`` as written (gunicorn, 4 workers, Redis
as the rate-limit store), a signing over HTTP, the checks, ``pg_dump``, a restore into a new
database that the witness refuses until ``ikrar log accept-database``, a second server joining,
and an upgrade with migrations that ``ikrar serve`` refuses to skip. On SQLite: the online backup.
nginx, TLS and systemd itself are manual steps (the guide says so).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import IS_CI, free_port
from tests.deploy_guide import ROOT, Host, blocks, read_settings, unit_service
from tests.test_limits_shared import redis_url
from tests.test_signing_api import body

__all__ = ["redis_url"]  # the fixture, used below

pytestmark = pytest.mark.slow
GUIDE = blocks()
BASE = os.environ.get("IKRAR_TEST_DATABASE_URL")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    """The guide's host in a temporary folder, with a PostgreSQL database of its own (dropped after)."""
    if not BASE:
        pytest.skip("the PostgreSQL deployment is rehearsed in the PostgreSQL run (IKRAR_TEST_DATABASE_URL)")
    database = "ikrar_deploy_" + secrets.token_hex(4)
    server = make_url(BASE)
    admin = create_engine(BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))  # the guide's createdb (a manual step)
    home, etc = tmp_path / "srv", tmp_path / "etc"
    (home / "backup").mkdir(parents=True)
    etc.mkdir(mode=0o750)
    try:
        yield Host(home, etc, database, f"{server.host}:{server.port or 5432}", free_port())
    finally:
        with admin.connect() as conn:
            for name in (database, f"{database}_restored"):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def ran(host: Host, name: str, *, settings: bool = True) -> str:
    done = host.run(GUIDE[name], settings=settings)
    assert done.returncode == 0, f"DEPLOY.md block {name!r} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


class Unit:
    """The guide's systemd unit, started as systemd would: its ExecStart, directory and settings."""

    def __init__(self, host: Host) -> None:
        service = unit_service(host.moved(GUIDE["unit"]))
        self.command = service["ExecStart"].split()
        self.directory = Path(service["WorkingDirectory"])
        self.settings = Path(service["EnvironmentFile"])
        self.umask = int(service["UMask"], 8)
        self.host = host
        self.process: subprocess.Popen[str] | None = None
        self.log = host.home / "unit.log"

    def start(self) -> subprocess.Popen[str]:
        variables = self.host.shell_environment() | read_settings(self.settings)
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                self.command,
                env=variables,
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                umask=self.umask,
            )
        return self.process

    def started(self) -> None:
        process = self.start()
        deadline = time.monotonic() + 90
        while process.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.host.base_url + "/healthz", timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"the unit's ExecStart did not serve:\n{self.log.read_text()}")

    def refused(self) -> str:
        """It exits by itself (systemd would mark it failed); what it said."""
        process = self.start()
        try:
            assert process.wait(timeout=90) != 0
        finally:
            self.stop()
        return self.log.read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # what systemctl stop sends
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def ikrar(host: Host, *args: str) -> str:
    done = host.run(" ".join([".venv/bin/ikrar", *args]), settings=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sign(host: Host, token: str, name: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{host.base_url}/api/v1/commitments/purbalingga-smart-city-2024/signatures",
        data=json.dumps(body(name)).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        return dict(json.loads(response.read()))


def write_settings(host: Host, redis: str) -> dict[str, str]:
    """/etc/ikrar/ikrar.env from the guide's block: its lines, with this host's values."""
    given = host.moved(GUIDE["settings"]).splitlines()
    ours = {
        "IKRAR_SECRET_KEY": secrets.token_urlsafe(48),
        "IKRAR_RATELIMIT_STORAGE": redis,
    }
    lines = []
    for line in given:
        key = line.split("=", 1)[0]
        lines.append(f"{key}={ours[key]}" if key in ours else line)
    missing = set(ours) - {line.split("=", 1)[0] for line in given}
    assert not missing, f"DEPLOY.md's settings do not set {missing}"
    path = host.etc / "ikrar.env"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o640)
    return read_settings(path)


def test_the_postgresql_deployment_of_the_guide_works_step_by_step(host: Host, redis_url: str) -> None:
    # §2 install: the test runs in its own environment; the extras the guide installs must exist.
    install = GUIDE["install"]
    assert "pip install -e '.[postgres,redis]'" in install
    extras = set(metadata.metadata("ikrar").get_all("Provides-Extra") or [])
    assert {"postgres", "redis"} <= extras, extras
    ran(host, "install", settings=False)

    settings = write_settings(host, redis_url)
    assert settings["IKRAR_DATABASE_URL"] == host.url()
    passphrase = Path(settings["IKRAR_KEY_PASSPHRASE_FILE"])
    passphrase.write_text(secrets.token_urlsafe(24) + "\n")
    passphrase.chmod(0o600)

    # §2 keys: migrations, the first keys (argon2id files), an admin, the key list.
    keys = ran(host, "keys", settings=False)
    assert "database ready" in keys and "generated key" in keys, keys
    assert all(
        oct(p.stat().st_mode & 0o777) == "0o600" for p in Path(settings["IKRAR_KEYS_DIR"]).glob("*.key")
    )

    # A commitment to sign (in production an admin writes it in the web interface) and a tablet.
    loaded = host.run(
        f"{sys.executable} -c 'from registry.app import create_app; from registry import demo; "
        "app = create_app(); app.app_context().push(); demo.load()'",
        settings=True,
        move=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    token = ikrar(host, "tokens", "create", "--commitment", "purbalingga-smart-city-2024").splitlines()[-1]

    # §2 systemd unit: its ExecStart as written (gunicorn, 4 workers, limits in Redis).
    unit = Unit(host)
    assert unit.directory == ROOT and unit.settings == host.etc / "ikrar.env"
    unit.started()
    try:
        first = sign(host, token, "Ayu Lestari")
        # §6 checks: /healthz, the log verified, an outside audit remembering its checkpoint.
        checks = ran(host, "checks")
        assert "OK: " in checks, checks
        # §5 backup with pg_dump while the server runs; then one more signing the backup lacks.
        ran(host, "backup-postgres")
        second = sign(host, token, "Budi Santoso")
        assert second["log_index"] > first["log_index"]
    finally:
        unit.stop()

    # §5 restore into a new database: the witness remembers the later checkpoint, so it refuses.
    (dump,) = (host.home / "backup").glob("ikrar-*.dump")  # named for the day it was taken
    restored = host.run(GUIDE["restore-postgres"].replace("ikrar-2026-01-31.dump", dump.name))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert read_settings(host.etc / "ikrar.env")["IKRAR_DATABASE_URL"] == host.url("_restored")
    assert "see `ikrar log accept-database`" in unit.refused()
    accepted = ran(host, "accept-restore")
    assert "witness now follows the database" in accepted, accepted
    unit.started()
    try:
        third = sign(host, token, "Citra Dewi")
        assert third["log_index"] == second["log_index"]  # the lost signing's place, taken again
        assert "OK: " in ran(host, "checks")
    finally:
        unit.stop()

    # §3 another server: its own instance folder joins the database once.
    other = host.home / "instance-2"
    joined = host.run(f"export IKRAR_INSTANCE_DIR={other}\n" + GUIDE["join"], settings=True)
    assert joined.returncode == 0 and (other / "checkpoint.witness").exists(), joined.stdout + joined.stderr

    # §4 upgrade: a database one migration behind is refused, then migrated by the guide's block.
    ikrar(host, "db", "downgrade")
    assert "schema" in unit.refused().lower()
    ran(host, "upgrade", settings=False)
    unit.started()  # the schema is current again: the unit serves
    try:
        sign(host, token, "Dewi Anggraini")
    finally:
        unit.stop()
    assert "OK: " in ikrar(host, "log", "verify")


# One signing on the registry the environment describes, in one process (the SQLite rehearsal).
SIGN_ONCE = """
import json, sys, uuid
from registry import demo
from registry.app import create_app
from registry.services import credentials
from tests.test_signing_api import body

app = create_app()
with app.app_context():
    demo.load()
    token = credentials.issue("device", "tablet 1", commitment=demo.SLUG).token
response = app.test_client().post(
    f"/api/v1/commitments/{demo.SLUG}/signatures",
    json=body("Ayu Lestari"),
    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
)
sys.exit(0 if response.status_code == 201 else response.get_data(as_text=True))
"""


def test_the_sqlite_backup_of_the_guide_is_a_working_registry(tmp_path: Path) -> None:
    if BASE:
        pytest.skip("the SQLite backup is rehearsed in the SQLite run")
    if shutil.which("sqlite3") is None:
        if IS_CI:
            pytest.fail("the guide's SQLite backup needs the sqlite3 command (apt-get install sqlite3)")
        pytest.skip("the guide's SQLite backup needs the sqlite3 command (apt-get install sqlite3)")
    host = Host(tmp_path / "srv", tmp_path / "etc", "unused", "127.0.0.1:5432", free_port())
    (host.home / "backup").mkdir(parents=True)
    instance = host.home / "instance"
    variables = {k: v for k, v in os.environ.items() if not k.startswith("IKRAR_")} | {
        "IKRAR_INSTANCE_DIR": str(instance),  # the database is <instance>/ikrar.sqlite3
        "IKRAR_KEY_PASSPHRASE": secrets.token_urlsafe(24),
    }

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], env=variables, cwd=ROOT, capture_output=True, text=True, check=False
        )

    for step in (python("-m", "registry", "init"), python("-c", SIGN_ONCE)):
        assert step.returncode == 0, step.stdout + step.stderr
    backup = host.run(GUIDE["backup-sqlite"])
    assert backup.returncode == 0, backup.stderr
    (copy,) = (host.home / "backup").glob("ikrar-*.sqlite3")
    shutil.copy(copy, instance / "ikrar.sqlite3")  # the guide's restore, the server stopped
    verified = python("-m", "registry", "log", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "1 signed records verified" in verified.stdout, verified.stdout
