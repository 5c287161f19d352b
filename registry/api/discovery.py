"""The documents a client reads first: the signing keys (JWKS) and the OpenAPI description."""

from __future__ import annotations

from flask import Response, jsonify

from registry.api import discovery_bp
from registry.services.keyring import keyring


@discovery_bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keyring().to_jwks())
    response.mimetype = "application/jwk-set+json"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@discovery_bp.get("/openapi.json")
def openapi() -> Response:
    from registry.api.openapi import document

    return jsonify(document())
