"""Bad input that used to get a 500 (issue 13): out-of-range times and ids, odd tokens, CR/LF in next=.

Every case must be a precise 4xx (problem details on the API) and must store nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Invitee, LogEntry, SignatureRecord
from registry.services import credentials, signing
from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO, scribble, walk_in

PATH = f"/api/v1/commitments/{DEMO}/signatures"


def _token(app: Flask) -> str:
    with app.app_context():
        return credentials.issue("device", "tablet 1", commitment=DEMO).token


def _body(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "signatory": {
            "name": "Ayu Lestari",
            "position": "Kepala Seksi",
            "institution": "Dinas Komunikasi dan Informatika",
            "category": "pemerintah",
        },
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": True},
        "strokes": scribble(7),
        "claimed_time": "2024-09-12T09:15:00+07:00",
    }
    document.update(overrides)
    return document


def _post(client: FlaskClient, token: str, payload: Any) -> Any:
    headers = {"Idempotency-Key": uuid.uuid4().hex, "Authorization": f"Bearer {token}"}
    return client.post(PATH, data=json.dumps(payload), headers=headers, content_type="application/json")


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (SignatureRecord, LogEntry, Invitee)
        )


def _assert_problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["field"] == field, problem
    return dict(problem)


@pytest.mark.parametrize(
    "claimed",
    [
        "0001-01-01T00:00:00+01:00",  # the year 0 in UTC
        "9999-12-31T23:30:00-01:00",  # the year 10000 in UTC
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "0999-12-31T23:59:59Z",
    ],
)
def test_claimed_time_beyond_the_supported_years_is_422(
    app: Flask, client: FlaskClient, claimed: str
) -> None:
    token = _token(app)
    before = _counts(app)
    problem = _assert_problem(_post(client, token, _body(claimed_time=claimed)), 422, "claimed_time")
    assert "1000" in problem["detail"] and "9998" in problem["detail"]
    assert _counts(app) == before


@pytest.mark.parametrize("invitee_id", [2**31 - 1, 2**31, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30])
def test_an_invitee_id_beyond_the_id_range_is_a_precise_4xx(
    app: Flask, client: FlaskClient, invitee_id: int
) -> None:
    token = _token(app)
    before = _counts(app)
    body = _body(invitee_id=invitee_id)
    del body["signatory"]
    response = _post(client, token, body)
    if invitee_id <= 2**31 - 1:
        _assert_problem(response, 404, "invitee_id")  # a possible id that names no invitee
    else:
        problem = _assert_problem(response, 422, "invitee_id")
        assert "2147483647" in problem["detail"]
    assert _counts(app) == before


def test_the_signing_service_refuses_an_out_of_range_invitee_id_itself(app: Flask) -> None:
    from registry.services.errors import InvalidInput

    with app.app_context():
        request = walk_in("x", signatory=None, invitee_id=2**40)
        with pytest.raises(InvalidInput) as caught:
            signing.sign(request, app.extensions["ikrar.signers"])
    assert caught.value.field == "invitee_id"


@pytest.mark.parametrize("token", ["%C3%A9%C3%A9", "%C3%A9", "%FF", "%00", "a%20b", "x" * 2000])
def test_a_certificate_token_that_is_not_ascii_is_403_not_500(
    app: Flask, client: FlaskClient, token: str
) -> None:
    with app.app_context():
        record_id = signing.sign(walk_in("Rahmat Hidayat"), app.extensions["ikrar.signers"]).record.id
    response = client.get(f"/api/v1/signatures/{record_id}/certificate.pdf?t={token}")
    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "target",
    ["/admin\r\nSet-Cookie: x=1", "/admin\nX-Injected: 1", "/\r", "/ok\x00", "/caf\u00e9", "/a\tb"],
)
def test_next_with_control_characters_on_lang_is_a_safe_redirect(
    app: Flask, client: FlaskClient, target: str
) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and "\x00" not in location
    assert "X-Injected" not in response.headers and "x=1" not in response.headers.get("Set-Cookie", "")
    if target == "/caf\u00e9":  # a real local path stays where it was going
        assert location == "/caf%C3%A9"
    elif target.isprintable():
        assert location.startswith("/")
    else:
        assert location == "/login"


@pytest.mark.parametrize("target", ["/admin%0D%0ASet-Cookie:%20x=1", "/admin%0AX-Injected:%201", "/%0D"])
def test_next_with_control_characters_on_login_is_a_safe_redirect(
    app: Flask, client: FlaskClient, target: str
) -> None:
    from registry.services import accounts

    with app.app_context():
        accounts.create_user("penguji", "Penguji", "admin", "correct horse battery staple")
    token = csrf_token(client, "/login")
    response = client.post(
        f"/login?next={target}",
        data={"username": "penguji", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert response.headers["Location"] == "/home"  # the start page, not the poisoned target
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize("version", [2**31, 2**53, 2**63, 10**30])
def test_a_version_number_beyond_the_id_range_in_an_admin_url_is_404(
    app: Flask, client: FlaskClient, version: int
) -> None:
    sign_in(app, client, "admin")
    base = f"/admin/commitments/{DEMO}/versions/{version}"
    for path in (base, f"{base}/edit", f"{base}/progress"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/admin/commitments")
    for path in (f"{base}/publish", f"{base}/close"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    roll = client.get(f"/admin/commitments/{DEMO}/v{version}/roll.pdf")
    assert roll.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/commitments/{DEMO}?version=99999999999999999999",
        f"/api/v1/commitments/{DEMO}?version=2147483648",
        "/log/entries?start=99999999999999999999999",
        "/log/entries?start=9223372036854775808",
        "/log/proof/inclusion?index=999999999999999999&size=1",
        "/log/proof/consistency?old=999999999999999999",
    ],
)
def test_other_numbers_in_urls_beyond_the_range_are_4xx(app: Flask, client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("event_date", ["0001-01-01", "9999-12-31", "0999-12-31"])
def test_an_event_date_outside_the_supported_years_is_refused_at_its_field(
    app: Flask, client: FlaskClient, event_date: str
) -> None:
    sign_in(app, client, "admin")
    token = csrf_token(client, "/admin/commitments/new")
    form = {
        "slug": "pakta-integritas-2025",
        "title": "Pakta Integritas Pengadaan 2025",
        "text": "Kami berjanji menjalankan pengadaan yang bersih.",
        "place": "Pendopo Dipokusumo, Purbalingga",
        "event_date": event_date,
        "dimensions": "transparansi | Transparansi",
        "categories": "pemerintah | Pemerintah / OPD",
        "consent_text": "Saya setuju nama, jabatan, instansi dan tanda tangan saya diproses.",
        "csrf_token": token,
    }
    response = client.post("/admin/commitments/new", data=form)
    assert response.status_code == 422, response.status_code
    error = re.search(
        r'<p class="field-error" id="event_date-error">([^<]*)</p>', response.get_data(as_text=True)
    )
    assert error and "1000" in error.group(1) and "9998" in error.group(1)
