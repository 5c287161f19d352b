"""The QR statement: a compact signed summary of a record carried in the verify URL's fragment.

The QR code on a certificate encodes ``<BASE>/v/<code>#<fragment>``. Browsers never send the
fragment to a server, so the path carries no personal data while the fragment lets anyone
check the printed fields offline against the registry's public key (docs/FORMATS.md §QR).

``fragment = base64url(JCS(statement)) + "." + base64url(Ed25519(record key, JCS(statement)))``

The statement is an object with exactly these members::

    {"v": 1, "code": <record code>, "c": <commitment id>, "cv": <commitment version>,
     "n": <name, maybe cut>, "i": <institution, maybe cut>, "t": <signed_at as in the record>,
     "k": <first 8 characters of the record key id>, "l": <log index>}

Names and institutions are cut deterministically (``fit_statement``) so that the whole URL is at
most ``MAX_URL_BYTES`` UTF-8 bytes, which always fits a QR code of version 15 at level M.

This module imports neither Flask nor the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from registry.core import codes
from registry.core.canonical import (
    b64url_decode,
    b64url_encode,
    canonical_bytes,
    parse_canonical,
    parse_instant,
)
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing, Signer, VerifyingKey

STATEMENT_VERSION = 1
MAX_URL_BYTES = 412  # QR version 15, level M, byte mode: 412 data bytes
MAX_TEXT_CHARS = 40  # code points of n and i before the size cut
ELLIPSIS = "\u2026"
KID_PREFIX = 8
MEMBERS = {"v", "code", "c", "cv", "n", "i", "t", "k", "l"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
_KID = re.compile(r"^[A-Za-z0-9_-]{8}$")


@dataclass(frozen=True)
class Statement:
    """A verified QR statement and the key that signed it."""

    fields: dict[str, Any]
    key: VerifyingKey
    truncated: bool  # whether n or i ends with the cut mark (compare as a prefix)


def cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` code points, else its first ``limit - 1`` and "…"."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def statement_for(record: dict[str, Any], log_index: int, *, n_chars: int, i_chars: int) -> dict[str, Any]:
    """The statement of ``record`` with n and i cut to the given numbers of code points."""
    return {
        "v": STATEMENT_VERSION,
        "code": record["code"],
        "c": record["commitment"]["id"],
        "cv": record["commitment"]["version"],
        "n": cut(record["signatory"]["name"], n_chars),
        "i": cut(record["signatory"]["institution"], i_chars),
        "t": record["signed_at"],
        "k": record["kid"][:KID_PREFIX],
        "l": log_index,
    }


def _url(base_url: str, code: str, statement_bytes: bytes, signature: bytes) -> str:
    return f"{base_url}/v/{code}#{b64url_encode(statement_bytes)}.{b64url_encode(signature)}"


def fit_statement(record: dict[str, Any], log_index: int, base_url: str) -> dict[str, Any]:
    """The statement of ``record`` whose URL fits ``MAX_URL_BYTES``.

    n and i are first cut to ``MAX_TEXT_CHARS`` code points; while the URL (with a 64-byte
    signature) is still too long, the one of them with more UTF-8 bytes (n on a tie) loses one
    more code point. Raises FormatError if even empty texts would not fit (a very long base URL).
    """
    name, institution = record["signatory"]["name"], record["signatory"]["institution"]
    n_chars, i_chars = min(len(name), MAX_TEXT_CHARS), min(len(institution), MAX_TEXT_CHARS)
    placeholder = bytes(64)
    while True:
        statement = statement_for(record, log_index, n_chars=n_chars, i_chars=i_chars)
        url = _url(base_url, record["code"], canonical_bytes(statement), placeholder)
        if len(url.encode("utf-8")) <= MAX_URL_BYTES:
            return statement
        n_len, i_len = len(statement["n"].encode()), len(statement["i"].encode())
        if n_chars <= 1 and i_chars <= 1:
            raise FormatError("the base URL is too long for a QR statement")
        if (n_len >= i_len and n_chars > 1) or i_chars <= 1:
            n_chars -= 1
        else:
            i_chars -= 1


def qr_url(record: dict[str, Any], log_index: int, base_url: str, signer: Signer | None) -> str:
    """The URL for the certificate's QR code; without a signer (key unavailable) no fragment."""
    base_url = base_url.rstrip("/")
    if signer is None:
        return f"{base_url}/v/{record['code']}"
    if signer.kid != record["kid"]:
        raise FormatError("the QR statement must be signed by the record's own key")
    statement_bytes = canonical_bytes(fit_statement(record, log_index, base_url))
    return _url(base_url, record["code"], statement_bytes, signer.sign(statement_bytes))


def _check_shape(fields: Any) -> None:
    if not isinstance(fields, dict) or set(fields) != MEMBERS:
        raise FormatError("a QR statement has exactly the members v, code, c, cv, n, i, t, k, l")
    if fields["v"] != STATEMENT_VERSION or type(fields["v"]) is not int:
        raise FormatError("unknown QR statement version")
    if not isinstance(fields["code"], str) or codes.normalise_code(fields["code"]) != fields["code"]:
        raise FormatError("statement code is not a compact verification code")
    if not isinstance(fields["c"], str) or not _SLUG.fullmatch(fields["c"]):
        raise FormatError("statement c is not a commitment id")
    for key in ("cv", "l"):
        if type(fields[key]) is not int or fields[key] < (1 if key == "cv" else 0):
            raise FormatError(f"statement {key} must be an integer")
    for key in ("n", "i"):
        if not isinstance(fields[key], str) or not fields[key]:
            raise FormatError(f"statement {key} must be non-empty text")
    if not isinstance(fields["t"], str):
        raise FormatError("statement t must be an instant")
    parse_instant(fields["t"])
    if not isinstance(fields["k"], str) or not _KID.fullmatch(fields["k"]):
        raise FormatError("statement k must be 8 key id characters")


def split_url(url: str) -> tuple[str, str]:
    """(code from the path, fragment) of a verify URL; the code is normalised."""
    parts = urlsplit(url.strip())
    match = re.fullmatch(r".*/v/([^/]+)", parts.path)
    if not match or not parts.fragment:
        raise FormatError("not an Ikrar verify URL with a statement (…/v/<code>#<statement>)")
    return codes.normalise_code(match.group(1)), parts.fragment


def verify_fragment(fragment: str, keyring: KeyRing, *, code: str | None = None) -> Statement:
    """Check a fragment's encoding, shape and signature against the pinned ``keyring``.

    Raises VerificationError on anything wrong. With ``code`` (the URL's path code) the
    statement must be about that code.
    """
    try:
        encoded, dot, signature_text = fragment.partition(".")
        if not dot:
            raise FormatError("a QR statement is <statement>.<signature>")
        statement_bytes = b64url_decode(encoded)
        signature = b64url_decode(signature_text)
        fields = parse_canonical(statement_bytes)
        _check_shape(fields)
    except FormatError as exc:
        raise VerificationError(f"malformed QR statement: {exc}") from exc
    if code is not None and fields["code"] != code:
        raise VerificationError("the statement is about another code than the URL's")
    candidates = [k for k in keyring if k.startswith(fields["k"]) and keyring[k].purpose == "record"]
    if len(candidates) != 1:
        raise VerificationError(f"no single record key in the key ring starts with {fields['k']!r}")
    key = keyring.verify(
        candidates[0], statement_bytes, signature, purpose="record", at=parse_instant(fields["t"])
    )
    truncated = fields["n"].endswith(ELLIPSIS) or fields["i"].endswith(ELLIPSIS)
    return Statement(fields, key, truncated)


def verify_url(url: str, keyring: KeyRing) -> Statement:
    """Verify a whole QR URL (path code and fragment)."""
    try:
        code, fragment = split_url(url)
    except FormatError as exc:
        raise VerificationError(str(exc)) from exc
    return verify_fragment(fragment, keyring, code=code)


def text_matches(stated: str, full: str) -> bool:
    """Whether a statement text is ``full`` or its cut form."""
    if stated == full:
        return True
    return stated.endswith(ELLIPSIS) and full.startswith(stated[:-1]) and len(stated) < len(full) + 1


def matches_record(fields: dict[str, Any], record: dict[str, Any], log_index: int) -> list[str]:
    """The statement members that disagree with ``record`` (empty if it describes that record)."""
    expected = statement_for(record, log_index, n_chars=10**6, i_chars=10**6)
    differing = []
    for key, value in expected.items():
        if key in ("n", "i"):
            if not text_matches(fields[key], value):
                differing.append(key)
        elif fields[key] != value:
            differing.append(key)
    return differing
