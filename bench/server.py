"""Run ``ikrar serve`` (gunicorn) as a child process for a measurement, and set up fresh registries."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.fixtures import CACHE, instance_env, sqlite_url

PORT = 8000
BASE = f"http://127.0.0.1:{PORT}"
PG_ADMIN = "host=127.0.0.1 user=postgres dbname=postgres"
# Two workers (one per core) with a few threads each: `ikrar serve`'s own defaults.
WORKERS, THREADS = 2, 4


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve on 127.0.0.1:PORT until the block ends; yields the base URL."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                *_ikrar(),
                "serve",
                "--port",
                str(PORT),
                "--workers",
                str(WORKERS),
                "--threads",
                str(THREADS),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, log)
        yield BASE
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ikrar() -> list[str]:
    return [sys.executable, "-m", "registry"]


def _wait_ready(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ikrar serve exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"ikrar serve did not answer /healthz within 60 s; see {log}")


def fresh_registry(backend: str) -> tuple[dict[str, str], str]:
    """A new empty registry (own keys, demo commitment open) on ``backend``; returns (env, device token)."""
    directory = CACHE / f"fresh-{backend}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    url = recreate_database("ikrar_bench_fresh") if backend == "postgresql" else sqlite_url(directory)
    env = instance_env(directory, url)
    script = "from registry import create_app, demo\nfrom registry.cli.setup import initialise\n"
    script += (
        "app = create_app(startup_checks=False)\nwith app.app_context():\n    initialise(); demo.load()\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)
    return env, device_token(env)


def accept_database(env: dict[str, str]) -> None:
    """``ikrar log accept-database --yes``: a copied database has entries its witness never saw."""
    subprocess.run([*_ikrar(), "log", "accept-database", "--yes"], env=env, check=True, capture_output=True)


def device_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [*_ikrar(), "tokens", "create", "--commitment", "purbalingga-smart-city-2024", "--label", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def recreate_database(name: str, template: str | None = None) -> str:
    """Drop and create a PostgreSQL database (a file-level copy of ``template`` if given)."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))
