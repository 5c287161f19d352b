"""Cleaning of the text people type: NFC, no control characters, bounded length, printable if printed."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from registry.core.canonical import nfc
from registry.core.errors import N_
from registry.core.names import INVISIBLE as UNSEEN_INVISIBLE
from registry.core.names import LONE_MARK, MAX_MARKS, PRIVATE_USE, TOO_MANY_MARKS, find_unseen
from registry.pdf.printable import INVISIBLE, NO_GLYPH, OUTSIDE_BMP, RIGHT_TO_LEFT, find_unprintable
from registry.services.errors import InvalidInput

_ALLOWED_IN_MULTILINE = {"\n", "\t"}
# Bidi embeddings, overrides and isolates reorder what a reader sees (Trojan-Source style spoofing of
# a name on a certificate); the plain marks U+200E, U+200F and U+061C stay allowed.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# HTML elements and script vectors. Other angle brackets stay ordinary text ("PT <Maju> & Jaya" is a
# real company name); every output escapes them anyway, this only refuses what is clearly markup.
_MARKUP = re.compile(
    r"<\s*/?\s*(?:a|abbr|audio|b|base|body|br|button|code|div|em|embed|font|form|frame|frameset|h[1-6]|head"
    r"|html|i|iframe|img|input|link|marquee|math|meta|object|option|p|picture|pre|s|script|select|small|source"
    r"|span|strong|style|sub|sup|svg|table|td|template|textarea|th|tr|u|video)(?=[\s/>]|$)"
    r"|<\s*[!?]|javascript\s*:|\bon[a-z]+\s*=",
    re.IGNORECASE,
)

_UNPRINTABLE = {
    NO_GLYPH: N_(
        "%(label)s: the character U+%(code)04X (%(char_name)s) cannot be printed on the certificate: "
        "the certificate font has no glyph for it"
    ),
    INVISIBLE: N_(
        "%(label)s: the character U+%(code)04X (%(char_name)s) cannot be printed on the certificate: "
        "it has no visible form there (an invisible or private-use character)"
    ),
    OUTSIDE_BMP: N_(
        "%(label)s: the character U+%(code)04X (%(char_name)s) cannot be printed on the certificate: "
        "outside the Basic Multilingual Plane it would copy from the PDF as another character"
    ),
    RIGHT_TO_LEFT: N_(
        "%(label)s: the character U+%(code)04X (%(char_name)s) cannot be printed on the certificate: "
        "right-to-left text would print in the wrong order"
    ),
}

_UNSEEN = {
    UNSEEN_INVISIBLE: N_("%(label)s contains an invisible character U+%(code)04X (%(char_name)s)"),
    PRIVATE_USE: N_("%(label)s contains a private-use character U+%(code)04X (%(char_name)s)"),
    LONE_MARK: N_("%(label)s has a combining mark U+%(code)04X (%(char_name)s) that belongs to no letter"),
    TOO_MANY_MARKS: N_(
        "%(label)s has more than %(n)d combining marks on one letter (U+%(code)04X %(char_name)s)"
    ),
}


def clean_text(
    value: Any,
    field: str,
    *,
    max_length: int,
    multiline: bool = False,
    optional: bool = False,
    printed: bool = False,
) -> str:
    """Return ``value`` as NFC text with outer whitespace removed, or raise InvalidInput saying why.

    Angle brackets are ordinary text here: ``PT <Maju> & Jaya`` is a real company name, and every
    output escapes it. Single-line fields refuse what is clearly markup (HTML elements, comments,
    ``javascript:``, ``on…=`` handlers) and bidi overrides, which have no place in a name.
    ``printed`` marks a text that prints on certificates or the roll: see ``require_printable``.
    """
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(N_("%(label)s must be text"), field=field, label=field)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc" and not (multiline and ch in _ALLOWED_IN_MULTILINE):
            raise InvalidInput(
                N_("%(label)s contains a control character (U+%(code)04X)"),
                field=field,
                label=field,
                code=ord(ch),
            )
        if category == "Cs":
            raise InvalidInput(N_("%(label)s contains an unpaired surrogate"), field=field, label=field)
        if ch in _BIDI_CONTROLS:
            raise InvalidInput(
                N_("%(label)s contains a bidirectional override (U+%(code)04X) that could disguise it"),
                field=field,
                label=field,
                code=ord(ch),
            )
        if category == "Cn":
            raise InvalidInput(
                N_("%(label)s contains an unassigned code point (U+%(code)04X)"),
                field=field,
                label=field,
                code=ord(ch),
            )
    text = nfc(value).strip()
    if not multiline:
        text = " ".join(text.split())
    if not multiline and _MARKUP.search(text):
        raise InvalidInput(
            N_("%(label)s contains HTML markup or a script; type the plain text"), field=field, label=field
        )
    require_visible(text, field)
    if not text and not optional:
        raise InvalidInput(N_("%(label)s must not be empty"), field=field, label=field)
    if len(text) > max_length:
        raise InvalidInput(
            N_("%(label)s is longer than %(n)d characters"), field=field, label=field, n=max_length
        )
    return require_printable(text, field, multiline=multiline) if printed else text


def require_visible(text: str, field: str) -> str:
    """``text`` (NFC) if every character of it is seen for what it is, else InvalidInput naming the first.

    Invisible, format and private-use characters, lone combining marks and more than
    ``MAX_MARKS`` marks on one letter are refused in every field (registry/core/names.py says
    which and why): a name must not look blank, nor like another name it is not.
    """
    found = find_unseen(text)
    if found is None:
        return text
    fallback = "PRIVATE USE CHARACTER" if found.reason == PRIVATE_USE else "UNNAMED CHARACTER"
    params = {"label": field, "code": ord(found.char), "char_name": unicodedata.name(found.char, fallback)}
    if found.reason == TOO_MANY_MARKS:
        params["n"] = MAX_MARKS
    raise InvalidInput(_UNSEEN[found.reason], field=field, **params)


def require_printable(text: str, field: str, *, multiline: bool = False) -> str:
    """``text`` (NFC) if the certificate prints it faithfully, else InvalidInput naming the character.

    The one check for every text that is accepted to be printed (signatory fields from the API,
    the kiosk and the CSV import; commitment title, place, text and labels): a character without a
    glyph in the embedded fonts, outside the BMP, or of a right-to-left script would print as a box,
    copy as another character, or print in the wrong order (registry/pdf/printable.py).
    """
    found = find_unprintable(text, multiline=multiline)
    if found is None:
        return text
    # Private-use characters have no Unicode name; say what they are instead.
    fallback = "PRIVATE USE CHARACTER" if unicodedata.category(found.char) == "Co" else "UNNAMED CHARACTER"
    params = {"label": field, "code": ord(found.char), "char_name": unicodedata.name(found.char, fallback)}
    raise InvalidInput(_UNPRINTABLE[found.reason], field=field, **params)
