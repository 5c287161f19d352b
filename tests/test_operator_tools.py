"""The operator's desk: read-only progress with search, certificate reprint, walk-in registration.

Issue 14: an operator asked for help by a signer got a bare "Forbidden" on the progress page and
had no tools. Operators now read progress (no admin actions), search it with the kiosk's rules,
reprint a certificate (logged) and register a walk-in the kiosk then finds.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.extensions import db
from registry.models import Invitee
from registry.services import signing, withdrawals
from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO, walk_in
from tests.test_kiosk import enrol, kiosk_csrf
from tests.test_kiosk import sign as kiosk_sign

PROGRESS = f"/operator/commitments/{DEMO}/versions/1/progress"
WALK_IN = f"/operator/commitments/{DEMO}/walk-in"


def _signed(app: Flask, name: str = "Ayu Lestari") -> str:
    with app.app_context():
        return signing.sign(walk_in(name), app.extensions["ikrar.signers"]).record.id


def _operator(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(app, client, "operator")
    return client


def _register(client: FlaskClient, **fields: str) -> tuple[int, str]:
    data = {
        "name": "Wulan Maharani",
        "position": "Staf Ahli",
        "institution": "Dinas Pariwisata",
        "category": "pemerintah",
        "csrf_token": csrf_token(client, WALK_IN),
    }
    data.update(fields)
    response = client.post(WALK_IN, data=data)
    return response.status_code, response.get_data(as_text=True)


def test_operator_reads_progress_without_admin_actions(app: Flask) -> None:
    record_id = _signed(app)
    client = _operator(app)
    home = client.get("/operator").get_data(as_text=True)
    assert PROGRESS in home, "the operator home links the desk view"
    response = client.get(PROGRESS)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ayu Lestari" in page and "Agus Priyanto" in page
    assert 'id="invited-signed">0 / 6' in page and 'id="total">1<' in page
    assert f"/operator/signatures/{record_id}/certificate.pdf" in page
    # Nothing an admin does: no signature page, withdrawal, edit, export or import; no codes.
    for admin_only in ("/admin/signatures/", "/withdraw", "/edit", "signatories.csv", "/import"):
        assert admin_only not in page, admin_only
    with app.app_context():
        code = signing.get(record_id).code
    assert code not in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Bapak Agus", "Agus Priyanto"),
        ("priyanto agus", "Agus Priyanto"),
        ("bu sri", "Dra. Sri Wahyuningsih, M.Si."),
        ("prof ratna", "Dr. Ratna Dewi Kusumastuti"),
        ("nur aini", "Nur Aini Rahmawati"),
        ("ratna soedirman", "Dr. Ratna Dewi Kusumastuti"),
    ],
)
def test_operator_search_uses_the_kiosk_rules(app: Flask, query: str, first: str) -> None:
    client = _operator(app)
    page = client.get(PROGRESS, query_string={"q": query}).get_data(as_text=True)
    table = page.split('id="not-signed"', 1)[1]
    rows = re.findall(r"<tr><td>([^<]+)</td>", table)
    assert rows and rows[0] == first, rows


def test_search_with_no_match_says_so(app: Flask) -> None:
    client = _operator(app)
    page = client.get(PROGRESS, query_string={"q": "zzzz"}).get_data(as_text=True)
    assert 'id="no-waiting"' in page and "Tidak ada yang cocok" in page


def test_operator_reprints_a_certificate_and_it_is_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    record_id = _signed(app)
    client = _operator(app)
    with caplog.at_level(logging.WARNING, logger="ikrar.security"):
        response = client.get(f"/operator/signatures/{record_id}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ikrar.security"]
    reprint = [e for e in events if e["event"] == "desk.certificate_reprinted"]
    assert reprint and reprint[0]["record"] == record_id
    assert "Ayu" not in json.dumps(events)  # no personal data on the security log


def test_reprint_of_an_unknown_or_erased_signature_is_404(app: Flask) -> None:
    from registry.services import erasure

    record_id = _signed(app)
    with app.app_context():
        erasure.erase([record_id], ground="request", actor="test")
    client = _operator(app)
    assert client.get(f"/operator/signatures/{record_id}/certificate.pdf").status_code == 404
    assert client.get("/operator/signatures/" + "a" * 26 + "/certificate.pdf").status_code == 404


def test_a_desk_walk_in_is_found_by_the_kiosk_and_signs_as_that_entry(app: Flask) -> None:
    client = _operator(app)
    status, _page = _register(client)
    assert status == 303 or status == 200, _page[:300]
    tablet = app.test_client()
    enrol(app, tablet)
    found = tablet.get("/kiosk/invitees?q=wulan").get_json()["invitees"]
    assert [f["name"] for f in found] == ["Wulan Maharani"]
    assert found[0]["signed"] is False
    roster = [i["name"] for i in tablet.get("/kiosk/roster").get_json()["invitees"]]
    assert "Wulan Maharani" in roster
    signed = kiosk_sign(tablet, invitee_id=found[0]["id"])
    assert signed.status_code == 201, signed.get_data(as_text=True)
    # Signed: the walk-in leaves the roster of people still to find; progress counts them as a walk-in.
    assert tablet.get("/kiosk/invitees?q=wulan").get_json()["invitees"] == []
    page = client.get(PROGRESS).get_data(as_text=True)
    assert 'id="walk-ins">1<' in page
    with app.app_context():
        rows = db.session.query(Invitee).filter(Invitee.name == "Wulan Maharani").all()
        assert len(rows) == 1 and rows[0].walk_in


def test_registering_redirects_to_the_new_entry(app: Flask) -> None:
    client = _operator(app)
    response = client.post(
        WALK_IN,
        data={
            "name": "Wulan Maharani",
            "position": "Staf Ahli",
            "institution": "Dinas Pariwisata",
            "category": "pemerintah",
            "csrf_token": csrf_token(client, WALK_IN),
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wulan Maharani" in page and "Ia kini dapat mencari namanya" in page


def test_a_walk_in_with_a_listed_name_is_warned_and_offered_the_listed_person(app: Flask) -> None:
    client = _operator(app)
    status, page = _register(client, name="AGUS PRIYANTO", institution="SMA Negeri 1")
    assert status == 409
    assert 'id="twin-warning"' in page and "PT Perwira Digital Nusantara" in page
    assert 'id="different-person"' in page
    with app.app_context():
        assert db.session.query(Invitee).filter(Invitee.name_key == "agus priyanto").count() == 1
    # A different person of the same name, after the operator says so.
    status, _page = _register(client, name="AGUS PRIYANTO", institution="SMA Negeri 1", different_person="1")
    assert status == 303
    with app.app_context():
        assert db.session.query(Invitee).filter(Invitee.name_key == "agus priyanto").count() == 2


def test_the_same_name_and_institution_is_never_added_twice(app: Flask) -> None:
    client = _operator(app)
    status, page = _register(
        client, name="Agus Priyanto", institution="PT Perwira Digital Nusantara", different_person="1"
    )
    assert status == 409 and 'id="different-person"' not in page
    with app.app_context():
        assert db.session.query(Invitee).filter(Invitee.name_key == "agus priyanto").count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"name": "Wulan\x07Maharani"}, "name"),
        ({"institution": "Dinas\u200bPariwisata"}, "U+200B"),
        ({"category": "alien"}, "alien"),
        ({"name": ""}, "name"),
    ],
)
def test_hostile_walk_in_input_is_refused(app: Flask, fields: dict[str, str], message: str) -> None:
    client = _operator(app)
    with app.app_context():
        before = db.session.query(Invitee).count()
    status, page = _register(client, **fields)
    assert status == 400 and 'class="field-error"' in page and message in page
    with app.app_context():
        assert db.session.query(Invitee).count() == before


def test_walk_in_form_needs_csrf(app: Flask) -> None:
    client = _operator(app)
    response = client.post(
        WALK_IN, data={"name": "X Y", "position": "A", "institution": "B", "category": "pemerintah"}
    )
    assert response.status_code == 400


def test_walk_ins_only_while_signing_is_open(app: Flask) -> None:
    from registry.services import commitments

    with app.app_context():
        commitments.close(DEMO, 1)
    client = _operator(app)
    assert client.get(WALK_IN).status_code == 404
    assert client.get(PROGRESS).status_code == 200  # the list stays readable after closing


def test_auditor_and_anonymous_are_refused_at_the_desk(app: Flask) -> None:
    record_id = _signed(app)
    auditor = app.test_client()
    sign_in(app, auditor, "auditor")
    for path in (PROGRESS, WALK_IN, f"/operator/signatures/{record_id}/certificate.pdf"):
        assert auditor.get(path).status_code == 403, path
        anonymous = app.test_client()
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    # A kiosk tablet is no operator either.
    tablet = app.test_client()
    enrol(app, tablet)
    kiosk_csrf(tablet)
    assert tablet.get(PROGRESS).status_code == 302


def test_a_withdrawn_signer_is_back_on_the_waiting_list(app: Flask) -> None:
    client = _operator(app)
    tablet = app.test_client()
    enrol(app, tablet)
    agus = tablet.get("/kiosk/invitees?q=agus").get_json()["invitees"][0]
    record_id = kiosk_sign(tablet, invitee_id=agus["id"]).get_json()["id"]
    with app.app_context():
        withdrawals.withdraw(record_id, "Salah orang menandatangani", "admin")
    page = client.get(PROGRESS, query_string={"q": "agus"}).get_data(as_text=True)
    waiting = page.split('id="not-signed"', 1)[1]
    assert "Agus Priyanto" in waiting
    signed = page.split('id="signed"', 1)[1].split('id="not-signed"', 1)[0]
    assert "ditarik" in signed and f"/operator/signatures/{record_id}/" not in signed
