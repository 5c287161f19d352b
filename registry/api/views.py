"""JSON API v1: read commitments and signatures."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for
from flask_login import current_user

from registry.api.bearer import Unauthorized, bearer_credential
from registry.api.problems import localized, problem, single_arg
from registry.core import codes
from registry.core.canonical import canonical_bytes, format_instant, sha256_hex
from registry.core.errors import FormatError
from registry.core.versions import version_sha256
from registry.models import CommitmentVersion, SignatureRecord
from registry.services import commitments, sealed, signing
from registry.services.audience import Audience, for_role, signature_view
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
        "issuer": version.issuer,
        "emblem_sha256": version.emblem_sha256,
        "emblem_url": _absolute("branding.emblem", sha256=version.emblem_sha256)
        if version.emblem_sha256
        else None,
        "opened_at": format_instant(version.opened_at) if version.opened_at else None,
        "closed_at": format_instant(version.closed_at) if version.closed_at else None,
        "versions": published,
    }


def full_signature_document(row: SignatureRecord) -> dict[str, Any]:
    """Every member of the signature document (docs/FORMATS.md §3), for auditors and admins only."""
    checked = sealed.check(row)
    if checked.erased:
        return erased_signature_document(checked)
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
            "record_sha256": None,
            "withdrawal": None,
            "erasure": None,
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
        "record_sha256": sha256_hex(canonical_bytes(record)),
        "withdrawal": None
        if withdrawal is None
        else {
            "at": format_instant(withdrawal.withdrawn_at),
            "reason": withdrawal.reason,
            "log_index": withdrawal.log_index,
        },
        "erasure": None,
    }


def erased_signature_document(checked: sealed.Sealed) -> dict[str, Any]:
    """An erased signature: what the log holds of it (ids, hashes, times), nothing personal."""
    row, erasure, withdrawal = checked.row, checked.erasure, checked.withdrawal
    assert erasure is not None
    return {
        "id": row.id,
        "code": row.code,
        "record": None,
        "signature": None,
        "kid": row.kid,
        "log_index": row.log_index,
        "status": "erased",
        "record_sha256": erasure.record_sha256,
        "withdrawal": None
        if withdrawal is None
        else {
            "at": format_instant(withdrawal.withdrawn_at),
            "reason": None,
            "log_index": withdrawal.log_index,
        },
        "erasure": {
            "at": format_instant(erasure.erased_at),
            "ground": erasure.ground,
            "log_index": erasure.log_index,
        },
    }


def signature_document(row: SignatureRecord, audience: Audience) -> dict[str, Any]:
    """What ``audience`` may see of this signature by record id (registry/services/audience.py)."""
    full = full_signature_document(row)
    return signature_view(audience, full, title=row.commitment_version.title)


def _holds_code(code: str, given: str | None) -> bool:
    """Whether ``given`` is this record's verification code in any printed form (constant time)."""
    if given is None or len(given) > 64:
        return False
    try:
        normalised = codes.normalise_code(given)
    except FormatError:
        return False
    return hmac.compare_digest(normalised.encode("ascii"), code.encode("ascii"))


def reader_audience() -> Audience:
    """Who reads: an auditor bearer token, else the signed-in account's role, else the public.

    Device and operator tokens read as the public: they exist to sign, not to look people up.
    """
    credential = bearer_credential()
    if credential is not None:
        user = credential.user
        if credential.kind == "auditor" and user is not None and user.role in ("auditor", "admin"):
            return Audience.AUDITOR
        return Audience.PUBLIC
    if current_user.is_authenticated:
        return for_role(current_user.role)
    return Audience.PUBLIC


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
    try:
        audience = reader_audience()
    except Unauthorized as exc:
        response = problem(401, "Unauthorized", localized(exc), slug="unauthorized")
        response.headers["WWW-Authenticate"] = 'Bearer realm="ikrar"'
        return response
    row = signing.get(record_id)
    if audience is Audience.PUBLIC and _holds_code(row.code, single_arg("code")):
        audience = Audience.SIGNER  # the certificate's code: the signer's own capability
    response = jsonify(signature_document(row, audience))
    # The answer depends on who asks: no shared cache may hand an auditor's copy to the public.
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Authorization")
    response.vary.add("Cookie")
    return response
