"""The issuer's letterhead on the certificate and the roll: its emblem, then its name.

Like everything else on these pages, the issuer's name is drawn with reportlab's canvas string
operators (never a ``Paragraph``, which would parse ``<`` and ``&`` as markup and could open a
file named by ``<img src>``). The emblem is a PNG Ikrar re-encoded itself (registry/emblem.py);
reportlab embeds it as an image XObject, its alpha channel as a soft mask.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import hashlib
from io import BytesIO

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.platypus import Flowable, Spacer

from registry.pdf.layout import NAVY
from registry.pdf.printable import BOLD, printed_form

__all__ = ["Letterhead", "letterhead", "letterhead_material"]

LEADING = 1.28  # as the certificate's text (registry/pdf/printed.py reads lines at this step)
# A wide emblem is drawn lower rather than wider (registry/pdf/printed_structure.py).
MAX_EMBLEM_WIDTH = 60 * mm


class Letterhead(Flowable):  # type: ignore[misc]
    """The emblem centred above the issuer's name (either may be absent), at most two lines."""

    def __init__(
        self,
        issuer: str | None,
        emblem_png: bytes | None,
        *,
        emblem_height: float = 16 * mm,
        size: float = 11,
        color: Color = NAVY,
    ) -> None:
        super().__init__()
        self.issuer = printed_form(issuer, BOLD) if issuer else ""
        self.image = ImageReader(BytesIO(emblem_png)) if emblem_png else None
        self.emblem_height = emblem_height if self.image is not None else 0.0
        self.gap = 1.5 * mm if self.image is not None and self.issuer else 0.0
        self.size = size
        self.color = color
        self.lines: list[str] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.lines = []
        for size in (self.size, self.size * 0.85, self.size * 0.72):
            self.lines = simpleSplit(self.issuer, BOLD, size, avail_width) if self.issuer else []
            if len(self.lines) <= 2:
                break
        self.line_size = size
        self.lines = self.lines[:2]
        self.height = self.emblem_height + self.gap + len(self.lines) * size * LEADING
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        top = self.height
        if self.image is not None:
            pixels_w, pixels_h = self.image.getSize()
            width = min(self.emblem_height * pixels_w / pixels_h, MAX_EMBLEM_WIDTH)
            height = width * pixels_h / pixels_w
            canvas.drawImage(self.image, (self.width - width) / 2, top - height, width, height, mask="auto")
            top -= self.emblem_height + self.gap
        canvas.setFillColor(self.color)
        canvas.setFont(BOLD, self.line_size)
        for i, line in enumerate(self.lines):
            baseline = top - (i + 1) * self.line_size * LEADING + 0.3 * self.line_size
            canvas.drawCentredString(self.width / 2, baseline, line)


def letterhead(
    issuer: str | None, emblem_png: bytes | None, *, emblem_height: float = 16 * mm, size: float = 11
) -> list[Flowable]:
    """The letterhead and the space below it, or nothing when the version names no issuer or emblem."""
    if not issuer and not emblem_png:
        return []
    return [Letterhead(issuer, emblem_png, emblem_height=emblem_height, size=size), Spacer(1, 2.5 * mm)]


def letterhead_material(issuer: str | None, emblem_png: bytes | None) -> list[str | None]:
    """What the letterhead adds to a PDF's fixed /ID (nothing without one: earlier IDs unchanged)."""
    if not issuer and not emblem_png:
        return []
    return [issuer, hashlib.sha256(emblem_png or b"").hexdigest()]
