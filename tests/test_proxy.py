"""IKRAR_TRUSTED_PROXIES: X-Forwarded-For and X-Forwarded-Proto believed for N hops, never otherwise."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from werkzeug.wrappers import Response

from registry import config as settings
from registry.app import create_app
from registry.extensions import db
from tests.conftest import Env, free_port

VERIFY_LIMIT = 3


def _app(env: Env, **extra: Any) -> Iterator[Flask]:
    application = create_app(
        env.config() | {"IKRAR_VERIFY_LIMIT": f"{VERIFY_LIMIT} per hour"} | extra, startup_checks=False
    )

    @application.get("/_seen")
    def seen() -> Response:
        # What the application believes about the client after the proxy handling.
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host)

    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def direct(app: Flask, env: Env) -> Iterator[Flask]:
    yield from _app(env)


@pytest.fixture
def proxied(app: Flask, env: Env) -> Iterator[Flask]:
    yield from _app(env, IKRAR_TRUSTED_PROXIES=1)


def _verify_statuses(application: Flask, forwarded_for: list[str]) -> list[int]:
    client = application.test_client()
    return [
        client.get("/api/v1/verify/NOPE0000", headers={"X-Forwarded-For": value}).status_code
        for value in forwarded_for
    ]


def test_without_the_setting_a_forged_forwarded_for_changes_nothing(direct: Flask) -> None:
    client = direct.test_client()
    seen = client.get(
        "/_seen", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    ).get_json()
    assert seen["addr"] == "127.0.0.1" and seen["scheme"] == "http"
    # Every request claims another address; all are counted against the one real address.
    statuses = _verify_statuses(direct, [f"203.0.113.{i}" for i in range(VERIFY_LIMIT + 2)])
    assert statuses.count(429) == 2 and 429 not in statuses[:VERIFY_LIMIT]


def test_with_one_proxy_the_last_hop_is_the_client(proxied: Flask) -> None:
    client = proxied.test_client()
    seen = client.get(
        "/_seen",
        headers={
            "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
        },
    ).get_json()
    # The proxy appended 203.0.113.9 (who connected to it); the rest is what the client claimed.
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "localhost"}
    # Forged left-hand entries do not make a new client: one count per last hop.
    statuses = _verify_statuses(proxied, [f"10.9.9.{i}, 203.0.113.9" for i in range(VERIFY_LIMIT + 1)])
    assert statuses[-1] == 429 and 429 not in statuses[:VERIFY_LIMIT]
    # Another client behind the same proxy has its own count.
    assert _verify_statuses(proxied, ["203.0.113.10"]) != [429]


@pytest.mark.parametrize("value", ["-1", "6", "one", "1.5", " ", "١"])
def test_bad_proxy_counts_are_refused(value: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IKRAR_TRUSTED_PROXIES", value)
    with pytest.raises(settings.ConfigError, match=r"IKRAR_TRUSTED_PROXIES must be .* from 0 to 5"):
        settings.load(str(tmp_path))


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_serve_stops_with_a_clear_error_on_a_bad_proxy_count(app: Flask, env: Env) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "registry", "serve", "--port", str(free_port())],
        env=env.variables | {"IKRAR_TRUSTED_PROXIES": "all"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env.instance,
        check=False,
    )
    assert result.returncode == 1
    assert "IKRAR_TRUSTED_PROXIES must be the number of reverse proxies" in result.stderr
    assert "Traceback" not in result.stderr
