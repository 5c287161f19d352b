"""Offline verification of certificates and QR URLs against a pinned key ring (no Flask, no DB).

Used by ``ikrar verify`` and by the upload page. A verdict is one of:

- ``valid``: the signature verifies with a pinned record key (and the status, if given, agrees);
  for a PDF, also the page's printed text says what the record seals (registry.pdf.printed);
- ``withdrawn``: valid, but the registry's status says the signature was withdrawn;
- ``invalid``: the file or URL was altered, is malformed, or disagrees with the status;
- ``altered``: (a PDF) the seal is valid but the page prints other text than the record seals;
- ``unchecked``: (a PDF) the seal is valid but the page has no text to read (a scan, an image),
  so the printed text could not be compared: a person must compare it with the sealed fields;
- ``unknown``: signed by a key that is not in the pinned ring, or unknown to the registry.

Precedence for a PDF: invalid / unknown, then altered, then withdrawn, then unchecked: a
withdrawal is an answer about the signature whatever the paper shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from registry.core import qr
from registry.core.canonical import parse_canonical, sha256_hex
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing
from registry.core.records import SignedRecord, check_record_shape, verify_record
from registry.pdf.common import ATTACHMENT_RECORD, ATTACHMENT_SIGNATURE, format_wib
from registry.pdf.printed import Expected, PrintedCheck, check_printed
from registry.pdf.reader import extract_attachments

EXIT_CODES = {"valid": 0, "withdrawn": 3, "invalid": 4, "altered": 4, "unknown": 5, "unchecked": 6}


@dataclass
class Verdict:
    status: str  # valid | withdrawn | invalid | altered | unchecked | unknown
    reasons: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # what was verified, for display
    printed: PrintedCheck | None = None  # a PDF's printed text against the sealed record

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
        "signed_at_wib": format_wib(record["signed_at"]),
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
    """The seal of the embedded record, the saved status if given, then the printed text."""
    verdict, signed = check_pdf(pdf, keyring)
    if signed is None:
        return verdict
    if status is not None:
        verdict = apply_status(verdict, str(signed.record["code"]), signed.sha256, status)
    if verdict.status not in ("valid", "withdrawn"):
        return verdict
    return with_printed(verdict, check_printed(pdf, offline_expectation(pdf, signed.record, status)))


def offline_expectation(pdf: bytes, record: dict[str, Any], status: dict[str, Any] | None) -> Expected:
    """What the page must show, from the record and (if given, and about this record) the status.

    Offline, the record gives name, position, institution, code, time, record id and key id; a
    saved status (already matched to this record by ``apply_status``) adds the commitment title,
    the log index and the withdrawal. Category and dimension labels, place and URL stay unchecked.
    """
    title = log_index = None
    withdrawal: tuple[str, str] | None = None
    if status is not None:
        commitment = status.get("commitment")
        if (
            isinstance(commitment, dict)
            and commitment.get("id") == record["commitment"]["id"]
            and commitment.get("version") == record["commitment"]["version"]
            and isinstance(commitment.get("title"), str)
        ):
            title = commitment["title"]
        if type(status.get("log_index")) is int:
            log_index = status["log_index"]
        found = status.get("withdrawal")
        if isinstance(found, dict):
            withdrawal = (str(found.get("at")), str(found.get("reason")))
    return Expected(
        record=record,
        attachments=tuple(extract_attachments(pdf)),
        title=title,
        log_index=log_index,
        withdrawal_known=status is not None,
        withdrawal=withdrawal,
    )


def with_printed(verdict: Verdict, printed: PrintedCheck) -> Verdict:
    """Combine a valid or withdrawn seal verdict with the printed-text check."""
    verdict.printed = printed
    if printed.status == "differs":
        return Verdict("altered", [*verdict.reasons, printed_difference(printed)], verdict.fields, printed)
    if printed.status == "unreadable":
        note = f"the printed text could not be checked ({printed.reason})"
        if verdict.status == "withdrawn":
            return Verdict("withdrawn", [*verdict.reasons, note], verdict.fields, printed)
        return Verdict("unchecked", [*verdict.reasons, note], verdict.fields, printed)
    verdict.reasons.append(
        "the document is built like a certificate and its printed text is the sealed record's ("
        + ", ".join(printed.checked)
        + "); drawings (outlines, colours) are not compared"
    )
    return verdict


def printed_difference(printed: PrintedCheck) -> str:
    """Why a page that differs is altered: its document structure, or its printed fields."""
    if "structure" in printed.differing:
        return f"the document structure is not a certificate's: {printed.reason}; its text was not read"
    return "the printed text differs from the sealed record: " + ", ".join(printed.differing)


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
