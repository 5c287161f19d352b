"""GET /api/v1/verify/{code}: a signature's status by its verification code, the JSON twin of the
QR target page /v/{code} (registry/web/verify_views.py), with which it shares a rate limit."""

from __future__ import annotations

from flask import Response, jsonify

from registry.api import bp
from registry.extensions import limiter
from registry.services import verification
from registry.web.verify_views import verify_limit


@bp.get("/verify/<code>")
@limiter.shared_limit(verify_limit, scope="verify")
def verify_json(code: str) -> Response:
    """Status of a signature by its verification code (allow-listed fields only)."""
    row = verification.find(code)
    response = jsonify(verification.status_document(row, code))
    response.status_code = 200 if row is not None else 404
    response.cache_control.no_store = True
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
