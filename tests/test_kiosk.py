"""Tablet enrolment, the kiosk's own endpoints, leaving kiosk mode, and the kiosk's role boundaries."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from typing import Any

import zxingcpp
from flask import Flask
from flask.testing import FlaskClient

from registry import demo
from registry.db import write_transaction
from registry.extensions import db
from registry.models import Credential, Invitee, SignatureRecord
from registry.services import commitments
from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO, scribble

OTHER = "pakta-integritas-2025"


def other_commitment(app: Flask, invitee: str = "Ratna Sari Other") -> int:
    """A second open commitment with one invitee; returns the invitee's id."""
    with app.app_context():
        draft = demo.draft()
        version = commitments.create(
            OTHER,
            commitments.CommitmentDraft(
                title="Pakta Integritas 2025",
                text="Kami berjanji bekerja dengan jujur.",
                place="Purbalingga",
                event_date=date(2025, 1, 6),
                dimensions=draft.dimensions,
                categories=draft.categories,
                consent_text=draft.consent_text,
            ),
        )
        commitment_id = version.commitment_id

        def add() -> int:
            row = Invitee(
                commitment_id=commitment_id,
                name=invitee,
                position="Kepala",
                institution="Dinas Lain",
                category="pemerintah",
            )
            db.session.add(row)
            db.session.flush()
            return int(row.id)

        invitee_id = write_transaction(add)
        commitments.publish(OTHER, 1)
        return invitee_id


def enrol(app: Flask, client: FlaskClient, role: str = "operator", username: str | None = None) -> str:
    """Sign in as ``role``, enrol the tablet for the demo commitment; returns the operator's public id."""
    public_id = sign_in(app, client, role, username)
    token = csrf_token(client, "/operator")
    response = client.post(
        "/operator/enrol", data={"commitment": DEMO, "label": "Tablet 1", "csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk"
    return str(public_id)


def kiosk_csrf(client: FlaskClient) -> str:
    return str(client.get("/kiosk/state").get_json()["csrf_token"])


def sign(client: FlaskClient, slug: str = DEMO, **body: Any) -> Any:
    document: dict[str, Any] = {
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": False},
        "strokes": scribble(3),
        "claimed_time": "2024-09-12T09:15:00+07:00",
    }
    document.update(body)
    return client.post(
        f"/api/v1/commitments/{slug}/signatures",
        data=json.dumps(document),
        content_type="application/json",
        headers={"X-CSRFToken": kiosk_csrf(client), "Idempotency-Key": uuid.uuid4().hex},
    )


def test_operator_page_needs_an_operator_or_admin(app: Flask, client: FlaskClient) -> None:
    response = client.get("/operator")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    sign_in(app, client, "auditor")
    assert client.get("/operator").status_code == 403
    assert client.post("/operator/enrol", data={"commitment": DEMO}).status_code in (400, 403)


def test_operator_home_lists_open_commitments_and_login_sends_operators_there(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    with app.app_context():
        from registry.services import accounts

        accounts.create_user("opr1", "Operator Satu", "operator", "correct horse battery staple")
    response = client.post(
        "/login",
        data={"username": "opr1", "password": "correct horse battery staple", "csrf_token": token.group(1)},
    )
    assert response.status_code == 303
    home = client.get(response.headers["Location"])
    assert home.status_code == 302 and home.headers["Location"] == "/operator"
    page = client.get("/operator")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'value="{DEMO}"' in page.get_data(as_text=True)


def test_enrolment_needs_csrf_and_an_open_commitment(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "operator")
    assert client.post("/operator/enrol", data={"commitment": DEMO}).status_code == 400
    token = csrf_token(client, "/operator")
    response = client.post("/operator/enrol", data={"commitment": "no-such-thing", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/operator"
    with app.app_context():
        assert db.session.query(Credential).count() == 0


def test_enrolment_switches_the_session_to_kiosk_mode(app: Flask, client: FlaskClient) -> None:
    public_id = enrol(app, client)
    with client.session_transaction() as session:
        device = session["kiosk_device"]
        assert session["kiosk_operator"] == public_id
        assert "_user_id" not in session
    with app.app_context():
        credential = db.session.get(Credential, device)
        assert credential is not None and credential.kind == "device"
        assert credential.commitment is not None and credential.commitment.slug == DEMO
        assert credential.user is not None and credential.user.public_id == public_id
    # The operator is signed out: operator pages want a login again.
    assert client.get("/operator").status_code == 302
    page = client.get("/kiosk")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    # No inline script or style, nothing from another origin.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html
    assert "http://" not in html and "https://" not in html
    assert 'autocomplete="off"' in html
    for asset in ("/static/kiosk/kiosk.js", "/static/kiosk/kiosk.css"):
        with client.get(asset) as served:
            assert served.status_code == 200


def test_kiosk_signs_with_its_operator_and_device(app: Flask, client: FlaskClient) -> None:
    public_id = enrol(app, client)
    with client.session_transaction() as session:
        device = session["kiosk_device"]
    response = sign(
        client,
        signatory={"name": "Tamu Satu", "position": "Warga", "institution": "RT 01", "category": "komunitas"},
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()["record"]
    assert record["device"] == device and record["operator"] == public_id
    # Without the CSRF header the same session cannot sign.
    refused = client.post(
        f"/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps({"invitee_id": 1}),
        content_type="application/json",
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert refused.status_code == 400


def test_a_device_only_sees_and_signs_its_own_commitment(app: Flask, client: FlaskClient) -> None:
    other_invitee = other_commitment(app, invitee="Ratna Sari Other")
    enrol(app, client)
    found = client.get("/kiosk/invitees?q=ratna").get_json()["invitees"]
    names = [i["name"] for i in found]
    assert names == ["Dr. Ratna Dewi Kusumastuti"]  # not the other commitment's Ratna
    response = sign(client, slug=OTHER, invitee_id=other_invitee)
    assert response.status_code == 403
    # Naming the other commitment's invitee on its own commitment does not work either.
    response = sign(client, invitee_id=other_invitee)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.query(SignatureRecord).count() == 0


def test_invitee_search_needs_two_characters_and_is_capped(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        from registry.models import Commitment

        commitment_id = db.session.query(Commitment).filter_by(slug=DEMO).one().id

        def add() -> None:
            for i in range(20):
                db.session.add(
                    Invitee(
                        commitment_id=commitment_id,
                        name=f"Peserta {i:02d}",
                        position="Staf",
                        institution="Dinas",
                        category="pemerintah",
                    )
                )

        write_transaction(add)
    enrol(app, client)
    assert client.get("/kiosk/invitees").get_json() == {"invitees": [], "more": False}
    assert client.get("/kiosk/invitees?q=r").get_json() == {"invitees": [], "more": False}
    assert client.get("/kiosk/invitees?q=%20%20").get_json() == {"invitees": [], "more": False}
    many = client.get("/kiosk/invitees?q=peserta")
    assert many.headers["Cache-Control"] == "no-store"
    assert len(many.get_json()["invitees"]) == 8 and many.get_json()["more"] is True
    # LIKE wildcards are matched literally.
    assert client.get("/kiosk/invitees?q=%25%25").get_json() == {"invitees": [], "more": False}
    assert client.get("/kiosk/invitees?q=__").get_json() == {"invitees": [], "more": False}
    hit = client.get("/kiosk/invitees?q=KOMINFO").get_json()["invitees"]
    assert [i["name"] for i in hit] == ["Dra. Sri Wahyuningsih, M.Si."]
    assert set(hit[0]) == {"id", "name", "position", "institution", "category", "category_label", "signed"}
    assert hit[0]["signed"] is False
    assert sign(client, invitee_id=hit[0]["id"]).status_code == 201
    assert client.get("/kiosk/invitees?q=kominfo").get_json()["invitees"][0]["signed"] is True


def test_kiosk_endpoints_refuse_without_an_enrolment(app: Flask, client: FlaskClient) -> None:
    assert client.get("/kiosk/invitees?q=ratna").status_code == 401
    assert client.get("/kiosk/state").status_code == 401
    response = client.get("/kiosk")
    assert response.status_code == 302 and response.headers["Location"] == "/operator"
    # A signed-in operator who has not enrolled the tablet sees no invitees either.
    sign_in(app, client, "operator")
    assert client.get("/kiosk/invitees?q=ratna").status_code == 401
    assert client.get("/kiosk").headers["Location"] == "/operator"
    # An admin is no kiosk either.
    admin = app.test_client()
    sign_in(app, admin, "admin")
    assert admin.get("/kiosk/invitees?q=ratna").status_code == 401


def test_qr_only_for_records_of_the_tablets_commitment(app: Flask, client: FlaskClient) -> None:
    other_invitee = other_commitment(app)
    enrol(app, client)
    own = sign(
        client,
        signatory={"name": "Tamu Dua", "position": "Warga", "institution": "RT 02", "category": "komunitas"},
    ).get_json()
    svg = client.get(f"/kiosk/qr/{own['id']}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).startswith("<svg") and "<script" not in svg.get_data(as_text=True)
    other = app.test_client()
    sign_in(app, other, "operator")
    token = csrf_token(other, "/operator")
    other.post("/operator/enrol", data={"commitment": OTHER, "csrf_token": token})
    theirs = sign(other, slug=OTHER, invitee_id=other_invitee).get_json()
    assert client.get(f"/kiosk/qr/{theirs['id']}.svg").status_code == 404
    assert client.get("/kiosk/qr/nonsense.svg").status_code == 404


def test_qr_encodes_the_certificate_url(app: Flask, client: FlaskClient) -> None:
    from registry.pdf.qr_drawing import qr_matrix

    enrol(app, client)
    own = sign(
        client,
        signatory={"name": "Tamu Tiga", "position": "Warga", "institution": "RT 03", "category": "komunitas"},
    ).get_json()
    svg = client.get(f"/kiosk/qr/{own['id']}.svg").get_data(as_text=True)
    # Rebuild the module grid from the SVG path and decode it.
    n = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    dark = {(int(c), int(r)) for c, r in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg)}
    assert [[(c, r) in dark for c in range(n)] for r in range(n)] == qr_matrix(own["certificate_url"])
    from PIL import Image

    scale = 8
    image = Image.new("L", (n * scale, n * scale), 255)
    for c, r in dark:
        image.paste(0, (c * scale, r * scale, (c + 1) * scale, (r + 1) * scale))
    decoded = zxingcpp.read_barcodes(image)
    assert [d.text for d in decoded] == [own["certificate_url"]]


def test_leaving_kiosk_mode_needs_the_operator(app: Flask, client: FlaskClient) -> None:
    enrol(app, client, username="tablet-opr")
    with client.session_transaction() as session:
        device = session["kiosk_device"]
    token = csrf_token(client, "/kiosk/leave")
    wrong = client.post(
        "/kiosk/leave", data={"username": "tablet-opr", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 403
    # Another operator is not enough.
    with app.app_context():
        from registry.services import accounts

        accounts.create_user("someone-else", "Lain", "operator", "correct horse battery staple")
    other = client.post(
        "/kiosk/leave",
        data={"username": "someone-else", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert other.status_code == 403
    assert client.get("/kiosk").status_code == 200  # still a kiosk
    assert client.post("/kiosk/leave", data={"username": "tablet-opr", "password": "x"}).status_code == 400
    left = client.post(
        "/kiosk/leave",
        data={"username": "tablet-opr", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert left.status_code == 303
    with client.session_transaction() as session:
        assert "kiosk_device" not in session and "_user_id" in session
    assert client.get("/operator").status_code == 200
    with app.app_context():
        assert db.session.get(Credential, device).revoked_at is None  # type: ignore[union-attr]


def test_an_admin_can_retire_the_tablet(app: Flask, client: FlaskClient) -> None:
    enrol(app, client)
    with client.session_transaction() as session:
        device = session["kiosk_device"]
    with app.app_context():
        from registry.services import accounts

        accounts.create_user("boss", "Admin", "admin", "correct horse battery staple")
    token = csrf_token(client, "/kiosk/leave")
    left = client.post(
        "/kiosk/leave",
        data={
            "username": "boss",
            "password": "correct horse battery staple",
            "retire": "1",
            "csrf_token": token,
        },
    )
    assert left.status_code == 303
    with app.app_context():
        assert db.session.get(Credential, device).revoked_at is not None  # type: ignore[union-attr]
    # A session still holding the retired credential can no longer sign.
    stale = app.test_client()
    with stale.session_transaction() as session:
        session["kiosk_device"] = device
    assert stale.get("/kiosk/state").status_code == 401


def test_service_worker_scope_covers_the_kiosk(client: FlaskClient) -> None:
    with client.get("/kiosk/sw.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Service-Worker-Allowed"] == "/kiosk"
        assert "caches" in response.get_data(as_text=True)


def test_kiosk_pages_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/operator", "/kiosk", "/kiosk/invitees", "/kiosk/leave", "/kiosk/sw.js"):
        assert path in paths, path


def test_a_closed_commitment_says_so_on_the_kiosk(app: Flask, client: FlaskClient) -> None:
    enrol(app, client)
    assert 'id="closed"' not in client.get("/kiosk").get_data(as_text=True)
    with app.app_context():
        commitments.close(DEMO, 1)
    assert 'id="closed"' in client.get("/kiosk").get_data(as_text=True)
    assert client.get("/kiosk/state").get_json()["open"] is False
    response = sign(
        client,
        signatory={"name": "Terlambat", "position": "Warga", "institution": "RT 09", "category": "komunitas"},
    )
    assert response.status_code == 409


def test_an_admin_may_enrol_a_tablet_too(app: Flask, client: FlaskClient) -> None:
    public_id = enrol(app, client, role="admin")
    response = sign(
        client,
        signatory={
            "name": "Tamu Admin",
            "position": "Warga",
            "institution": "RT 04",
            "category": "komunitas",
        },
    )
    assert response.status_code == 201 and response.get_json()["record"]["operator"] == public_id
