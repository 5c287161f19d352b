"""Server-side staff sessions (OWASP ASVS 5.0 §7.2–7.4): a copied cookie dies with its session.

Logout, a password change, disabling an account and changing its role end every session of the
account at once; sign-in always gives a new session id; staff pages are not cached.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from registry.app import create_app
from tests.conftest import Env, LiveServer, csrf_token, ikrar, initialise, sign_in

PASSWORD = "correct horse battery staple"
ADMIN_PAGE = "/admin/commitments"


def _raw_session_id(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        value = session.get("_sid")
    return value if isinstance(value, str) else None


def _cookie(client: FlaskClient, name: str = "ikrar_session") -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _other_browser(app: Flask, cookie: str, user_agent: str = "curl/8.0 (another machine)") -> FlaskClient:
    """A second user agent holding a copy of ``cookie``."""
    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = user_agent
    other.set_cookie("ikrar_session", cookie)
    return other


def _opens_admin(client: FlaskClient) -> bool:
    response = client.get(ADMIN_PAGE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"], response.status_code
    return False


def _create(app: Flask, username: str, role: str = "admin") -> None:
    from registry.services import accounts

    with app.app_context():
        accounts.create_user(username, username.title(), role, PASSWORD)


def _sign_in_as(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


# --- through the real server (gunicorn, two workers) ---------------------------------------------


class _Http:
    """A minimal browser over http.client: one cookie, no redirects followed."""

    def __init__(self, base: str, user_agent: str) -> None:
        self.netloc = urllib.parse.urlsplit(base).netloc
        self.user_agent = user_agent
        self.cookie: str | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(self.netloc, timeout=30)
        headers = {"User-Agent": self.user_agent}
        if self.cookie:
            headers["Cookie"] = f"ikrar_session={self.cookie}"
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                found = re.match(r"ikrar_session=([^;]*)", value)
                if found:
                    self.cookie = found.group(1) or None
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def csrf(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert found, f"no CSRF token on {path}"
        return found.group(1)


def test_v5_0_0_7_4_1_cookie_copied_before_logout_is_dead_on_the_real_server(
    app: Flask, live_server: LiveServer
) -> None:
    _create(app, "rahmat")
    browser = _Http(live_server.url, "Mozilla/5.0 (tablet at the venue)")
    token = browser.csrf("/login")
    status, location, _ = browser.request(
        "POST", "/login", {"username": "rahmat", "password": PASSWORD, "csrf_token": token}
    )
    assert status == 303, status
    copied = browser.cookie
    assert copied
    thief = _Http(live_server.url, "curl/8.0 (attacker's laptop)")
    thief.cookie = copied
    assert browser.request("GET", ADMIN_PAGE)[0] == 200
    assert thief.request("GET", ADMIN_PAGE)[0] == 200  # the copy works while the session lives

    status, location, _ = browser.request("POST", "/logout", {"csrf_token": browser.csrf(ADMIN_PAGE)})
    assert status == 303 and location.endswith("/login")
    for user_agent in ("Mozilla/5.0 (tablet at the venue)", "curl/8.0 (attacker's laptop)"):
        replay = _Http(live_server.url, user_agent)
        replay.cookie = copied
        for _attempt in range(4):  # both gunicorn workers
            status, location, _ = replay.request("GET", ADMIN_PAGE)
            assert status == 302 and "/login" in location, (user_agent, status)


# --- through the test client -----------------------------------------------------------------------


def test_cookie_copied_before_logout_is_dead_in_any_user_agent(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    copied = _cookie(client)
    same_agent = _other_browser(app, copied, user_agent="werkzeug/3")
    other_agent = _other_browser(app, copied)
    assert _opens_admin(same_agent) and _opens_admin(other_agent)
    logout = client.post("/logout", data={"csrf_token": csrf_token(client, ADMIN_PAGE)})
    assert logout.status_code == 303
    assert not _opens_admin(client)
    assert not _opens_admin(_other_browser(app, copied, user_agent="werkzeug/3"))
    assert not _opens_admin(_other_browser(app, copied))


def test_only_the_hash_of_the_session_id_is_stored(app: Flask, client: FlaskClient) -> None:
    from registry.extensions import db
    from registry.models import StaffSession
    from registry.services.sessions import digest

    sign_in(app, client, "auditor")
    raw = _raw_session_id(client)
    assert raw is not None and len(raw) >= 43  # 32 random bytes
    with app.app_context():
        stored = db.session.execute(select(StaffSession.id_sha256)).scalars().all()
    assert digest(raw) in stored and raw not in stored


def test_v5_0_0_7_2_4_sign_in_rotates_the_session(app: Flask, client: FlaskClient) -> None:
    _create(app, "wulan")
    client.get("/login")
    planted = _cookie(client)  # what an attacker could have planted before sign-in
    _sign_in_as(client, "wulan")
    first = _raw_session_id(client)
    first_cookie = _cookie(client)
    assert first and first_cookie != planted
    assert not _opens_admin(_other_browser(app, planted))
    _sign_in_as(client, "wulan")  # signing in again on the same browser
    second = _raw_session_id(client)
    assert second and second != first
    assert _opens_admin(client)
    assert not _opens_admin(_other_browser(app, first_cookie))  # the browser's previous session ended


def test_a_forged_session_id_in_a_signed_cookie_is_refused(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    with client.session_transaction() as session:
        session["_sid"] = "not-a-session-id"
    assert not _opens_admin(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session  # the dead session is cleared, not re-checked forever


def _age(app: Flask, client: FlaskClient, **columns: timedelta) -> None:
    from registry.db import utcnow, write_transaction
    from registry.extensions import db
    from registry.models import StaffSession
    from registry.services.sessions import digest

    raw = _raw_session_id(client)
    assert raw is not None
    now = utcnow()
    values = {name: now - delta for name, delta in columns.items()}
    with app.app_context():
        write_transaction(
            lambda: db.session.execute(
                update(StaffSession).where(StaffSession.id_sha256 == digest(raw)).values(**values)
            )
        )


def test_v5_0_0_7_3_1_idle_and_7_3_2_absolute_limits_are_checked_on_the_server(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "admin")
    copied = _cookie(client)
    _age(app, client, last_seen_at=timedelta(minutes=29))
    assert _opens_admin(client)
    _age(app, client, last_seen_at=timedelta(minutes=31))
    response = client.get(ADMIN_PAGE, follow_redirects=True)
    assert "Sesi berakhir" in response.get_data(as_text=True)
    assert not _opens_admin(_other_browser(app, copied))
    sign_in(app, client, "admin")
    _age(app, client, expires_at=timedelta(seconds=1))
    assert not _opens_admin(client)


def test_v5_0_0_7_4_2_disable_ends_every_session_even_after_enable(
    app: Flask, env: Env, client: FlaskClient
) -> None:
    sign_in(app, client, "admin", username="dedi")
    second = app.test_client()
    _sign_in_as(second, "dedi")
    copied = _cookie(client)
    done = ikrar(env, "users", "disable", "dedi")
    assert done.returncode == 0, done.stderr
    assert not _opens_admin(client) and not _opens_admin(second)
    assert ikrar(env, "users", "enable", "dedi").returncode == 0
    assert not _opens_admin(_other_browser(app, copied))  # enabling again does not revive the cookie


def test_role_change_ends_every_session_and_is_logged(app: Flask, env: Env, client: FlaskClient) -> None:
    from registry.extensions import db
    from registry.models import LogEntry

    sign_in(app, client, "admin", username="eko")
    second = app.test_client()
    _sign_in_as(second, "eko")
    done = ikrar(env, "users", "role", "eko", "auditor")
    assert done.returncode == 0, done.stderr
    assert "now auditor" in done.stdout
    assert not _opens_admin(client) and not _opens_admin(second)
    _sign_in_as(second, "eko")
    assert second.get(ADMIN_PAGE).status_code == 403  # signed in again, with the new role only
    with app.app_context():
        types = db.session.execute(select(LogEntry.type)).scalars().all()
    assert "user:role" in types
    again = ikrar(env, "users", "role", "eko", "auditor")
    assert again.returncode == 1 and "already" in again.stderr and "Traceback" not in again.stderr


def test_cli_sign_out_ends_every_session(app: Flask, env: Env, client: FlaskClient) -> None:
    sign_in(app, client, "admin", username="fajar")
    done = ikrar(env, "users", "sign-out", "fajar")
    assert done.returncode == 0 and "ended 1 session" in done.stdout, done.stdout + done.stderr
    assert not _opens_admin(client)
    missing = ikrar(env, "users", "sign-out", "nobody-here")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    sign_in(app, client, "admin")
    other = app.test_client()
    sign_in(app, other, "auditor")
    everyone = ikrar(env, "users", "sign-out", "--all")
    assert everyone.returncode == 0 and "ended 2 session(s) of every account" in everyone.stdout
    assert not _opens_admin(client) and other.get("/home").headers["Location"].endswith("/login")
    assert ikrar(env, "users", "sign-out").returncode == 2


def test_enrolling_a_kiosk_ends_the_operators_session(app: Flask, client: FlaskClient) -> None:
    from tests.factories import DEMO

    sign_in(app, client, "operator")
    copied = _cookie(client)
    token = csrf_token(client, "/operator")
    enrolled = client.post("/operator/enrol", data={"commitment": DEMO, "csrf_token": token})
    assert enrolled.status_code == 303 and enrolled.headers["Location"].endswith("/kiosk")
    other = _other_browser(app, copied)
    response = other.get("/operator")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- headers ---------------------------------------------------------------------------------------


def test_staff_pages_are_not_stored(app: Flask, client: FlaskClient) -> None:
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    sign_in(app, client, "admin")
    for path in (ADMIN_PAGE, "/operator", "/audit", "/account/password"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain http base URL


def test_https_base_url_sends_hsts_and_a_host_prefixed_cookie(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IKRAR_BASE_URL", "https://ikrar.example")
    application = create_app(env.config(), startup_checks=False)
    initialise(application, demo=False)
    _create(application, "gita")
    client = application.test_client()
    base = "https://ikrar.example"
    page = client.get("/login", base_url=base)
    assert page.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert page.headers["Cache-Control"] == "no-store"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    response = client.post(
        "/login",
        base_url=base,
        headers={"Referer": base + "/login"},
        data={"username": "gita", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    cookies = [v for v in response.headers.getlist("Set-Cookie") if "ikrar_session" in v]
    assert cookies and all(c.startswith("__Host-ikrar_session=") for c in cookies), cookies
    attributes = [part.strip().lower() for part in cookies[-1].split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes
    assert not any(part.startswith("domain=") for part in attributes)
    assert client.get(ADMIN_PAGE, base_url=base).status_code == 200
    from registry.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()
