"""The signing certificate: one A4 PDF per signature, verifiable from the file alone.

The page carries everything a reader needs (who signed what, where and when, in WIB), the
handwritten signature drawn as vector paths from the canonical strokes, a vector QR code of the
verification URL, the short verification code, and an honest legal line. The PDF embeds the
signed record (``record.json``, its RFC 8785 canonical bytes), the signature (``record.sig``) and,
when given, the offline inclusion receipt (``receipt.tlog-proof``) as standard PDF attachments;
``extract_attachments`` reads them back without any third-party PDF library.

No user string is ever parsed as markup: every text on the page is drawn with reportlab's canvas
string operators by the small flowables below (no ``Paragraph``), so ``<b>``, ``&`` or
``<img src=…>`` in a name print literally and can open no file.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone
from io import BytesIO
from typing import Any, NamedTuple

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepInFrame, PageTemplate, Spacer

from registry.core import codes
from registry.core.canonical import canonical_bytes, parse_instant
from registry.core.errors import FormatError
from registry.core.records import check_record_shape
from registry.core.strokes import strokes_sha256
from registry.pdf_branding import letterhead, letterhead_material
from registry.printable import BOLD, REGULAR, printed_form, register_fonts

_register_fonts = register_fonts  # the name bench/probes.py warms the fonts with

__all__ = [
    "ATTACHMENT_RECEIPT",
    "ATTACHMENT_RECORD",
    "ATTACHMENT_SIGNATURE",
    "LEGAL_LINE",
    "CertificateData",
    "extract_attachments",
    "format_wib",
    "qr_matrix",
    "render_certificate",
]

ATTACHMENT_RECORD = "record.json"
ATTACHMENT_SIGNATURE = "record.sig"
ATTACHMENT_RECEIPT = "receipt.tlog-proof"

# Honest about the legal nature (PP 71/2019 art. 59–60): no PSrE certificate is involved.
LEGAL_LINE = (
    "Tanda tangan elektronik tidak tersertifikasi menurut PP 71/2019, "
    "disegel dengan kunci sistem registri Ikrar."
)
LEGAL_LINE_EN = (
    "Electronic signature not certified under PP 71/2019 (no PSrE certificate), "
    "sealed with the Ikrar registry's system key."
)

WIB = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta: UTC+7 all year, no daylight saving
_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

# Palette: navy and muted gold on white, a cream verification panel, red for withdrawal.
NAVY = HexColor("#1b365d")
GOLD = HexColor("#b08d3c")
INK = HexColor("#1a1a1a")
GREY = HexColor("#5b6470")
CREAM = HexColor("#f6f3ea")
RED = HexColor("#a61b1b")
SIGNATURE_INK = HexColor("#10243e")

PAGE_WIDTH, PAGE_HEIGHT = A4
CONTENT_X = 30 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * CONTENT_X
PANEL_X = 22 * mm
PANEL_WIDTH = PAGE_WIDTH - 2 * PANEL_X
PANEL_BOTTOM = 29 * mm
PANEL_HEIGHT = 50 * mm
QR_SIZE = 40 * mm  # including the 4-module quiet zone
QR_MIN_MODULE = 0.4 * mm  # smallest module phone cameras read reliably from paper
QR_BORDER = 4
SIGNATURE_BOX = (70 * mm, 30 * mm)
MAIN_TOP = PAGE_HEIGHT - 22 * mm
MAIN_GAP = 5 * mm  # between the main block and the verification panel
LEGAL_Y = 17.5 * mm

# Limits of what extract_attachments accepts (the files it reads are small).
_MAX_ATTACHMENTS = 16
_MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024
_MAX_PDF_BYTES = 64 * 1024 * 1024


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
    issuer: str | None = None  # the version's issuer and emblem (PNG), drawn by pdf_branding
    emblem_png: bytes | None = None


# --------------------------------------------------------------------------------------------
# Text helpers


def format_wib(instant: str) -> str:
    """An instant (``2024-09-12T03:15:00.000Z``) as ``Kamis, 12 September 2024 10.15 WIB``."""
    moment = parse_instant(instant).astimezone(WIB)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day} {_MONTHS[moment.month - 1]} {moment.year} "
        f"{moment.hour:02d}.{moment.minute:02d} WIB"
    )


def _width(text: str, font: str, size: float) -> float:
    width: float = pdfmetrics.stringWidth(text, font, size)
    return width


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Split a word wider than ``width`` between characters (never before a combining mark)."""
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and not unicodedata.combining(ch) and _width(current + ch, font, size) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap at spaces; over-long words are broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if _width(candidate, font, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            pieces = _break_word(word, font, size, width)
            lines.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
        lines.append(current)
    return lines


def _ellipsize(lines: list[str], max_lines: int, font: str, size: float, width: float) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and _width(last + "…", font, size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


# --------------------------------------------------------------------------------------------
# Flowables: text drawn with canvas string operators only (never parsed as markup)


class _Text(Flowable):  # type: ignore[misc]
    """Wrapped plain text, centred or left-aligned; picks the largest size that fits ``max_lines``."""

    def __init__(
        self,
        text: str,
        *,
        font: str = REGULAR,
        sizes: Sequence[float] = (10,),
        color: Color = INK,
        align: str = "center",
        leading: float = 1.28,
        max_lines: int | None = None,
        truncate: bool = False,
    ) -> None:
        super().__init__()
        self.text = printed_form(text, font)
        self.font = font
        self.sizes = tuple(sizes)
        self.color = color
        self.align = align
        self.leading_factor = leading
        self.max_lines = max_lines
        self.truncate = truncate
        self.size = self.sizes[0]
        self.lines: list[str] = []

    def _layout(self, width: float) -> None:
        for size in self.sizes:
            lines = _wrap(self.text, self.font, size, width)
            if self.max_lines is None or len(lines) <= self.max_lines:
                break
        if self.truncate and self.max_lines is not None:
            lines = _ellipsize(lines, self.max_lines, self.font, size, width)
        self.size, self.lines = size, lines

    @property
    def line_height(self) -> float:
        return self.size * self.leading_factor

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._layout(avail_width)
        self.width = avail_width
        self.height = len(self.lines) * self.line_height
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(self.color)
        canvas.setFont(self.font, self.size)
        # Centre the glyphs' ascent/descent box (DejaVu: 0.76 / 0.24 em visually) in each line box.
        offset = (self.line_height - self.size) / 2 + 0.76 * self.size
        for i, line in enumerate(self.lines):
            y = self.height - i * self.line_height - offset
            if self.align == "center":
                canvas.drawCentredString(self.width / 2, y, line)
            else:
                canvas.drawString(0, y, line)


class _Row(Flowable):  # type: ignore[misc]
    """One ``label | value`` row of the details block (bilingual label, wrapped value)."""

    LABEL_WIDTH = 42 * mm

    def __init__(self, label: str, label_en: str, value: str, *, width: float) -> None:
        super().__init__()
        self.label = _Text(label, font=BOLD, sizes=(8.5,), color=NAVY, align="left")
        self.label_en = _Text(label_en, sizes=(7,), color=GREY, align="left")
        self.value = _Text(value, sizes=(10.5,), align="left")
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


class _Rule(Flowable):  # type: ignore[misc]
    """A short centred ornamental rule: gold line with a small diamond."""

    def __init__(self, length: float, *, space: float = 3 * mm) -> None:
        super().__init__()
        self.length = length
        self.space = space

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width, self.height = avail_width, 2 * self.space
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        cx, cy = self.width / 2, self.height / 2
        canvas.setStrokeColor(GOLD)
        canvas.setFillColor(GOLD)
        canvas.setLineWidth(0.6)
        canvas.line(cx - self.length / 2, cy, cx - 2.2 * mm, cy)
        canvas.line(cx + 2.2 * mm, cy, cx + self.length / 2, cy)
        path = canvas.beginPath()
        d = 1.1 * mm
        path.moveTo(cx, cy + d)
        path.lineTo(cx + d, cy)
        path.lineTo(cx, cy - d)
        path.lineTo(cx - d, cy)
        path.close()
        canvas.drawPath(path, stroke=0, fill=1)


class _Banner(Flowable):  # type: ignore[misc]
    """The withdrawal banner: a red box with DITARIK / WITHDRAWN, the date and the reason."""

    PAD = 3.5 * mm

    def __init__(self, when: str, reason: str) -> None:
        super().__init__()
        self.title = _Text("DITARIK / WITHDRAWN", font=BOLD, sizes=(15,), color=white)
        self.when = _Text(f"Ditarik pada · Withdrawn on: {when}", sizes=(9,), color=white, max_lines=2)
        # A reason may have 1000 characters; the page shows its start, the public page all of it.
        self.reason = _Text(
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


class _Signature(Flowable):  # type: ignore[misc]
    """The handwritten signature as vector paths, fitted into a 70 × 30 mm box, with its caption."""

    def __init__(self, strokes: Sequence[Sequence[Sequence[int]]], name: str) -> None:
        super().__init__()
        # (x, y, pressure) per point; empty strokes dropped.
        points = [[(int(p[0]), int(p[1]), int(p[3]) if len(p) > 3 else 500) for p in s] for s in strokes]
        self.strokes = [s for s in points if s]
        self.caption_name = _Text(name, font=BOLD, sizes=(9,), max_lines=2, truncate=True)
        self.caption = _Text("Tanda tangan · Signature", sizes=(7,), color=GREY)
        self.box_w, self.box_h = SIGNATURE_BOX

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        caption_width = 85 * mm
        _, h1 = self.caption_name.wrap(caption_width, avail_height)
        _, h2 = self.caption.wrap(caption_width, avail_height)
        self.width = avail_width
        self.height = self.box_h + 2.5 * mm + h1 + h2
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        base = self.caption_name.height + self.caption.height
        line_y = base + 1.5 * mm
        left = (self.width - self.box_w) / 2
        bottom = line_y + 1 * mm
        # The signature line.
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.5)
        canvas.line(self.width / 2 - 42 * mm, line_y, self.width / 2 + 42 * mm, line_y)
        caption_left = (self.width - 85 * mm) / 2
        self.caption_name.drawOn(canvas, caption_left, self.caption.height)
        self.caption.drawOn(canvas, caption_left, 0)
        self._draw_strokes(left, bottom)

    def _draw_strokes(self, left: float, bottom: float) -> None:
        points = [p for s in self.strokes for p in s]
        if not points:
            return
        min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
        min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
        span_x, span_y = max(max_x - min_x, 1), max(max_y - min_y, 1)
        margin = 1.5  # points, so round caps stay inside the box
        scale = min((self.box_w - 2 * margin) / span_x, (self.box_h - 2 * margin) / span_y)
        ox = left + (self.box_w - span_x * scale) / 2
        oy = bottom + (self.box_h - span_y * scale) / 2

        def at(p: tuple[int, int, int]) -> tuple[float, float]:
            # Pad y grows downwards, PDF y upwards.
            return ox + (p[0] - min_x) * scale, oy + (max_y - p[1]) * scale

        def width(pressure: int) -> float:
            # 0.7 pt at no pressure to 1.6 pt at full, in 0.1 pt steps so runs merge into paths.
            return round(0.7 + 0.9 * min(max(pressure, 0), 1000) / 1000, 1)

        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(SIGNATURE_INK)
        canvas.setFillColor(SIGNATURE_INK)
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        for stroke in self.strokes:
            if len(stroke) == 1:
                x, y = at(stroke[0])
                canvas.circle(x, y, width(stroke[0][2]), stroke=0, fill=1)  # a dot (e.g. over an i)
                continue
            run_width = width(stroke[1][2])
            path = canvas.beginPath()
            path.moveTo(*at(stroke[0]))
            for prev, point in itertools.pairwise(stroke):
                w = width(point[2])
                if w != run_width:
                    canvas.setLineWidth(run_width)
                    canvas.drawPath(path, stroke=1, fill=0)
                    path = canvas.beginPath()
                    path.moveTo(*at(prev))
                    run_width = w
                path.lineTo(*at(point))
            canvas.setLineWidth(run_width)
            canvas.drawPath(path, stroke=1, fill=0)
        canvas.restoreState()


class _FlexSpace(Spacer):  # type: ignore[misc]
    """A spacer whose height is set once the story's natural height is known."""

    def __init__(self, weight: float, minimum: float) -> None:
        super().__init__(1, minimum)
        self.weight = weight
        self.minimum = minimum


# --------------------------------------------------------------------------------------------
# QR code


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code of ``url`` at error correction M, including the 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_BORDER, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    matrix: list[list[bool]] = [[bool(cell) for cell in row] for row in code.get_matrix()]
    return matrix


def qr_printed_size(modules: int) -> float:
    """Printed side of a QR code of ``modules`` modules (quiet zone included), in points."""
    size: float = max(QR_SIZE, modules * QR_MIN_MODULE)
    return size


def _draw_qr(canvas: Any, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw the QR code as one vector path: a rectangle per run of dark modules in a row."""
    n = len(matrix)
    module = size / n
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)  # the quiet zone is white, whatever lies below
    canvas.setFillColor(HexColor("#000000"))
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            path.rect(x + start * module, y + size - (r + 1) * module, (c - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


# --------------------------------------------------------------------------------------------
# PDF attachments (EmbeddedFiles name tree), built from reportlab's pdfdoc objects


class _HexString(pdfdoc.PDFObject):  # type: ignore[misc]
    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return b"<" + self.data.hex().encode("ascii") + b">"


def _attachments(data: CertificateData) -> list[tuple[str, bytes, str, str]]:
    files = [
        (
            ATTACHMENT_RECORD,
            canonical_bytes(data.record),
            "application/json",
            "Rekaman bertanda tangan (RFC 8785) / Signed record",
        ),
        (
            ATTACHMENT_SIGNATURE,
            data.signature.encode("ascii"),
            "text/plain",
            "Tanda tangan Ed25519 (base64url) atas record.json / Ed25519 signature",
        ),
    ]
    if data.receipt is not None:
        files.append(
            (
                ATTACHMENT_RECEIPT,
                data.receipt.encode("utf-8"),
                "text/plain",
                "Bukti inklusi log (C2SP tlog-proof) / Offline inclusion receipt",
            )
        )
    return sorted(files)  # a name tree's keys are in byte order


def _embed_files(document: Any, files: list[tuple[str, bytes, str, str]]) -> None:
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


def _pdf_date(instant: str) -> str:
    moment = parse_instant(instant)
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def _when_text(instant: str) -> str:
    try:
        return format_wib(instant)
    except FormatError:
        return instant  # already human text


def _story(data: CertificateData) -> list[Flowable]:
    signatory = data.record["signatory"]
    story: list[Flowable] = [
        *letterhead(data.issuer, data.emblem_png),
        _Text("IKRAR · REGISTRI KOMITMEN PUBLIK", font=BOLD, sizes=(7.5,), color=GOLD),
        Spacer(1, 3 * mm),
        _Text("SERTIFIKAT PENANDATANGANAN", font=BOLD, sizes=(21, 18), max_lines=1, color=NAVY),
        _Text("Certificate of signing", sizes=(9.5,), color=GREY),
        _Rule(60 * mm),
    ]
    if data.withdrawn is not None:
        story += [_Banner(_when_text(data.withdrawn[0]), data.withdrawn[1]), Spacer(1, 3 * mm)]
    story += [
        _FlexSpace(1, 1 * mm),
        _Text("Dengan ini menerangkan bahwa · This is to attest that", sizes=(9,), color=GREY),
        Spacer(1, 2.5 * mm),
        _Text(signatory["name"], font=BOLD, sizes=(22, 18, 15, 12), max_lines=2, color=INK),
        Spacer(1, 1.5 * mm),
        _Text(signatory["position"], sizes=(12, 10.5, 9), max_lines=2),
        _Text(signatory["institution"], sizes=(12, 10.5, 9), max_lines=2),
        Spacer(1, 1.5 * mm),
        _Text(f"Kategori · Category: {data.category_label}", sizes=(9,), color=GREY, max_lines=2),
        _FlexSpace(1, 3 * mm),
        _Text("telah menandatangani · has signed", sizes=(9,), color=GREY),
        Spacer(1, 2 * mm),
        _Text(data.commitment_title, font=BOLD, sizes=(16, 14, 12, 10), max_lines=3, color=NAVY),
        _FlexSpace(1, 4 * mm),
    ]
    details = CONTENT_WIDTH - 6 * mm
    story += [
        _Row("Dimensi yang dipilih", "Dimensions chosen", " · ".join(data.dimension_labels), width=details),
        _Row("Tempat", "Place", data.place, width=details),
        _Row("Waktu", "Time", format_wib(data.record["signed_at"]), width=details),
        _FlexSpace(1.5, 3 * mm),
        _Signature(data.strokes, signatory["name"]),
    ]
    return story


def _balance(story: list[Flowable], width: float, height: float) -> None:
    """Give the flexible spacers what the frame has to spare, so the page is evenly filled."""
    natural = 0.0
    for flowable in story:
        _, h = flowable.wrap(width, height)
        natural += h + flowable.getSpaceAfter() + flowable.getSpaceBefore()
    flex = [f for f in story if isinstance(f, _FlexSpace)]
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
    _draw_qr(canvas, matrix, qr_x, qr_y, qr_size)

    text_x = qr_x + qr_size + 6 * mm
    text_width = PANEL_X + PANEL_WIDTH - 5 * mm - text_x
    url = data.verify_url.split("#", 1)[0]
    has_receipt = data.receipt is not None
    attached = "record.json, record.sig" + (", receipt.tlog-proof" if has_receipt else "")
    blocks: list[tuple[Flowable, float]] = [
        (_Text("VERIFIKASI KEASLIAN · VERIFY", font=BOLD, sizes=(8,), color=NAVY, align="left"), 1 * mm),
        (_Text("Kode verifikasi · Verification code", sizes=(7,), color=GREY, align="left"), 0.3 * mm),
        (_Text(codes.display_code(record["code"]), font=BOLD, sizes=(19,), align="left"), 1.2 * mm),
        (
            _Text(
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
        label_text = _Text(label, sizes=(6.8,), color=GREY, align="left")
        value_text = _Text(value, sizes=(7.2,), align="left", max_lines=1, truncate=True)
        _, h = value_text.wrap(text_width - label_width, panel_height)
        label_text.wrap(label_width, panel_height)
        y -= h
        label_text.drawOn(canvas, text_x, y)
        value_text.drawOn(canvas, text_x + label_width, y)
    attachments = _Text(
        f"Berkas terlampir di PDF ini · Files attached to this PDF: {attached}",
        sizes=(6.8,),
        color=GREY,
        align="left",
        max_lines=2,
    )
    _, h = attachments.wrap(text_width, panel_height)
    attachments.drawOn(canvas, text_x, y - h - 1.2 * mm)

    legal = _Text(LEGAL_LINE, font=BOLD, sizes=(7.8, 7.4, 7), max_lines=1, color=INK)
    legal_en = _Text(LEGAL_LINE_EN, sizes=(6.8,), color=GREY)
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
    files = _attachments(data)  # computes the canonical bytes, refusing a record that cannot be signed
    record = data.record
    signed_at: str = record["signed_at"]
    pdf_date = _pdf_date(signed_at)
    document_id = _document_id(data)

    matrix = qr_matrix(data.verify_url)

    def page(canvas: Any, doc: Any) -> None:
        # The certificate is one page (see KeepInFrame below), so this runs once.
        pdf = canvas._doc
        # Fixed /ID and dates: reportlab's invariant mode still reads SOURCE_DATE_EPOCH.
        pdf._ID = b"\n[<" + document_id.hex().encode() + b"> <" + document_id.hex().encode() + b">]\n"
        canvas.setDateFormatter(lambda *_: pdf_date)
        if getattr(pdf.Catalog, "Names", None) is None:
            _embed_files(pdf, files)
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


# --------------------------------------------------------------------------------------------
# Reading the attachments back: a small, strict parser for the PDFs this module writes


class _Ref(NamedTuple):
    number: int
    generation: int


class _Name(str):
    __slots__ = ()


_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_INT = re.compile(rb"\d+")
_SIGNED_INT = re.compile(rb"[+-]?\d+")
_REF = re.compile(rb"(\d{1,10})[ \t\r\n]+(\d{1,5})[ \t\r\n]+R(?![A-Za-z])")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])[ \r\n]{2}")


class _Parser:
    """PDF objects from bytes: classic xref table, no incremental updates, no encryption."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.offsets: dict[int, int] = {}
        self.resolving: set[int] = set()

    # -- lexical level --
    def skip(self, pos: int) -> int:
        pdf = self.pdf
        while pos < len(pdf):
            if pdf[pos] in _WHITESPACE:
                pos += 1
            elif pdf[pos] == ord("%"):
                while pos < len(pdf) and pdf[pos] not in b"\r\n":
                    pos += 1
            else:
                break
        return pos

    def expect(self, pos: int, token: bytes) -> int:
        pos = self.skip(pos)
        if not self.pdf.startswith(token, pos):
            raise FormatError(f"PDF: expected {token.decode()!r} at byte {pos}")
        return pos + len(token)

    def integer(self, pos: int) -> tuple[int, int]:
        pos = self.skip(pos)
        match = _INT.match(self.pdf, pos)
        if not match or len(match.group()) > 12:
            raise FormatError(f"PDF: expected an integer at byte {pos}")
        return int(match.group()), match.end()

    def value(self, pos: int, depth: int = 0) -> tuple[Any, int]:
        if depth > 32:
            raise FormatError("PDF: objects nested too deeply")
        pdf = self.pdf
        pos = self.skip(pos)
        if pos >= len(pdf):
            raise FormatError("PDF: unexpected end of file")
        if pdf.startswith(b"<<", pos):
            result: dict[str, Any] = {}
            pos += 2
            while True:
                pos = self.skip(pos)
                if pdf.startswith(b">>", pos):
                    return result, pos + 2
                key, pos = self.value(pos, depth + 1)
                if not isinstance(key, _Name):
                    raise FormatError(f"PDF: dictionary key is not a name at byte {pos}")
                if key in result:
                    raise FormatError(f"PDF: duplicate dictionary key /{key}")
                result[key], pos = self.value(pos, depth + 1)
        if pdf[pos] == ord("["):
            items: list[Any] = []
            pos += 1
            while True:
                pos = self.skip(pos)
                if pdf.startswith(b"]", pos):
                    return items, pos + 1
                item, pos = self.value(pos, depth + 1)
                items.append(item)
        if pdf[pos] == ord("/"):
            end = pos + 1
            while end < len(pdf) and pdf[end] not in _WHITESPACE and pdf[end] not in _DELIMITERS:
                end += 1
            raw = pdf[pos + 1 : end]
            name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
            return _Name(name.decode("latin-1")), end
        if pdf[pos] == ord("("):
            return self.literal_string(pos)
        if pdf[pos] == ord("<"):
            end = pdf.find(b">", pos)
            if end < 0:
                raise FormatError("PDF: unterminated hex string")
            digits = bytes(b for b in pdf[pos + 1 : end] if b not in _WHITESPACE)
            if len(digits) % 2:
                digits += b"0"
            try:
                return bytes.fromhex(digits.decode("ascii")), end + 1
            except ValueError as exc:
                raise FormatError("PDF: malformed hex string") from exc
        for word, constant in ((b"true", True), (b"false", False), (b"null", None)):
            if pdf.startswith(word, pos):
                return constant, pos + len(word)
        match = _NUMBER.match(pdf, pos)
        if not match:
            raise FormatError(f"PDF: unexpected byte {pdf[pos : pos + 1]!r} at {pos}")
        text = match.group()
        if _INT.fullmatch(text):
            # Maybe an indirect reference "N G R".
            ref = _REF.match(pdf, pos)
            if ref:
                return _Ref(int(ref.group(1)), int(ref.group(2))), ref.end()
            return int(text), match.end()
        try:
            return (int(text) if _SIGNED_INT.fullmatch(text) else float(text)), match.end()
        except ValueError as exc:
            raise FormatError("PDF: malformed number") from exc

    def literal_string(self, pos: int) -> tuple[bytes, int]:
        pdf = self.pdf
        out = bytearray()
        depth = 0
        pos += 1
        escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
        while pos < len(pdf):
            ch = pdf[pos]
            if ch == ord("\\"):
                pos += 1
                if pos >= len(pdf):
                    break
                esc = pdf[pos]
                if esc in escapes:
                    out += escapes[esc]
                    pos += 1
                elif esc in b"01234567":
                    match = _OCTAL.match(pdf, pos)
                    assert match is not None
                    out.append(int(match.group(), 8) & 0xFF)
                    pos = match.end()
                elif esc in b"\r\n":  # line continuation
                    pos += 2 if pdf.startswith(b"\r\n", pos) else 1
                else:
                    out.append(esc)
                    pos += 1
                continue
            if ch == ord("("):
                depth += 1
            elif ch == ord(")"):
                if depth == 0:
                    return bytes(out), pos + 1
                depth -= 1
            out.append(ch)
            pos += 1
        raise FormatError("PDF: unterminated string")

    # -- file structure --
    def read_xref(self) -> dict[str, Any]:
        pdf = self.pdf
        if not pdf.startswith(b"%PDF-1."):
            raise FormatError("not a PDF file")
        tail = pdf.rstrip(b"\r\n \x00")
        if not tail.endswith(b"%%EOF"):
            raise FormatError("PDF: no %%EOF at the end of the file")
        start = pdf.rfind(b"startxref", max(0, len(pdf) - 2048))
        if start < 0:
            raise FormatError("PDF: no startxref")
        xref_at, pos = self.integer(start + len(b"startxref"))
        if pdf[pos:].strip(b"\r\n \x00") != b"%%EOF":
            raise FormatError("PDF: unexpected data after startxref (modified PDF?)")
        if not 0 < xref_at < len(pdf) or not pdf.startswith(b"xref", xref_at):
            raise FormatError("PDF: startxref does not point at a cross-reference table (modified PDF?)")
        pos = xref_at + 4
        while True:
            pos = self.skip(pos)
            if pdf.startswith(b"trailer", pos):
                break
            first, pos = self.integer(pos)
            count, pos = self.integer(pos)
            if count > 100_000:
                raise FormatError("PDF: cross-reference section too large")
            pos = self.skip(pos)
            for i in range(count):
                entry = pdf[pos : pos + 20]
                match = _XREF_ENTRY.fullmatch(entry)
                if not match:
                    raise FormatError(f"PDF: malformed cross-reference entry at byte {pos}")
                if match.group(3) == b"n":
                    self.offsets[first + i] = int(match.group(1))
                pos += 20
        trailer, _ = self.value(pos + len(b"trailer"))
        if not isinstance(trailer, dict):
            raise FormatError("PDF: malformed trailer")
        for refused in ("Prev", "Encrypt", "XRefStm"):
            if refused in trailer:
                raise FormatError(f"PDF: /{refused} in the trailer: modified, or not an Ikrar certificate")
        return trailer

    def resolve(self, value: Any) -> Any:
        if not isinstance(value, _Ref):
            return value
        obj, _ = self.indirect(value)
        return obj

    def indirect(self, ref: _Ref) -> tuple[Any, int]:
        """The object ``ref`` points at, and the position just after it (before any stream)."""
        offset = self.offsets.get(ref.number)
        if offset is None or ref.number in self.resolving:
            raise FormatError(f"PDF: object {ref.number} is missing or refers to itself")
        self.resolving.add(ref.number)
        try:
            number, pos = self.integer(offset)
            generation, pos = self.integer(pos)
            if (number, generation) != (ref.number, ref.generation):
                raise FormatError(f"PDF: object {ref.number} is not where the cross-reference table says")
            pos = self.expect(pos, b"obj")
            obj, pos = self.value(pos)
            return self.resolve(obj), pos
        finally:
            self.resolving.discard(ref.number)

    def stream(self, ref: Any) -> bytes:
        if not isinstance(ref, _Ref):
            raise FormatError("PDF: an embedded file must be an indirect stream")
        head, pos = self.indirect(ref)
        if not isinstance(head, dict):
            raise FormatError("PDF: an embedded file is not a stream")
        pos = self.expect(pos, b"stream")
        if self.pdf.startswith(b"\r\n", pos):
            pos += 2
        elif self.pdf.startswith(b"\n", pos):
            pos += 1
        else:
            raise FormatError("PDF: malformed stream start")
        length = self.resolve(head.get("Length"))
        if type(length) is not int or not 0 <= length <= min(_MAX_ATTACHMENT_BYTES, len(self.pdf) - pos):
            raise FormatError("PDF: embedded file has an invalid /Length")
        raw = self.pdf[pos : pos + length]
        end = self.skip(pos + length)
        if not self.pdf.startswith(b"endstream", end):
            raise FormatError("PDF: embedded file stream does not end where its /Length says")
        if head.get("Type") not in (None, "EmbeddedFile"):
            raise FormatError("PDF: the stream is not an embedded file")
        filters = self.resolve(head.get("Filter"))
        if isinstance(filters, _Name):
            filters = [filters]
        if filters in (None, []):
            data = raw
        elif filters == ["FlateDecode"] and "DecodeParms" not in head:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(raw, _MAX_ATTACHMENT_BYTES + 1)
            except zlib.error as exc:
                raise FormatError("PDF: corrupt compressed embedded file") from exc
            if len(data) > _MAX_ATTACHMENT_BYTES or not inflater.eof:
                raise FormatError("PDF: embedded file too large or truncated")
        else:
            raise FormatError(f"PDF: unsupported stream filter {filters!r}")
        params = self.resolve(head.get("Params"))
        if isinstance(params, dict) and "Size" in params and self.resolve(params["Size"]) != len(data):
            raise FormatError("PDF: embedded file size differs from its /Params /Size")
        return data


def _file_name(raw: Any) -> str:
    if not isinstance(raw, bytes):
        raise FormatError("PDF: an attachment name is not a string")
    try:
        if raw.startswith(b"\xfe\xff"):
            return raw[2:].decode("utf-16-be")
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FormatError("PDF: an attachment name is not readable text") from exc


def extract_attachments(pdf: bytes) -> dict[str, bytes]:
    """The files attached to a certificate PDF (EmbeddedFiles name tree), by name.

    Accepts exactly the structure ``render_certificate`` writes (classic cross-reference table,
    a flat EmbeddedFiles name tree, uncompressed or Flate streams); a PDF re-saved with other
    structures (incremental update, object streams, encryption) is refused with FormatError
    rather than read loosely. A re-save that keeps these structures (pypdf's
    ``PdfWriter(clone_from=…)``) is read: it is not refused here, and what its page shows is
    checked by registry.printed_structure and registry.printed.
    """
    if not isinstance(pdf, bytes | bytearray | memoryview):
        raise FormatError("a PDF is bytes")
    pdf = bytes(pdf)
    if len(pdf) > _MAX_PDF_BYTES:
        raise FormatError("PDF too large")
    parser = _Parser(pdf)
    try:
        trailer = parser.read_xref()
        root = parser.resolve(trailer.get("Root"))
        names = parser.resolve(root.get("Names")) if isinstance(root, dict) else None
        tree = parser.resolve(names.get("EmbeddedFiles")) if isinstance(names, dict) else None
        if tree is None:
            return {}
        if not isinstance(tree, dict) or "Kids" in tree:
            raise FormatError("PDF: EmbeddedFiles must be a single flat name tree node")
        entries = parser.resolve(tree.get("Names"))
        if not isinstance(entries, list) or len(entries) % 2 or len(entries) > 2 * _MAX_ATTACHMENTS:
            raise FormatError("PDF: malformed EmbeddedFiles /Names array")
        result: dict[str, bytes] = {}
        for key, spec_ref in zip(entries[::2], entries[1::2], strict=True):
            name = _file_name(parser.resolve(key))
            if name in result:
                raise FormatError(f"PDF: attachment {name!r} appears twice")
            spec = parser.resolve(spec_ref)
            if not isinstance(spec, dict):
                raise FormatError(f"PDF: attachment {name!r} has no file specification")
            for field in ("UF", "F"):
                if field in spec and _file_name(parser.resolve(spec[field])) != name:
                    raise FormatError(f"PDF: attachment {name!r} names a different file in /{field}")
            ef = parser.resolve(spec.get("EF"))
            if not isinstance(ef, dict) or "F" not in ef:
                raise FormatError(f"PDF: attachment {name!r} has no embedded file")
            result[name] = parser.stream(ef["F"])
        return result
    except RecursionError as exc:
        raise FormatError("PDF: objects nested too deeply") from exc
    except (IndexError, ValueError, TypeError, AttributeError) as exc:
        raise FormatError(f"PDF: malformed file ({exc.__class__.__name__})") from exc
