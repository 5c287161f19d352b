"""The verification QR code as the certificate and the roll print it: one vector path.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm

__all__ = ["QR_BORDER", "QR_MIN_MODULE", "QR_SIZE", "draw_qr", "qr_matrix", "qr_printed_size"]

QR_SIZE = 40 * mm  # including the 4-module quiet zone
QR_MIN_MODULE = 0.4 * mm  # smallest module phone cameras read reliably from paper
QR_BORDER = 4


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


def draw_qr(canvas: Any, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
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
