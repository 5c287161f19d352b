"""The JSON documents of API v1: a commitment (summary and full) and a signature (by audience)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from registry.core.canonical import canonical_bytes, format_instant, sha256_hex
from registry.core.versions import version_sha256
from registry.models import CommitmentVersion, SignatureRecord
from registry.services import sealed
from registry.services.audience import Audience, signature_view
from registry.services.bound_versions import signed_document


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
