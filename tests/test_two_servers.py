"""A province-wide registry: two ``ikrar serve`` processes on one database, signing at once.

Each server has its own instance folder (its own witness), and they share what docs/DEPLOY.md
says they must: the database, the secret key, the key ring and its passphrase, and the rate-limit
store (Redis). Signing through both concurrently must give one gapless log that never forks, every
acknowledged record exactly once, and sessions and certificate links that work on either server.
"""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select

from registry.extensions import db
from registry.models import LogEntry, SignatureRecord
from registry.services import accounts, credentials, integrity
from tests.conftest import Env, ikrar, serving
from tests.factories import DEMO
from tests.test_limits_shared import redis_url  # noqa: F401 - the fixture
from tests.test_verify import sign_over_http

PASSWORD = "kuda-baterai-staples-benar"
PER_SERVER = 12


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _status(opener: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with opener.open(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_two_servers_on_one_database_never_fork(app: Flask, env: Env, redis_url: str) -> None:  # noqa: F811
    with app.app_context():
        token = credentials.issue("device", "two servers", commitment=DEMO).token
        accounts.create_user("admin-dua", "Admin Dua", "admin", PASSWORD)
    shared = env.variables | {"IKRAR_RATELIMIT_STORAGE": redis_url}
    first_dir, second_dir = env.instance / "server-a", env.instance / "server-b"
    first_vars = shared | {"IKRAR_INSTANCE_DIR": str(first_dir), "IKRAR_WITNESS_FILE": str(first_dir / "w")}
    second_vars = shared | {
        "IKRAR_INSTANCE_DIR": str(second_dir),
        "IKRAR_WITNESS_FILE": str(second_dir / "w"),
    }
    # Each server has its own witness: a new one accepts the database it joins, once.
    for variables in (first_vars, second_vars):
        joined = subprocess.run(
            [sys.executable, "-m", "registry", "log", "accept-database", "--yes"],
            env=variables,
            capture_output=True,
            text=True,
            check=False,
        )
        assert joined.returncode == 0, joined.stderr
    first_dir.mkdir(parents=True, exist_ok=True)
    second_dir.mkdir(parents=True, exist_ok=True)
    with serving(first_vars, first_dir) as first, serving(second_vars, second_dir) as second:
        a, b = first.url, second.url
        names = [(first if i % 2 else second, f"Penanda Tangan {i:03d}") for i in range(2 * PER_SERVER)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda job: sign_over_http(job[0], token, job[1]), names))
        # Sessions: signed in on one server, the same cookie works on the other.
        opener = _opener()
        page = opener.open(a + "/login", timeout=30).read().decode()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert csrf is not None
        form = urllib.parse.urlencode(
            {"username": "admin-dua", "password": PASSWORD, "csrf_token": csrf.group(1)}
        ).encode()
        opener.open(urllib.request.Request(a + "/login", data=form, method="POST"), timeout=30).close()
        assert _status(opener, b + "/admin/commitments") == 200
        assert _status(_opener(), b + "/admin/commitments") in (200, 302)  # anonymous: to sign in
        # A certificate link made by one server opens on the other.
        link = answers[0]["certificate_url"]
        path = link.split("/api/", 1)[1]
        assert _status(_opener(), a + "/api/" + path) == 200
        assert _status(_opener(), b + "/api/" + path) == 200
    with app.app_context():
        ids = [x["id"] for x in answers]
        stored = (
            db.session.execute(select(SignatureRecord.id).where(SignatureRecord.id.in_(ids))).scalars().all()
        )
        assert sorted(stored) == sorted(ids) and len(set(ids)) == len(ids)
        indexes = db.session.execute(select(LogEntry.index).order_by(LogEntry.index)).scalars().all()
        assert indexes == list(range(len(indexes)))  # gapless
        report = integrity.verify_database()
        assert report.records >= len(ids)
    verified = ikrar(env, "log", "verify")
    assert verified.returncode == 0, verified.stderr
