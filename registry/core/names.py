"""Text people type that must look like what it is: no invisible characters, bounded marks, one key per name.

Two names that look the same on a certificate, a kiosk screen or the roll must be the same text,
and a name must not look blank. So a field may not hold

* an **invisible character**: a Unicode *default-ignorable* code point (DerivedCoreProperties.txt,
  below as ranges: zero-width space, joiners, soft hyphen, BOM, direction marks, variation
  selectors, tags, Hangul fillers, …) or a character of the categories Cf (format), Co (private
  use), Cs (surrogate) or Cn (unassigned) — plus U+2800 BRAILLE PATTERN BLANK, which is a symbol
  but draws nothing. The one exception is RFC 5892's CONTEXTJ rule (IDNA): ZERO WIDTH NON-JOINER
  and ZERO WIDTH JOINER after a virama, and ZWNJ between two Arabic-script letters, change how
  those scripts are written; elsewhere they only hide a difference;
* a **combining mark without a base** (at the start, or after a space or line break), or more
  than ``MAX_MARKS`` marks on one base character (after NFC, "é" is one character and no mark).

``name_key`` is how two names are compared for "the same person" on every database: NFKC, full
Unicode case folding (``str.casefold``: "ÉLISE ÑÚÑEZ" and "Élise Ñúñez", "STRASSE" and "Straße"
are one key), NFKC again, apostrophe- and hyphen-like characters as ``'`` and ``-``, runs of
white space as one space. It is computed in Python and stored (``invitee.name_key``), because
SQLite's ``lower()`` folds ASCII only and PostgreSQL's follows its collation.

This module imports neither Flask nor the database.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

MAX_MARKS = 4

# Default_Ignorable_Code_Point, Unicode 14 (the version of Python 3.11's unicodedata).
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Not default-ignorable, yet drawn as nothing: a name of them looks blank.
_LOOKS_BLANK = {0x2800}
_REFUSED_CATEGORIES = {"Cf", "Co", "Cs", "Cn"}
_MARKS = {"Mn", "Mc", "Me"}
_ZWNJ, _ZWJ = "\u200c", "\u200d"
_VIRAMA = 9  # canonical combining class of viramas (RFC 5892 A.1 and A.2)
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u0060\u00b4\u2032\uff07", "'"))
_HYPHENS = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d", "-"))

INVISIBLE, PRIVATE_USE, LONE_MARK, TOO_MANY_MARKS = "invisible", "private-use", "lone-mark", "too-many-marks"


class Unseen(NamedTuple):
    """The first character of a text that would not be seen for what it is, and why."""

    char: str
    reason: str  # INVISIBLE, PRIVATE_USE, LONE_MARK or TOO_MANY_MARKS


def is_default_ignorable(ch: str) -> bool:
    code = ord(ch)
    return any(first <= code <= last for first, last in _DEFAULT_IGNORABLE)


def _is_invisible(ch: str) -> bool:
    return (
        is_default_ignorable(ch) or ord(ch) in _LOOKS_BLANK or unicodedata.category(ch) in _REFUSED_CATEGORIES
    )


def _arabic_letter(ch: str) -> bool:
    return unicodedata.bidirectional(ch) == "AL" and unicodedata.category(ch).startswith("L")


def _joiner_allowed(text: str, at: int) -> bool:
    """RFC 5892 CONTEXTJ: after a virama; a ZWNJ also between two Arabic-script letters."""
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    if before and unicodedata.combining(before) == _VIRAMA:
        return True
    return text[at] == _ZWNJ and bool(before and after) and all(_arabic_letter(c) for c in (before, after))


def find_unseen(text: str) -> Unseen | None:
    """The first invisible character, lone or piled-up combining mark of ``text``, or None.

    Marks are counted in NFD, so the count does not depend on which letters have a precomposed
    form ("ệ" is e with two marks either way).
    """
    if text.isascii():
        return None  # no ASCII character is default-ignorable, format, private use or a mark
    for at, ch in enumerate(text):
        if ch in (_ZWNJ, _ZWJ) and _joiner_allowed(text, at):
            continue
        if unicodedata.category(ch) == "Co":
            return Unseen(ch, PRIVATE_USE)
        if _is_invisible(ch):
            return Unseen(ch, INVISIBLE)
    marks = 0
    previous = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) in _MARKS:
            if not previous or previous.isspace():
                return Unseen(ch, LONE_MARK)
            marks += 1
            if marks > MAX_MARKS:
                return Unseen(ch, TOO_MANY_MARKS)
        else:
            marks = 0
        previous = ch
    return None


def name_key(text: str) -> str:
    """The form two names are compared in: equal keys are the same name (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.translate(_APOSTROPHES).translate(_HYPHENS).split())
