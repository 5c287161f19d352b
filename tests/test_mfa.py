"""Multi-factor authentication for staff (issue 13): TOTP enrolment with a QR code, the code step of
sign-in, recovery codes, throttling, replay, ``ikrar users mfa-reset`` and IKRAR_MFA=off.

Codes are computed with pyotp from the secret the enrolment page shows, for explicit time steps,
so no test depends on where in a 30-second step it runs."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.services import accounts
from tests.conftest import Env, LiveServer, csrf_token, ikrar, sign_in
from tests.test_sessions import _Http

PASSWORD = "correct horse battery staple"
ADMIN_PAGE = "/admin/commitments"


@pytest.fixture
def mfa_on(app: Flask) -> Flask:
    app.config["IKRAR_MFA"] = "required"
    return app


def _create(app: Flask, username: str, role: str = "admin") -> None:
    with app.app_context():
        accounts.create_user(username, f"Staf {username}", role, PASSWORD)


def _password(client: FlaskClient, username: str, next_path: str | None = None) -> Any:
    token = csrf_token(client, "/login")
    path = "/login" + (f"?next={next_path}" if next_path else "")
    return client.post(path, data={"username": username, "password": PASSWORD, "csrf_token": token})


def _code(client: FlaskClient, code: str, path: str = "/login/mfa") -> Any:
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def _opens_admin(client: FlaskClient) -> bool:
    response = client.get(ADMIN_PAGE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"], response.status_code
    return False


def _enrol(client: FlaskClient, username: str) -> tuple[pyotp.TOTP, int, list[str]]:
    """Password, then the enrolment page: returns the TOTP, the step used, the recovery codes."""
    response = _password(client, username)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/mfa")
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "<svg" in page and "<path" in page  # the QR code, inline
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)</code>', page)
    assert secret, page[:1000]
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    step = int(time.time()) // 30
    done = _code(client, totp.at(step * 30), "/account/mfa")
    assert done.status_code == 200, done.get_data(as_text=True)[:1000]
    codes = re.findall(
        r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>",
        done.get_data(as_text=True),
    )
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, step, codes


def _events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ikrar.security"]
    return [event for event in found if event["event"] == name]


@pytest.mark.usefixtures("mfa_on")
def test_admin_enrols_through_the_pages_then_sign_in_needs_the_code(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    _create(app, "ani")
    caplog.set_level(logging.WARNING, logger="ikrar.security")
    totp, step, _codes = _enrol(client, "ani")
    assert _events(caplog, "account.mfa_enrolled")[0]["account"] == "ani"
    assert _opens_admin(client)  # enrolment completed the sign-in
    page = client.get("/account/mfa")
    assert page.status_code == 303  # already enrolled: nothing more to show

    other = app.test_client()
    response = _password(other, "ani", next_path=ADMIN_PAGE)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/mfa")
    assert not _opens_admin(other)  # a right password alone is not a session
    assert other.get("/home").status_code == 302
    reused = _code(other, totp.at(step * 30))  # the code used at enrolment
    assert reused.status_code == 400
    assert "salah atau sudah pernah dipakai" in reused.get_data(as_text=True)
    assert not _opens_admin(other)
    assert _code(other, totp.at((step + 3) * 30)).status_code == 400  # beyond one step of drift
    right = _code(other, totp.at((step + 1) * 30))
    assert right.status_code == 303 and right.headers["Location"] == ADMIN_PAGE
    assert _opens_admin(other)
    third = app.test_client()
    _password(third, "ani")
    assert _code(third, totp.at((step + 1) * 30)).status_code == 400  # same code, another browser
    assert not _opens_admin(third)


@pytest.mark.usefixtures("mfa_on")
def test_auditor_must_enrol_and_operator_does_not(app: Flask) -> None:
    _create(app, "budi", "auditor")
    _create(app, "citra", "operator")
    auditor = app.test_client()
    assert _password(auditor, "budi").headers["Location"].endswith("/account/mfa")
    assert "/login" in auditor.get("/home").headers["Location"]
    operator = app.test_client()
    response = _password(operator, "citra")
    assert response.status_code == 303 and "/mfa" not in response.headers["Location"]


@pytest.mark.usefixtures("mfa_on")
def test_wrong_codes_are_refused_throttled_and_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    _create(app, "dewi")
    totp, step, _codes = _enrol(client, "dewi")
    caplog.set_level(logging.WARNING, logger="ikrar.security")
    guesser = app.test_client()
    _password(guesser, "dewi")
    wrong = f"{(int(totp.at((step + 1) * 30)) + 1) % 1_000_000:06d}"
    assert [_code(guesser, wrong).status_code for _ in range(3)] == [400, 400, 400]
    refused = _code(guesser, totp.at((step + 1) * 30))  # even the right code waits
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    failures = _events(caplog, "auth.mfa_failure")
    assert len(failures) == 3 and {event["account"] for event in failures} == {"dewi"}
    assert wrong not in caplog.text
    # A right password again does not clear the code failures (else: three guesses per password).
    _password(guesser, "dewi")
    assert _code(guesser, totp.at((step + 1) * 30)).status_code == 429
    assert not _opens_admin(guesser)


@pytest.mark.usefixtures("mfa_on")
def test_a_recovery_code_works_once(app: Flask, client: FlaskClient) -> None:
    _create(app, "eko")
    _totp, _step, codes = _enrol(client, "eko")
    lost = app.test_client()
    _password(lost, "eko")
    used = _code(lost, codes[3].upper().replace("-", " "))  # as typed from paper
    assert used.status_code == 303 and _opens_admin(lost)
    again = app.test_client()
    _password(again, "eko")
    assert _code(again, codes[3]).status_code == 400
    assert not _opens_admin(again)
    assert _code(again, codes[4]).status_code == 303


@pytest.mark.usefixtures("mfa_on")
def test_unenrolled_pending_browser_reaches_only_the_enrolment_page(app: Flask, client: FlaskClient) -> None:
    _create(app, "fajar")
    _password(client, "fajar")
    for path in (ADMIN_PAGE, "/home", "/account/password", "/operator"):
        response = client.get(path)
        assert response.status_code in (302, 404) and (
            response.status_code == 404 or "/login" in response.headers["Location"]
        ), path
    assert client.get("/login/mfa").headers["Location"].endswith("/account/mfa")
    assert client.get("/account/mfa").status_code == 200


def test_pending_cookie_opens_no_staff_page_on_the_real_server(
    mfa_everywhere: None, app: Flask, live_server: LiveServer
) -> None:
    _create(app, "gita")
    browser = _Http(live_server.url, "Mozilla/5.0 (staff laptop)")
    token = browser.csrf("/login")
    status, location, _ = browser.request(
        "POST", "/login", {"username": "gita", "password": PASSWORD, "csrf_token": token}
    )
    assert status == 303 and location.endswith("/account/mfa"), (status, location)
    pending = browser.cookie
    assert pending
    for _attempt in range(4):  # both gunicorn workers
        copy = _Http(live_server.url, "curl/8.0")
        copy.cookie = pending
        status, location, _ = copy.request("GET", ADMIN_PAGE)
        assert status == 302 and "/login" in location, status
        assert copy.request("GET", "/home")[0] == 302
    status, _, page = browser.request("GET", "/account/mfa")
    assert status == 200 and "<svg" in page


@pytest.fixture
def mfa_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """IKRAR_MFA=required for servers started from ``env.variables`` (before live_server starts)."""
    plain = Env.variables.fget
    assert plain is not None
    monkeypatch.setattr(Env, "variables", property(lambda self: plain(self) | {"IKRAR_MFA": "required"}))


def test_mfa_off_keeps_password_only_sign_in(app: Flask, client: FlaskClient) -> None:
    assert app.config["IKRAR_MFA"] == "off"
    sign_in(app, client, "admin", username="hadi")
    assert _opens_admin(client)


def test_a_session_from_before_mfa_was_required_ends(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin", username="indah")
    assert _opens_admin(client)
    app.config["IKRAR_MFA"] = "required"
    assert not _opens_admin(client)
    assert _password(client, "indah").headers["Location"].endswith("/account/mfa")


@pytest.mark.usefixtures("mfa_on")
def test_mfa_reset_ends_sessions_and_forces_enrolment_again(
    app: Flask, env: Env, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    from registry.extensions import db
    from registry.models import LogEntry

    _create(app, "joko")
    totp, _step, codes = _enrol(client, "joko")
    assert _opens_admin(client)
    done = ikrar(env, "users", "mfa-reset", "joko")
    assert done.returncode == 0, done.stderr
    assert "sessions have ended" in done.stdout
    assert not _opens_admin(client)
    with app.app_context():
        entries = (
            db.session.execute(select(LogEntry).where(LogEntry.type == "user:mfa_reset")).scalars().all()
        )
        user = accounts.by_username("joko")
        assert user is not None and not user.mfa_enabled
        assert len(entries) == 1 and json.loads(entries[0].body)["payload"] == {"user": user.public_id}
    fresh = app.test_client()
    assert _password(fresh, "joko").headers["Location"].endswith("/account/mfa")
    page = fresh.get("/account/mfa").get_data(as_text=True)
    new_secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)</code>', page)
    assert new_secret and new_secret.group(1).replace(" ", "") != totp.secret
    assert _code(fresh, codes[0], "/account/mfa").status_code == 400  # old recovery codes are gone
    unknown = ikrar(env, "users", "mfa-reset", "nobody")
    assert unknown.returncode == 1 and "no user" in unknown.stderr and "Traceback" not in unknown.stderr


@pytest.mark.usefixtures("mfa_on")
def test_the_secret_and_recovery_codes_are_not_stored_in_clear(app: Flask, client: FlaskClient) -> None:
    from registry.extensions import db

    _create(app, "kartika")
    totp, _step, codes = _enrol(client, "kartika")
    with app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                dump.append(repr(tuple(row)))
        text = "\n".join(dump)
    assert "kartika" in text  # the scan sees the account's row
    lowered = text.lower()
    assert totp.secret.lower() not in lowered
    for code in codes:
        assert code.replace("-", "") not in lowered and code not in lowered


def test_an_admin_leaving_kiosk_mode_gives_the_code_too(app: Flask, client: FlaskClient) -> None:
    from tests.test_kiosk import enrol as enrol_tablet

    enrol_tablet(app, client)  # an operator (MFA off while enrolling the tablet)
    _create(app, "lestari")
    app.config["IKRAR_MFA"] = "required"
    token = csrf_token(client, "/kiosk/leave")
    left = client.post(
        "/kiosk/leave", data={"username": "lestari", "password": PASSWORD, "csrf_token": token}
    )
    assert left.status_code == 303 and left.headers["Location"].endswith("/account/mfa")
    assert not _opens_admin(client)


@pytest.mark.usefixtures("mfa_on")
def test_an_operator_may_enrol_from_the_header_and_then_gives_codes(app: Flask, client: FlaskClient) -> None:
    _create(app, "mulyadi", "operator")
    assert _password(client, "mulyadi").status_code == 303
    home = client.get("/operator").get_data(as_text=True)
    assert 'id="mfa-link"' in home
    page = client.get("/account/mfa").get_data(as_text=True)
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    step = int(time.time()) // 30
    assert _code(client, totp.at(step * 30), "/account/mfa").status_code == 200
    assert 'id="mfa-link"' not in client.get("/operator").get_data(as_text=True)
    other = app.test_client()
    assert _password(other, "mulyadi").headers["Location"].endswith("/login/mfa")
    assert _code(other, totp.at((step + 1) * 30)).status_code == 303
