"""The fonts certificates and the roll are drawn with, and which characters they print faithfully.

A name on a certificate must be the signed name twice over: on paper (every character drawn with
a real glyph, not the font's missing-glyph box) and in the PDF's text layer (copying the name
gives the same characters). With the embedded DejaVu Sans and reportlab that holds for a
character when

* both faces have a glyph for it (names are drawn in bold, positions in regular; the coverage is
  read from the fonts' own cmap tables once and cached, never a hand-written list);
* it lies in the Basic Multilingual Plane: reportlab writes a character beyond U+FFFF into the
  ToUnicode map as a 5-digit code, which PDF readers take as another character (U+1F600 copies
  as U+1F60);
* it is not a right-to-left letter: reportlab applies no bidi reordering and no Arabic shaping, so
  Arabic or Hebrew would print in the wrong order and unjoined.

Everything else is refused where a text that will be printed is accepted
(``registry.services.text.require_printable``). The renderer still replaces what it cannot print
faithfully with U+FFFD (records signed before this check), so the text layer never shows another
character than the page.

The fonts' tables are read with the standard library (registry.pdf.truetype), exactly as
reportlab maps them, so the offline verifier computes a name's printed form without loading the
PDF writer; the renderers register the same files with reportlab (registry.pdf.layout). This
module imports neither Flask, SQLAlchemy nor reportlab.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import NamedTuple

from registry.pdf.truetype import FontTables, read_font

__all__ = [
    "BOLD",
    "FONT_DIR",
    "FONT_FILES",
    "INVISIBLE",
    "NO_GLYPH",
    "OUTSIDE_BMP",
    "REGULAR",
    "RIGHT_TO_LEFT",
    "Unprintable",
    "covered",
    "find_unprintable",
    "font_tables",
    "printed_form",
]

# Fonts ship inside the package (DejaVu, Bitstream Vera licence: registry/fonts/LICENSE-DejaVu.txt)
# and are found by path relative to this file, so rendering never looks outside the package.
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = "IkrarDejaVuSans"
BOLD = "IkrarDejaVuSans-Bold"
FONT_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

# Bidi classes of right-to-left letters and digits (UAX #9): R (Hebrew, …), AL (Arabic, …), AN
# (Arabic-Indic digits). Invisible marks of these classes (U+200F, U+061C) reorder nothing here.
_RIGHT_TO_LEFT = {"R", "AL", "AN"}
_LAST_BMP = 0xFFFF
_DIRECTION_MARKS = {0x200E, 0x200F, 0x061C}  # LRM, RLM, ALM
NO_GLYPH, INVISIBLE, OUTSIDE_BMP, RIGHT_TO_LEFT = "no-glyph", "invisible", "outside-bmp", "right-to-left"


class Unprintable(NamedTuple):
    """The first character of a text that cannot be printed faithfully, and why."""

    char: str
    reason: str  # NO_GLYPH, INVISIBLE, OUTSIDE_BMP or RIGHT_TO_LEFT


@functools.cache
def font_tables(font: str) -> FontTables:
    """The character map and glyph offsets of the bundled face ``font`` (read once per process)."""
    return read_font((FONT_DIR / FONT_FILES[font]).read_bytes())


def _drawn_glyphs(face: FontTables) -> frozenset[int]:
    """Code points of the BMP the face maps to a glyph other than .notdef.

    A glyph without an outline draws nothing: that is right for spaces and for the plain direction
    marks (which change nothing in a left-to-right line; clean_text now refuses them as invisible,
    but records signed before may hold them), but not for a
    letter or symbol. Other format characters (soft hyphen, zero-width joiners, BOM) are invisible
    or drawn where a browser shows nothing, and private-use characters mean nothing to a reader:
    neither counts as covered.
    """
    offsets = face.glyph_offsets
    result = set()
    for code, glyph in face.char_to_glyph.items():
        if code > _LAST_BMP or glyph == 0 or glyph + 1 >= len(offsets):
            continue
        has_outline = offsets[glyph + 1] > offsets[glyph]
        category = unicodedata.category(chr(code))
        if category == "Cf":
            printable = code in _DIRECTION_MARKS and not has_outline
        else:
            printable = category == "Zs" or (has_outline and category != "Co")
        if printable:
            result.add(code)
    return frozenset(result)


@functools.cache
def _coverage(font: str) -> frozenset[int]:
    return _drawn_glyphs(font_tables(font))


@functools.cache
def covered() -> frozenset[int]:
    """Code points every bundled face draws with a glyph of its own (read from the font files once)."""
    return frozenset.intersection(*(_coverage(font) for font in FONT_FILES))


@functools.cache
def _mapped() -> frozenset[int]:
    """Code points every bundled face maps to some glyph, visible or not (to word a refusal)."""
    faces = [font_tables(font) for font in FONT_FILES]
    return frozenset.intersection(*(frozenset(c for c, g in f.char_to_glyph.items() if g) for f in faces))


def find_unprintable(text: str, *, multiline: bool = False) -> Unprintable | None:
    """The first character of ``text`` (NFC) the certificate cannot print faithfully, or None.

    Line breaks and tabs count as printable in multi-line text (the roll draws them as layout).
    """
    glyphs = covered()
    for ch in text:
        if ch == " " or (multiline and ch in "\n\t"):
            continue
        if ord(ch) > _LAST_BMP:
            return Unprintable(ch, OUTSIDE_BMP)
        if ord(ch) not in glyphs:
            return Unprintable(ch, INVISIBLE if ord(ch) in _mapped() else NO_GLYPH)
        if unicodedata.bidirectional(ch) in _RIGHT_TO_LEFT and unicodedata.category(ch) != "Cf":
            return Unprintable(ch, RIGHT_TO_LEFT)
    return None


def printed_form(text: str, font: str) -> str:
    """The text as drawn in ``font``: NFC; control characters as spaces; U+FFFD for the rest it cannot print.

    A character the font lacks would otherwise become glyph 0 and vanish from the text layer, and
    one beyond the BMP would extract as another character; U+FFFD keeps its place visible to
    readers and to text extraction. (Only records signed before ``find_unprintable`` was enforced
    can hold such characters; everything else the font maps is drawn as it always was, so their
    certificates keep their bytes.)
    """
    glyphs = font_tables(font).char_to_glyph
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.category(ch) == "Cc":
            out.append(" ")
        elif (ord(ch) > _LAST_BMP or ord(ch) not in glyphs) and ch != " ":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)
