"""A certificate's attachments (EmbeddedFiles name tree), built from reportlab's pdfdoc objects.

The signed record (``record.json``, its RFC 8785 canonical bytes), the signature (``record.sig``)
and, when given, the offline inclusion receipt (``receipt.tlog-proof``) are embedded as standard
PDF attachments; registry.pdf.reader reads them back with the standard library alone.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reportlab.pdfbase import pdfdoc

from registry.core.canonical import canonical_bytes
from registry.pdf.common import ATTACHMENT_RECEIPT, ATTACHMENT_RECORD, ATTACHMENT_SIGNATURE

__all__ = ["AttachedFile", "certificate_files", "embed_files"]

AttachedFile = tuple[str, bytes, str, str]  # name, content, MIME type, description


class _HexString(pdfdoc.PDFObject):  # type: ignore[misc]
    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return b"<" + self.data.hex().encode("ascii") + b">"


def certificate_files(record: dict[str, Any], signature: str, receipt: str | None) -> list[AttachedFile]:
    """The files a certificate of ``record`` carries, in the name tree's (byte) order."""
    files = [
        (
            ATTACHMENT_RECORD,
            canonical_bytes(record),
            "application/json",
            "Rekaman bertanda tangan (RFC 8785) / Signed record",
        ),
        (
            ATTACHMENT_SIGNATURE,
            signature.encode("ascii"),
            "text/plain",
            "Tanda tangan Ed25519 (base64url) atas record.json / Ed25519 signature",
        ),
    ]
    if receipt is not None:
        files.append(
            (
                ATTACHMENT_RECEIPT,
                receipt.encode("utf-8"),
                "text/plain",
                "Bukti inklusi log (C2SP tlog-proof) / Offline inclusion receipt",
            )
        )
    return sorted(files)  # a name tree's keys are in byte order


def embed_files(document: Any, files: list[AttachedFile]) -> None:
    """Attach ``files`` to the reportlab ``document`` as its EmbeddedFiles name tree."""
    entries: list[Any] = []
    for name, content, mime, description in files:
        stream = pdfdoc.PDFStream(
            pdfdoc.PDFDictionary(
                {
                    "Type": pdfdoc.PDFName("EmbeddedFile"),
                    # PDFName leaves "/" unescaped; a MIME type's slash must be written #2F.
                    "Subtype": "/" + mime.replace("/", "#2F"),
                    "Params": pdfdoc.PDFDictionary(
                        {"Size": len(content), "CheckSum": _HexString(hashlib.md5(content).digest())}  # noqa: S324 (PDF's own checksum field)
                    ),
                }
            ),
            content=content,
            filters=None,  # stored as is (the document has no default filters): readable by any tool
        )
        spec = pdfdoc.PDFDictionary(
            {
                "Type": pdfdoc.PDFName("Filespec"),
                "F": pdfdoc.PDFString(name),
                "UF": pdfdoc.PDFString(name),
                "Desc": pdfdoc.PDFString(description),
                "AFRelationship": pdfdoc.PDFName("Data"),
                "EF": pdfdoc.PDFDictionary({"F": stream, "UF": stream}),
            }
        )
        entries += [pdfdoc.PDFString(name), document.Reference(spec)]
    names = pdfdoc.PDFDictionary({"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": pdfdoc.PDFArray(entries)})})
    document.Catalog.Names = names
