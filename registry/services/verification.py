"""Public verification: look a code up, and check an uploaded certificate against the registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.core import codes
from registry.core.canonical import format_instant, parse_canonical, sha256_hex
from registry.core.errors import FormatError
from registry.extensions import db
from registry.models import SignatureRecord
from registry.offline_verify import check_pdf
from registry.services import keyring, sealed


def find(code_text: str) -> SignatureRecord | None:
    """The record with this code (as typed: case, spaces and dashes do not matter), if any."""
    try:
        code = codes.normalise_code(code_text)
    except FormatError:
        return None
    # One query: the status document also needs the version (the withdrawal is joined already).
    row: SignatureRecord | None = db.session.execute(
        select(SignatureRecord)
        .options(joinedload(SignatureRecord.commitment_version))
        .where(SignatureRecord.code == code)
    ).scalar_one_or_none()
    return row


def status_document(row: SignatureRecord | None, code_text: str) -> dict[str, Any]:
    """What GET /api/v1/verify/<code> answers: only allow-listed fields, taken from the verified record."""
    if row is None:
        try:
            code = codes.normalise_code(code_text)
        except FormatError:
            code = None
        return {"status": "unknown", "code": code}
    # The one verified read path: seal, strokes, bound commitment version, withdrawal vs the log.
    checked = sealed.check(row)
    if not checked.ok:
        return {"status": "invalid", "code": row.code}
    record = checked.signed()
    version = row.commitment_version
    withdrawal = checked.withdrawal
    return {
        "status": checked.status,
        "code": record["code"],
        "id": record["id"],
        "commitment": {"id": record["commitment"]["id"], "version": version.version, "title": version.title},
        "name": record["signatory"]["name"],
        "position": record["signatory"]["position"],
        "institution": record["signatory"]["institution"],
        "signed_at": record["signed_at"],
        "kid": record["kid"],
        "log_index": row.log_index,
        "record_sha256": sha256_hex(bytes(row.body)),
        "public_display": checked.public_display,
        "withdrawal": None
        if withdrawal is None
        else {"at": format_instant(withdrawal.withdrawn_at), "reason": withdrawal.reason},
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def differing_fields(claimed: Any, stored: dict[str, Any]) -> list[str]:
    """Dotted names of the record members that differ between an uploaded and the stored record."""
    if not isinstance(claimed, dict):
        return ["record"]
    left, right = _flatten(claimed), _flatten(stored)
    return sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


@dataclass
class UploadResult:
    verdict: str  # valid | withdrawn | altered | not_ours
    reasons: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    row: SignatureRecord | None = None


def check_upload(pdf: bytes) -> UploadResult:
    """Read the record embedded in a certificate, check its seal, and compare it with the registry."""
    try:
        from registry.offline_verify import read_embedded

        canonical, _signature = read_embedded(pdf)
    except FormatError as exc:
        return UploadResult("not_ours", [str(exc)])
    try:
        claimed: Any = parse_canonical(canonical)
    except FormatError:
        claimed = None
    row = None
    if isinstance(claimed, dict):
        ident, code = claimed.get("id"), claimed.get("code")
        if isinstance(ident, str) and len(ident) == 26:
            row = db.session.get(SignatureRecord, ident)
        if row is None and isinstance(code, str):
            row = find(code)
    verdict, _signed = check_pdf(pdf, keyring.keyring())
    if verdict.status == "unknown":
        return UploadResult("not_ours", verdict.reasons)
    if row is None:
        if verdict.status == "invalid":
            return UploadResult("altered", verdict.reasons)
        return UploadResult("not_ours", ["the registry holds no record with this id or code"])
    stored = parse_canonical(bytes(row.body))
    differences = [] if canonical == bytes(row.body) else differing_fields(claimed, stored)
    if verdict.status == "invalid" or differences:
        reasons = (
            verdict.reasons if verdict.status == "invalid" else ["the record differs from the registry's"]
        )
        return UploadResult("altered", reasons, differences or ["record"], row)
    if row.withdrawal is not None:
        return UploadResult("withdrawn", verdict.reasons, [], row)
    return UploadResult("valid", verdict.reasons, [], row)
