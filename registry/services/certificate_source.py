"""Where the bulk archive gets each certificate's bytes and file name.

ADAPTER: the certificate service of the verify branch (``registry.services.certificates``,
``certificate_pdf(record)`` / ``certificate_filename(record)``) was not available when this was
written, so these render with ``registry.certificate.render_certificate`` directly. The QR of
these certificates carries the plain verify URL (no offline fragment). Once the certificate
service is merged, this module should simply re-export it.
"""

from __future__ import annotations

import json

from registry.certificate import CertificateData, render_certificate
from registry.core.canonical import format_instant
from registry.models import SignatureRecord
from registry.services.roll import verify_url


def _label(items: list[dict[str, str]], key: str) -> str:
    return next((str(i.get("label") or key) for i in items if i.get("id") == key), key)


def certificate_pdf(record: SignatureRecord) -> bytes:
    """The certificate PDF of ``record`` (deterministic)."""
    version = record.commitment_version
    body = json.loads(record.body)
    withdrawal = record.withdrawal
    return render_certificate(
        CertificateData(
            record=body,
            signature=record.signature,
            commitment_title=version.title,
            place=version.place,
            category_label=_label(version.categories, record.category),
            dimension_labels=[_label(version.dimensions, d) for d in body["dimensions"]],
            strokes=json.loads(record.strokes),
            verify_url=verify_url(record.code),
            log_index=record.log_index,
            withdrawn=None
            if withdrawal is None
            else (format_instant(withdrawal.withdrawn_at), withdrawal.reason),
        )
    )


def certificate_filename(record: SignatureRecord) -> str:
    """``ikrar-<code>.pdf`` (codes are unique and carry no personal data)."""
    return f"ikrar-{record.code}.pdf"
