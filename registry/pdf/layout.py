"""What the certificate and the roll draw with: fonts, colours, text wrapping and flowables.

No user string is ever parsed as markup: every text is drawn with reportlab's canvas string
operators by the small flowables here (no ``Paragraph``), so ``<b>``, ``&`` or ``<img src=…>`` in
a name print literally and can open no file.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import encodings.mac_roman  # noqa: F401 (reportlab decodes TrueType names with it: load it now, not mid-render)
import itertools
import threading
import unicodedata
from collections.abc import Sequence

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Spacer

from registry.core.canonical import parse_instant
from registry.pdf.printable import BOLD, FONT_DIR, FONT_FILES, REGULAR, printed_form

__all__ = [
    "CREAM",
    "GOLD",
    "GREY",
    "INK",
    "NAVY",
    "RED",
    "SIGNATURE_INK",
    "FlexSpace",
    "Rule",
    "Signature",
    "Text",
    "pdf_date",
    "register_fonts",
    "text_width",
    "wrap_lines",
]

_font_lock = threading.Lock()

# Palette: navy and muted gold on white, a cream verification panel, red for withdrawal.
NAVY = HexColor("#1b365d")
GOLD = HexColor("#b08d3c")
INK = HexColor("#1a1a1a")
GREY = HexColor("#5b6470")
CREAM = HexColor("#f6f3ea")
RED = HexColor("#a61b1b")
SIGNATURE_INK = HexColor("#10243e")

SIGNATURE_BOX = (70 * mm, 30 * mm)


def register_fonts() -> None:
    """Register the bundled faces with reportlab (once per process)."""
    with _font_lock:
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, filename in FONT_FILES.items():
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))


def pdf_date(instant: str) -> str:
    """An instant as a PDF date (the document's fixed creation and modification dates)."""
    moment = parse_instant(instant)
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


# --------------------------------------------------------------------------------------------
# Text helpers


def text_width(text: str, font: str, size: float) -> float:
    width: float = pdfmetrics.stringWidth(text, font, size)
    return width


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Split a word wider than ``width`` between characters (never before a combining mark)."""
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and not unicodedata.combining(ch) and text_width(current + ch, font, size) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap at spaces; over-long words are broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, font, size) <= width:
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
    while last and text_width(last + "…", font, size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


# --------------------------------------------------------------------------------------------
# Flowables: text drawn with canvas string operators only (never parsed as markup)


class Text(Flowable):  # type: ignore[misc]
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
            lines = wrap_lines(self.text, self.font, size, width)
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


class Rule(Flowable):  # type: ignore[misc]
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


class Signature(Flowable):  # type: ignore[misc]
    """The handwritten signature as vector paths, fitted into a 70 × 30 mm box, with its caption."""

    def __init__(self, strokes: Sequence[Sequence[Sequence[int]]], name: str) -> None:
        super().__init__()
        # (x, y, pressure) per point; empty strokes dropped.
        points = [[(int(p[0]), int(p[1]), int(p[3]) if len(p) > 3 else 500) for p in s] for s in strokes]
        self.strokes = [s for s in points if s]
        self.caption_name = Text(name, font=BOLD, sizes=(9,), max_lines=2, truncate=True)
        self.caption = Text("Tanda tangan · Signature", sizes=(7,), color=GREY)
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


class FlexSpace(Spacer):  # type: ignore[misc]
    """A spacer whose height is set once the story's natural height is known."""

    def __init__(self, weight: float, minimum: float) -> None:
        super().__init__(1, minimum)
        self.weight = weight
        self.minimum = minimum
