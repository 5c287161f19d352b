"""A full disk (issue 13, Faults), on a real full filesystem: a small tmpfs mounted for the test.

The database on a full disk answers 503 with Retry-After and keeps nothing of the request, which
succeeds once space is freed. The witness file on a full disk never turns a committed signing
into an error; the next signing is refused (503, nothing committed) until the file is writable.
Mounting needs root (CAP_SYS_ADMIN); elsewhere these tests skip and say so. On PostgreSQL the
database on the small disk is a private throwaway cluster (tests/private_postgres.py), never the
shared test server.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import Env, LiveServer, csrf_token, ikrar, sign_in
from tests.factories import DEMO
from tests.private_postgres import private_cluster
from tests.test_signing_api import body, device_token

PATH = f"/api/v1/commitments/{DEMO}/signatures"
# A private PostgreSQL cluster's data directory needs ~30 MB (initdb, the test database, the demo
# data); SQLite's file a few hundred kB. What is left is what the test fills.
SIZE = "64m" if os.environ.get("IKRAR_TEST_DATABASE_URL") else "16m"


@pytest.fixture
def small_disk() -> Iterator[Path]:
    # Not under pytest's tmp_path (0700): the PostgreSQL server's own user must reach it.
    mount = Path(tempfile.mkdtemp(prefix="ikrar-small-disk-"))
    mount.chmod(0o755)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


def fill(disk: Path) -> Path:
    """Write a file until the filesystem is full; deleting it frees the space again."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    with open(filler, "ab", buffering=0) as handle:  # the last bytes of a partly filled page
        try:
            while True:
                handle.write(b"\0")
        except OSError:
            pass
    return filler


def sign(url: str, token: str, name: str, key: str | None = None) -> tuple[int, dict[str, Any], Any]:
    request = urllib.request.Request(
        url + PATH,
        data=json.dumps(body(name)).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key or uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def log_size(app: Flask) -> int:
    with app.app_context():
        from registry.extensions import db
        from registry.services.checkpoints import log_size as size

        db.session.rollback()
        return size()


# --- the database on a full disk ------------------------------------------------------------------


@pytest.fixture
def env(env: Env, small_disk: Path) -> Iterator[Env]:  # type: ignore[override]
    """The database on the small disk: a SQLite file, or a private PostgreSQL cluster's data.

    (A tablespace of the shared test server on a tmpfs was tried first: a tablespace that
    disappears under a running server makes its checkpointer PANIC and the whole cluster restart.)
    """
    if env.database_url.startswith("sqlite"):
        yield Env(f"sqlite:///{small_disk / 'ikrar.sqlite3'}", env.keys_dir, env.instance)
        return
    with private_cluster(small_disk) as url:
        yield Env(url, env.keys_dir, env.instance)


def test_a_full_database_disk_is_503_and_nothing_is_half_done(
    app: Flask, env: Env, small_disk: Path, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = device_token(app)
    client = app.test_client()
    sign_in(app, client, "admin")
    admin_token = csrf_token(client, f"/admin/commitments/{DEMO}")
    filler = fill(small_disk)
    try:
        # Each signing takes a little room; some may still fit in pages already allocated.
        for attempt in range(500):
            before = log_size(app)
            status, problem, headers = sign(
                live_server.url, token, f"Penanda {attempt}", key := uuid.uuid4().hex
            )
            if status != 201:
                break
        assert status == 503, problem
        assert problem["type"] == "urn:ikrar:problem:storage-full"
        assert "full" in problem["detail"]
        assert int(headers["Retry-After"]) > 0
        assert headers["Content-Type"].startswith("application/problem+json")
        assert log_size(app) == before  # nothing of the refused signing was kept
        # An HTML form on the full disk gets a page that says so, not a bare 500: an admin imports
        # invitees (a few thousand rows need new pages whatever room the last signing left).
        rows = "".join(f"Tamu {attempt}-{n},Staf,Dinas Uji,pemerintah\n" for n in range(4000))
        page = client.post(
            f"/admin/commitments/{DEMO}/invitees/import",
            data={
                "csrf_token": admin_token,
                "file": (io.BytesIO(("name,position,institution,category\n" + rows).encode()), "u.csv"),
            },
        )
        assert page.status_code == 503, page.get_data(as_text=True)[:300]
        assert page.mimetype == "text/html" and int(page.headers["Retry-After"]) > 0
        assert 'id="unavailable"' in page.get_data(as_text=True)
        # The critical line says what was full, without the refused rows' personal data.
        (logged,) = (r.getMessage() for r in caplog.records if "storage full" in r.getMessage())
        assert "full" in logged.lower() and "Tamu" not in logged, logged[:300]
    finally:
        filler.unlink()
    status, document, _ = sign(live_server.url, token, f"Penanda {attempt}", key)
    assert status == 201, document  # the same request, sent again once there is room
    assert log_size(app) == document["log_index"] + 1 or log_size(app) > before
    verified = ikrar(env, "log", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_kiosk_keeps_a_signing_refused_for_a_full_disk_and_sends_it_later(
    browser: Any, app: Flask, small_disk: Path, live_server: LiveServer
) -> None:
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import SignatureRecord
    from tests.test_kiosk_browser import enrolled_page, walk_through

    page = enrolled_page(browser, app, live_server, "opr-disk-full")
    token = device_token(app)
    filler = fill(small_disk)
    try:
        for attempt in range(500):  # until the disk is full for a signing (earlier ones may fit)
            status, problem, _ = sign(live_server.url, token, f"Pengisi {attempt}")
            if status != 201:
                break
        assert status == 503, problem
        walk_through(
            page,
            search=None,
            walk_in={
                "name": "Rina Kartika",
                "position": "Warga",
                "institution": "RT 05",
                "category": "komunitas",
            },
        )
        page.click("#submit")
        page.wait_for_selector("#step-queued:not([hidden])")  # kept, not refused
        page.wait_for_function("() => document.getElementById('pending-count').textContent === '1'")
    finally:
        filler.unlink()
    # The kiosk retries its queue by itself (every 15 s, or when the network returns).
    page.wait_for_function("() => document.getElementById('kiosk').dataset.pending === '0'", timeout=90_000)
    with app.app_context():
        names = db.session.execute(select(SignatureRecord.name)).scalars().all()
        assert "Rina Kartika" in names
    page.context.close()
