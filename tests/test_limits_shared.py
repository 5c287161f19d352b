"""Every documented limit holds for the whole deployment: two gunicorn workers, one count.

``ikrar serve --workers 2`` is started for real, on the embedded default store (a SQLite file in
the instance folder) and on a real ``redis-server``; requests are fired in parallel on fresh
connections, so both workers answer, and the answers are counted: exactly the documented number
gets through, the rest is 429. With ``memory://`` (the old default) each worker counted alone:
on the old code this test saw 6 verify requests through for a limit of 5 (up to twice the limit,
depending on how the workers split the requests).
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import IS_CI, Env, free_port

LIMIT = 5
FIRED = 24
PAIR_FREE = 3  # registry/services/throttle.py: failed sign-ins before the first wait

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, nothing written to disk."""
    if REDIS_SERVER is None:
        if IS_CI:
            pytest.fail("the shared-limit tests need redis-server (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI installs it")
    pytest.importorskip("redis", reason="the redis client is an extra: pip install -e '.[test]'")
    import redis

    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=15)


def _variables(env: Env, port: int, storage: str | None) -> dict[str, str]:
    variables = env.variables | {
        "IKRAR_BASE_URL": f"http://127.0.0.1:{port}",
        "IKRAR_VERIFY_LIMIT": f"{LIMIT} per hour",
        "IKRAR_SIGNING_LIMIT": f"{LIMIT} per hour",
        # Long first wait: the attempt after the free failures is refused however slow the machine.
        "IKRAR_LOGIN_DELAY": "60",
    }
    if storage is None:
        del variables["IKRAR_RATELIMIT_STORAGE"]  # the embedded default: <instance>/ratelimit.sqlite3
        variables["IKRAR_INSTANCE_DIR"] = str(env.instance / "instance")
    else:
        variables["IKRAR_RATELIMIT_STORAGE"] = storage
    return variables


def _serve(env: Env, storage: str | None) -> tuple[str, subprocess.Popen[str], Path]:
    port = free_port()
    log_path = env.instance / f"server-{port}.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            env=_variables(env, port, storage),
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
            return url, process, log_path
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"ikrar serve did not start:\n{log_path.read_text()}") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def _status(request: urllib.request.Request | str, opener: Callable[..., object] | None = None) -> int:
    try:
        with (opener or urllib.request.urlopen)(request, timeout=30) as response:  # type: ignore[operator]
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def _fire(make: Callable[[int], int]) -> list[int]:
    # Parallel and on fresh connections: both workers take requests.
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(make, range(FIRED)))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _sign_in_attempts(url: str) -> list[int]:
    """Wrong passwords for one account from one address, each from its own browser session."""

    def attempt(_: int) -> int:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        with opener.open(url + "/login", timeout=30) as page:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())
        assert token
        data = urllib.parse.urlencode(
            {"username": "admin-x", "password": "wrong password here", "csrf_token": token.group(1)}
        ).encode()
        return _status(urllib.request.Request(url + "/login", data=data), opener.open)

    return _fire(attempt)


def _check_every_limit(url: str) -> None:
    verify = _fire(lambda i: _status(f"{url}/api/v1/verify/NOPE{i:04d}"))
    assert 429 in verify and 500 not in verify
    assert len(verify) - verify.count(429) == LIMIT, verify

    def sign(_: int) -> int:
        request = urllib.request.Request(
            f"{url}/api/v1/commitments/none/signatures",
            data=b"{}",
            headers={"Authorization": "Bearer not-a-token", "Content-Type": "application/json"},
        )
        return _status(request)

    signing = _fire(sign)
    assert 429 in signing and len(signing) - signing.count(429) == LIMIT, signing

    sign_ins = _sign_in_attempts(url)
    assert set(sign_ins) == {200, 429}, sign_ins
    assert sign_ins.count(200) == PAIR_FREE, sign_ins


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_embedded_default_store_holds_limits_across_two_workers(app: Flask, env: Env) -> None:
    url, process, log_path = _serve(env, storage=None)
    try:
        _check_every_limit(url)
    finally:
        _stop(process)
    assert (env.instance / "instance" / "ratelimit.sqlite3").stat().st_mode & 0o077 == 0
    assert log_path.read_text().count("Booting worker") == 2


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_redis_store_holds_limits_across_two_workers(app: Flask, env: Env, redis_url: str) -> None:
    url, process, _ = _serve(env, storage=redis_url)
    try:
        _check_every_limit(url)
    finally:
        _stop(process)
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() > 0  # the counts really lived in Redis
    finally:
        client.close()


def _serve_refused(env: Env, storage: str, workers: str = "2") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "registry", "serve", "--port", str(free_port()), "--workers", workers],
        env=env.variables | {"IKRAR_RATELIMIT_STORAGE": storage},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env.instance,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_per_process_memory_store_is_refused_with_several_workers(app: Flask, env: Env) -> None:
    error = _serve_refused(env, "memory://")
    assert "memory:// counts in each worker process" in error


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_unreachable_or_unknown_store_stops_the_start(app: Flask, env: Env) -> None:
    pytest.importorskip("redis", reason="the redis client is an extra: pip install -e '.[test]'")
    port = free_port()  # nothing listens there
    error = _serve_refused(env, f"redis://:hunter2@127.0.0.1:{port}/0")
    assert "rate-limit store" in error and "hunter2" not in error
    error = _serve_refused(env, "memcached://127.0.0.1:11211")
    assert "IKRAR_RATELIMIT_STORAGE must be" in error


def _hammer_sqlite(uri: str, count: int) -> None:
    from limits.storage import storage_from_string

    import registry.ratelimit  # noqa: F401 - registers the sqlite scheme in the child

    storage = storage_from_string(uri)
    for _ in range(count):
        storage.incr("shared-key", 3600)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_sqlite_store_loses_no_count_between_processes(tmp_path: Path) -> None:
    import multiprocessing

    from limits.storage import storage_from_string

    uri = f"sqlite:///{tmp_path / 'counts.sqlite3'}"
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_hammer_sqlite, args=(uri, 500)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert storage_from_string(uri).get("shared-key") == 2000
