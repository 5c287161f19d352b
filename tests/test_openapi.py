"""The served /openapi.json against what the application really accepts and answers.

The document is generated from the wire models (registry/wire/); these tests keep the three in
step: a body the signing API accepts passes the document's request schema and a body it refuses
fails it, and every JSON answer of the main GET endpoints passes the documented response schema.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from registry.api import signing as signing_views
from registry.extensions import db
from registry.models import Invitee
from registry.services import audience
from registry.wire.signatures import SignatureFull, SignaturePublic
from registry.wire.signing import ConsentInput, SignatoryInput, SigningRequest
from tests.auditor_support import auditor_headers
from tests.factories import DEMO
from tests.test_kiosk import enrol
from tests.test_signing_api import _DELETE, _bad, body, device_token, post

SIGNATORY = {"name": "A B", "position": "p", "institution": "i", "category": "pemerintah"}
# Bodies the API refuses whose fault is one of shape, so the schema must refuse them too.
REFUSED: list[tuple[str, Any]] = [
    ("not an object", []),
    ("unknown field", _bad(extra=1)),
    ("no signatory", _bad(signatory=_DELETE)),
    ("both", _bad(invitee_id=1)),
    ("null signatory", _bad(signatory=None)),
    ("zero invitee", _bad(signatory=_DELETE, invitee_id=0)),
    ("bool invitee", _bad(signatory=_DELETE, invitee_id=True)),
    ("huge invitee", _bad(signatory=_DELETE, invitee_id=2**31)),
    ("missing position", _bad(signatory={k: v for k, v in SIGNATORY.items() if k != "position"})),
    ("extra signatory field", _bad(signatory=SIGNATORY | {"nik": "1"})),
    ("number name", _bad(signatory=SIGNATORY | {"name": 5})),
    ("long name", _bad(signatory=SIGNATORY | {"name": "A" * 201})),
    ("no consent", _bad(consent=_DELETE)),
    ("consent refused", _bad(consent={"accepted": False, "public_display": True})),
    ("consent string", _bad(consent={"accepted": "yes", "public_display": True})),
    ("consent without display", _bad(consent={"accepted": True})),
    ("no dimensions", _bad(dimensions=_DELETE)),
    ("empty dimensions", _bad(dimensions=[])),
    ("number dimension", _bad(dimensions=[1])),
    ("no strokes", _bad(strokes=_DELETE)),
    ("strokes not a list", _bad(strokes="scribble")),
    ("point without t", _bad(strokes=[[{"x": 1, "y": 1}]])),
    ("point with extra", _bad(strokes=[[{"x": 1, "y": 1, "t": 0, "q": 1}]])),
    ("text coordinate", _bad(strokes=[[{"x": "1", "y": 1, "t": 0}]])),
    ("pressure above 1", _bad(strokes=[[{"x": 1, "y": 1, "t": 0, "p": 2}]])),
    ("number claimed time", _bad(claimed_time=1726107300)),
    ("text link_invitee", _bad(link_invitee="yes")),
    ("link_invitee without signatory", _bad(signatory=_DELETE, invitee_id=1, link_invitee=False)),
]


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for(schema | {"components": document["components"]}, validate_formats=True)


def _served(client: FlaskClient) -> dict[str, Any]:
    document = client.get("/openapi.json").get_json()
    assert isinstance(document, dict) and document["openapi"] == "3.1.0"
    return document


def _request_schema(document: dict[str, Any]) -> Any:
    operation = document["paths"]["/api/v1/commitments/{slug}/signatures"]["post"]
    return _validator(document, operation["requestBody"]["content"]["application/json"]["schema"])


def conforms(document: dict[str, Any], path: str, response: TestResponse, method: str = "get") -> None:
    """``response`` is what the document says ``path`` answers with its status and media type."""
    documented = document["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (path, response.status_code)
    content = documented[str(response.status_code)]["content"]
    assert response.mimetype in content, (path, response.mimetype, list(content))
    schema = content[response.mimetype]["schema"]
    if response.mimetype.endswith("json"):
        _validator(document, schema).validate(json.loads(response.get_data()))
    else:
        assert schema == {"type": "string"} and response.get_data(as_text=True)


def _invitee_id(app: Flask) -> int:
    with app.app_context():
        invitee = db.session.execute(select(Invitee).where(Invitee.walk_in.is_(False))).scalars().first()
        assert invitee is not None
        return invitee.id


def test_signing_bodies_the_api_accepts_pass_the_schema(app: Flask, client: FlaskClient) -> None:
    document = _served(client)
    schema = _request_schema(document)
    token = device_token(app)
    by_invitee = _bad(signatory=_DELETE, invitee_id=_invitee_id(app), claimed_time=None)
    without_clock = body("Bayu Nugroho", link_invitee=False)
    del without_clock["claimed_time"]
    accepted = [
        body(),
        without_clock,
        by_invitee,
        body(
            "Citra Dewi",
            strokes=[[{k: v for k, v in p.items() if k != "p"} for p in s] for s in body()["strokes"]],
        ),
    ]
    for payload in accepted:
        assert schema.is_valid(payload), list(schema.iter_errors(payload))
        response = post(client, token, payload)
        assert response.status_code == 201, response.get_json()
        conforms(document, "/api/v1/commitments/{slug}/signatures", response, "post")


@pytest.mark.parametrize(("label", "payload"), REFUSED, ids=[r[0] for r in REFUSED])
def test_signing_bodies_the_api_refuses_fail_the_schema(
    app: Flask, client: FlaskClient, label: str, payload: Any
) -> None:
    document = _served(client)
    response = post(client, device_token(app), payload)
    assert response.status_code in (400, 422), (label, response.get_json())
    conforms(document, "/api/v1/commitments/{slug}/signatures", response, "post")
    assert not _request_schema(document).is_valid(payload), label


def test_the_signing_view_reads_the_members_of_the_model() -> None:
    assert set(SigningRequest.model_fields) == signing_views.TOP_LEVEL
    assert tuple(signing_views.SIGNATORY_FIELDS) == tuple(SignatoryInput.model_fields)
    assert set(ConsentInput.model_fields) == signing_views.CONSENT_FIELDS


def test_signature_models_have_the_members_the_service_fills() -> None:
    assert tuple(SignatureFull.model_fields) == audience.FULL_FIELDS
    public = SignaturePublic.model_json_schema()
    assert set(public["required"]) == {*audience.LOG_FIELDS, "withdrawal"}
    signatory = public["$defs"]["PublicSignatory"]
    assert tuple(signatory["properties"]) == audience.PUBLIC_FIELDS
    assert tuple(public["$defs"]["PublicCommitment"]["properties"]) == audience.PUBLIC_COMMITMENT_FIELDS


def test_main_json_answers_follow_the_document(app: Flask, client: FlaskClient) -> None:
    document = _served(client)
    signed = post(client, device_token(app), body()).get_json()
    record_id, code = signed["id"], signed["code"]
    answers = {
        "/api/v1/commitments": client.get("/api/v1/commitments"),
        "/api/v1/commitments/{slug}": client.get(f"/api/v1/commitments/{DEMO}"),
        "/api/v1/signatures/{record_id}": client.get(f"/api/v1/signatures/{record_id}"),
        "/api/v1/verify/{code}": client.get(f"/api/v1/verify/{code}"),
        "/log/checkpoint": client.get("/log/checkpoint"),
        "/log/key": client.get("/log/key"),
        "/log/proof/inclusion": client.get("/log/proof/inclusion", query_string={"index": 0}),
        "/log/proof/consistency": client.get("/log/proof/consistency", query_string={"old": 1}),
        "/.well-known/jwks.json": client.get("/.well-known/jwks.json"),
        "/c/{slug}/layar.json": client.get(f"/c/{DEMO}/layar.json"),
    }
    for path, response in answers.items():
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:200])
        conforms(document, path, response)
    full = client.get(f"/api/v1/signatures/{record_id}", headers=auditor_headers(app))
    assert set(full.get_json()) == set(audience.FULL_FIELDS)
    by_code = client.get(f"/api/v1/signatures/{record_id}", query_string={"code": code})
    cursor = client.get(f"/c/{DEMO}/layar.json").get_json()["cursor"]
    unchanged = client.get(f"/c/{DEMO}/layar.json", query_string={"after": cursor})
    assert unchanged.get_json()["changed"] is False
    for path, response in [
        ("/api/v1/signatures/{record_id}", full),
        ("/api/v1/signatures/{record_id}", by_code),
        ("/c/{slug}/layar.json", unchanged),
        ("/api/v1/verify/{code}", client.get("/api/v1/verify/0000000000")),
        ("/api/v1/commitments/{slug}", client.get("/api/v1/commitments/no-such-thing")),
        ("/api/v1/signatures/{record_id}", client.get("/api/v1/signatures/nope")),
        ("/log/proof/inclusion", client.get("/log/proof/inclusion", query_string={"index": 10**6})),
    ]:
        conforms(document, path, response)


def test_kiosk_json_follows_the_document(app: Flask, client: FlaskClient) -> None:
    document = _served(client)
    enrol(app, client)
    for path, query in [("/kiosk/state", None), ("/kiosk/roster", None), ("/kiosk/invitees", {"q": "su"})]:
        response = client.get(path, query_string=query)
        assert response.status_code == 200, path
        conforms(document, path, response)
    assert client.get("/kiosk/roster").get_json()["invitees"], "the demo roster is not empty"


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    import openapi_spec_validator  # the test extra installs it: missing, this test fails, never skips

    openapi_spec_validator.validate(_served(client))
