"""Fixtures: a fresh database per test (a SQLite file, or a PostgreSQL schema), keys, the demo data.

Set IKRAR_TEST_DATABASE_URL (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to run
the whole suite against PostgreSQL; each test then gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registry.app import create_app, key_settings

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("IKRAR_VECTORS", ROOT.parent / "shared" / "vectors"))
PASSPHRASE = "test-passphrase-not-secret"
IS_CI = os.environ.get("CI") == "true"


def vectors_dir(name: str) -> Path:
    """A folder of the shared test vectors; in CI their absence is a failure, elsewhere a skip."""
    path = VECTORS / name
    if not path.is_dir():
        if IS_CI:
            pytest.fail(f"test vectors missing at {path} (set IKRAR_VECTORS)")
        pytest.skip(f"shared test vectors not found at {path}; set IKRAR_VECTORS to run this test")
    return path


@dataclass
class Env:
    """Where one test's registry lives; ``variables`` configure a subprocess the same way."""

    database_url: str
    keys_dir: Path
    instance: Path

    @property
    def variables(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IKRAR_")}
        env.update(
            {
                "IKRAR_DATABASE_URL": self.database_url,
                "IKRAR_KEYS_DIR": str(self.keys_dir),
                "IKRAR_KEY_PASSPHRASE": PASSPHRASE,
                "IKRAR_SECRET_KEY": "test-secret",
                "IKRAR_LOG_ORIGIN": "test.ikrar.localhost/log",
                "IKRAR_WITNESS_FILE": str(self.instance / "checkpoint.witness"),
                "IKRAR_RATELIMIT_STORAGE": self.ratelimit_storage,
            }
        )
        return env

    @property
    def ratelimit_storage(self) -> str:
        # Each test counts in its own file: limits never leak from one test (or xdist worker) to another.
        return f"sqlite:///{self.instance / 'ratelimit.sqlite3'}"

    def config(self) -> dict[str, Any]:
        return {
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "IKRAR_KEYS_DIR": self.keys_dir,
            "IKRAR_KEY_PASSPHRASE": PASSPHRASE,
            "SECRET_KEY": "test-secret",
            "IKRAR_LOG_ORIGIN": "test.ikrar.localhost/log",
            "IKRAR_WITNESS_FILE": self.instance / "checkpoint.witness",
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage,
            "TESTING": True,
        }


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    base = os.environ.get("IKRAR_TEST_DATABASE_URL")
    keys = tmp_path / "keys"
    if not base:
        yield Env(f"sqlite:///{tmp_path / 'ikrar.sqlite3'}", keys, tmp_path)
        return
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield Env(url.render_as_string(hide_password=False), keys, tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def initialise(app: Flask, *, demo: bool = True) -> None:
    from flask_migrate import upgrade

    from registry import demo as demo_data
    from registry.services import keyring

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        keyring.initialise(key_settings(app))
        if demo:
            demo_data.load()


@pytest.fixture
def app(env: Env) -> Iterator[Flask]:
    application = create_app(env.config(), startup_checks=False)
    initialise(application)
    yield application
    from registry.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def ikrar(env: Env, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real ``ikrar`` command against this test's registry."""
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env.variables,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env.instance,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]


@pytest.fixture
def live_server(app: Flask, env: Env) -> Iterator[LiveServer]:
    """``ikrar serve`` (gunicorn) on a free loopback port, on this test's database and keys."""
    port = free_port()
    variables = env.variables | {"IKRAR_BASE_URL": f"http://127.0.0.1:{port}"}
    log_path = env.instance / f"server-{port}.log"
    log_file = open(log_path, "w")  # noqa: SIM115 - closed when the server stops
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "serve", "--port", str(port), "--workers", "2"],
        env=variables,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=env.instance,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/openapi.json", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log_file.close()
                raise RuntimeError(f"ikrar serve did not start:\n{log_path.read_text()}") from None
            time.sleep(0.2)
    try:
        yield LiveServer(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (Playwright's own browser download is not used)."""
    if not CHROMIUM.exists():
        if IS_CI:
            pytest.fail("browser tests need /usr/bin/chromium (apt-get install chromium)")
        pytest.skip("browser tests need /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def sign_in(app: Flask, client: FlaskClient, role: str, username: str | None = None) -> Any:
    """Create a user with ``role`` and sign ``client`` in through the real login form (CSRF included)."""
    import re as _re

    from registry.services import accounts

    username = username or f"{role}-{secrets.token_hex(3)}"
    password = "correct horse battery staple"
    with app.app_context():
        user = accounts.create_user(username, f"Test {role}", role, password)
        public_id = user.public_id
    page = client.get("/login").get_data(as_text=True)
    token = _re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "login form has no CSRF token"
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return public_id


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path`` (the page must render ``csrf_token()``)."""
    import re as _re

    page = client.get(path).get_data(as_text=True)
    found = _re.search(r'name="csrf[_-]token"[^>]*(?:value|content)="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
