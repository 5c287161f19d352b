"""Fixtures: a fresh database per test (a SQLite file, or a PostgreSQL schema), keys, the demo data.

Set IKRAR_TEST_DATABASE_URL (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to run
the whole suite against PostgreSQL; each test then gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from registry.app import create_app, key_settings
from registry.config import Argon2Cost
from tests import route_builders, snapshots

pytest_plugins = ["tests.process_guard"]  # a test that starts a process is marked slow

ROOT = Path(__file__).resolve().parent.parent
# The standards' test vectors are vendored in the repository (tests/vectors/README.md gives their
# provenance); IKRAR_VECTORS points the tests at another copy with the same layout.
VECTORS = Path(os.environ.get("IKRAR_VECTORS") or ROOT / "tests" / "vectors")
PASSPHRASE = "test-passphrase-not-secret"
# Key files with argon2's smallest parameters: ~0.3 s of argon2id (64 MiB) per key write and per
# process start would add minutes to the suite. tests/test_keyfile.py covers the real parameters.
FAST_KDF = os.environ.get("IKRAR_TEST_REAL_KDF") != "1"
TEST_ARGON2 = Argon2Cost(time_cost=1, memory_cost=8, parallelism=1)
IS_CI = os.environ.get("CI") == "true"
route_builders.install()


def vectors_dir(name: str) -> Path:
    """A folder of the test vectors; they ship with the repository, so a missing one is a failure."""
    path = VECTORS / name
    if not path.is_dir():
        pytest.fail(f"test vectors missing at {path} (tests/vectors/ or IKRAR_VECTORS)")
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
                # Tests sign staff in with a password; tests/test_mfa.py turns MFA on.
                "IKRAR_MFA": "off",
            }
        )
        if FAST_KDF:
            env["IKRAR_TEST_FAST_KDF"] = "1"
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
            "IKRAR_TEST_FAST_KDF": FAST_KDF,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage,
            "TESTING": True,
            # Production argon2 (64 MiB, t=3) costs ~0.3 s per sign-in; config refuses this outside
            # TESTING, and tests/test_accounts_cost.py checks the production parameters.
            "IKRAR_ARGON2": TEST_ARGON2,
            # Tests sign staff in with a password; tests/test_mfa.py turns MFA on.
            "IKRAR_MFA": "off",
        }


# A test that starts a server or a browser takes seconds: it is left out of `pytest -m "not slow"`.
SLOW_FIXTURES = frozenset({"live_server", "browser"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses a live server or a browser (the inner loop leaves them out).

    In the PostgreSQL pass, skip tests marked ``same_on_every_database``: what they check (page
    layout, accessibility, the wheel) is the same whatever the database, and the SQLite pass runs
    them. This keeps the two passes of CI within its time budget."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if not os.environ.get("IKRAR_TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="does not depend on the database: checked in the SQLite pass")
    for item in items:
        if item.get_closest_marker("same_on_every_database"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Close the pooled connections of every engine a test connected with.

    Tests build extra applications (start-up checks, a second server's view, a CLI command); an
    engine left to the garbage collector closes its PostgreSQL connections in a later test, where
    psycopg's warning about it would be reported against the wrong test.
    """
    engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def remember(connection: Any, *_args: Any) -> None:
        engines.add(connection.engine)

    event.listen(Engine, "engine_connect", remember)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", remember)
        for engine in list(engines):
            engine.dispose()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with environment(tmp_path) as made:
        yield made


@contextlib.contextmanager
def environment(tmp_path: Path) -> Iterator[Env]:
    """A registry's database (a SQLite file, or a PostgreSQL schema dropped afterwards) in ``tmp_path``."""
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


def initialise(app: Flask, *, demo: bool = True, fresh: bool = False) -> None:
    """Migrate, generate keys and (with ``demo``) load the demo; on SQLite a copy of the first
    such set-up in this process unless ``fresh`` (tests/snapshots.py says why)."""

    def set_up() -> None:
        from flask_migrate import upgrade

        from registry import demo as demo_data
        from registry.services import keyring

        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            keyring.initialise(key_settings(app))
            if demo:
                demo_data.load()

    if fresh:
        set_up()
    else:
        snapshots.set_up(app, demo, set_up)


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


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """flaskr's CLI runner: ``runner.invoke(cli, [...])`` runs an ``ikrar`` command on the test app."""
    return app.test_cli_runner()


@dataclass
class Ran:
    """What an ``ikrar`` run left, shaped like subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


def ikrar(
    env: Env,
    *args: str,
    timeout: float = 120,
    input: str | None = None,
    variables: dict[str, str] | None = None,
) -> Ran:
    """Run the ``ikrar`` command in this process against this test's registry.

    Like the console script, the command builds its own application from the environment (set
    from ``env`` for the call, or from ``variables`` when given) and Ikrar's errors become one
    ``Error:`` line and status 1; ``input`` is its standard input. Only the interpreter start-up
    is saved. ``ikrar_process`` runs a real separate process.
    """
    from registry.cli import cli, error_line

    built: list[Flask] = []

    def factory() -> Flask:
        built.append(create_app(startup_checks=False))
        return built[-1]

    chosen = env.variables if variables is None else variables
    settings: dict[str, str | None] = {k: None for k in os.environ if k.startswith("IKRAR_")}
    settings |= {k: v for k, v in chosen.items() if k.startswith("IKRAR_")}
    info = ScriptInfo(create_app=factory, set_debug_flag=False, load_dotenv_defaults=False)
    with contextlib.chdir(env.instance):
        result = CliRunner().invoke(cli, list(args), input=input, env=settings, obj=info, prog_name="ikrar")
    for application in built:
        _dispose(application)
    stderr = result.stderr
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        line = error_line(exc)
        if line is None:
            raise exc
        stderr += f"Error: {line}\n"
    return Ran(result.exit_code, result.stdout, stderr)


def _dispose(application: Flask) -> None:
    from registry.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def ikrar_process(env: Env, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real ``ikrar`` command in a separate process (start-up, exit status, signals)."""
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


@contextlib.contextmanager
def serving(variables: dict[str, str], cwd: Path) -> Iterator[LiveServer]:
    """``ikrar serve`` (gunicorn, 2 workers) on a free loopback port with these settings."""
    port = free_port()
    variables = {"IKRAR_BASE_URL": f"http://127.0.0.1:{port}"} | variables
    log_path = cwd / f"server-{port}.log"
    log_file = open(log_path, "w")  # noqa: SIM115 - closed when the server stops
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "serve", "--port", str(port), "--workers", "2"],
        env=variables,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
    while True:
        try:
            urllib.request.urlopen(url + "/openapi.json", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                log_file.close()
                raise RuntimeError(f"ikrar serve did not start:\n{log_path.read_text()}") from None
            time.sleep(0.2)
    try:
        yield LiveServer(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a loaded machine: gunicorn's graceful stop took too long
            process.kill()
            # Reaped: an unwaited Popen fails a later test with "subprocess … is still running".
            process.wait()
        log_file.close()


@pytest.fixture
def live_server(app: Flask, env: Env) -> Iterator[LiveServer]:
    """``ikrar serve`` (gunicorn) on a free loopback port, on this test's database and keys."""
    with serving(env.variables, env.instance) as server:
        yield server


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
