"""A chunked request body is held to the body limit like a declared one (issue 13).

Over real HTTP: ``ikrar serve`` (gunicorn) and Werkzeug's development server, each sent raw
``Transfer-Encoding: chunked`` requests through a socket, as a client that never states a length.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from registry.extensions import db
from registry.models import Invitee, LogEntry, SignatureRecord
from registry.services import credentials
from tests.conftest import LiveServer, free_port
from tests.factories import DEMO, scribble

PATH = f"/api/v1/commitments/{DEMO}/signatures"
PADDING = 2 * 1024 * 1024  # 2 MiB of spaces: still valid JSON, twice the 1 MiB limit


def _body(name: str) -> bytes:
    document: dict[str, Any] = {
        "signatory": {
            "name": name,
            "position": "Kepala Seksi",
            "institution": "Dinas Komunikasi dan Informatika",
            "category": "pemerintah",
        },
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": True},
        "strokes": scribble(3),
    }
    return json.dumps(document).encode("utf-8")


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        piece = data[start : start + size]
        yield f"{len(piece):x}\r\n".encode("ascii") + piece + b"\r\n"
    yield b"0\r\n\r\n"


def _chunked_request(base: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
    """Send ``body`` chunked (no Content-Length); the status, content type and body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Transfer-Encoding: chunked",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            for chunk in _chunks(body):
                sock.sendall(chunk)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        received = bytearray()
        try:
            while data := sock.recv(65536):
                received.extend(data)
        except ConnectionResetError:
            pass
    head, _, payload = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    if found.get("transfer-encoding", "").lower() == "chunked":
        payload = _dechunk(payload)
    return int(status_line.split()[1]), found.get("content-type", ""), payload


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.extend(rest[:size])
        data = rest[size + 2 :]
    return bytes(out)


def _counts(app: Flask) -> tuple[int, ...]:
    with app.app_context():
        result = tuple(
            db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (SignatureRecord, LogEntry, Invitee)
        )
        db.session.remove()
        return result


def _headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        token = credentials.issue("device", "tablet 1", commitment=DEMO).token
    return {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": uuid.uuid4().hex,
        "Content-Type": "application/json",
    }


@pytest.fixture
def dev_server(app: Flask) -> Iterator[str]:
    """Werkzeug's development server (``flask run``) on a free loopback port."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _check_over_limit_refused_and_within_limit_signed(app: Flask, base: str) -> None:
    headers = [_headers(app) for _ in range(3)]  # issuing a token writes to the log: before counting
    before = _counts(app)
    limit = int(app.config["MAX_CONTENT_LENGTH"])
    padded = _body("Ayu Lestari") + b" " * PADDING
    status, content_type, payload = _chunked_request(base, PATH, headers[0], padded)
    assert status == 413, payload[:500]
    assert content_type.startswith("application/problem+json")
    assert json.loads(payload)["status"] == 413
    assert _counts(app) == before  # nothing stored

    # One byte over the limit is refused; exactly the limit is read whole (and signed).
    exact = _body("Dewi Sartika")
    exact += b" " * (limit - len(exact))
    status, _, payload = _chunked_request(base, PATH, headers[1], exact + b" ")
    assert status == 413, payload[:500]
    assert _counts(app) == before
    status, _, payload = _chunked_request(base, PATH, headers[2], exact)
    assert status == 201, payload[:500]
    assert json.loads(payload)["record"]["signatory"]["name"] == "Dewi Sartika"
    assert _counts(app)[0] == before[0] + 1

    # A form (the login page) is held to the same limit.
    status, _, _ = _chunked_request(
        base,
        "/login",
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"username=a&password=" + b"x" * PADDING,
    )
    assert status == 413


def test_a_chunked_body_over_the_limit_is_413_under_gunicorn(app: Flask, live_server: LiveServer) -> None:
    _check_over_limit_refused_and_within_limit_signed(app, live_server.url)


def test_a_chunked_body_over_the_limit_is_413_under_the_development_server(
    app: Flask, dev_server: str
) -> None:
    _check_over_limit_refused_and_within_limit_signed(app, dev_server)
