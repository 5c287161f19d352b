"""Cleaning of the text people type: NFC, no control characters, bounded length."""

from __future__ import annotations

import unicodedata
from typing import Any

from registry.core.canonical import nfc
from registry.services.errors import InvalidInput

_ALLOWED_IN_MULTILINE = {"\n", "\t"}


def clean_text(
    value: Any, field: str, *, max_length: int, multiline: bool = False, optional: bool = False
) -> str:
    """Return ``value`` as NFC text with outer whitespace removed, or raise InvalidInput saying why.

    Markup is ordinary text here: ``PT <Maju> & Jaya`` is a real company name. Every output
    escapes it instead.
    """
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc" and not (multiline and ch in _ALLOWED_IN_MULTILINE):
            raise InvalidInput(f"{field} contains a control character (U+{ord(ch):04X})", field=field)
        if category == "Cs":
            raise InvalidInput(f"{field} contains an unpaired surrogate", field=field)
        if category == "Cn":
            raise InvalidInput(f"{field} contains an unassigned code point (U+{ord(ch):04X})", field=field)
    text = nfc(value).strip()
    if not multiline:
        text = " ".join(text.split())
    if not text and not optional:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return text
