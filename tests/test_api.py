"""The JSON API v1, the JWKS and the OpenAPI document, through Flask's test client."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import demo
from registry.core.canonical import b64url_decode, canonical_bytes
from registry.core.keys import key_id
from registry.services import commitments, signing
from tests.auditor_support import auditor_headers
from tests.factories import DEMO, walk_in


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_list_commitments(client: FlaskClient) -> None:
    body = client.get("/api/v1/commitments").get_json()
    [summary] = body["commitments"]
    assert summary["id"] == DEMO
    assert summary["status"] == "open" and summary["version"] == 1
    assert summary["event_date"] == "2024-09-12"


def test_get_commitment_text_version_and_hash(client: FlaskClient) -> None:
    body = client.get(f"/api/v1/commitments/{DEMO}").get_json()
    assert body["text"] == demo.TEXT
    assert body["text_sha256"] == hashlib.sha256(body["text"].encode()).hexdigest()
    assert body["consent_sha256"] == hashlib.sha256(body["consent_text"].encode()).hexdigest()
    assert [d["id"] for d in body["dimensions"]][:2] == ["smart-governance", "smart-branding"]
    assert len(body["categories"]) == 5
    assert body["versions"] == [1]


def test_drafts_are_not_public(ctx: Flask, client: FlaskClient) -> None:
    commitments.close(DEMO, 1)
    commitments.revise(DEMO, replace(demo.draft(), title="Draf rahasia"))
    assert client.get(f"/api/v1/commitments/{DEMO}").get_json()["version"] == 1
    _problem(client.get(f"/api/v1/commitments/{DEMO}?version=2"), 404)
    assert "Draf rahasia" not in client.get("/api/v1/commitments").get_data(as_text=True)


@pytest.mark.parametrize("version", ["0", "-1", "abc", "1.5", "99999999999", "1&version=2", "%00", "١"])
def test_bad_version_parameter(client: FlaskClient, version: str) -> None:
    body = _problem(client.get(f"/api/v1/commitments/{DEMO}?version={version}"), 422)
    assert body["field"] == "version"


def test_unknown_things_are_404_problems(client: FlaskClient) -> None:
    assert "no commitment" in _problem(client.get("/api/v1/commitments/nope"), 404)["detail"]
    assert "no signature" in _problem(client.get("/api/v1/signatures/" + "a" * 26), 404)["detail"]
    _problem(client.get("/api/v1/signatures/<script>"), 404)
    _problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.delete("/api/v1/commitments")
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413_before_any_view(app: Flask, client: FlaskClient) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/commitments", data=b"x" * (limit + 1), content_type="application/json")
    assert str(limit) in _problem(response, 413)["detail"]


def test_signature_document(ctx: Flask, client: FlaskClient) -> None:
    row = signing.sign(walk_in("Agus <Santoso> & Co"), ctx.extensions["ikrar.signers"]).record
    body = client.get(f"/api/v1/signatures/{row.id}", headers=auditor_headers(ctx)).get_json()
    assert body["id"] == row.id and body["kid"] == row.kid and body["log_index"] == row.log_index
    assert canonical_bytes(body["record"]) == bytes(row.body)
    assert body["record"]["signatory"]["name"] == "Agus <Santoso> & Co"
    assert len(b64url_decode(body["signature"])) == 64
    assert body["status"] == "valid"


def test_jwks_is_rfc8037_with_thumbprint_kids(client: FlaskClient) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.mimetype == "application/jwk-set+json"
    keys = response.get_json()["keys"]
    assert {k["purpose"] for k in keys} == {"record", "log"}
    for jwk in keys:
        assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
        assert "d" not in jwk
        assert jwk["kid"] == key_id(b64url_decode(jwk["x"]))
        assert jwk["status"] == "active" and re.fullmatch(r"\d{4}-.*Z", jwk["not_before"])


def test_openapi_describes_every_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in openapi.json"
    # Every $ref resolves.
    text = client.get("/openapi.json").get_data(as_text=True)
    for ref in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert ref in document["components"]["schemas"]


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/commitments")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
