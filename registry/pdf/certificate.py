"""The signing certificate: one A4 PDF per signature, verifiable from the file alone.

The page carries everything a reader needs (who signed what, where and when, in WIB), the
handwritten signature drawn as vector paths from the canonical strokes, a vector QR code of the
verification URL, the short verification code, and an honest legal line. The PDF embeds the
signed record (``record.json``, its RFC 8785 canonical bytes), the signature (``record.sig``) and,
when given, the offline inclusion receipt (``receipt.tlog-proof``) as standard PDF attachments
(registry.pdf.attachments); registry.pdf.reader reads them back without any third-party PDF
library.

No user string is ever parsed as markup: every text on the page is drawn with reportlab's canvas
string operators by the flowables of registry.pdf.layout (no ``Paragraph``), so ``<b>``, ``&`` or
``<img src=…>`` in a name print literally and can open no file.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from reportlab.lib.colors import white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepInFrame, PageTemplate, Spacer

from registry.core import codes
from registry.core.canonical import canonical_bytes
from registry.core.errors import FormatError
from registry.core.records import check_record_shape
from registry.core.strokes import strokes_sha256
from registry.pdf.attachments import certificate_files, embed_files
from registry.pdf.branding import letterhead, letterhead_material
from registry.pdf.common import LEGAL_LINE, LEGAL_LINE_EN, format_wib
from registry.pdf.layout import (
    CREAM,
    GOLD,
    GREY,
    INK,
    NAVY,
    RED,
    FlexSpace,
    Rule,
    Signature,
    Text,
    pdf_date,
    register_fonts,
)
from registry.pdf.printable import BOLD
from registry.pdf.qr_drawing import draw_qr, qr_matrix, qr_printed_size

__all__ = ["CertificateData", "render_certificate"]

PAGE_WIDTH, PAGE_HEIGHT = A4
CONTENT_X = 30 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * CONTENT_X
PANEL_X = 22 * mm
PANEL_WIDTH = PAGE_WIDTH - 2 * PANEL_X
PANEL_BOTTOM = 29 * mm
PANEL_HEIGHT = 50 * mm
MAIN_TOP = PAGE_HEIGHT - 22 * mm
MAIN_GAP = 5 * mm  # between the main block and the verification panel
LEGAL_Y = 17.5 * mm


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on (and attached to) one certificate."""

    record: dict[str, Any]  # the signed record object (ikrar.signature.v1), FORMATS.md §3
    signature: str  # base64url Ed25519 signature of the record's canonical bytes
    commitment_title: str
    place: str  # event place
    category_label: str  # human label of record["signatory"]["category"]
    dimension_labels: list[str]  # human labels of record["dimensions"], same order
    strokes: list[list[list[int]]]  # canonical strokes (registry.core.strokes)
    verify_url: str  # what the QR encodes; may carry a #fragment
    log_index: int
    receipt: str | None = None  # C2SP tlog-proof text, embedded if given
    withdrawn: tuple[str, str] | None = None  # (instant text, reason) if the signature was withdrawn
    issuer: str | None = None  # the version's issuer and emblem (PNG), drawn by registry.pdf.branding
    emblem_png: bytes | None = None


# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The certificate's own flowables


class _Row(Flowable):  # type: ignore[misc]
    """One ``label | value`` row of the details block (bilingual label, wrapped value)."""

    LABEL_WIDTH = 42 * mm

    def __init__(self, label: str, label_en: str, value: str, *, width: float) -> None:
        super().__init__()
        self.label = Text(label, font=BOLD, sizes=(8.5,), color=NAVY, align="left")
        self.label_en = Text(label_en, sizes=(7,), color=GREY, align="left")
        self.value = Text(value, sizes=(10.5,), align="left")
        self.block_width = width

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        width = min(avail_width, self.block_width)
        _, h1 = self.label.wrap(self.LABEL_WIDTH - 3 * mm, avail_height)
        _, h2 = self.label_en.wrap(self.LABEL_WIDTH - 3 * mm, avail_height)
        _, h3 = self.value.wrap(width - self.LABEL_WIDTH, avail_height)
        self.width = avail_width
        self.height = max(h1 + h2, h3) + 2.2 * mm
        return self.width, self.height

    def draw(self) -> None:
        left = (self.width - self.block_width) / 2
        top = self.height - 1.1 * mm
        self.label.drawOn(self.canv, left, top - self.label.height)
        self.label_en.drawOn(self.canv, left, top - self.label.height - self.label_en.height)
        self.value.drawOn(self.canv, left + self.LABEL_WIDTH, top - self.value.height + 0.6)


class _Banner(Flowable):  # type: ignore[misc]
    """The withdrawal banner: a red box with DITARIK / WITHDRAWN, the date and the reason."""

    PAD = 3.5 * mm

    def __init__(self, when: str, reason: str) -> None:
        super().__init__()
        self.title = Text("DITARIK / WITHDRAWN", font=BOLD, sizes=(15,), color=white)
        self.when = Text(f"Ditarik pada · Withdrawn on: {when}", sizes=(9,), color=white, max_lines=2)
        # A reason may have 1000 characters; the page shows its start, the public page all of it.
        self.reason = Text(
            f"Alasan · Reason: {reason}", sizes=(8.5,), color=white, max_lines=5, truncate=True
        )

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        inner = avail_width - 2 * self.PAD
        heights = [part.wrap(inner, avail_height)[1] for part in (self.title, self.when, self.reason)]
        self.width = avail_width
        self.height = sum(heights) + 2 * self.PAD + 0.8 * mm
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(RED)
        canvas.setStrokeColor(RED)
        canvas.roundRect(0, 0, self.width, self.height, 2 * mm, stroke=0, fill=1)
        y = self.height - self.PAD
        for part in (self.title, self.when, self.reason):
            y -= part.height
            part.drawOn(canvas, self.PAD, y)
            y -= 0.4 * mm


# --------------------------------------------------------------------------------------------
# Rendering


def _check(data: CertificateData) -> None:
    """Refuse to print a certificate whose parts do not belong together."""
    check_record_shape(data.record)
    if len(data.dimension_labels) != len(data.record["dimensions"]):
        raise FormatError("dimension_labels must label record['dimensions'] one for one")
    try:
        drawn = strokes_sha256(data.strokes)
    except (FormatError, TypeError, ValueError) as exc:
        raise FormatError("strokes are not canonical strokes") from exc
    if drawn != data.record["handwriting"]["strokes_sha256"]:
        # The record seals the hash of the handwriting; print no other drawing beside it.
        raise FormatError("the strokes are not the handwriting the record seals")
    if type(data.log_index) is not int or data.log_index < 0:
        raise FormatError("log_index must be a non-negative integer")
    if not data.signature.isascii():
        raise FormatError("the signature is base64url text")
    if not data.verify_url:
        raise FormatError("verify_url is empty")
    if data.withdrawn is not None and len(data.withdrawn) != 2:
        raise FormatError("withdrawn is (instant, reason)")


def _document_id(data: CertificateData) -> bytes:
    """A fixed PDF /ID: a digest of everything the certificate shows and carries."""
    material = json.dumps(
        [
            canonical_bytes(data.record).decode("utf-8"),
            data.signature,
            data.commitment_title,
            data.place,
            data.category_label,
            data.dimension_labels,
            data.strokes,
            data.verify_url,
            data.log_index,
            data.receipt,
            list(data.withdrawn) if data.withdrawn else None,
            *letterhead_material(data.issuer, data.emblem_png),
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    ).encode("ascii")
    return hashlib.sha256(b"ikrar certificate pdf id\n" + material).digest()[:16]


def _when_text(instant: str) -> str:
    try:
        return format_wib(instant)
    except FormatError:
        return instant  # already human text


def _story(data: CertificateData) -> list[Flowable]:
    signatory = data.record["signatory"]
    story: list[Flowable] = [
        *letterhead(data.issuer, data.emblem_png),
        Text("IKRAR · REGISTRI KOMITMEN PUBLIK", font=BOLD, sizes=(7.5,), color=GOLD),
        Spacer(1, 3 * mm),
        Text("SERTIFIKAT PENANDATANGANAN", font=BOLD, sizes=(21, 18), max_lines=1, color=NAVY),
        Text("Certificate of signing", sizes=(9.5,), color=GREY),
        Rule(60 * mm),
    ]
    if data.withdrawn is not None:
        story += [_Banner(_when_text(data.withdrawn[0]), data.withdrawn[1]), Spacer(1, 3 * mm)]
    story += [
        FlexSpace(1, 1 * mm),
        Text("Dengan ini menerangkan bahwa · This is to attest that", sizes=(9,), color=GREY),
        Spacer(1, 2.5 * mm),
        Text(signatory["name"], font=BOLD, sizes=(22, 18, 15, 12), max_lines=2, color=INK),
        Spacer(1, 1.5 * mm),
        Text(signatory["position"], sizes=(12, 10.5, 9), max_lines=2),
        Text(signatory["institution"], sizes=(12, 10.5, 9), max_lines=2),
        Spacer(1, 1.5 * mm),
        Text(f"Kategori · Category: {data.category_label}", sizes=(9,), color=GREY, max_lines=2),
        FlexSpace(1, 3 * mm),
        Text("telah menandatangani · has signed", sizes=(9,), color=GREY),
        Spacer(1, 2 * mm),
        Text(data.commitment_title, font=BOLD, sizes=(16, 14, 12, 10), max_lines=3, color=NAVY),
        FlexSpace(1, 4 * mm),
    ]
    details = CONTENT_WIDTH - 6 * mm
    story += [
        _Row("Dimensi yang dipilih", "Dimensions chosen", " · ".join(data.dimension_labels), width=details),
        _Row("Tempat", "Place", data.place, width=details),
        _Row("Waktu", "Time", format_wib(data.record["signed_at"]), width=details),
        FlexSpace(1.5, 3 * mm),
        Signature(data.strokes, signatory["name"]),
    ]
    return story


def _balance(story: list[Flowable], width: float, height: float) -> None:
    """Give the flexible spacers what the frame has to spare, so the page is evenly filled."""
    natural = 0.0
    for flowable in story:
        _, h = flowable.wrap(width, height)
        natural += h + flowable.getSpaceAfter() + flowable.getSpaceBefore()
    flex = [f for f in story if isinstance(f, FlexSpace)]
    spare = max(height - natural - 2, 0.0)
    total = sum(f.weight for f in flex)
    for f in flex:
        f.height = f.minimum + min(spare * f.weight / total, 18 * mm)


def _panel_height(matrix: list[list[bool]]) -> float:
    height: float = max(PANEL_HEIGHT, qr_printed_size(len(matrix)) + 8 * mm)
    return height


def _panel(data: CertificateData, matrix: list[list[bool]], canvas: Any) -> None:
    """The verification panel at the foot of the page: QR code, code, ids, attachments, legal line."""
    record = data.record
    qr_size = qr_printed_size(len(matrix))
    panel_height = _panel_height(matrix)

    canvas.saveState()
    canvas.setFillColor(CREAM)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.6)
    canvas.roundRect(PANEL_X, PANEL_BOTTOM, PANEL_WIDTH, panel_height, 2.5 * mm, stroke=1, fill=1)
    qr_x = PANEL_X + 4 * mm
    qr_y = PANEL_BOTTOM + (panel_height - qr_size) / 2
    draw_qr(canvas, matrix, qr_x, qr_y, qr_size)

    text_x = qr_x + qr_size + 6 * mm
    text_width = PANEL_X + PANEL_WIDTH - 5 * mm - text_x
    url = data.verify_url.split("#", 1)[0]
    has_receipt = data.receipt is not None
    attached = "record.json, record.sig" + (", receipt.tlog-proof" if has_receipt else "")
    blocks: list[tuple[Flowable, float]] = [
        (Text("VERIFIKASI KEASLIAN · VERIFY", font=BOLD, sizes=(8,), color=NAVY, align="left"), 1 * mm),
        (Text("Kode verifikasi · Verification code", sizes=(7,), color=GREY, align="left"), 0.3 * mm),
        (Text(codes.display_code(record["code"]), font=BOLD, sizes=(19,), align="left"), 1.2 * mm),
        (
            Text(
                f"Pindai kode QR atau buka · Scan the QR code or open: {url}",
                sizes=(7.5,),
                align="left",
                max_lines=2,
                truncate=True,
            ),
            1.5 * mm,
        ),
    ]
    details = (
        ("ID rekaman · Record id", record["id"]),
        ("ID kunci · Key id", record["kid"]),
        ("Indeks log · Log index", str(data.log_index)),
    )
    y = PANEL_BOTTOM + panel_height - 4.5 * mm
    for flowable, gap in blocks:
        _, h = flowable.wrap(text_width, panel_height)
        y -= h
        flowable.drawOn(canvas, text_x, y)
        y -= gap
    label_width = 33 * mm
    for label, value in details:
        label_text = Text(label, sizes=(6.8,), color=GREY, align="left")
        value_text = Text(value, sizes=(7.2,), align="left", max_lines=1, truncate=True)
        _, h = value_text.wrap(text_width - label_width, panel_height)
        label_text.wrap(label_width, panel_height)
        y -= h
        label_text.drawOn(canvas, text_x, y)
        value_text.drawOn(canvas, text_x + label_width, y)
    attachments = Text(
        f"Berkas terlampir di PDF ini · Files attached to this PDF: {attached}",
        sizes=(6.8,),
        color=GREY,
        align="left",
        max_lines=2,
    )
    _, h = attachments.wrap(text_width, panel_height)
    attachments.drawOn(canvas, text_x, y - h - 1.2 * mm)

    legal = Text(LEGAL_LINE, font=BOLD, sizes=(7.8, 7.4, 7), max_lines=1, color=INK)
    legal_en = Text(LEGAL_LINE_EN, sizes=(6.8,), color=GREY)
    _, h_en = legal_en.wrap(PANEL_WIDTH, PANEL_BOTTOM)
    legal.wrap(PANEL_WIDTH, PANEL_BOTTOM)
    legal_en.drawOn(canvas, PANEL_X, LEGAL_Y)
    legal.drawOn(canvas, PANEL_X, LEGAL_Y + h_en)
    canvas.restoreState()


def _page_frame(canvas: Any) -> None:
    """The double border of every page."""
    canvas.saveState()
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(1.4)
    canvas.rect(11 * mm, 11 * mm, PAGE_WIDTH - 22 * mm, PAGE_HEIGHT - 22 * mm, stroke=1, fill=0)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.5)
    canvas.rect(13 * mm, 13 * mm, PAGE_WIDTH - 26 * mm, PAGE_HEIGHT - 26 * mm, stroke=1, fill=0)
    canvas.restoreState()


def _watermark(canvas: Any) -> None:
    canvas.saveState()
    canvas.setFillColor(RED)
    canvas.setFillAlpha(0.07)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2 + 20 * mm)
    canvas.rotate(35)
    canvas.setFont(BOLD, 96)
    canvas.drawCentredString(0, -34, "DITARIK")
    canvas.restoreState()


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as PDF bytes; the same data always gives the same bytes."""
    _check(data)
    register_fonts()
    # Computes the canonical bytes, refusing a record that cannot be signed.
    files = certificate_files(data.record, data.signature, data.receipt)
    record = data.record
    signed_at: str = record["signed_at"]
    creation_date = pdf_date(signed_at)
    document_id = _document_id(data)

    matrix = qr_matrix(data.verify_url)

    def page(canvas: Any, doc: Any) -> None:
        # The certificate is one page (see KeepInFrame below), so this runs once.
        pdf = canvas._doc
        # Fixed /ID and dates: reportlab's invariant mode still reads SOURCE_DATE_EPOCH.
        pdf._ID = b"\n[<" + document_id.hex().encode() + b"> <" + document_id.hex().encode() + b">]\n"
        canvas.setDateFormatter(lambda *_: creation_date)
        if getattr(pdf.Catalog, "Names", None) is None:
            embed_files(pdf, files)
        _page_frame(canvas)
        if data.withdrawn is not None:
            _watermark(canvas)
        _panel(data, matrix, canvas)

    main_bottom = PANEL_BOTTOM + _panel_height(matrix) + MAIN_GAP
    main_height = MAIN_TOP - main_bottom
    template = PageTemplate(
        id="certificate",
        frames=[Frame(CONTENT_X, main_bottom, CONTENT_WIDTH, main_height, 0, 0, 0, 0, id="main")],
        onPage=page,
    )
    buffer = BytesIO()
    title = f"Sertifikat Penandatanganan {codes.display_code(record['code'])}"
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[template],
        invariant=1,
        pageCompression=1,
        title=title,
        author="Registri Ikrar",
        subject=unicodedata.normalize("NFC", data.commitment_title),
        creator="Ikrar",
        lang="id-ID",
    )
    story = _story(data)
    _balance(story, CONTENT_WIDTH, main_height)
    # One page, always: content taller than the frame (only with near-maximal field lengths) is
    # scaled down a little rather than pushing the signature onto a second page.
    doc.build([KeepInFrame(CONTENT_WIDTH, main_height, story, mode="shrink", hAlign="CENTER", vAlign="TOP")])
    return buffer.getvalue()
