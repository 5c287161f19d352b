"""The signing API: authentication, idempotency, double signatures, and the bad-input corpus."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.core.canonical import canonical_bytes
from registry.core.records import verify_record
from registry.extensions import db
from registry.models import Invitee, LogEntry, SignatureRecord
from registry.services import accounts, commitments, credentials, keyring
from registry.services.commitments import CommitmentDraft
from tests.auditor_support import auditor_headers
from tests.conftest import LiveServer, sign_in
from tests.factories import DEMO, scribble

PATH = f"/api/v1/commitments/{DEMO}/signatures"


def device_token(app: Flask, commitment: str = DEMO) -> str:
    with app.app_context():
        return credentials.issue("device", "tablet 1", commitment=commitment).token


def body(name: str = "Ayu Lestari", **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "signatory": {
            "name": name,
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


def post(client: FlaskClient, token: str | None, payload: Any, key: str | None = None, **kw: Any) -> Any:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    headers.update(kw.pop("headers", {}))
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post(
        PATH, data=data, headers=headers, content_type=kw.pop("content_type", "application/json")
    )


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.execute(select(func.count()).select_from(SignatureRecord)).scalar_one(),
            db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one(),
            db.session.execute(select(func.count()).select_from(Invitee)).scalar_one(),
        )


def test_device_token_signs_and_the_record_verifies(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    response = post(client, token, body())
    assert response.status_code == 201, response.get_json()
    document = response.get_json()
    assert set(document) == {
        "id", "code", "record", "signature", "kid", "log_index", "url", "certificate_url", "verify_url",
        "linked_invitee", "listed_namesakes",
    }  # fmt: skip
    assert document["record"]["signatory"]["name"] == "Ayu Lestari"
    assert document["record"]["device"].startswith("dev_")
    assert document["record"]["claimed_at"] == "2024-09-12T02:15:00.000Z"
    assert document["verify_url"].endswith("/v/" + document["code"])
    assert response.headers["Location"].endswith("/api/v1/signatures/" + document["id"])
    with app.app_context():
        verify_record(canonical_bytes(document["record"]), document["signature"], keyring.keyring())
    served = client.get(f"/api/v1/signatures/{document['id']}", headers=auditor_headers(app)).get_json()
    assert served["record"] == document["record"]


def test_same_key_five_times_in_sequence_gives_one_record(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    before = counts(app)
    responses = [post(client, token, body(), key="repeat-key-0001") for _ in range(5)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.get_data() for r in responses}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in responses] == [None] + ["true"] * 4
    after = counts(app)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1


def test_same_key_five_times_concurrently_over_http(app: Flask, live_server: LiveServer) -> None:
    import urllib.error
    import urllib.request

    token = device_token(app)
    payload = json.dumps(body("Bambang Concurrent")).encode()
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(5)

    def send() -> None:
        request = urllib.request.Request(
            live_server.url + PATH,
            data=payload,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": "concurrent-key-01",
                "Content-Type": "application/json",
            },
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                outcome = (reply.status, reply.read())
        except urllib.error.HTTPError as exc:
            outcome = (exc.code, exc.read())
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [201] * 5, results
    assert len({content for _, content in results}) == 1
    with app.app_context():
        rows = db.session.execute(
            select(func.count())
            .select_from(SignatureRecord)
            .where(SignatureRecord.name == "Bambang Concurrent")
        ).scalar_one()
    assert rows == 1


def test_same_key_with_another_body_is_refused(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    assert post(client, token, body("Citra"), key="reused-key-001").status_code == 201
    response = post(client, token, body("Dewi"), key="reused-key-001")
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("idempotency-key-reused")


def test_second_signature_of_the_same_invitee_is_409(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    with app.app_context():
        invitee = db.session.execute(select(Invitee).where(Invitee.walk_in.is_(False))).scalars().first()
        assert invitee is not None
        invitee_id, name = invitee.id, invitee.name
    payload = body()
    del payload["signatory"]
    payload["invitee_id"] = invitee_id
    assert post(client, token, payload).status_code == 201
    again = post(client, token, payload)
    assert again.status_code == 409
    assert name in again.get_json()["detail"] and "already signed" in again.get_json()["detail"]
    # A walk-in twin (same name and institution, other case) is the same person.
    assert post(client, token, body("Eka Walk In")).status_code == 201
    assert post(client, token, body("EKA WALK IN")).status_code == 409


def test_closed_and_draft_commitments_refuse_signing(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    with app.app_context():
        version = commitments.get_version(DEMO)
        draft = CommitmentDraft(
            title=version.title,
            text=version.text + "\n\nRevisi.",
            place=version.place,
            event_date=version.event_date,
            dimensions=version.dimensions,
            categories=version.categories,
            consent_text=version.consent_text,
        )
        commitments.close(DEMO, version.version)
    response = post(client, token, body())
    assert response.status_code == 409 and "closed" in response.get_json()["detail"]
    with app.app_context():
        commitments.revise(DEMO, draft)
    response = post(client, token, body())
    assert response.status_code == 409


def test_authentication_and_device_lock(app: Flask, client: FlaskClient) -> None:
    assert post(client, None, body()).status_code == 401
    assert post(client, None, body()).headers["WWW-Authenticate"].startswith("Bearer")
    assert post(client, "ikr_dev_aaaaaaaaaaaaaaaa_" + "A" * 43, body()).status_code == 401
    assert post(client, "not-a-token", body()).status_code == 401
    token = device_token(app)
    with app.app_context():
        credential_id = token.split("_")[1] + "_" + token.split("_")[2]
        credentials.revoke(credential_id)
    assert post(client, token, body()).status_code == 401
    with app.app_context():
        version = commitments.get_version(DEMO)
        commitments.create(
            "other-commitment",
            CommitmentDraft(
                title="Lain",
                text="Teks lain.",
                place=version.place,
                event_date=version.event_date,
                dimensions=version.dimensions,
                categories=version.categories,
                consent_text=version.consent_text,
            ),
        )
        commitments.publish("other-commitment", 1)
    other = device_token(app, "other-commitment")
    response = post(client, other, body())
    assert response.status_code == 403 and "other-commitment" in response.get_json()["detail"]


def test_browser_session_needs_csrf(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "operator")
    response = post(client, None, body())
    assert response.status_code == 400 and response.get_json()["type"].endswith("csrf")
    with client.session_transaction() as session:
        assert "kiosk_device" not in session
    page = client.get("/login").get_data(as_text=True)  # any page rendering a form carries a token
    assert "csrf_token" in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = post(client, None, body("Fajar Operator"), headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["record"]["operator"].startswith("usr_")


def test_auditor_session_may_not_sign(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "auditor")
    assert post(client, None, body()).status_code == 403


NAME_CORPUS = [
    ("<script>alert(1)</script>", 422),
    ("Nama\u0000Nol", 422),
    ("Baris\nBaru", 422),
    ("", 422),
    ("   ", 422),
    ("x" * 201, 422),
    ("\u202eRTL override", 422),
    ("<b><i>x</b></i>", 422),
    ('<img src="/etc/hostname"/>', 422),
    ("Budi <!-- x -->", 422),
    ("Andi onmouseover=alert(1)", 422),
]


@pytest.mark.parametrize(("name", "status"), NAME_CORPUS)
def test_hostile_names_are_refused_without_a_record(
    app: Flask, client: FlaskClient, name: str, status: int
) -> None:
    token = device_token(app)
    before = counts(app)
    response = post(client, token, body(name))
    assert response.status_code == status, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem["field"] == "name" and problem["detail"]
    assert counts(app) == before


@pytest.mark.parametrize(
    "name",
    # Arabic letters are refused now (the certificate cannot print them in order: test_printable.py);
    # so is a right-to-left mark, an invisible character (tests/test_unicode_names.py).
    ["PT <Maju> & Jaya", 'O\'Brien "Kiki"', "Nur’aini Rahman", "Ngurah Rai < 3 > 2"],
)
def test_unusual_but_honest_names_are_kept_exactly(app: Flask, client: FlaskClient, name: str) -> None:
    token = device_token(app)
    response = post(client, token, body(name))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["record"]["signatory"]["name"] == name


def test_nfd_name_is_stored_as_nfc(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    response = post(client, token, body("Rene\u0301 Sukarti"))
    assert response.status_code == 201
    assert response.get_json()["record"]["signatory"]["name"] == "Ren\u00e9 Sukarti"


def _bad(**changes: Any) -> dict[str, Any]:
    document = body()
    for key, value in changes.items():
        if value is _DELETE:
            del document[key]
        else:
            document[key] = value
    return document


_DELETE = object()

BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("not json", b"{not json", 422, "body"),
    ("array", b"[]", 422, "body"),
    ("duplicate key", b'{"consent": 1, "consent": 2}', 422, "body"),
    ("NaN", json.dumps(body()).replace('"x": ', '"x": NaN, "q": ', 1).encode(), 422, "body"),
    ("huge float", json.dumps(body()).replace('"x": ', '"x": 1e999, "q": ', 1).encode(), 422, "body"),
    ("latin-1 bytes", "{\"a\": \"\xe9\"}".encode("latin-1"), 422, "body"),
    ("unknown field", _bad(extra=1), 422, "extra"),
    ("no signatory", _bad(signatory=_DELETE), 422, "signatory"),
    ("both", _bad(invitee_id=1), 422, "signatory"),
    ("unknown invitee", _bad(signatory=_DELETE, invitee_id=999999), 404, "invitee_id"),
    ("bool invitee", _bad(signatory=_DELETE, invitee_id=True), 422, "invitee_id"),
    ("missing position", _bad(signatory={"name": "A B", "institution": "X", "category": "pemerintah"}), 422, "position"),
    ("number name", _bad(signatory={"name": 5, "position": "p", "institution": "i", "category": "pemerintah"}), 422, "name"),
    ("unknown category", _bad(signatory={"name": "A B", "position": "p", "institution": "i", "category": "zz"}), 422, "category"),
    ("no consent", _bad(consent=_DELETE), 422, "consent"),
    ("consent refused", _bad(consent={"accepted": False, "public_display": True}), 422, "consent"),
    ("consent string", _bad(consent={"accepted": "yes", "public_display": True}), 422, "consent.accepted"),
    ("no dimensions", _bad(dimensions=_DELETE), 422, "dimensions"),
    ("empty dimensions", _bad(dimensions=[]), 422, "dimensions"),
    ("unknown dimension", _bad(dimensions=["smart-moon"]), 422, "dimensions"),
    ("no strokes", _bad(strokes=_DELETE), 422, "strokes"),
    ("empty strokes", _bad(strokes=[]), 422, "strokes"),
    ("trivial scribble", _bad(strokes=[[{"x": 1, "y": 1, "t": 0}, {"x": 2, "y": 1, "t": 5}]]), 422, "strokes"),
    ("too many points", _bad(strokes=[[{"x": i % 500, "y": i % 200, "t": i} for i in range(7000)]]), 422, "strokes"),
    ("bad claimed time", _bad(claimed_time="yesterday"), 422, "claimed_time"),
    ("claimed time without offset", _bad(claimed_time="2024-09-12T09:15:00"), 422, "claimed_time"),
    ("impossible claimed time", _bad(claimed_time="2024-02-30T09:15:00Z"), 422, "claimed_time"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "payload", "status", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_get_a_precise_error_and_no_record(
    app: Flask, client: FlaskClient, label: str, payload: Any, status: int, field: str
) -> None:
    token = device_token(app)
    before = counts(app)
    response = post(client, token, payload)
    assert response.status_code == status, (label, response.get_json())
    problem = response.get_json()
    assert problem["status"] == status and problem["detail"]
    assert problem.get("field") == field, problem
    assert counts(app) == before


def test_headers_and_media_type(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    response = client.post(
        PATH,
        data=json.dumps(body()),
        headers={"Authorization": f"Bearer {token}"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.get_json()["field"] == "Idempotency-Key"
    assert post(client, token, body(), key="short").status_code == 422
    assert post(client, token, body(), key="bad key with spaces").status_code == 422
    assert post(client, token, json.dumps(body()), content_type="text/plain").status_code == 415
    oversized = b'{"a": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    response = post(client, token, oversized)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_unknown_commitment_is_404(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        user = accounts.create_user("integration", "Integrasi", "operator", "correct horse battery staple")
        token = credentials.issue("operator", "script", user=user).token
    response = client.post(
        "/api/v1/commitments/no-such-thing/signatures",
        data=json.dumps(body()),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert (
        post(client, token, body("Gita Operator Token")).get_json()["record"]["operator"].startswith("usr_")
    )


def test_messages_follow_the_callers_language(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    scribbled = _bad(strokes=[[{"x": 1, "y": 1, "t": 0}, {"x": 2, "y": 1, "t": 5}]])
    english = post(client, token, scribbled).get_json()["detail"]
    assert english == "the signature is too short: please sign with your usual signature"
    indonesian = post(client, token, scribbled, headers={"Accept-Language": "id-ID,id;q=0.9"}).get_json()
    assert indonesian["detail"] == "tanda tangan terlalu pendek: silakan tanda tangan seperti biasa"
    assert indonesian["field"] == "strokes"
    markup = post(client, token, body("<script>x</script>"), headers={"Accept-Language": "id"}).get_json()
    assert markup["detail"] == "nama berisi markah HTML atau skrip; ketik teks biasa saja"
    # A browser session speaks the interface language: Indonesian unless switched, whatever Accept-Language says.
    sign_in(app, client, "operator")
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    twice = body("Ika Dua Kali")
    assert post(client, None, twice, headers={"X-CSRFToken": csrf}).status_code == 201
    again = post(client, None, twice, headers={"X-CSRFToken": csrf, "Accept-Language": "en-US"}).get_json()
    assert (
        again["detail"]
        == "Ika Dua Kali dari Dinas Komunikasi dan Informatika sudah menandatangani versi 1 komitmen ini"
    )
    client.post("/lang", data={"lang": "en", "csrf_token": csrf})
    again = post(client, None, twice, headers={"X-CSRFToken": csrf}).get_json()
    assert again["detail"].startswith("Ika Dua Kali of Dinas Komunikasi dan Informatika has already signed")


def _with_raw_strokes(name: str, strokes_text: str) -> str:
    """A request body whose strokes are exactly ``strokes_text`` (JSON numbers as written)."""
    return json.dumps(body(name, strokes="@STROKES@")).replace('"@STROKES@"', strokes_text)


def test_stroke_numbers_are_read_as_exact_decimals(app: Flask, client: FlaskClient) -> None:
    """FORMATS.md §5: the worked example through HTTP gives the documented strokes_sha256."""
    from tests.core.test_strokes import EXAMPLE_JCS, EXAMPLE_RAW, EXAMPLE_SHA256

    token = device_token(app)
    response = post(client, token, _with_raw_strokes("Dewi Desimal", EXAMPLE_RAW))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["record"]["handwriting"]["strokes_sha256"] == EXAMPLE_SHA256
    with app.app_context():
        row = db.session.execute(
            select(SignatureRecord).where(SignatureRecord.name == "Dewi Desimal")
        ).scalar_one()
        assert bytes(row.strokes) == EXAMPLE_JCS  # the stored, authoritative canonical strokes


@pytest.mark.parametrize(
    ("number", "field", "detail"),
    [
        ("1e-999999999", "strokes", "stroke 0 point 0.x must have at most 30 significant digits and a decimal "
         "exponent between -30 and 30"),
        ("0.1234567890123456789012345678901", "strokes", "stroke 0 point 0.x must have at most 30 significant"),
        ("1e999999999", "body", "the body is not valid JSON: 1e999999999 is too large for a number"),
        ("-0.05", "strokes", "stroke 0 point 0 lies outside the pad (0–10000)"),
    ],
)  # fmt: skip
def test_stroke_number_limits(app: Flask, client: FlaskClient, number: str, field: str, detail: str) -> None:
    from tests.core.test_strokes import EXAMPLE_RAW

    token = device_token(app)
    before = counts(app)
    raw = EXAMPLE_RAW.replace('"x":1.15', f'"x":{number}', 1)
    assert raw != EXAMPLE_RAW
    response = post(client, token, _with_raw_strokes("Nomor Aneh", raw))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert response.get_json()["detail"].startswith(detail), response.get_json()
    assert counts(app) == before


def test_stroke_time_running_backwards_is_refused(app: Flask, client: FlaskClient) -> None:
    from tests.core.test_strokes import EXAMPLE_RAW

    token = device_token(app)
    raw = EXAMPLE_RAW.replace(
        '"t":200,', '"t":24.4,', 1
    )  # first point of stroke 1 before the last of stroke 0
    response = post(client, token, _with_raw_strokes("Waktu Mundur", raw))
    assert response.status_code == 422
    assert response.get_json()["detail"] == "stroke 1 point 0: time runs backwards"


# FORMATS.md §3: how the request's claimed_time becomes the record's claimed_at.
CLAIMED_TIMES = [
    ("2024-09-12T09:15:00.123987654+07:00", "2024-09-12T02:15:00.123Z"),  # UTC; digits after ms dropped
    ("2024-09-12T09:15:00+07:00", "2024-09-12T02:15:00.000Z"),
    ("2024-09-12t02:15:00.5z", "2024-09-12T02:15:00.500Z"),  # lower-case t and z
    ("2024-09-11T21:45:59.9999-04:30", "2024-09-12T02:15:59.999Z"),  # truncated, never rounded up
    ("2024-09-12T02:15:00-00:00", "2024-09-12T02:15:00.000Z"),
    ("2024-09-12T00:00:00+23:59", "2024-09-11T00:01:00.000Z"),
    ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"),  # a tablet whose clock was reset
]


@pytest.mark.parametrize(("claimed", "expected"), CLAIMED_TIMES)
def test_claimed_time_becomes_claimed_at(
    app: Flask, client: FlaskClient, claimed: str, expected: str
) -> None:
    token = device_token(app)
    response = post(client, token, body(f"Waktu {len(claimed)} {claimed[-6:]}", claimed_time=claimed))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["record"]["claimed_at"] == expected
    assert response.get_json()["record"]["signed_at"] != expected


@pytest.mark.parametrize(
    ("claimed", "detail"),
    [
        ("2024-09-12T09:15:00+07:60", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12T09:15:00+24:00", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12T09:15:00.1234567891+07:00", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12T09:15:00.+07:00", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12 09:15:00+07:00", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12T09:15+07:00", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12T09:15:00+0700", "claimed_time must be an RFC 3339 time with an offset"),
        ("２０２４-09-12T09:15:00+07:00", "claimed_time must be an RFC 3339 time with an offset"),
        ("2024-09-12T09:15:60+07:00", "claimed_time is not a real time"),
        ("2024-09-12T24:00:00+07:00", "claimed_time is not a real time"),
        ("2023-02-29T09:15:00+07:00", "claimed_time is not a real time"),
        ("0000-01-01T00:00:00Z", "claimed_time is not a real time"),
        ("1000-01-01T06:59:59.999+07:00", "claimed_time must lie in the years 1000–9998 in UTC"),
        ("0001-01-01T00:00:00+01:00", "claimed_time must lie in the years 1000–9998 in UTC"),
        ("9998-12-31T23:59:59.999-00:01", "claimed_time must lie in the years 1000–9998 in UTC"),
        ("9999-01-01T00:00:00Z", "claimed_time must lie in the years 1000–9998 in UTC"),
    ],
)
def test_claimed_time_refusals(app: Flask, client: FlaskClient, claimed: str, detail: str) -> None:
    token = device_token(app)
    before = counts(app)
    response = post(client, token, body("Waktu Salah", claimed_time=claimed))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == "claimed_time"
    assert response.get_json()["detail"] == detail
    assert counts(app) == before


def test_claimed_time_bounds_are_inclusive(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    for claimed, expected in [
        ("1000-01-01T07:00:00+07:00", "1000-01-01T00:00:00.000Z"),
        ("9998-12-31T23:59:59.999999999Z", "9998-12-31T23:59:59.999Z"),
    ]:
        response = post(client, token, body(f"Batas {claimed[:4]}", claimed_time=claimed))
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["record"]["claimed_at"] == expected
