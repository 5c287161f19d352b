"""Public verification: look a code up, and check an uploaded certificate against the registry."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.core import codes
from registry.core.canonical import format_instant, parse_canonical, sha256_hex
from registry.core.errors import FormatError
from registry.extensions import db
from registry.models import SignatureRecord, Withdrawal
from registry.offline_verify import check_pdf, printed_difference
from registry.pdf.common import format_wib
from registry.pdf.printed import Expected, PrintedCheck, check_printed
from registry.pdf.reader import extract_attachments
from registry.services import certificates, keyring, sealed


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
    if checked.erased:
        return erased_document(checked)
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


def erasure_summary(checked: sealed.Sealed) -> dict[str, Any]:
    """When and under which log entry an erased signature's personal data went (no data of it)."""
    erasure = checked.erasure
    assert erasure is not None
    return {"at": format_instant(erasure.erased_at), "log_index": erasure.log_index, "ground": erasure.ground}


def erased_document(checked: sealed.Sealed) -> dict[str, Any]:
    """The status document of an erased signature: it was made, sealed and logged; nothing personal."""
    row, version = checked.row, checked.row.commitment_version
    withdrawal = checked.withdrawal
    return {
        "status": "erased",
        "code": row.code,
        "id": row.id,
        "commitment": {"id": version.commitment.slug, "version": version.version, "title": version.title},
        "name": None,
        "position": None,
        "institution": None,
        "signed_at": format_instant(row.signed_at),
        "kid": row.kid,
        "log_index": row.log_index,
        "record_sha256": checked.erasure.record_sha256 if checked.erasure else None,
        "public_display": False,
        "withdrawal": None
        if withdrawal is None
        else {"at": format_instant(withdrawal.withdrawn_at), "reason": None},
        "erasure": erasure_summary(checked),
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
    """What an uploaded certificate is: its verdict, why, and what the registry sealed.

    ``valid`` only when the seal verifies, the record is the registry's, and either the file is
    byte for byte the certificate the registry issues (``identical``) or the document is built
    like one and its printed text was read and is the sealed record's; ``unchecked`` when the
    seal is good but the page has no text to read (a scan); ``altered`` when the record, the
    document's structure or the printed text differs.
    """

    verdict: str  # valid | withdrawn | erased | altered | unchecked | integrity | not_ours
    reasons: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # record members that differ (dotted)
    row: SignatureRecord | None = None
    printed: PrintedCheck | None = None  # the page's text against the sealed record
    sealed: dict[str, str] | None = None  # the registry's sealed fields, for a person to compare
    identical: bool = False  # the file is byte for byte the certificate the registry issued


def check_upload(pdf: bytes) -> UploadResult:
    """Read the record embedded in a certificate, check its seal, compare it with the registry,
    then compare the page's printed text with the sealed record."""
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
    # The registry's side goes through the one verified read path (services/sealed.py): a row
    # whose seal, strokes, commitment version or withdrawal no longer agree is never "valid".
    checked = sealed.check(row)
    if checked.erased:
        return _check_erased_upload(pdf, canonical, claimed, verdict.status, verdict.reasons, checked)
    if not checked.ok:
        return UploadResult(
            "integrity",
            ["the registry's stored data for this record fail their integrity check"],
            [],
            row,
        )
    record = checked.signed()
    fields = _sealed_fields(row, record)
    stored = parse_canonical(bytes(row.body))
    differences = [] if canonical == bytes(row.body) else differing_fields(claimed, stored)
    if verdict.status == "invalid" or differences:
        reasons = (
            verdict.reasons if verdict.status == "invalid" else ["the record differs from the registry's"]
        )
        return UploadResult("altered", reasons, differences or ["record"], row, sealed=fields)
    withdrawal = checked.withdrawal
    reasons = list(verdict.reasons)
    # Byte-exact first: certificates are deterministic, so the registry's own certificate of
    # this record (or, for a withdrawn one, the certificate printed before the withdrawal) is
    # the strongest answer: the whole file is what the registry issued, not only its text.
    issued = _issued_as(pdf, row, withdrawal is not None)
    if issued is not None:
        reasons.append(issued)
        verdict_name = "withdrawn" if withdrawal is not None else "valid"
        return UploadResult(verdict_name, reasons, [], row, None, fields, identical=True)
    printed = check_printed(pdf, _printed_expectation(pdf, row, record, withdrawal))
    if printed.status == "differs":
        reasons.append(printed_difference(printed))
        return UploadResult("altered", reasons, [], row, printed, fields)
    if printed.status == "unreadable":
        reasons.append(f"the printed text could not be checked ({printed.reason})")
    if withdrawal is not None:
        return UploadResult("withdrawn", reasons, [], row, printed, fields)
    if printed.status == "unreadable":
        return UploadResult("unchecked", reasons, [], row, printed, fields)
    return UploadResult("valid", reasons, [], row, printed, fields)


def _check_erased_upload(
    pdf: bytes,
    canonical: bytes,
    claimed: Any,
    seal_status: str,
    seal_reasons: list[str],
    checked: sealed.Sealed,
) -> UploadResult:
    """A certificate of an erased signature: the signer's copy is now the only one of the record.

    Its seal is checked with the registry's keys, its record must hash to what the log committed
    to (kept through the erasure), and its printed text is compared with that record.
    """
    row, erasure = checked.row, checked.erasure
    assert erasure is not None
    if seal_status == "invalid" or not isinstance(claimed, dict):
        return UploadResult(
            "altered", seal_reasons or ["the embedded record does not verify"], ["record"], row
        )
    if sha256_hex(canonical) != erasure.record_sha256:
        return UploadResult(
            "altered",
            ["the record differs from the one the registry logged when it was signed"],
            ["record"],
            row,
        )
    reasons = [
        *seal_reasons,
        "the record hashes to the record_sha256 its signature:create entry committed to",
        f"the registry erased its personal data at log index {erasure.log_index}",
    ]
    expected = _printed_expectation(pdf, row, claimed, None)
    if row.withdrawal is not None:
        # The reason text was erased too: whether the page prints the withdrawal is not checked.
        expected = replace(expected, withdrawal_known=False)
    printed = check_printed(pdf, expected)
    if printed.status == "differs":
        reasons.append(printed_difference(printed))
        return UploadResult("altered", reasons, [], row, printed, _sealed_fields(row, claimed))
    if printed.status == "unreadable":
        reasons.append(f"the printed text could not be checked ({printed.reason})")
    return UploadResult("erased", reasons, [], row, printed, _sealed_fields(row, claimed))


def _issued_as(pdf: bytes, row: SignatureRecord, withdrawn: bool) -> str | None:
    """Which certificate of ``row`` the registry issued ``pdf`` is, byte for byte, if any."""
    if pdf == certificates.certificate_pdf(row):
        return "the file is byte for byte the certificate the registry issues for this record"
    if withdrawn and pdf == certificates.certificate_pdf_before_withdrawal(row):
        return "the file is byte for byte the certificate the registry issued before the withdrawal"
    return None


def _sealed_fields(row: SignatureRecord, record: dict[str, Any]) -> dict[str, str]:
    """The fields a person compares with the paper: from the verified record and its version."""
    version = row.commitment_version
    signatory = record["signatory"]
    categories = {c["id"]: c["label"] for c in version.categories}
    return {
        "name": signatory["name"],
        "position": signatory["position"],
        "institution": signatory["institution"],
        "category": categories.get(signatory["category"], signatory["category"]),
        "commitment": version.title,
        "signed_at": format_wib(record["signed_at"]),
        "code": codes.display_code(record["code"]),
    }


def _printed_expectation(
    pdf: bytes, row: SignatureRecord, record: dict[str, Any], withdrawal: Withdrawal | None
) -> Expected:
    """Everything the certificate of ``row`` prints, as ``certificates.certificate_data`` draws it."""
    version = row.commitment_version
    categories = {c["id"]: c["label"] for c in version.categories}
    dimensions = {d["id"]: d["label"] for d in version.dimensions}
    return Expected(
        record=record,
        attachments=tuple(extract_attachments(pdf)),
        title=version.title,
        category_label=categories.get(record["signatory"]["category"], record["signatory"]["category"]),
        dimension_labels=[dimensions.get(d, d) for d in record["dimensions"]],
        place=version.place,
        log_index=row.log_index,
        # No url: its base follows IKRAR_BASE_URL at printing time, and a registry that moved
        # would otherwise call all its earlier certificates altered; the code at its end is checked.
        issuer_known=True,
        issuer=version.issuer,
        withdrawal_known=True,
        withdrawal=None
        if withdrawal is None
        else (format_instant(withdrawal.withdrawn_at), withdrawal.reason),
    )
