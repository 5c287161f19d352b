"""GET /api/v1/commitments and /api/v1/commitments/{id}: the published commitments."""

from __future__ import annotations

from flask import Response, jsonify

from registry.api import bp
from registry.api.documents import commitment_document, commitment_summary
from registry.core.errors import N_
from registry.http_problems import single_arg
from registry.services import commitments
from registry.services.errors import InvalidInput


@bp.get("/commitments")
def list_commitments() -> Response:
    return jsonify({"commitments": [commitment_summary(v) for v in commitments.list_published()]})


@bp.get("/commitments/<slug>")
def get_commitment(slug: str) -> Response:
    raw = single_arg("version")
    version: int | None = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
            raise InvalidInput(N_("version must be a positive integer"), field="version")
        version = int(raw)
    return jsonify(commitment_document(commitments.get_version(slug, version, published_only=True)))
