"""Certificate PDFs of signature records: deterministic bytes, QR statement, embedded receipt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import replace

from flask import current_app

from registry.core import qr
from registry.core.canonical import format_instant, parse_canonical
from registry.core.errors import FormatError, KeyRingError
from registry.core.keys import Signer
from registry.models import SignatureRecord
from registry.pdf.certificate import CertificateData, render_certificate
from registry.services import sealed
from registry.services.branding import version_emblem
from registry.services.receipts import signature_receipt


def record_signer(kid: str) -> Signer | None:
    """The private key ``kid`` if this server still holds it (the active one or a retired one)."""
    signers = current_app.extensions["ikrar.signers"]
    try:
        active = signers.for_purpose("record")
        if active.kid == kid:
            return active  # type: ignore[no-any-return]
    except KeyRingError:
        pass
    try:
        # Cached per process: argon2id makes each decryption cost ~0.3 s and 64 MiB.
        return signers.held(kid)  # type: ignore[no-any-return]
    except KeyRingError:
        return None


def qr_url_for(row: SignatureRecord) -> tuple[str, bool]:
    """(the QR URL of ``row``, whether it carries a signed statement)."""
    record = parse_canonical(bytes(row.body))
    base = str(current_app.config["IKRAR_BASE_URL"])
    signer = record_signer(row.kid)
    try:
        return qr.qr_url(record, row.log_index, base, signer), signer is not None
    except FormatError:
        return qr.qr_url(record, row.log_index, base, None), False


def certificate_data(row: SignatureRecord) -> CertificateData:
    # Re-checked first (seal, strokes, bound commitment version, withdrawal against the log): a
    # certificate prints only what was sealed, or is refused as an integrity error.
    checked = sealed.require(row)
    record = checked.signed()
    version = row.commitment_version
    categories = {c["id"]: c["label"] for c in version.categories}
    dimensions = {d["id"]: d["label"] for d in version.dimensions}
    withdrawal = checked.withdrawal
    category = record["signatory"]["category"]
    return CertificateData(
        record=record,
        signature=row.signature,
        commitment_title=version.title,
        place=version.place,
        category_label=categories.get(category, category),
        dimension_labels=[dimensions.get(d, d) for d in record["dimensions"]],
        strokes=parse_canonical(bytes(row.strokes)),
        verify_url=qr_url_for(row)[0],
        log_index=row.log_index,
        receipt=signature_receipt(row.log_index),
        withdrawn=None
        if withdrawal is None
        else (format_instant(withdrawal.withdrawn_at), withdrawal.reason),
        issuer=version.issuer,
        emblem_png=version_emblem(version),
    )


def certificate_pdf(record: SignatureRecord) -> bytes:
    """The certificate of ``record``: the same record (and withdrawal state) gives the same bytes."""
    return render_certificate(certificate_data(record))


def certificate_pdf_before_withdrawal(record: SignatureRecord) -> bytes:
    """The certificate of ``record`` as printed before its withdrawal (no banner): same bytes as then."""
    return render_certificate(replace(certificate_data(record), withdrawn=None))


def certificate_token(record_id: str) -> str:
    """The capability that opens one certificate: HMAC-SHA256 of the record id under the app secret.

    Record ids are public (the log names them), but a certificate shows the handwritten signature,
    which the public may see only with the signer's consent. So the PDF is served to whoever holds
    the link the signer got (kiosk QR, signing API) and to staff, not to whoever knows the id.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    digest = hmac.new(secret, b"ikrar.certificate.v1\n" + record_id.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def token_matches(record_id: str, token: str | None) -> bool:
    # compare_digest refuses a str with non-ASCII characters (TypeError): such a token is simply wrong.
    return token is not None and token.isascii() and hmac.compare_digest(certificate_token(record_id), token)


def certificate_url(record: SignatureRecord) -> str:
    """The certificate's address carrying its capability token (what the signer is given)."""
    base = str(current_app.config["IKRAR_BASE_URL"])
    return f"{base}/api/v1/signatures/{record.id}/certificate.pdf?t={certificate_token(record.id)}"


def certificate_filename(record: SignatureRecord) -> str:
    """``ikrar-<code>-<name slug>.pdf``: ASCII only, safe in a Content-Disposition header."""
    name = str(parse_canonical(bytes(record.body))["signatory"]["name"])  # the signed name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:40].strip("-")
    return f"ikrar-{record.code}{'-' + slug if slug else ''}.pdf"
