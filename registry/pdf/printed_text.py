"""Reading a certificate page's text: its lines, placed on the page, in drawing order.

The text layer is read with pypdf, as a text extractor (and a person copying text) sees it;
registry.pdf.printed compares these lines with what the sealed record makes the page show. Only
a PDF registry.pdf.printed_structure found built like a certificate is handed here. This module
imports neither Flask nor the database; pypdf is imported only when a PDF is read.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_LINES", "Line", "normalise", "read_lines"]

MAX_LINES = 400  # a certificate has about 40; more is not one of ours


@dataclass(frozen=True)
class Line:
    """One drawn line of text: its words, its baseline origin on the page and its size (points)."""

    text: str
    x: float
    y: float
    size: float
    page: int
    on_page: bool = True


def normalise(text: str) -> str:
    """NFC, control characters as spaces, runs of white space as one space, trimmed.

    Characters beyond the BMP are dropped on both sides: reportlab writes their ToUnicode
    entries as odd-length hex, which readers cannot map back (measured with 😀 in DejaVu).
    """
    text = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in unicodedata.normalize("NFC", text)
        if ord(ch) <= 0xFFFF
    )
    return re.sub(r"\s+", " ", text).strip()


def _collector(chunks: list[Line], page_no: int, bounds: tuple[float, float, float, float]) -> Any:
    """A pypdf text visitor appending each run of text, placed on the page, to ``chunks``."""
    left, bottom, right, top = bounds

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        if not text.strip():
            return  # pypdf's own spacing between runs; the words carry their spaces
        # Text space origin → user space: the text matrix, then the graphics state's.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
        c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
        scale = math.sqrt(abs(a * d - b * c))
        inside = left - 1 <= x <= right + 1 and bottom - 1 <= y <= top + 1
        chunks.append(Line(text, x, y, float(size) * scale, page_no, inside))

    return visit


def read_lines(pdf: bytes) -> list[Line]:
    """The lines of text of every page, in drawing order; ValueError if pypdf cannot read them."""
    import pypdf  # a PDF path only: `ikrar verify --qr` stays light

    chunks: list[Line] = []
    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        for number, page in enumerate(reader.pages):
            box = page.mediabox
            bounds = (float(box.left), float(box.bottom), float(box.right), float(box.top))
            page.extract_text(visitor_text=_collector(chunks, number, bounds))
            if len(chunks) > MAX_LINES:
                break
    except Exception as exc:  # untrusted input: any failure of the reader is "unreadable", not a 500
        raise ValueError(f"the PDF's text cannot be read: {exc.__class__.__name__}") from exc
    # One drawn line may arrive as several runs (a font switch inside it): join runs that
    # continue on the same baseline at the same size.
    lines: list[Line] = []
    for chunk in chunks:
        prev = lines[-1] if lines else None
        if (
            prev is not None
            and prev.page == chunk.page
            and abs(prev.y - chunk.y) < 0.2 * chunk.size
            and abs(prev.size - chunk.size) <= 0.02 * chunk.size
            and not prev.text.endswith("\n")
        ):
            lines[-1] = Line(prev.text + chunk.text, prev.x, prev.y, prev.size, prev.page, prev.on_page)
        else:
            lines.append(chunk)
    return [
        Line(normalise(line.text), line.x, line.y, line.size, line.page, line.on_page)
        for line in lines
        if normalise(line.text)
    ]
