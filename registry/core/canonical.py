"""Canonical bytes (RFC 8785 JCS), strict JSON parsing, hashes and encodings Ikrar signs over."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import rfc8785

from registry.core.errors import FormatError

# RFC 8785 (I-JSON) cannot represent integers beyond the IEEE 754 safe range exactly.
MAX_SAFE_INTEGER = 2**53 - 1

# re.ASCII: without it \d also matches other scripts' digits ("２０２４", "٢٠٢٤"), which strptime accepts.
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", re.ASCII)


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_canonical_value(value: Any, path: str = "$") -> None:
    """Raise FormatError unless ``value`` may be signed: NFC text, safe integers, no floats."""
    _check(value, path)


def _check(value: Any, path: str) -> bool:
    """check_canonical_value; returns whether every object key is ASCII (see canonical_bytes)."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise FormatError(f"{path}: integer outside ±(2^53−1)")
        return True
    if isinstance(value, float):
        # Floats have several textual forms across languages; signed data carries none.
        raise FormatError(f"{path}: floating-point numbers are not allowed in signed data")
    if isinstance(value, str):
        _check_text(value, path)
        return True
    if isinstance(value, list | tuple):
        ascii_keys = True
        for i, item in enumerate(value):
            ascii_keys = _check(item, f"{path}[{i}]") and ascii_keys
        return ascii_keys
    if isinstance(value, dict):
        ascii_keys = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise FormatError(f"{path}: object keys must be text")
            _check_text(key, path)
            item_ascii_keys = _check(item, f"{path}.{key}")
            ascii_keys = ascii_keys and item_ascii_keys and key.isascii()
        return ascii_keys
    raise FormatError(f"{path}: {type(value).__name__} cannot be signed")


def _check_text(value: str, path: str) -> None:
    if value.isascii():
        return  # ASCII text is always NFC and has no surrogates: the common case, checked in C
    if _SURROGATE.search(value):
        # A lone surrogate (JSON "\ud800") has no UTF-8 form; rfc8785 would raise a ValueError.
        raise FormatError(f"{path}: text contains a lone surrogate")
    if not unicodedata.is_normalized("NFC", value):
        raise FormatError(f"{path}: text is not in Unicode NFC")


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value that passes check_canonical_value.

    For values Ikrar signs (no floats, integers within ±(2^53−1), no lone surrogates) the
    standard library's sorted, compact, non-ASCII-preserving JSON is byte-identical to JCS as
    long as every object key is ASCII: the string escapes are the same (\\b \\t \\n \\f \\r,
    other controls as lowercase \\u00xx, nothing else escaped) and code-point order equals
    JCS's UTF-16 order. Keys outside ASCII (where the two orders can differ) go through the
    rfc8785 library. The profile in docs/PERFORMANCE.md is why: this is ~10× faster and sits
    on every signing, verification and audit step.
    """
    if _check(value, "$"):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return rfc8785.dumps(value)


def nfc(text: str) -> str:
    """Text in Unicode Normalization Form C, the only form Ikrar signs."""
    return unicodedata.normalize("NFC", text)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of b64url_encode: no padding, no other alphabet, canonical trailing bits."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise FormatError("not base64url text")
    if len(text) % 4 == 1:
        raise FormatError("base64url text has an impossible length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise FormatError("not base64url text") from exc
    if b64url_encode(data) != text:
        # Unused trailing bits set: a second spelling of the same bytes.
        raise FormatError("base64url text is not canonical")
    return data


def format_instant(moment: datetime) -> str:
    """RFC 3339 UTC with millisecond precision: ``2024-09-12T03:15:00.123Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Ikrar only handles aware instants")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> datetime:
    """Inverse of format_instant; accepts only that exact form."""
    if not isinstance(text, str) or not _INSTANT.fullmatch(text):
        raise FormatError(f"not an instant of the form YYYY-MM-DDTHH:MM:SS.mmmZ: {text!r:.60}")
    try:
        # The pattern above already fixed the form; fromisoformat is the fast C parser.
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise FormatError(f"not a valid instant: {text!r}") from exc


def truncate_to_millis(moment: datetime) -> datetime:
    """The instant as it will read back from its signed text form."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def _reject_constant(name: str) -> Any:
    raise FormatError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # json.loads silently keeps the last duplicate; two readers could see two records.
            raise FormatError(f"duplicate key {key!r} in JSON object")
        result[key] = value
    return result


def strict_json_loads(data: str | bytes) -> Any:
    """Parse JSON refusing duplicate keys, NaN/Infinity and invalid UTF-8."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError("JSON text is not valid UTF-8") from exc
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise FormatError("JSON nested too deeply") from exc


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that must already be canonical JCS; refuse any other spelling."""
    if isinstance(data, bytes) and data.isascii():
        return _parse_canonical_ascii(data)
    value = strict_json_loads(data)
    if canonical_bytes(value) != data:
        raise FormatError("bytes are not in RFC 8785 canonical form")
    return value


def _safe_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise FormatError("integer outside ±(2^53−1)")
    return value


def _no_float(text: str) -> Any:
    raise FormatError("floating-point numbers are not allowed in signed data")


def _parse_canonical_ascii(data: bytes) -> Any:
    """parse_canonical for all-ASCII bytes (every log entry, most records), without the per-value
    Python walk: in ASCII text every string is NFC and every key sorts the same by code point
    as by UTF-16 unit, so the re-encoding below is the canonical form exactly. Floats and unsafe
    integers are refused while parsing; a duplicate key, an escaped non-ASCII character or a
    lone surrogate can never re-encode to the same bytes, so the comparison refuses them."""
    try:
        value = json.loads(data, parse_float=_no_float, parse_int=_safe_int, parse_constant=_reject_constant)
        again = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise FormatError("JSON nested too deeply") from exc
    except UnicodeEncodeError as exc:
        raise FormatError("text contains a lone surrogate") from exc
    if again != data:
        raise FormatError("bytes are not in RFC 8785 canonical form")
    return value
