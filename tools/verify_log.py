#!/usr/bin/env python3
"""Independent verifier of Ikrar's transparency log, written from docs/FORMATS.md alone.

It imports only the Python standard library and ``cryptography``. Usage::

    python tools/verify_log.py --entries export.jsonl --checkpoint checkpoint.txt \\
        --key 'origin+hex8+base64' [--state DIR] [--jwks jwks.json --records records.jsonl]
        [--versions versions.json] [--workers N]

What it checks:

* the checkpoint (FORMATS.md §8) is a C2SP signed note signed by the given verifier key, whose
  name equals the checkpoint's origin and whose key id matches its public key;
* the export (one canonical entry per line, §7/§8), read line by line in constant memory up to the
  checkpoint's size: canonical JCS bytes, exactly five members, ``index`` = position, ``prev`` =
  hex SHA-256 of the previous line (64 zeros for entry 0), ``time`` an instant that never goes
  backwards, the payloads of the known entry types; the RFC 6962 root of those lines (computed
  with a frontier of O(log n) subtree hashes) must equal the checkpoint's root;
* with ``--state DIR`` (the ``ikrar audit`` state folder, §8 "Auditing"): ``DIR/checkpoint`` (the
  last verified signed note), ``DIR/hashes`` (32 raw SHA-256 entry hashes per entry) and
  ``DIR/verifier-key``; a smaller size is a rollback, an entry whose hash differs from the saved
  one is a fork; the state is replaced atomically only when everything verified;
* with ``--jwks`` (a pinned JWKS, §2): the key entries of the log agree with it, and every
  ``signature:create`` entry names a record key valid at its time; with ``--records`` (one
  ``GET /api/v1/signatures/{id}`` document per line, §3) every record verifies and matches its
  ``signature:create`` entry, and each record's code carries the §6 check symbol; each record's
  ``status`` and ``withdrawal`` must agree with the ``signature:withdraw`` entries (§7 "To check
  withdrawals"; a document the server marks ``invalid`` fails at its ``signature:create``); a
  document with status ``erased`` (no record left) must carry its ``signature:create`` entry's
  ``record_sha256`` and an ``erasure`` that agrees with the log's ``signature:erase`` entry for it,
  and a record the log erases must not be served with its record (§7 "To check erasures");
* in any case, every ``signature:erase`` entry names a record an earlier ``signature:create``
  entry created, with that entry's ``record_sha256``, at most once, on a ground of ``request``
  or ``retention`` (§7);
* with ``--versions FILE`` (the ``GET /api/v1/commitments/{id}?version=N`` documents, §4, as a
  JSON array or one a line): every ``commitment:publish`` entry has its document, whose text and
  consent text hash to the entry's hashes and whose rebuilt version document hashes to the
  entry's ``version_sha256`` (legacy entries without it bind the two texts only); a document
  without a publish entry fails.

On success it prints one line starting with ``OK:`` and exits 0; on failure it prints
``FAILED (<kind>) [at index <n>]: <reason>`` on stderr and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# ─────────────────────────────────────── errors ────────────────────────────────────────


class Failure(Exception):
    """A verification failure: ``kind`` is one of the documented kinds, ``index`` a log index."""

    def __init__(self, kind: str, reason: str, index: int | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.index = index

    def line(self) -> str:
        where = f" at index {self.index}" if self.index is not None else ""
        return f"FAILED ({self.kind}){where}: {self.reason}"


class UsageError(Exception):
    """Bad command line or unreadable input file (exit status 2)."""


class Invalid(ValueError):
    """A value that does not have the documented form; turned into a :class:`Failure` by callers."""


# ──────────────────────────────── §1 conventions ───────────────────────────────────────

INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HEX256 = re.compile(r"^[0-9a-f]{64}$")
B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
B64STD = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
RECORD_ID = re.compile(r"^[a-z2-7]{26}$")
ENTRY_TYPE = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*$")
SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")
MAX_INT = 2**53 - 1
ZERO_HASH = "0" * 64
MAX_LINE = 1 << 20  # no canonical entry comes near a mebibyte; longer lines are refused
MAX_NOTE = 1 << 16
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENTRY_MEMBERS = frozenset({"index", "time", "type", "payload", "prev"})


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise Invalid(f"duplicate object key {key!r}")
        result[key] = value
    return result


def _no_float(text: str) -> Any:
    raise Invalid(f"non-integer number {text}")


def _no_constant(text: str) -> Any:
    raise Invalid(f"{text} is not allowed")


def parse_json(data: bytes) -> Any:
    """Strict JSON: valid UTF-8, no duplicate keys, no NaN/Infinity, no floats."""
    try:
        text = data.decode("utf-8")
        return json.loads(
            text, object_pairs_hook=_no_duplicates, parse_float=_no_float, parse_constant=_no_constant
        )
    except Invalid:
        raise
    except UnicodeDecodeError:
        raise Invalid("not valid UTF-8") from None
    except RecursionError:
        raise Invalid("JSON nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError, over-long integers
        raise Invalid(f"not valid JSON ({exc})") from None


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _jcs_string(text: str, out: list[str]) -> None:
    """RFC 8785 §3.2.2.2 (ECMAScript JSON.stringify): escape '"', '\\' and U+0000…U+001F only
    (the seven short forms where they exist, else \\u00xx in lower case); all else literal."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        raise Invalid(f"text {text!r} is not in Unicode NFC")
    out.append('"' + _NEEDS_ESCAPE.sub(_escape, text) + '"')


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _jcs(value: Any, out: list[str]) -> None:
    if type(value) is str:
        _jcs_string(value, out)
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise Invalid(f"integer {value} outside ±(2^53−1)")
        out.append(str(value))
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            _jcs_string(key, out)
            out.append(":")
            _jcs(value[key], out)
        out.append("}")
    else:
        raise Invalid(f"value of type {type(value).__name__} cannot be canonicalised")


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 (JCS) for the value types Ikrar uses: objects, arrays, text, integers, literals."""
    out: list[str] = []
    try:
        _jcs(value, out)
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("text contains a lone surrogate (not valid Unicode)") from None
    except RecursionError:
        raise Invalid("JSON nested too deeply") from None


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and require it to be exactly the JCS form of what it parses to."""
    value = parse_json(data)
    if canonical_bytes(value) != data:
        raise Invalid("bytes are not the canonical (RFC 8785) form of their JSON value")
    return value


def is_instant(value: Any) -> bool:
    if not isinstance(value, str) or not INSTANT.match(value):
        return False
    try:
        datetime.fromisoformat(value[:-1])  # a real date and time of day (no 25:00, no Feb 30)
    except ValueError:
        return False
    return True


def _instant(value: Any, what: str) -> str:
    if not isinstance(value, str) or not is_instant(value):
        raise Invalid(f"{what} is not an instant: {value!r}")
    return value


def is_hex256(value: Any) -> bool:
    return isinstance(value, str) and HEX256.match(value) is not None


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def b64url_decode(text: Any) -> bytes:
    """Base64url without padding, canonical (unused trailing bits zero)."""
    if not isinstance(text, str) or not B64URL.match(text) or len(text) % 4 == 1:
        raise Invalid(f"not unpadded base64url: {text!r}")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != text:
        raise Invalid(f"non-canonical base64url: {text!r}")
    return data


def b64_decode(text: str) -> bytes:
    """Standard, padded, canonical base64."""
    if not B64STD.match(text) or len(text) % 4:
        raise Invalid(f"not padded standard base64: {text!r}")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise Invalid(f"not padded standard base64: {text!r}") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise Invalid(f"non-canonical base64: {text!r}")
    return data


def hex_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ──────────────────────────────────── §2 keys ──────────────────────────────────────────

P25519 = 2**255 - 19
# §2: the five canonical y values (sign bit cleared) of the eight points of small order.
SMALL_ORDER_Y = frozenset(
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )
)


def ed25519_public_key(raw: bytes) -> Ed25519PublicKey:
    """A 32-byte Ed25519 public key; §2 rule 1 (y < p, canonical), then rule 2 (not of small order)."""
    if len(raw) != 32:
        raise Invalid(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    cleared = raw[:31] + bytes([raw[31] & 0x7F])
    if int.from_bytes(cleared, "little") >= P25519:
        raise Invalid(f"non-canonical public key encoding (y ≥ 2^255−19): {raw.hex()}")
    if cleared in SMALL_ORDER_Y:
        raise Invalid(f"public key of small order: {raw.hex()}")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise Invalid("not a valid Ed25519 public key") from None


def ed25519_verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def thumbprint(x: str) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of an RFC 8037 Ed25519 key, as base64url."""
    member = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    digest = hashlib.sha256(member.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Jwk:
    kid: str
    x: str
    purpose: str
    status: str | None
    not_before: str
    not_after: str | None
    key: Ed25519PublicKey

    def valid_at(self, instant: str) -> bool:
        return self.not_before <= instant and (self.not_after is None or instant < self.not_after)


def load_jwks(path: Path) -> dict[str, Jwk]:
    try:
        document = parse_json(read_small(path, 1 << 22))
        keys = document["keys"] if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise Invalid('a JWKS is an object with a "keys" array')
        result: dict[str, Jwk] = {}
        active: dict[str, str] = {}
        previous = ""
        for jwk in keys:
            if not isinstance(jwk, dict):
                raise Invalid("a JWKS key is an object")
            kid = jwk.get("kid")
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise Invalid(f"key {kid!r} is not an OKP/Ed25519 key")
            x = jwk.get("x")
            key = ed25519_public_key(b64url_decode(x))
            assert isinstance(x, str)
            if kid != thumbprint(x):
                raise Invalid(f"kid {kid!r} is not the RFC 7638 thumbprint of its key")
            assert isinstance(kid, str)
            if kid in result:
                raise Invalid(f"key {kid} listed twice")
            purpose, status = jwk.get("purpose"), jwk.get("status")
            if purpose not in ("record", "log"):
                raise Invalid(f"key {kid} has purpose {purpose!r}, not record or log")
            not_before = _instant(jwk.get("not_before"), f"key {kid}'s not_before")
            not_after = None
            if jwk.get("not_after") is not None:
                not_after = _instant(jwk.get("not_after"), f"key {kid}'s not_after")
            if not_after is not None and not_after < not_before:
                raise Invalid(f"key {kid} has not_after before not_before")
            if status not in (None, "active", "retired"):
                raise Invalid(f"key {kid} has status {status!r}")
            if status is not None and (status == "active") != (not_after is None):
                raise Invalid(f"key {kid}: not_after must be absent exactly while the key is active")
            if not_after is None:
                if purpose in active:
                    raise Invalid(f"two active {purpose} keys: {active[purpose]} and {kid}")
                active[purpose] = kid
            if not_before < previous:
                raise Invalid("keys are not listed in order of not_before")
            previous = not_before
            result[kid] = Jwk(kid, x, purpose, status, not_before, not_after, key)
        return result
    except Invalid as exc:
        raise Failure("record", f"JWKS {path}: {exc}") from None


# ─────────────────────────────── §3 signed records ─────────────────────────────────────

RECORD_MEMBERS = frozenset(
    {
        "type",
        "id",
        "code",
        "commitment",
        "signatory",
        "dimensions",
        "consent",
        "handwriting",
        "signed_at",
        "claimed_at",
        "operator",
        "device",
        "kid",
    }
)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _exact(value: Any, members: set[str] | frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(members):
        raise Invalid(f"{what} must be an object with exactly the members {sorted(members)}")
    return value


def _times_x(value: int) -> int:
    """§6: multiplication by x in GF(32) = GF(2)[x]/(x^5 + x^2 + 1)."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def check_code(code: Any, *, check_symbol: bool = True) -> None:
    """§6: 10 Crockford base32 symbols and the GF(32) check symbol, compact upper case."""
    if not isinstance(code, str) or len(code) != 11 or any(c not in CROCKFORD for c in code):
        raise Invalid(f"code {code!r} is not 11 Crockford base32 symbols")
    if not check_symbol:
        return
    total = 0
    for symbol in code:  # folding all 11 symbols must end at zero
        total = _times_x(total) ^ CROCKFORD.index(symbol)
    if total != 0:
        raise Invalid(f"code {code!r} has a wrong check symbol")


def check_record_shape(value: Any, *, check_symbol: bool) -> dict[str, Any]:
    record = _exact(value, RECORD_MEMBERS, "the record")
    if record["type"] != "ikrar.signature.v1":
        raise Invalid(f"record type is {record['type']!r}")
    if not isinstance(record["id"], str) or not RECORD_ID.match(record["id"]):
        raise Invalid(f"record id {record['id']!r} is not 26 base32 characters")
    check_code(record["code"], check_symbol=check_symbol)
    commitment = _exact(record["commitment"], {"id", "version", "text_sha256"}, "commitment")
    if not _text(commitment["id"]) or not is_int(commitment["version"]) or commitment["version"] < 1:
        raise Invalid("commitment id/version malformed")
    if not is_hex256(commitment["text_sha256"]):
        raise Invalid("commitment.text_sha256 is not hex SHA-256")
    signatory = _exact(record["signatory"], {"name", "position", "institution", "category"}, "signatory")
    if not all(_text(v) for v in signatory.values()):
        raise Invalid("signatory members must be non-empty text")
    dimensions = record["dimensions"]
    if (
        not isinstance(dimensions, list)
        or not dimensions
        or not all(_text(d) for d in dimensions)
        or len(set(dimensions)) != len(dimensions)
    ):
        raise Invalid("dimensions must be a non-empty list of distinct ids")
    consent = _exact(record["consent"], {"text_sha256", "public_display"}, "consent")
    if not is_hex256(consent["text_sha256"]) or not isinstance(consent["public_display"], bool):
        raise Invalid("consent malformed")
    handwriting = _exact(record["handwriting"], {"strokes_sha256"}, "handwriting")
    if not is_hex256(handwriting["strokes_sha256"]):
        raise Invalid("handwriting.strokes_sha256 is not hex SHA-256")
    if not is_instant(record["signed_at"]):
        raise Invalid("signed_at is not an instant")
    if record["claimed_at"] is not None and not is_instant(record["claimed_at"]):
        raise Invalid("claimed_at is neither an instant nor null")
    for name in ("operator", "device"):
        if record[name] is not None and not isinstance(record[name], str):
            raise Invalid(f"{name} is neither text nor null")
    if not isinstance(record["kid"], str) or len(record["kid"]) != 43:
        raise Invalid("record kid is not 43 characters")
    return record


@dataclass(frozen=True)
class VerifiedRecord:
    id: str
    sha256: str
    signed_at: str
    kid: str
    commitment: str
    version: int
    log_index: int | None
    line: int
    text_sha256: str = ""
    consent_sha256: str = ""
    status: str = "valid"  # as served: valid | withdrawn (an invalid document is kept apart)
    withdrawal: Withdrawn | None = None


@dataclass(frozen=True)
class Withdrawn:
    """A record document's ``withdrawal``: checked against the log's signature:withdraw entry."""

    log_index: int
    reason_sha256: str | None  # None: the reason text was erased with the signer's personal data
    at: str


GROUNDS = ("request", "retention")


class InvalidErasure(Invalid):
    """An ``erased`` signature document whose ``erasure`` is not of the documented form."""


@dataclass(frozen=True)
class Erased:
    """A signature document with status ``erased`` (§3): only ids, hashes, times are left."""

    id: str
    sha256: str  # the document's record_sha256: its signature:create entry's
    log_index: int
    line: int
    erasure_index: int
    erasure_at: str
    ground: str
    withdrawal: Withdrawn | None


def erased_document(document: dict[str, Any], line: int) -> Erased:
    """§3: an erased signature document, as auditors (``record`` and ``signature`` null) or
    everyone (without them) are served it; its personal data must be gone from it too."""
    rid, log_index, digest = document.get("id"), document.get("log_index", -1), document.get("record_sha256")
    if not isinstance(rid, str) or not RECORD_ID.match(rid):
        raise Invalid(f"record id {rid!r} is not 26 base32 characters")
    if not is_int(log_index) or log_index < 0:
        raise Invalid(f"log_index {log_index!r} is not a log index")
    if not is_hex256(digest):
        raise Invalid("record_sha256 is not hex SHA-256")
    if any(document.get(name) is not None for name in ("record", "signature", "public")):
        raise InvalidErasure("an erased document still carries its record, signature or public fields")
    try:
        erasure = _exact(document.get("erasure"), {"at", "ground", "log_index"}, "erasure")
        at = _instant(erasure["at"], "erasure.at")
    except Invalid as exc:
        raise InvalidErasure(str(exc)) from None
    if not is_int(erasure["log_index"]) or erasure["log_index"] <= log_index:
        raise InvalidErasure("erasure.log_index is not a log index after the record's own")
    if erasure["ground"] not in GROUNDS:
        raise InvalidErasure(f"erasure.ground {erasure['ground']!r} is not one of {', '.join(GROUNDS)}")
    withdrawal = document.get("withdrawal")
    withdrawn = None
    if withdrawal is not None:
        # The reason text was erased too: null for auditors, absent from the public document.
        if not isinstance(withdrawal, dict):
            raise Invalid(f"withdrawal {withdrawal!r} is not an object")
        members = {"at", "reason", "log_index"} if "reason" in withdrawal else {"at", "log_index"}
        withdrawal = _exact(withdrawal, members, "withdrawal")
        if withdrawal.get("reason") is not None:
            raise InvalidErasure("an erased document still carries its withdrawal's reason")
        if not is_int(withdrawal["log_index"]) or withdrawal["log_index"] <= log_index:
            raise Invalid("withdrawal.log_index is not a log index after the record's own")
        withdrawn = Withdrawn(withdrawal["log_index"], None, _instant(withdrawal["at"], "withdrawal.at"))
    return Erased(
        rid, str(digest), int(log_index), line, erasure["log_index"], at, erasure["ground"], withdrawn
    )


def served_withdrawal(document: dict[str, Any]) -> tuple[str, Withdrawn | None]:
    """§3: ``status`` and ``withdrawal`` of a signature document (``status`` absent = valid)."""
    status = document.get("status", "valid")
    withdrawal = document.get("withdrawal")
    if status == "valid" and withdrawal is None:
        return status, None
    if status != "withdrawn" or not isinstance(withdrawal, dict):
        raise Invalid(f"status {status!r} with withdrawal {withdrawal!r}")
    withdrawal = _exact(withdrawal, {"at", "reason", "log_index"}, "withdrawal")
    if not is_int(withdrawal["log_index"]) or not isinstance(withdrawal["reason"], str):
        raise Invalid("withdrawal.log_index or withdrawal.reason malformed")
    at = _instant(withdrawal["at"], "withdrawal.at")
    return status, Withdrawn(withdrawal["log_index"], hex_sha256(withdrawal["reason"].encode("utf-8")), at)


def verify_record_document(
    document: Any, jwks: dict[str, Jwk], line: int, *, check_symbol: bool
) -> VerifiedRecord:
    """§3 steps 1–5 for one ``GET /api/v1/signatures/{id}`` document."""
    if not isinstance(document, dict) or not {"record", "signature", "kid"} <= set(document):
        raise Invalid('a signature document is an object with "record", "signature" and "kid"')
    record = check_record_shape(document["record"], check_symbol=check_symbol)
    kid = document["kid"]
    if record["kid"] != kid:
        raise Invalid(f"record.kid {record['kid']!r} differs from the document's kid {kid!r}")
    if "id" in document and document["id"] != record["id"]:
        raise Invalid("the document's id differs from record.id")
    if "code" in document and document["code"] != record["code"]:
        raise Invalid("the document's code differs from record.code")
    log_index = document.get("log_index")
    if log_index is not None and (not is_int(log_index) or log_index < 0):
        raise Invalid(f"log_index {log_index!r} is not a log index")
    key = jwks.get(kid)
    if key is None:
        raise Invalid(f"kid {kid} is not in the pinned JWKS")
    if key.purpose != "record":
        raise Invalid(f"key {kid} has purpose {key.purpose!r}, not record")
    if not key.valid_at(record["signed_at"]):
        raise Invalid(
            f"signed_at {record['signed_at']} lies outside key {kid}'s validity window "
            f"[{key.not_before}, {key.not_after or '∞'})"
        )
    signature = b64url_decode(document["signature"])
    if len(signature) != 64:
        raise Invalid("the signature is not 64 bytes")
    body = canonical_bytes(record)
    if not ed25519_verify(key.key, signature, body):
        raise Invalid("the Ed25519 signature over the record's canonical bytes does not verify")
    if document.get("erasure") is not None:
        raise InvalidErasure(f"status {document.get('status', 'valid')!r} with an erasure")
    status, withdrawal = served_withdrawal(document)
    if withdrawal is not None and log_index is not None and withdrawal.log_index <= log_index:
        raise Invalid("withdrawal.log_index is not after the record's own log_index")
    return VerifiedRecord(
        record["id"],
        hex_sha256(body),
        record["signed_at"],
        kid,
        record["commitment"]["id"],
        record["commitment"]["version"],
        log_index,
        line,
        record["commitment"]["text_sha256"],
        record["consent"]["text_sha256"],
        status,
        withdrawal,
    )


def load_records(
    path: Path,
    jwks: dict[str, Jwk],
    *,
    check_symbol: bool,
    invalid: dict[str, int] | None = None,
    erased: dict[str, Erased] | None = None,
) -> dict[str, VerifiedRecord]:
    """The records file; documents whose ``status`` is ``invalid`` (the server's own integrity
    error) go to ``invalid`` (record id → log_index), to be reported at their entry; those whose
    ``status`` is ``erased`` go to ``erased``, to be checked against the log's erasure entries."""
    records: dict[str, VerifiedRecord] = {}
    indexes: set[int] = set()
    with open_input(path) as stream:
        for number, raw in enumerate(iter_lines(stream, f"{path}"), start=1):
            if raw.strip() == b"":
                continue
            document: Any = None
            try:
                document = parse_json(raw.rstrip(b"\r\n"))
                if (
                    invalid is not None
                    and isinstance(document, dict)
                    and document.get("status") == "invalid"
                    and isinstance(document.get("id"), str)
                    and is_int(document.get("log_index"))
                ):
                    invalid[document["id"]] = document["log_index"]
                    continue
                if erased is not None and isinstance(document, dict) and document.get("status") == "erased":
                    gone = erased_document(document, number)
                    if gone.id in erased or gone.id in records:
                        raise Invalid(f"record {gone.id} supplied twice")
                    erased[gone.id] = gone
                    continue
                verified = verify_record_document(document, jwks, number, check_symbol=check_symbol)
            except Invalid as exc:
                index = document.get("log_index") if isinstance(document, dict) else None
                raise Failure(
                    "erasure" if isinstance(exc, InvalidErasure) else "record",
                    f"{path} line {number}: {exc}",
                    index if is_int(index) else None,
                ) from None
            if verified.id in records or (erased is not None and verified.id in erased):
                raise Failure("record", f"{path} line {number}: record {verified.id} supplied twice")
            if verified.log_index is not None:
                if verified.log_index in indexes:
                    raise Failure(
                        "record",
                        f"{path} line {number}: two records claim this log index",
                        verified.log_index,
                    )
                indexes.add(verified.log_index)
            records[verified.id] = verified
    return records


# ──────────────────────────── §8 signed notes, checkpoints ─────────────────────────────


@dataclass(frozen=True)
class VerifierKey:
    text: str
    name: str
    key_id: bytes
    public: bytes
    key: Ed25519PublicKey


def note_key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public).digest()[:4]


def parse_verifier_key(text: str) -> VerifierKey:
    parts = text.split("+", 2)  # the name has no "+"; standard base64 may contain some
    if len(parts) != 3:
        raise Invalid("a verifier key is <name>+<8 hex digits>+<base64>")
    name, hex_id, encoded = parts
    if not name or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise Invalid("the key name is empty or contains spaces")
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise Invalid("the key id is not 8 lowercase hex digits")
    raw = b64_decode(encoded)
    if len(raw) != 33 or raw[0] != 0x01:
        raise Invalid("the key is not an Ed25519 (type 0x01) key of 32 bytes")
    public = raw[1:]
    key = ed25519_public_key(public)
    key_id = note_key_id(name, public)
    if key_id.hex() != hex_id:
        raise Invalid(f"key id {hex_id} does not match the key (expected {key_id.hex()})")
    return VerifierKey(text, name, key_id, public, key)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: bytes


def open_note(note: bytes, key: VerifierKey) -> str:
    """Verify a C2SP signed note; return its text (the part that was signed)."""
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the note is not valid UTF-8") from None
    if any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in text):
        raise Invalid("the note contains control characters other than newline")
    if not text.endswith("\n"):
        raise Invalid("the note does not end with a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise Invalid("the note has no blank line before its signatures")
    body, signatures = text[: split + 1], text[split + 2 :]
    lines = signatures.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        raise Invalid("the note has no signature lines")
    verified = False
    for line in lines[:-1]:
        if not line.startswith("— "):
            raise Invalid(f"malformed signature line {line!r}")
        fields = line[2:].split(" ")
        if len(fields) != 2 or not fields[0]:
            raise Invalid(f"malformed signature line {line!r}")
        name, encoded = fields
        blob = b64_decode(encoded)
        if len(blob) < 5:
            raise Invalid("a signature is shorter than its key id")
        if name != key.name or blob[:4] != key.key_id:
            continue  # a signature by some other key: ignored
        if len(blob) != 68 or not ed25519_verify(key.key, blob[4:], body.encode("utf-8")):
            raise Invalid(f"the signature by {name} does not verify")
        verified = True
    if not verified:
        raise Invalid(f"no signature by the verifier key {key.name}+{key.key_id.hex()}")
    return body


def parse_checkpoint(note: bytes, key: VerifierKey) -> Checkpoint:
    body = open_note(note, key)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise Invalid("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if any(line == "" for line in lines[3:]):
        raise Invalid("empty extension line in the checkpoint")
    if not origin:
        raise Invalid("empty origin")
    if origin != key.name:
        raise Invalid(f"the checkpoint's origin {origin!r} differs from the key name {key.name!r}")
    if not SIZE.match(size_text):
        raise Invalid(f"tree size {size_text!r} is not a decimal number")
    root = b64_decode(root_text)
    if len(root) != 32:
        raise Invalid("the root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root, note)


def read_checkpoint(data: bytes, key: VerifierKey, what: str, kind: str) -> Checkpoint:
    try:
        return parse_checkpoint(data, key)
    except Invalid as exc:
        raise Failure(kind, f"{what}: {exc}") from None


# ─────────────────────────────────── Merkle tree ───────────────────────────────────────


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass
class Frontier:
    """The RFC 6962 tree of the leaves seen so far, as its perfect subtrees (O(log n) hashes)."""

    subtrees: list[tuple[int, bytes]] = field(default_factory=list)
    size: int = 0

    def append(self, entry: bytes) -> None:
        self.subtrees.append((1, hashlib.sha256(b"\x00" + entry).digest()))
        self.size += 1
        while len(self.subtrees) >= 2 and self.subtrees[-1][0] == self.subtrees[-2][0]:
            count, right = self.subtrees.pop()
            _, left = self.subtrees.pop()
            self.subtrees.append((2 * count, node_hash(left, right)))

    def root(self) -> bytes:
        if not self.subtrees:
            return hashlib.sha256(b"").digest()
        result = self.subtrees[-1][1]
        for _, left in reversed(self.subtrees[:-1]):
            result = node_hash(left, result)
        return result


# ────────────────────────────────────── state ──────────────────────────────────────────


@dataclass
class SavedState:
    checkpoint: Checkpoint | None
    hashes: IO[bytes] | None


def load_state(directory: Path, key: VerifierKey) -> SavedState:
    """Read ``DIR/verifier-key``, ``DIR/checkpoint`` and ``DIR/hashes`` (all optional at first)."""
    if directory.exists() and not directory.is_dir():
        raise Failure("state", f"{directory} is not a directory")
    key_file, checkpoint_file, hashes_file = (
        directory / "verifier-key",
        directory / "checkpoint",
        directory / "hashes",
    )
    try:
        if key_file.exists():
            pinned = key_file.read_text("utf-8").strip()
            if pinned != key.text:
                raise Failure("state", f"the state folder pins another verifier key: {pinned}")
        if not checkpoint_file.exists():
            if hashes_file.exists():
                raise Failure("state", f"{hashes_file} exists without {checkpoint_file}")
            return SavedState(None, None)
        saved = read_checkpoint(
            read_small(checkpoint_file, MAX_NOTE), key, f"saved checkpoint {checkpoint_file}", "state"
        )
        length = hashes_file.stat().st_size if hashes_file.exists() else 0
        # A crash between the two renames of a save can leave hashes longer than the checkpoint
        # (a superset that starts with the verified ones); fewer hashes is a damaged state.
        if length % 32 or length < 32 * saved.size:
            raise Failure(
                "state",
                f"{hashes_file} holds {length} bytes; the saved checkpoint of "
                f"size {saved.size} needs {32 * saved.size}",
            )
        hashes = hashes_file.open("rb") if saved.size else None
        return SavedState(saved, hashes)
    except OSError as exc:
        raise Failure("state", f"cannot read the state in {directory}: {exc}") from None


class StateWriter:
    """Writes the new ``hashes`` to a temporary file while verifying; commits only on success."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".hashes.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise Failure("state", f"cannot write the state in {directory}: {exc}") from None
        self.temporary = [Path(name)]
        self.hashes = os.fdopen(fd, "wb")

    def write_hash(self, digest: bytes) -> None:
        self.hashes.write(digest)

    def _temporary_copy(self, name: str, data: bytes) -> Path:
        fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.directory)
        self.temporary.append(Path(path))
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        return Path(path)

    def commit(self, checkpoint: Checkpoint, key: VerifierKey) -> None:
        try:
            self.hashes.flush()
            os.fsync(self.hashes.fileno())
            self.hashes.close()
            key_file = self.directory / "verifier-key"
            if not key_file.exists():
                os.replace(self._temporary_copy("verifier-key", key.text.encode() + b"\n"), key_file)
            new_checkpoint = self._temporary_copy("checkpoint", checkpoint.note)
            # hashes first: the new list extends the saved one, so a crash between the renames
            # leaves a state whose checkpoint still matches the start of its hashes.
            os.replace(self.temporary[0], self.directory / "hashes")
            os.replace(new_checkpoint, self.directory / "checkpoint")
            with contextlib.suppress(OSError):
                dir_fd = os.open(self.directory, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise Failure("state", f"cannot save the state in {self.directory}: {exc}") from None
        finally:
            self.discard()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.hashes.close()
        for path in self.temporary:
            with contextlib.suppress(OSError):
                path.unlink()


# ──────────────────────────────────── §7 the log ───────────────────────────────────────

COMMITMENT_TYPES = frozenset(
    {
        "commitment:create",
        "commitment:edit",
        "commitment:revise",
        "commitment:publish",
        "commitment:close",
        "commitment:reopen",
    }
)
LEGACY_COMMITMENT_MEMBERS = frozenset({"commitment", "version", "text_sha256", "consent_sha256"})
COMMITMENT_MEMBERS = LEGACY_COMMITMENT_MEMBERS | {"version_sha256"}
# A reopening also says why and by whom (never in a legacy form): §7.
REOPEN_MEMBERS = COMMITMENT_MEMBERS | {"reason", "user"}
STATUS_AFTER = {"commitment:publish": "open", "commitment:close": "closed", "commitment:reopen": "open"}


def check_payload(entry: dict[str, Any], jwks: dict[str, Jwk] | None, retiring: dict[str, str]) -> None:
    """The payloads of the entry types §7 documents; other types are accepted unread."""
    kind = entry["type"]
    if kind in ("key:generate", "key:rotate"):
        _check_key_payload(entry, jwks, retiring)
    elif kind in COMMITMENT_TYPES:
        _check_commitment_payload(kind, entry["payload"])
    elif kind == "signature:withdraw":
        payload = _exact(entry["payload"], {"record_id", "record_sha256", "reason_sha256"}, f"{kind} payload")
        _check_record_id(payload)
        if not is_hex256(payload["record_sha256"]) or not is_hex256(payload["reason_sha256"]):
            raise Invalid("record_sha256/reason_sha256 malformed")
    elif kind == "signature:erase":
        payload = _exact(entry["payload"], {"record_id", "record_sha256", "ground"}, f"{kind} payload")
        _check_record_id(payload)
        if not is_hex256(payload["record_sha256"]):
            raise Invalid("record_sha256 malformed")
        if not isinstance(payload["ground"], str):
            raise Invalid("ground is not text")  # its value is an erasure rule (Served._erase)
    elif kind == "signature:create":
        _check_signature_payload(entry, jwks)


def _check_record_id(payload: dict[str, Any]) -> None:
    if not isinstance(payload["record_id"], str) or not RECORD_ID.match(payload["record_id"]):
        raise Invalid("record_id malformed")


def _check_key_payload(entry: dict[str, Any], jwks: dict[str, Jwk] | None, retiring: dict[str, str]) -> None:
    """key:generate and key:rotate: a well-formed key, and (with a pinned JWKS) the very key it pins."""
    kind, time = entry["type"], entry["time"]
    payload = _exact(entry["payload"], {"kid", "purpose", "x", "not_before"}, f"{kind} payload")
    if payload["purpose"] not in ("record", "log"):
        raise Invalid(f"key purpose {payload['purpose']!r}")
    ed25519_public_key(b64url_decode(payload["x"]))
    if payload["kid"] != thumbprint(payload["x"]):
        raise Invalid("kid is not the thumbprint of x")
    if payload["not_before"] != time:
        raise Invalid("the key's not_before differs from the entry's time")
    if jwks is None:
        return
    jwk = jwks.get(payload["kid"])
    if jwk is None or (jwk.x, jwk.purpose, jwk.not_before) != (
        payload["x"],
        payload["purpose"],
        payload["not_before"],
    ):
        raise Failure(
            "record",
            f"key {payload['kid']} in the log is missing from the pinned JWKS or differs from it",
            entry["index"],
        )
    old = retiring.get(jwk.purpose)
    if kind == "key:rotate" and old is not None and jwks[old].not_after != time:
        raise Failure(
            "record",
            f"rotated-out key {old} has not_after {jwks[old].not_after}, not the rotation time {time}",
            entry["index"],
        )
    retiring[jwk.purpose] = jwk.kid


def _check_commitment_payload(kind: str, payload: Any) -> None:
    # Entries written before version_sha256 existed ("legacy") have the other four members.
    members = COMMITMENT_MEMBERS if "version_sha256" in payload else LEGACY_COMMITMENT_MEMBERS
    if kind == "commitment:reopen":
        members = REOPEN_MEMBERS
    payload = _exact(payload, members, f"{kind} payload")
    if kind == "commitment:reopen":
        reason = payload["reason"]
        if (
            not _text(reason)
            or len(reason) > 500
            or any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in reason)
        ):
            raise Invalid("a reopening's reason must be 1–500 characters without control characters")
        if not _text(payload["user"]) or not payload["user"].startswith("usr_"):
            raise Invalid("a reopening's user is not a public user id")
    if not _text(payload["commitment"]) or not is_int(payload["version"]) or payload["version"] < 1:
        raise Invalid("commitment id/version malformed")
    if not all(is_hex256(payload[name]) for name in members if name.endswith("_sha256")):
        raise Invalid("text_sha256/consent_sha256/version_sha256 malformed")


def _check_signature_payload(entry: dict[str, Any], jwks: dict[str, Jwk] | None) -> None:
    """signature:create: the record's identity, and (with a pinned JWKS) a record key valid then."""
    payload = _exact(
        entry["payload"],
        {"record_id", "record_sha256", "commitment", "version", "kid"},
        "signature:create payload",
    )
    _check_record_id(payload)
    if not is_hex256(payload["record_sha256"]):
        raise Invalid("record_sha256 malformed")
    if not _text(payload["commitment"]) or not is_int(payload["version"]) or payload["version"] < 1:
        raise Invalid("commitment id/version malformed")
    if jwks is not None:
        jwk = jwks.get(payload["kid"])
        if jwk is None or jwk.purpose != "record" or not jwk.valid_at(entry["time"]):
            raise Failure(
                "record",
                f"signature:create names key {payload['kid']!r}, which is not "
                "a record key of the pinned JWKS valid at the entry's time",
                entry["index"],
            )


def check_record_entry(entry: dict[str, Any], records: dict[str, VerifiedRecord], matched: set[str]) -> None:
    payload, index = entry["payload"], entry["index"]
    record = records.get(payload["record_id"])
    if record is None:
        return
    matched.add(record.id)
    problems = []
    if record.sha256 != payload["record_sha256"]:
        problems.append(
            f"SHA-256 of its canonical bytes is {record.sha256}, the entry says {payload['record_sha256']}"
        )
    if record.signed_at != entry["time"]:
        problems.append(f"signed_at {record.signed_at} differs from the entry's time {entry['time']}")
    if record.kid != payload["kid"]:
        problems.append("its kid differs from the entry's")
    if (record.commitment, record.version) != (payload["commitment"], payload["version"]):
        problems.append("its commitment/version differ from the entry's")
    if record.log_index is not None and record.log_index != index:
        problems.append(f"the document gives log_index {record.log_index}")
    if problems:
        raise Failure(
            "record", f"record {record.id} (records line {record.line}): " + "; ".join(problems), index
        )


# ─────────────────────── §4 served versions, §3/§7 status and withdrawals ───────────────────────

VERSION_TYPE = "ikrar.commitment-version.v1"
VERSION_FIELDS = (
    "id",
    "version",
    "title",
    "text",
    "place",
    "event_date",
    "dimensions",
    "categories",
    "consent_text",
)
VERSION_OPTIONAL = ("issuer", "emblem_sha256")
MAX_VERSIONS_FILE = 1 << 26


@dataclass(frozen=True)
class ServedVersion:
    """One ``GET /api/v1/commitments/{id}?version=N`` document, with its hashes recomputed."""

    line: int
    text_sha256: str
    consent_sha256: str
    version_sha256: str
    problem: str | None  # what is wrong with the document on its own


def version_document(served: dict[str, Any]) -> dict[str, Any]:
    """§4: the version document rebuilt from a served version (its other members ignored)."""
    missing = [name for name in VERSION_FIELDS if name not in served]
    if missing:
        raise Invalid(f"the version document lacks {', '.join(missing)}")
    document = {"type": VERSION_TYPE, **{name: served[name] for name in VERSION_FIELDS}}
    # Optional members (issuer, emblem): in the document only when the served value is not null.
    document.update({name: served[name] for name in VERSION_OPTIONAL if served.get(name) is not None})
    return document


def served_version(served: Any, line: int) -> tuple[tuple[str, int], ServedVersion]:
    if not isinstance(served, dict) or not _text(served.get("id")) or not is_int(served.get("version")):
        raise Invalid("a version document is an object with an id and a version")
    text, consent = served.get("text"), served.get("consent_text")
    if not isinstance(text, str) or not isinstance(consent, str):
        raise Invalid("the version document lacks its text or consent_text")
    text_hash, consent_hash = hex_sha256(text.encode("utf-8")), hex_sha256(consent.encode("utf-8"))
    digest = hex_sha256(canonical_bytes(version_document(served)))
    problem = None
    if served.get("status") not in ("open", "closed"):
        problem = f"a published version is served with status {served.get('status')!r}"
    elif (served.get("text_sha256"), served.get("consent_sha256")) != (text_hash, consent_hash):
        problem = "the document's text_sha256 or consent_sha256 is not the hash of its own text"
    elif served.get("version_sha256", digest) != digest:
        problem = "the document's version_sha256 is not the hash of its own fields"
    return (served["id"], served["version"]), ServedVersion(line, text_hash, consent_hash, digest, problem)


def load_versions(path: Path) -> dict[tuple[str, int], ServedVersion]:
    """A JSON array of version documents, or one document a line (JSON Lines)."""
    data = read_small(path, MAX_VERSIONS_FILE)
    if data.lstrip()[:1] == b"[":
        try:
            documents = parse_json(data)
        except Invalid as exc:
            raise Failure("version", f"{path}: {exc}") from None
        numbered = list(enumerate(documents if isinstance(documents, list) else [], start=1))
    else:
        numbered = []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if raw.strip():
                try:
                    numbered.append((number, parse_json(raw.rstrip(b"\r"))))
                except Invalid as exc:
                    raise Failure("version", f"{path} line {number}: {exc}") from None
    versions: dict[tuple[str, int], ServedVersion] = {}
    for number, document in numbered:
        try:
            key, version = served_version(document, number)
        except Invalid as exc:
            raise Failure("version", f"{path} item {number}: {exc}") from None
        if key in versions:
            raise Failure("version", f"{path} item {number}: {key[0]} version {key[1]} supplied twice")
        versions[key] = version
    return versions


class Served:
    """Checks what the registry served (version documents, record status and withdrawals) against
    the entries as they are walked. Failures wait until the chain and root are proven; the one at
    the smallest index is reported."""

    def __init__(
        self,
        size: int,
        versions: dict[tuple[str, int], ServedVersion] | None,
        records: dict[str, VerifiedRecord],
        invalid: dict[str, int],
        erased: dict[str, Erased] | None = None,
    ) -> None:
        self.size, self.versions, self.records, self.invalid = size, versions, records, invalid
        self.erased = erased if erased is not None else {}
        # §7 erasure rules: record id → raw record_sha256 of its signature:create entry; erased ids
        self.created: dict[str, bytes] = {}
        self.erased_ids: set[str] = set()
        self.erased_created: set[str] = set()  # erased documents whose signature:create was seen
        self.published: dict[tuple[str, int], dict[str, Any]] = {}
        self.state: dict[tuple[str, int], str] = {}  # open / closed after each version's last entry
        self.used: set[tuple[str, int]] = set()
        self.settled: set[str] = set()
        self.first: Failure | None = None

    def fail(self, kind: str, reason: str, index: int | None) -> None:
        key = -1 if index is None else index
        if self.first is None or key < (-1 if self.first.index is None else self.first.index):
            self.first = Failure(kind, reason, index)

    def entry(self, entry: dict[str, Any]) -> None:
        kind, payload, index = entry["type"], entry["payload"], entry["index"]
        if kind in STATUS_AFTER:
            self._status(index, kind, (payload["commitment"], payload["version"]))
        if kind == "commitment:publish":
            self._publish(index, payload)
        elif kind == "signature:create":
            if self.state.get((payload["commitment"], payload["version"])) == "closed":
                name = f"{payload['commitment']} version {payload['version']}"
                self.fail("record", f"a signature of {name} was made while signing was closed", index)
            self._create(index, payload)
        elif kind == "signature:withdraw":
            self._withdraw(index, payload, entry["time"])
        elif kind == "signature:erase":
            self._erase(index, payload, entry["time"])

    def _status(self, index: int, kind: str, key: tuple[str, int]) -> None:
        """A close needs an open version and a reopen a closed one (publish is checked apart)."""
        was = self.state.get(key)
        if (kind == "commitment:close" and was != "open") or (
            kind == "commitment:reopen" and was != "closed"
        ):
            self.fail(
                "version", f"{key[0]} version {key[1]}: a {kind} while it is {was or 'unpublished'}", index
            )
        self.state[key] = STATUS_AFTER[kind]

    def _publish(self, index: int, payload: dict[str, Any]) -> None:
        key = (payload["commitment"], payload["version"])
        name = f"{key[0]} version {key[1]}"
        if key in self.published:
            self.fail("version", f"{name} is published a second time", index)
        self.published[key] = payload
        if self.versions is None:
            return
        served = self.versions.get(key)
        if served is None:
            self.fail("version", f"no version document is supplied for {name} (not served?)", index)
            return
        self.used.add(key)
        if served.problem is not None:
            self.fail("version", f"{name} (versions item {served.line}): {served.problem}", index)
        elif payload["text_sha256"] != served.text_sha256:
            self.fail(
                "version", f"the text served for {name} does not hash to the entry's text_sha256", index
            )
        elif payload["consent_sha256"] != served.consent_sha256:
            self.fail("version", f"the consent text served for {name} does not hash to consent_sha256", index)
        elif payload.get("version_sha256", served.version_sha256) != served.version_sha256:
            self.fail(
                "version", f"the version document served for {name} does not hash to version_sha256", index
            )

    def _create(self, index: int, payload: dict[str, Any]) -> None:
        rid = payload["record_id"]
        self.created.setdefault(rid, bytes.fromhex(payload["record_sha256"]))
        gone = self.erased.get(rid)
        if gone is not None:
            self.erased_created.add(rid)
            if gone.sha256 != payload["record_sha256"]:
                self.fail(
                    "record",
                    f"record {rid} (records line {gone.line}) is not the one the log committed to",
                    index,
                )
            elif gone.log_index != index:
                self.fail("record", f"the document of record {rid} gives log_index {gone.log_index}", index)
            return
        if rid in self.invalid:
            self.fail("record", f"the registry reports record {rid} as invalid (integrity error)", index)
            return
        record = self.records.get(rid)
        if record is None:
            return
        bound = self.published.get((record.commitment, record.version))
        if bound is None:
            self.fail("record", f"record {rid} seals a commitment version no earlier entry published", index)
        elif (bound["text_sha256"], bound["consent_sha256"]) != (record.text_sha256, record.consent_sha256):
            self.fail("record", f"record {rid} seals another text or consent text than was published", index)

    def _erase(self, index: int, payload: dict[str, Any], time: str) -> None:
        """§7 "To check erasures": the log's rules, then the document served for the record."""
        rid, digest, ground = payload["record_id"], payload["record_sha256"], payload["ground"]
        created = self.created.get(rid)
        if created is None:
            self.fail(
                "erasure",
                f"the log erases record {rid}, which no earlier signature:create entry names",
                index,
            )
            return
        if created != bytes.fromhex(digest):
            self.fail(
                "erasure",
                f"the erasure of record {rid} names another record_sha256 than its signature:create entry",
                index,
            )
            return
        if rid in self.erased_ids:
            self.fail("erasure", f"record {rid} is erased a second time", index)
            return
        self.erased_ids.add(rid)
        if ground not in GROUNDS:
            self.fail(
                "erasure",
                f"the erasure of record {rid} has ground {ground!r}, not one of {', '.join(GROUNDS)}",
                index,
            )
            return
        gone = self.erased.get(rid)
        if gone is None:
            if rid in self.records:
                self.fail(
                    "erasure",
                    f"the log erases record {rid} here but the records file still holds its record "
                    f"(line {self.records[rid].line}, status {self.records[rid].status})",
                    index,
                )
            return  # not in the records file (or reported invalid at its signature:create)
        if gone.erasure_index != index:
            self.fail(
                "erasure", f"the document of record {rid} gives erasure.log_index {gone.erasure_index}", index
            )
        elif gone.ground != ground:
            self.fail(
                "erasure",
                f"the document of record {rid} gives erasure.ground {gone.ground!r}, the entry {ground!r}",
                index,
            )
        elif gone.erasure_at != time:
            self.fail("erasure", f"erasure.at of record {rid} is not the entry's time {time}", index)

    def _withdraw(self, index: int, payload: dict[str, Any], time: str) -> None:
        rid = payload["record_id"]
        record = self.records.get(rid) or self.erased.get(rid)
        if rid in self.settled:
            self.fail("withdrawal", f"record {rid} is withdrawn a second time", index)
            return
        self.settled.add(rid)
        if record is None:
            return  # not in the records file (or reported invalid at its signature:create)
        said = record.withdrawal
        if said is None:
            self.fail("withdrawal", f"the log withdraws record {rid} here but its document says valid", index)
        elif said.log_index != index:
            self.fail(
                "withdrawal", f"record {rid}'s document gives withdrawal.log_index {said.log_index}", index
            )
        elif payload["record_sha256"] != record.sha256:
            self.fail("withdrawal", f"the entry withdraws another record than {rid}", index)
        elif said.reason_sha256 is not None and payload["reason_sha256"] != said.reason_sha256:
            self.fail(
                "withdrawal", f"the reason served for record {rid} does not hash to reason_sha256", index
            )
        elif said.at != time:
            self.fail("withdrawal", f"withdrawal.at of record {rid} is not the entry's time {time}", index)

    def finish(self) -> None:
        for gone in self.erased.values():
            if gone.id not in self.erased_created:
                self.fail(
                    "record",
                    f"record {gone.id} (records line {gone.line}) has no signature:create entry among "
                    f"the {self.size} entries the checkpoint covers",
                    gone.log_index,
                )
            elif gone.erasure_index < self.size and gone.id not in self.erased_ids:
                self.fail(
                    "erasure",
                    f"record {gone.id}'s document says it was erased by entry {gone.erasure_index}, "
                    "which does not erase it",
                    gone.erasure_index,
                )
        everyone: list[VerifiedRecord | Erased] = [*self.records.values(), *self.erased.values()]
        for record in everyone:
            said = record.withdrawal
            if said is not None and said.log_index < self.size and record.id not in self.settled:
                self.fail(
                    "withdrawal",
                    f"record {record.id}'s document says it was withdrawn by entry {said.log_index}, "
                    "which does not withdraw it",
                    said.log_index,
                )
        for key, served in (self.versions or {}).items():
            if key not in self.used:
                self.fail(
                    "version",
                    f"versions item {served.line} ({key[0]} version {key[1]}) has no commitment:publish "
                    "entry among the entries the checkpoint covers",
                    None,
                )
        if self.first is not None:
            raise self.first


def iter_lines(stream: IO[bytes], what: str) -> Iterator[bytes]:
    """The lines of a records file, each read with a bounded buffer."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise Failure("record", f"{what} line {number} is longer than {MAX_LINE} bytes")
        yield line


PARSE_BATCH = 1024  # lines per task sent to a worker process
PARSE_WINDOW = 4  # tasks in flight per worker: bounds memory whatever the export's length

# One parsed line: (line without newline, its SHA-256, the entry or None, why it is no entry).
Parsed = tuple[bytes, bytes, "dict[str, Any] | None", str]


def _export_lines(stream: IO[bytes], size: int) -> Iterator[bytes | Failure]:
    """Lines 0 … size−1 of the export without their newline; a line that cannot be an entry (too
    long, cut short, missing) comes as the Failure to report at its position, and ends the walk."""
    for position in range(size):
        line = stream.readline(MAX_LINE + 1)
        if not line:
            yield Failure(
                "truncation",
                f"the export ends after {position} entries but the checkpoint covers {size}",
                position,
            )
            return
        if len(line) > MAX_LINE:
            yield Failure("chain", f"line longer than {MAX_LINE} bytes", position)
            return
        if not line.endswith(b"\n"):  # the file ends inside this line
            yield Failure("truncation", "the export ends inside this entry (no final newline)", position)
            return
        yield line[:-1]


def _parse_lines(lines: list[bytes]) -> list[Parsed]:
    """Hash and parse each line (independent of every other entry); stop after the first bad one."""
    out: list[Parsed] = []
    for data in lines:
        digest = hashlib.sha256(data).digest()
        try:
            entry = parse_canonical(data)
            if not isinstance(entry, dict) or set(entry) != ENTRY_MEMBERS:
                raise Invalid(f"an entry has exactly the members {sorted(ENTRY_MEMBERS)}")
        except Invalid as exc:
            out.append((data, digest, None, str(exc)))
            break
        out.append((data, digest, entry, ""))
    return out


def parsed_export(stream: IO[bytes], size: int, workers: int) -> Iterator[Parsed | Failure]:
    """Each of the export's first ``size`` lines parsed, in order, by ``workers`` processes.

    Parsing is most of the work and needs no other entry, so it runs on every core; the caller
    checks what links entries, in order, and so stops at the same first bad entry either way."""
    lines = _export_lines(stream, size)
    if workers <= 1 or size <= PARSE_BATCH:  # a short log: starting processes would cost more
        for line in lines:
            yield line if isinstance(line, Failure) else _parse_lines([line])[0]
        return
    import concurrent.futures
    import multiprocessing
    from collections import deque

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with concurrent.futures.ProcessPoolExecutor(workers, multiprocessing.get_context(method)) as pool:
        pending: deque[concurrent.futures.Future[list[Parsed]] | Failure] = deque()
        batch: list[bytes] = []
        ended = False
        while not ended or pending:
            while not ended and len(pending) < workers * PARSE_WINDOW:
                read = next(lines, None)
                if read is None or isinstance(read, Failure):
                    ended = True
                if isinstance(read, bytes):
                    batch.append(read)
                if batch and (ended or len(batch) >= PARSE_BATCH):
                    pending.append(pool.submit(_parse_lines, batch))
                    batch = []
                if isinstance(read, Failure):
                    pending.append(read)
            if not pending:
                return
            done = pending.popleft()
            if isinstance(done, Failure):
                yield done
                return
            try:
                yield from done.result()
            except GeneratorExit:
                for future in pending:
                    if not isinstance(future, Failure):
                        future.cancel()
                raise


def _check_saved_hash(saved_hashes: IO[bytes], digest: bytes, position: int) -> None:
    if saved_hashes.read(32) != digest:
        raise Failure(
            "fork",
            "the entry's hash differs from the one saved in the state (the log was forked or rewritten)",
            position,
        )


def check_link(entry: dict[str, Any], position: int, previous_hash: str, previous_time: str) -> None:
    """§7's envelope of the entry at ``position``: its index, its link to the one before, time and type."""
    if not is_int(entry["index"]) or entry["index"] != position:
        raise Failure(
            "chain",
            f"the entry's index is {entry['index']!r}, expected {position} "
            "(an entry is missing, extra or out of order)",
            position,
        )
    if not is_hex256(entry["prev"]):
        raise Failure("chain", "prev is not a hex SHA-256", position)
    if entry["prev"] != previous_hash:
        if position == 0:
            raise Failure("chain", "entry 0's prev is not 64 zeros", 0)
        raise Failure(
            "chain",
            f"the link to entry {position} is broken: its prev differs from the hash of entry {position - 1}",
            position - 1,
        )
    if not is_instant(entry["time"]):
        raise Failure("chain", f"time {entry['time']!r} is not an instant", position)
    if entry["time"] < previous_time:
        raise Failure(
            "chain",
            f"time {entry['time']} is earlier than the previous entry's {previous_time}",
            position,
        )
    if not isinstance(entry["type"], str) or not ENTRY_TYPE.match(entry["type"]):
        raise Failure("chain", f"type {entry['type']!r} is not subject:action", position)
    if not isinstance(entry["payload"], dict):
        raise Failure("chain", "payload is not an object", position)


def verify_entries(
    stream: IO[bytes],
    checkpoint: Checkpoint,
    state: SavedState | None,
    writer: StateWriter | None,
    jwks: dict[str, Jwk] | None,
    records: dict[str, VerifiedRecord],
    matched: set[str],
    served: Served | None = None,
    workers: int = 1,
) -> bytes:
    """Walk entries 0 … size−1 of the export; return the Merkle root of those entries.

    ``workers`` processes parse the entries (see parsed_export); everything that depends on the
    entries before (links, times, keys, records, the tree) is checked here, in order."""
    frontier = Frontier()
    previous_hash, previous_time = ZERO_HASH, ""
    saved = state.checkpoint if state else None
    saved_hashes = state.hashes if state else None
    retiring: dict[str, str] = {}
    for position, item in enumerate(parsed_export(stream, checkpoint.size, workers)):
        if isinstance(item, Failure):
            raise item
        data, digest, entry, malformed = item
        # Compared first: the saved hashes tell which of two entries around a broken link changed.
        if saved is not None and saved_hashes is not None and position < saved.size:
            _check_saved_hash(saved_hashes, digest, position)
        if entry is None:
            raise Failure("chain", malformed, position)
        check_link(entry, position, previous_hash, previous_time)
        try:
            check_payload(entry, jwks, retiring)
        except Invalid as exc:
            raise Failure("chain", str(exc), position) from None
        if entry["type"] == "signature:create":
            check_record_entry(entry, records, matched)
        if served is not None:
            served.entry(entry)
        frontier.append(data)
        if saved is not None and frontier.size == saved.size and frontier.root() != saved.root:
            raise Failure(
                "fork",
                f"the tree of the first {saved.size} entries does not have the root "
                "of the saved checkpoint (the log signed two different trees)",
            )
        if writer is not None:
            writer.write_hash(digest)
        previous_hash, previous_time = digest.hex(), entry["time"]
    root = frontier.root()
    if root != checkpoint.root:
        raise Failure(
            "root",
            f"the {checkpoint.size} entries hash to root {root.hex()}, the checkpoint "
            f"says {checkpoint.root.hex()}",
        )
    if served is not None:
        served.finish()  # what was served, checked against the now proven log
    return root


# ─────────────────────────────────── command line ──────────────────────────────────────


def read_small(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if len(data) > limit:
        raise UsageError(f"{path} is larger than {limit} bytes")
    return data


def open_input(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def run(args: argparse.Namespace) -> str:
    try:
        key = parse_verifier_key(args.key.strip())
    except Invalid as exc:
        raise Failure("checkpoint", f"the verifier key is invalid: {exc}") from None
    checkpoint = read_checkpoint(
        read_small(args.checkpoint, MAX_NOTE), key, f"checkpoint {args.checkpoint}", "checkpoint"
    )
    jwks = load_jwks(args.jwks) if args.jwks else None
    if jwks is not None:  # §8: the log key is also in the JWKS, with purpose log
        x = base64.urlsafe_b64encode(key.public).rstrip(b"=").decode("ascii")
        if not any(jwk.x == x and jwk.purpose == "log" for jwk in jwks.values()):
            raise Failure("checkpoint", "the verifier key is not a log key of the pinned JWKS")
    records: dict[str, VerifiedRecord] = {}
    invalid: dict[str, int] = {}
    erased: dict[str, Erased] = {}
    if args.records and jwks is not None:
        records = load_records(args.records, jwks, check_symbol=True, invalid=invalid, erased=erased)
    versions = load_versions(args.versions) if args.versions else None
    served = Served(checkpoint.size, versions, records, invalid, erased)
    entries = open_input(args.entries)
    state: SavedState | None = None
    writer: StateWriter | None = None
    try:
        if args.state is not None:
            state = load_state(args.state, key)
            saved = state.checkpoint
            if saved is not None and checkpoint.size < saved.size:
                raise Failure(
                    "rollback",
                    f"the checkpoint has size {checkpoint.size}, smaller than "
                    f"the saved size {saved.size} (rollback or truncation)",
                    checkpoint.size,
                )
            # A checkpoint of the saved size with another root is found by the walk below, which
            # names the first entry whose hash differs from the saved one.
            writer = StateWriter(args.state)
        matched: set[str] = set()
        root = verify_entries(
            entries, checkpoint, state, writer, jwks, records, matched, served, args.workers
        )
        for record in sorted(records.values(), key=lambda r: r.line):
            if record.id not in matched:
                raise Failure(
                    "record",
                    f"record {record.id} (records line {record.line}) has no "
                    f"signature:create entry among the {checkpoint.size} entries "
                    "the checkpoint covers",
                    record.log_index,
                )
        previous = state.checkpoint.size if state and state.checkpoint else None
        if writer is not None:
            writer.commit(checkpoint, key)
            writer = None
    finally:
        entries.close()
        if state is not None and state.hashes is not None:
            state.hashes.close()
        if writer is not None:
            writer.discard()
    summary = f"OK: {checkpoint.size} entries verified, checkpoint size {checkpoint.size}, root {root.hex()}"
    if args.records:
        summary += f", {len(records)} records verified"
        if erased:
            # No record or seal is left of an erased signature: its hashes and times are checked.
            summary += (
                f", {len(erased)} erased records matched their signature:create and signature:erase entries"
            )
    if versions is not None:
        summary += f", {len(versions)} commitment versions verified"
    if args.state is not None:
        summary += (
            f", state saved (previous size {previous})"
            if previous is not None
            else ", state saved (first run)"
        )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an export of Ikrar's transparency log.")
    parser.add_argument("--entries", type=Path, required=True, help="the export (NDJSON, one entry a line)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="the signed checkpoint")
    parser.add_argument("--key", required=True, help="the pinned verifier key origin+hex8+base64")
    parser.add_argument("--state", type=Path, help="state folder shared with `ikrar audit`")
    parser.add_argument("--jwks", type=Path, help="the pinned JWKS (/.well-known/jwks.json)")
    parser.add_argument(
        "--records", type=Path, help="signature documents (GET /api/v1/signatures/{id}), one per line"
    )
    parser.add_argument(
        "--versions",
        type=Path,
        help="published version documents (GET /api/v1/commitments/{id}?version=N, FORMATS.md §4): "
        "a JSON array of them, or one a line; each commitment:publish entry needs its document",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
        help="processes that parse entries (default: one per core; 1 parses in this process)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.records and not args.jwks:
        parser.error("--records needs --jwks (records are verified with the pinned JWKS)")
    try:
        print(run(args))
    except Failure as failure:
        print(failure.line(), file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
