"""The liveness probe (the JWKS and the OpenAPI description are API documents: registry/api/discovery.py)."""

from __future__ import annotations

from flask import Blueprint, Response

web = Blueprint("web", __name__)


@web.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers. Touches neither the database nor the keys, so a load
    balancer's probe stays cheap; the benchmark uses it as the server's trivial-request limit."""
    response = Response("ok\n", mimetype="text/plain")
    response.cache_control.no_store = True
    return response
