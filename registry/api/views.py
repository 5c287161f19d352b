"""JSON API v1: read commitments and signatures."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for

from registry.api.problems import single_arg
from registry.core.canonical import format_instant
from registry.core.versions import version_sha256
from registry.models import CommitmentVersion, SignatureRecord
from registry.services import commitments, sealed, signing
from registry.services.bound_versions import signed_document
from registry.services.errors import InvalidInput

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _absolute(endpoint: str, **values: Any) -> str:
    return str(current_app.config["IKRAR_BASE_URL"]) + url_for(endpoint, **values)


def commitment_summary(version: CommitmentVersion) -> dict[str, Any]:
    slug = version.commitment.slug
    return {
        "id": slug,
        "version": version.version,
        "title": version.title,
        "status": version.status,
        "text_sha256": version.text_sha256,
        "place": version.place,
        "event_date": version.event_date.isoformat(),
        "url": _absolute("api.get_commitment", slug=slug, version=version.version),
    }


def commitment_document(version: CommitmentVersion) -> dict[str, Any]:
    published = [v.version for v in version.commitment.versions if v.status != "draft"]
    return commitment_summary(version) | {
        "text": version.text,
        "dimensions": version.dimensions,
        "categories": version.categories,
        "consent_text": version.consent_text,
        "consent_sha256": version.consent_sha256,
        "version_sha256": version_sha256(signed_document(version, version.commitment.slug)),
        "opened_at": format_instant(version.opened_at) if version.opened_at else None,
        "closed_at": format_instant(version.closed_at) if version.closed_at else None,
        "versions": published,
    }


def signature_document(row: SignatureRecord) -> dict[str, Any]:
    checked = sealed.check(row)
    if not checked.ok:
        # Nothing of a row that no longer verifies is vouched for: no record, no status but this.
        return {
            "id": row.id,
            "code": None,
            "record": None,
            "signature": None,
            "kid": None,
            "log_index": row.log_index,
            "status": "invalid",
            "withdrawal": None,
        }
    record = checked.signed()
    withdrawal = checked.withdrawal
    return {
        "id": record["id"],
        "code": record["code"],
        "record": record,
        "signature": row.signature,
        "kid": record["kid"],
        "log_index": row.log_index,
        "status": checked.status,
        "withdrawal": None
        if withdrawal is None
        else {
            "at": format_instant(withdrawal.withdrawn_at),
            "reason": withdrawal.reason,
            "log_index": withdrawal.log_index,
        },
    }


@api.get("/commitments")
def list_commitments() -> Response:
    return jsonify({"commitments": [commitment_summary(v) for v in commitments.list_published()]})


@api.get("/commitments/<slug>")
def get_commitment(slug: str) -> Response:
    raw = single_arg("version")
    version: int | None = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
            raise InvalidInput("version must be a positive integer", field="version")
        version = int(raw)
    return jsonify(commitment_document(commitments.get_version(slug, version, published_only=True)))


@api.get("/signatures/<record_id>")
def get_signature(record_id: str) -> Response:
    return jsonify(signature_document(signing.get(record_id)))
