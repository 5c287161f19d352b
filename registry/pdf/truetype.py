"""The two tables of a TrueType font the printable check needs, read with ``struct`` alone.

Which characters a bundled face maps to which glyph (``cmap``) and which glyphs have an outline
(``head`` and ``loca``) decide what a certificate prints faithfully (registry.pdf.printable).
The writer draws with reportlab, which reads the same tables; reading them here without it lets
offline verification (``ikrar verify FILE.pdf``) recompute the printed form of a sealed name
without loading a PDF writer. The cmap subtable is chosen, and read, as reportlab's
``TTFontFile.extractInfo`` does (tests/test_printable.py checks the two agree glyph for glyph),
so the printed form computed here is the one the renderer drew.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from registry.core.errors import FormatError

__all__ = ["FontTables", "read_font"]


@dataclass(frozen=True)
class FontTables:
    """What the printable check reads from one face."""

    char_to_glyph: dict[int, int]  # code point → glyph index (0: .notdef), as reportlab maps it
    glyph_offsets: tuple[int, ...]  # loca: glyph g's outline is bytes [g] to [g + 1] of glyf


def _tables(font: bytes) -> dict[bytes, bytes]:
    count = struct.unpack_from(">H", font, 4)[0]
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sLLL", font, 12 + 16 * i)
        tables[tag] = font[offset : offset + length]
    return tables


def _subtable_offset(cmap: bytes) -> int:
    """The offset of the cmap subtable reportlab reads: the last suitable one in table order."""
    version, count = struct.unpack_from(">HH", cmap, 0)
    if count == 0 and version != 0:
        count = version
    chosen: int | None = None
    kind = 0
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHL", cmap, 4 + 8 * i)
        if platform == 3 or (platform == 1 and encoding == 1) or (platform == 0 and encoding != 5):
            chosen, kind = offset, 1
        elif platform == 1 and encoding == 0 and kind != 1:
            chosen, kind = offset, 2
    if chosen is None:
        raise FormatError("the font has no suitable cmap subtable")
    return chosen


def _format4(cmap: bytes, start: int) -> dict[int, int]:
    length = struct.unpack_from(">H", cmap, start + 2)[0]
    limit = start + length
    segments = struct.unpack_from(">H", cmap, start + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", cmap, start + 14)
    starts = struct.unpack_from(f">{segments}H", cmap, start + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", cmap, start + 16 + 4 * segments)
    range_at = start + 16 + 6 * segments
    ranges = struct.unpack_from(f">{segments}H", cmap, range_at)
    mapping = {}
    for n in range(segments):
        for char in range(starts[n], ends[n] + 1):
            if ranges[n] == 0:
                glyph = (char + deltas[n]) & 0xFFFF
            else:
                at = range_at + 2 * n + (char - starts[n]) * 2 + ranges[n]
                glyph = 0 if at >= limit else struct.unpack_from(">H", cmap, at)[0]
                if glyph != 0:
                    glyph = (glyph + deltas[n]) & 0xFFFF
            mapping[char] = glyph
    return mapping


def _format12(cmap: bytes, start: int) -> dict[int, int]:
    groups = struct.unpack_from(">L", cmap, start + 12)[0]
    mapping = {}
    for n in range(groups):
        first, last, glyph = struct.unpack_from(">LLL", cmap, start + 16 + 12 * n)
        for char in range(first, last + 1):
            mapping[char] = glyph + char - first
    return mapping


def read_font(font: bytes) -> FontTables:
    """The character map and glyph offsets of a TrueType font; FormatError if they are not there."""
    try:
        tables = _tables(font)
        cmap, head, loca = tables[b"cmap"], tables[b"head"], tables[b"loca"]
        start = _subtable_offset(cmap)
        kind = struct.unpack_from(">H", cmap, start)[0]
        if kind == 4:
            mapping = _format4(cmap, start)
        elif kind == 12:
            mapping = _format12(cmap, start)
        else:
            raise FormatError(f"unsupported cmap subtable format {kind}")
        if struct.unpack_from(">h", head, 50)[0] == 1:
            offsets = struct.unpack(f">{len(loca) // 4}L", loca)
        else:
            offsets = tuple(2 * o for o in struct.unpack(f">{len(loca) // 2}H", loca))
    except (KeyError, struct.error) as exc:
        raise FormatError(f"not a readable TrueType font ({exc.__class__.__name__})") from exc
    # reportlab draws a no-break space with the space's glyph (and the space with the no-break
    # space's, when only that is mapped).
    if 0x20 in mapping:
        mapping[0xA0] = mapping[0x20]
    elif 0xA0 in mapping:
        mapping[0x20] = mapping[0xA0]
    return FontTables(mapping, offsets)
