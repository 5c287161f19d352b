"""The signed roll: one A4 PDF per commitment version, the digital twin of the paper signed at the event.

Page 1 onwards: the commitment (title, place, date, text SHA-256, dimensions) and its full text.
Then the signature pages: per signatory the name, position, institution and category, the
handwritten signature drawn as vector paths from the canonical strokes, a small QR code of the
verify page and the typed code; a withdrawn signature is marked as withdrawn. Last: the log
checkpoint at the time the roll was made (size, root hash in hex and base64, the signed note
itself, the key id) and the honest legal line.

The roll is the organiser's record of the event: it lists every signatory, including those who
did not consent to public display, so it is served to admins and auditors only.

Every text is drawn with the canvas string flowables of registry.pdf.layout (never parsed as
markup) in the DejaVu font shipped with the package. Same data, same bytes (``invariant=1``,
a fixed /ID and fixed dates). This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from typing import Any

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate, Spacer

from registry.core import codes
from registry.pdf.branding import letterhead
from registry.pdf.common import DAYS, LEGAL_LINE, LEGAL_LINE_EN, MONTHS, format_wib
from registry.pdf.layout import GOLD, GREY, INK, NAVY, RED, Rule, Signature, Text, pdf_date, register_fonts
from registry.pdf.printable import BOLD, REGULAR
from registry.pdf.qr_drawing import draw_qr, qr_matrix

__all__ = ["RollCheckpoint", "RollData", "RollSignatory", "format_date", "render_roll"]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
FRAME_BOTTOM = 20 * mm
FRAME_TOP = PAGE_HEIGHT - 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
ROLL_QR = 22 * mm  # printed side, quiet zone included (a version-3 code: 0.59 mm modules)
ROLL_SIGNATURE = (55 * mm, 24 * mm)
CREAM = HexColor("#f6f3ea")
PALE_RED = HexColor("#fbeaea")


@dataclass(frozen=True)
class RollSignatory:
    """One signature as the roll prints it."""

    number: int  # 1-based position on the roll (log order)
    name: str
    position: str
    institution: str
    category_label: str
    dimension_labels: list[str]
    signed_at: str  # instant, e.g. 2024-09-12T03:15:00.000Z
    code: str  # compact verification code
    verify_url: str  # what the small QR encodes: <BASE>/v/<code>
    strokes: list[list[list[int]]]  # canonical strokes (registry.core.strokes)
    public_display: bool
    log_index: int
    withdrawn: tuple[str, str] | None = None  # (instant, reason)


@dataclass(frozen=True)
class RollCheckpoint:
    """The log checkpoint the roll was made at."""

    origin: str
    size: int
    root_hash: bytes  # 32 bytes, RFC 6962 Merkle tree head
    note: str  # the full signed note (C2SP signed-note text)
    note_key_id: int  # 4-byte key id of the note signature (C2SP)
    log_kid: str  # the registry's id of the log key (JWK thumbprint)


@dataclass(frozen=True)
class RollData:
    slug: str
    version: int
    title: str
    place: str
    event_date: date
    status: str
    text: str
    text_sha256: str
    dimension_labels: list[str]
    made_at: str  # instant of the last log entry the checkpoint covers
    checkpoint: RollCheckpoint
    signatories: list[RollSignatory] = field(default_factory=list)
    issuer: str | None = None  # the version's issuer and emblem (PNG), drawn by registry.pdf.branding
    emblem_png: bytes | None = None


def format_date(day: date) -> str:
    """``Kamis, 12 September 2024``."""
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


# --------------------------------------------------------------------------------------------
# Flowables


class _Lines(Text):
    """Plain wrapped text that may split across pages (for the commitment text)."""

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self._layout(avail_width)
        fit = int(avail_height // self.line_height)
        if fit <= 0 or fit >= len(self.lines):
            return [] if fit <= 0 else [self]
        return [self._part(self.lines[:fit]), self._part(self.lines[fit:])]

    def _part(self, lines: list[str]) -> _Lines:
        part = _Lines("", font=self.font, sizes=(self.size,), color=self.color, align=self.align)
        part.text = "\n".join(lines)
        return part


class _Field(Flowable):  # type: ignore[misc]
    """``label | value`` on the commitment page."""

    LABEL = 56 * mm

    def __init__(self, label: str, value: str, *, size: float = 10) -> None:
        super().__init__()
        self.label = Text(label, font=BOLD, sizes=(8.5,), color=NAVY, align="left")
        self.value = Text(value, sizes=(size,), align="left")

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        _, h1 = self.label.wrap(self.LABEL - 3 * mm, avail_height)
        _, h2 = self.value.wrap(avail_width - self.LABEL, avail_height)
        self.width, self.height = avail_width, max(h1, h2) + 1.6 * mm
        return self.width, self.height

    def draw(self) -> None:
        top = self.height - 0.8 * mm
        self.label.drawOn(self.canv, 0, top - self.label.height)
        self.value.drawOn(self.canv, self.LABEL, top - self.value.height)


class _RollSignature(Signature):
    """The certificate's vector signature, in a smaller box and without its caption."""

    def __init__(self, strokes: Sequence[Sequence[Sequence[int]]]) -> None:
        super().__init__(strokes, "")
        self.box_w, self.box_h = ROLL_SIGNATURE

    def draw_at(self, canvas: Any, left: float, bottom: float) -> None:
        self.canv = canvas
        self._draw_strokes(left, bottom)


class _Entry(Flowable):  # type: ignore[misc]
    """One signatory on a signature page: details left, signature in the middle, QR right."""

    PAD = 2.5 * mm
    TEXT_WIDTH = 78 * mm
    CODE_WIDTH = 34 * mm

    def __init__(self, s: RollSignatory) -> None:
        super().__init__()
        self.s = s
        self.matrix = qr_matrix(s.verify_url)
        number = Text(f"No. {s.number}", font=BOLD, sizes=(7.5,), color=GOLD, align="left")
        self.parts: list[tuple[Text, float]] = [
            (number, 0.6 * mm),
            (Text(s.name, font=BOLD, sizes=(11, 10, 9), max_lines=3, align="left"), 0.8 * mm),
            (Text(s.position, sizes=(9, 8), max_lines=3, align="left"), 0.2 * mm),
            (Text(s.institution, sizes=(9, 8), max_lines=3, align="left"), 0.8 * mm),
            (Text(f"Kategori · Category: {s.category_label}", sizes=(7.5,), color=GREY, align="left"), 0),
            (
                Text(
                    "Dimensi · Dimensions: " + " · ".join(s.dimension_labels),
                    sizes=(7.5,),
                    color=GREY,
                    align="left",
                ),
                0,
            ),
            (Text(f"Waktu · Time: {format_wib(s.signed_at)}", sizes=(7.5,), color=GREY, align="left"), 0),
            (
                Text(
                    "Tampil publik · Public display: " + ("ya · yes" if s.public_display else "tidak · no"),
                    sizes=(7.5,),
                    color=GREY,
                    align="left",
                ),
                0,
            ),
        ]
        self.banner: Text | None = None
        if s.withdrawn is not None:
            when, reason = s.withdrawn
            self.banner = Text(
                f"DITARIK · WITHDRAWN {format_wib(when)} — Alasan · Reason: {reason}",
                font=BOLD,
                sizes=(8,),
                color=RED,
                align="left",
                max_lines=4,
                truncate=True,
            )
        self.code = Text(codes.display_code(s.code), font=BOLD, sizes=(9, 8, 7), max_lines=1, align="center")
        self.code_label = Text("Kode verifikasi", sizes=(6.5,), color=GREY, align="center")
        self.signature = _RollSignature(s.strokes)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        text_height = sum(t.wrap(self.TEXT_WIDTH, avail_height)[1] + gap for t, gap in self.parts)
        right = ROLL_QR + self.code.wrap(self.CODE_WIDTH, avail_height)[1]
        right += self.code_label.wrap(self.CODE_WIDTH, avail_height)[1]
        height = max(text_height, ROLL_SIGNATURE[1] + 6 * mm, right) + 2 * self.PAD
        if self.banner is not None:
            height += self.banner.wrap(avail_width - 2 * self.PAD, avail_height)[1] + 1.5 * mm
        self.width, self.height = avail_width, height
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        s = self.s
        canvas.saveState()
        if s.withdrawn is not None:
            canvas.setFillColor(PALE_RED)
            canvas.setStrokeColor(RED)
            canvas.setLineWidth(0.8)
            canvas.rect(0, 0, self.width, self.height, stroke=1, fill=1)
        else:
            canvas.setStrokeColor(GOLD)
            canvas.setLineWidth(0.5)
            canvas.line(0, 0, self.width, 0)
        canvas.restoreState()

        top = self.height - self.PAD
        y = top
        for text, gap in self.parts:
            y -= text.height
            text.drawOn(canvas, self.PAD, y)
            y -= gap

        # Signature: a box with a baseline, strokes scaled into it.
        sig_left = self.PAD + self.TEXT_WIDTH + 3 * mm
        sig_bottom = top - ROLL_SIGNATURE[1] - 2 * mm
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.4)
        canvas.line(sig_left, sig_bottom - 1 * mm, sig_left + ROLL_SIGNATURE[0], sig_bottom - 1 * mm)
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 6.5)
        canvas.drawString(sig_left, sig_bottom - 4 * mm, "Tanda tangan · Signature")
        canvas.restoreState()
        self.signature.draw_at(canvas, sig_left, sig_bottom)

        # QR of the verify page, with the typed code under it.
        code_x = self.width - self.PAD - self.CODE_WIDTH
        qr_x = code_x + (self.CODE_WIDTH - ROLL_QR) / 2
        qr_y = top - ROLL_QR
        draw_qr(canvas, self.matrix, qr_x, qr_y, ROLL_QR)
        self.code.drawOn(canvas, code_x, qr_y - self.code.height)
        self.code_label.drawOn(canvas, code_x, qr_y - self.code.height - self.code_label.height)

        if s.withdrawn is not None:
            canvas.saveState()
            canvas.setFillColor(RED)
            canvas.setFillAlpha(0.18)
            canvas.setFont(BOLD, 26)
            canvas.drawCentredString(sig_left + ROLL_SIGNATURE[0] / 2, sig_bottom + 8 * mm, "DITARIK")
            canvas.restoreState()
        if self.banner is not None:
            self.banner.drawOn(canvas, self.PAD, self.PAD)


class _Heading(Text):
    def __init__(self, text: str, *, size: float = 13) -> None:
        super().__init__(text, font=BOLD, sizes=(size,), color=NAVY, align="left")


# --------------------------------------------------------------------------------------------
# Rendering


def _document_id(data: RollData) -> bytes:
    """A fixed PDF /ID: a digest of everything the roll shows."""
    material = json.dumps(
        [
            data.slug,
            data.version,
            data.title,
            data.place,
            data.event_date.isoformat(),
            data.status,
            data.text,
            data.text_sha256,
            data.dimension_labels,
            data.made_at,
            [
                data.checkpoint.origin,
                data.checkpoint.size,
                data.checkpoint.root_hash.hex(),
                data.checkpoint.note,
                data.checkpoint.note_key_id,
                data.checkpoint.log_kid,
            ],
            [
                [
                    s.number,
                    s.name,
                    s.position,
                    s.institution,
                    s.category_label,
                    s.dimension_labels,
                    s.signed_at,
                    s.code,
                    s.verify_url,
                    s.strokes,
                    s.public_display,
                    s.log_index,
                    list(s.withdrawn) if s.withdrawn else None,
                ]
                for s in data.signatories
            ],
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    ).encode("ascii")
    return hashlib.sha256(b"ikrar roll pdf id\n" + material).digest()[:16]


def _commitment_story(data: RollData) -> list[Flowable]:
    active = sum(1 for s in data.signatories if s.withdrawn is None)
    withdrawn = len(data.signatories) - active
    story: list[Flowable] = [
        *letterhead(data.issuer, data.emblem_png),
        Text("IKRAR · REGISTRI KOMITMEN PUBLIK", font=BOLD, sizes=(7.5,), color=GOLD),
        Spacer(1, 2 * mm),
        Text("DAFTAR TANDA TANGAN", font=BOLD, sizes=(20,), color=NAVY),
        Text("Signed roll", sizes=(9.5,), color=GREY),
        Rule(60 * mm),
        Text(data.title, font=BOLD, sizes=(16, 14, 12), max_lines=4, color=INK),
        Spacer(1, 4 * mm),
        _Field("Komitmen · Commitment", f"{data.slug} · versi {data.version} ({data.status})"),
        _Field("Tempat · Place", data.place),
        _Field("Tanggal · Date", format_date(data.event_date)),
        _Field("SHA-256 teks · Text SHA-256", data.text_sha256, size=8.5),
        _Field("Dimensi · Dimensions", " · ".join(data.dimension_labels)),
        _Field(
            "Penanda tangan · Signatories",
            f"{active} sah · valid" + (f", {withdrawn} ditarik · withdrawn" if withdrawn else ""),
        ),
        _Field("Dibuat pada · Made at", f"{format_wib(data.made_at)} (log {data.checkpoint.size} entri)"),
        Spacer(1, 5 * mm),
        _Heading("Teks komitmen · Commitment text"),
        Spacer(1, 2 * mm),
    ]
    for paragraph in unicodedata.normalize("NFC", data.text).split("\n"):
        story.append(
            _Lines(paragraph, sizes=(10,), align="left", leading=1.4) if paragraph else Spacer(1, 3 * mm)
        )
    return story


def _signature_story(data: RollData) -> list[Flowable]:
    story: list[Flowable] = [
        PageBreak(),
        _Heading("Halaman tanda tangan · Signature pages"),
        Text(
            "Urut menurut log. Setiap kode QR membuka halaman verifikasi tanda tangan itu. "
            "· In log order; each QR code opens that signature's verify page.",
            sizes=(8,),
            color=GREY,
            align="left",
        ),
        Spacer(1, 3 * mm),
    ]
    if not data.signatories:
        story.append(Text("Belum ada tanda tangan. · No signatures yet.", sizes=(10,), align="left"))
    story += [_Entry(s) for s in data.signatories]
    return story


def _checkpoint_story(data: RollData) -> list[Flowable]:
    cp = data.checkpoint
    story: list[Flowable] = [
        PageBreak(),
        _Heading("Checkpoint log · Log checkpoint"),
        Text(
            "Checkpoint log bertanda tangan saat daftar ini dibuat. Setiap tanda tangan di atas "
            "tercatat dalam log berantai hash dengan ukuran dan akar Merkle ini; auditor dapat "
            "memeriksanya dengan bukti inklusi dan konsistensi (docs/FORMATS.md). · The signed log "
            "checkpoint when this roll was made; every signature above is in the log this size and "
            "root describe.",
            sizes=(8.5,),
            color=INK,
            align="left",
        ),
        Spacer(1, 3 * mm),
        _Field("Origin", cp.origin, size=9),
        _Field("Ukuran · Size", str(cp.size), size=9),
        _Field("Akar (hex) · Root (hex)", cp.root_hash.hex(), size=8),
        _Field("Akar (base64) · Root (base64)", _b64(cp.root_hash), size=8),
        _Field("ID kunci catatan · Note key id", f"{cp.note_key_id:08x}", size=9),
        _Field("ID kunci log · Log key id", cp.log_kid, size=8),
        Spacer(1, 3 * mm),
        Text(
            "Catatan bertanda tangan · Signed note (C2SP)", font=BOLD, sizes=(8.5,), color=NAVY, align="left"
        ),
        Spacer(1, 1.5 * mm),
    ]
    for line in cp.note.rstrip("\n").split("\n"):
        if line:
            story.append(Text(line, sizes=(7.5, 7, 6.5, 6, 5.5, 5), max_lines=1, align="left"))
        else:
            story.append(Spacer(1, 7.5 * 1.28))
    story += [
        Spacer(1, 8 * mm),
        Text(LEGAL_LINE, font=BOLD, sizes=(9,), align="left"),
        Text(LEGAL_LINE_EN, sizes=(8,), color=GREY, align="left"),
        Spacer(1, 2 * mm),
        Text(
            "Daftar ini memuat semua penanda tangan, termasuk yang tidak mengizinkan tampil publik: "
            "dokumen internal penyelenggara, hanya untuk admin dan auditor. · This roll lists every "
            "signatory, including those who did not consent to public display: for admins and "
            "auditors only.",
            sizes=(8,),
            color=GREY,
            align="left",
        ),
    ]
    return story


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def render_roll(data: RollData) -> bytes:
    """The roll as PDF bytes; the same data always gives the same bytes."""
    register_fonts()
    document_id = _document_id(data)
    creation_date = pdf_date(data.made_at)
    footer = f"Ikrar · Daftar tanda tangan · {data.slug} v{data.version} · log {data.checkpoint.size}"

    def page(canvas: Any, doc: Any) -> None:
        pdf = canvas._doc
        pdf._ID = b"\n[<" + document_id.hex().encode() + b"> <" + document_id.hex().encode() + b">]\n"
        canvas.setDateFormatter(lambda *_: creation_date)
        canvas.saveState()
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN_X, PAGE_HEIGHT - 14 * mm, PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 14 * mm)
        canvas.line(MARGIN_X, 14 * mm, PAGE_WIDTH - MARGIN_X, 14 * mm)
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 7)
        canvas.drawString(MARGIN_X, 10 * mm, footer[:120])
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, 10 * mm, f"Halaman {doc.page}")
        canvas.drawString(
            MARGIN_X, PAGE_HEIGHT - 12 * mm, "Tanda tangan elektronik tidak tersertifikasi (PP 71/2019)"
        )
        canvas.restoreState()

    template = PageTemplate(
        id="roll",
        frames=[
            Frame(MARGIN_X, FRAME_BOTTOM, CONTENT_WIDTH, FRAME_TOP - FRAME_BOTTOM, 0, 0, 0, 0, id="main")
        ],
        onPage=page,
    )
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[template],
        invariant=1,
        pageCompression=1,
        title=f"Daftar Tanda Tangan {data.slug} v{data.version}",
        author="Registri Ikrar",
        subject=unicodedata.normalize("NFC", data.title),
        creator="Ikrar",
        lang="id-ID",
    )
    doc.build(_commitment_story(data) + _signature_story(data) + _checkpoint_story(data))
    return buffer.getvalue()
