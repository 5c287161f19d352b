"""Well-known documents: the JWKS, the OpenAPI description, and the liveness probe."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from registry.services.keyring import keyring

web = Blueprint("web", __name__)


@web.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keyring().to_jwks())
    response.mimetype = "application/jwk-set+json"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@web.get("/openapi.json")
def openapi() -> Response:
    from registry.api.openapi import document

    return jsonify(document())


@web.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers. Touches neither the database nor the keys, so a load
    balancer's probe stays cheap; the benchmark uses it as the server's trivial-request limit."""
    response = Response("ok\n", mimetype="text/plain")
    response.cache_control.no_store = True
    return response
