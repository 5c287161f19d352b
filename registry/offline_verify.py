"""Offline verification of certificates and QR URLs against a pinned key ring (no Flask, no DB).

Used by ``ikrar verify`` and by the upload page. A verdict is one of:

- ``valid``: the signature verifies with a pinned record key (and the status, if given, agrees);
- ``withdrawn``: valid, but the registry's status says the signature was withdrawn;
- ``invalid``: the file or URL was altered, is malformed, or disagrees with the status;
- ``unknown``: signed by a key that is not in the pinned ring, or unknown to the registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from registry.certificate import ATTACHMENT_RECORD, ATTACHMENT_SIGNATURE, extract_attachments
from registry.core import qr
from registry.core.canonical import parse_canonical, sha256_hex
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing
from registry.core.records import SignedRecord, check_record_shape, verify_record

EXIT_CODES = {"valid": 0, "withdrawn": 3, "invalid": 4, "unknown": 5}


@dataclass
class Verdict:
    status: str  # valid | withdrawn | invalid | unknown
    reasons: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # what was verified, for display

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def read_embedded(pdf: bytes) -> tuple[bytes, str]:
    """(record canonical bytes, signature text) embedded in a certificate; FormatError if absent."""
    files = extract_attachments(pdf)
    if ATTACHMENT_RECORD not in files or ATTACHMENT_SIGNATURE not in files:
        raise FormatError("the PDF carries no Ikrar record (record.json and record.sig)")
    try:
        signature = files[ATTACHMENT_SIGNATURE].decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise FormatError("record.sig is not base64url text") from exc
    return files[ATTACHMENT_RECORD], signature


def record_kid(canonical: bytes) -> str | None:
    """The kid a record names, if its bytes parse as a record at all."""
    try:
        record = parse_canonical(canonical)
        check_record_shape(record)
    except FormatError:
        return None
    return str(record["kid"])


def check_pdf(pdf: bytes, keyring: KeyRing) -> tuple[Verdict, SignedRecord | None]:
    """Verify the record embedded in a certificate PDF against ``keyring`` (no status)."""
    try:
        canonical, signature = read_embedded(pdf)
    except FormatError as exc:
        return Verdict("invalid", [f"not a readable Ikrar certificate: {exc}"]), None
    kid = record_kid(canonical)
    if kid is not None and kid not in keyring:
        return Verdict("unknown", [f"signed with key {kid}, which is not in the pinned key ring"]), None
    try:
        signed, key = verify_record(canonical, signature, keyring)
    except VerificationError as exc:
        return Verdict("invalid", [f"the embedded record was altered or is malformed: {exc}"]), None
    return Verdict(
        "valid", [f"record signature verifies with key {key.kid}"], public_fields(signed.record)
    ), signed


def public_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": record["code"],
        "commitment": record["commitment"]["id"],
        "commitment_version": record["commitment"]["version"],
        "name": record["signatory"]["name"],
        "position": record["signatory"]["position"],
        "institution": record["signatory"]["institution"],
        "signed_at": record["signed_at"],
        "kid": record["kid"],
    }


def load_status(text: str) -> dict[str, Any]:
    """A saved ``GET /api/v1/verify/<code>`` response."""
    try:
        status = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"the status file is not JSON: {exc}") from exc
    if not isinstance(status, dict) or status.get("status") not in (
        "valid",
        "withdrawn",
        "invalid",
        "unknown",
    ):
        raise FormatError("the status file is not a saved /api/v1/verify/<code> response")
    return status


def apply_status(verdict: Verdict, code: str, record_sha256: str | None, status: dict[str, Any]) -> Verdict:
    """Combine an offline-valid verdict with the registry's saved status for ``code``."""
    if verdict.status != "valid":
        return verdict
    if status.get("code") != code:
        return Verdict("invalid", [f"the status file is about code {status.get('code')!r}, not {code}"])
    if status["status"] == "unknown":
        return Verdict("unknown", ["the registry did not know this code"], verdict.fields)
    if status["status"] == "invalid":
        return Verdict(
            "invalid", ["the registry's stored record for this code no longer verifies"], verdict.fields
        )
    if record_sha256 is not None and status.get("record_sha256") != record_sha256:
        return Verdict("invalid", ["the registry holds a different record for this code"], verdict.fields)
    if status["status"] == "withdrawn":
        withdrawal = status.get("withdrawal") or {}
        reasons = [*verdict.reasons, f"withdrawn at {withdrawal.get('at')}: {withdrawal.get('reason')}"]
        return Verdict("withdrawn", reasons, verdict.fields)
    return verdict


def verify_pdf(pdf: bytes, keyring: KeyRing, status: dict[str, Any] | None = None) -> Verdict:
    verdict, signed = check_pdf(pdf, keyring)
    if status is None or signed is None:
        return verdict
    return apply_status(verdict, str(signed.record["code"]), signed.sha256, status)


def verify_qr(url: str, keyring: KeyRing, status: dict[str, Any] | None = None) -> Verdict:
    """Verify the signed statement in a QR URL's fragment against ``keyring``."""
    try:
        statement = qr.verify_url(url, keyring)
    except VerificationError as exc:
        text = str(exc)
        kind = "unknown" if "no single record key" in text else "invalid"
        return Verdict(kind, [text])
    fields = statement.fields
    verdict = Verdict(
        "valid",
        [f"QR statement verifies with key {statement.key.kid}"]
        + (["name or institution is shortened in the QR (ends with …)"] if statement.truncated else []),
        {
            "code": fields["code"],
            "commitment": fields["c"],
            "commitment_version": fields["cv"],
            "name": fields["n"],
            "institution": fields["i"],
            "signed_at": fields["t"],
            "kid": statement.key.kid,
            "log_index": fields["l"],
        },
    )
    if status is None:
        return verdict
    return apply_status(verdict, fields["code"], None, status)


def record_sha256(canonical: bytes) -> str:
    return sha256_hex(canonical)
