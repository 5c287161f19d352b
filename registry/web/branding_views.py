"""The issuer's emblem of a published version, for everyone (admins upload it: web/admin/branding.py).

The route serves only the re-encoded bytes (registry/emblem.py), as ``image/png`` with
``nosniff``, and only while they still hash to the address they are served at.
"""

from __future__ import annotations

from flask import Blueprint, Response

from registry.services import branding

emblems = Blueprint("branding", __name__)


@emblems.get("/emblem/<sha256>.png")
def emblem(sha256: str) -> Response:
    """The emblem a published commitment version binds, by its SHA-256 (immutable)."""
    png = branding.public_emblem(sha256.lower() if len(sha256) == 64 else "")
    response = Response(png, mimetype="image/png")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
