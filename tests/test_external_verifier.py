"""An outside verifier, written from docs/FORMATS.md alone, run against a live ``ikrar serve``.

The first half of this file is the verifier. It imports only the standard library,
``cryptography`` and ``rfc8785`` — nothing from ``registry`` — so that it proves FORMATS.md is
enough to check Ikrar's bytes. The second half is the tests; their *setup* (creating signatures,
reading the log's bytes out of the database, to compare with what the server exports) uses the
project's fixtures.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import unicodedata
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# ─────────────────────────────── the verifier (FORMATS.md only) ───────────────────────────────


class VerificationError(Exception):
    """Anything that does not verify; the message says what and where."""


# §1 conventions ------------------------------------------------------------------------------

# Always used with fullmatch: `$` would also match before a final "\n", and `\d` any Unicode digit.
INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
HEX256 = re.compile(r"[0-9a-f]{64}")
B64URL = re.compile(r"[A-Za-z0-9_-]*")
RECORD_ID = re.compile(r"[a-z2-7]{26}")
ENTRY_TYPE = re.compile(r"[a-z][a-z_]*:[a-z][a-z_]*")
MAX_INT = 2**53 - 1
ZERO_HASH = "0" * 64


def _refuse_constant(name: str) -> Any:
    raise VerificationError(f"JSON contains {name}, which is not allowed")


def _refuse_float(text: str) -> Any:
    raise VerificationError(f"JSON contains a non-integer number {text!r}; Ikrar never uses floats")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise VerificationError(f"JSON object has duplicate key {key!r}")
        result[key] = value
    return result


def _check_values(value: Any, where: str, *, nfc: bool) -> None:
    """Integers within ±(2^53−1), text that is valid Unicode (and NFC when ``nfc``)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise VerificationError(f"{where}: integer {value} outside ±(2^53−1)")
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise VerificationError(f"{where}: text is not valid Unicode (lone surrogate)") from None
        if nfc and not unicodedata.is_normalized("NFC", value):
            raise VerificationError(f"{where}: text {value!r} is not in Unicode NFC")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_values(item, f"{where}[{i}]", nfc=nfc)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_values(key, f"{where} (key)", nfc=nfc)
            _check_values(item, f"{where}.{key}", nfc=nfc)
    else:  # pragma: no cover - json never produces anything else
        raise VerificationError(f"{where}: unexpected JSON value {value!r}")


def parse_json(data: bytes | str, *, nfc: bool = False) -> Any:
    """Strict JSON (§1): refuse invalid UTF-8, duplicate keys, NaN/Infinity and floats."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")  # explicit: json.loads(bytes) would also accept UTF-16/32
        except UnicodeDecodeError as exc:
            raise VerificationError(f"JSON is not valid UTF-8: {exc}") from None
    try:
        value = json.loads(
            data, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant, parse_float=_refuse_float
        )
    except json.JSONDecodeError as exc:
        raise VerificationError(f"not valid JSON: {exc}") from None
    _check_values(value, "$", nfc=nfc)
    return value


def canonical(value: Any) -> bytes:
    """The canonical bytes (RFC 8785 JCS) of a JSON value."""
    _check_values(value, "$", nfc=True)
    try:
        return rfc8785.dumps(value)
    except Exception as exc:
        raise VerificationError(f"value has no canonical form: {exc}") from None


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that must be exactly the JCS form of what they parse to."""
    value = parse_json(data, nfc=True)
    if canonical(value) != data:
        raise VerificationError("bytes are not the canonical (RFC 8785) form of their JSON value")
    return value


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64url_decode(text: Any, where: str) -> bytes:
    """Base64url, no padding, canonical (unused trailing bits zero)."""
    if not isinstance(text, str) or not B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise VerificationError(f"{where}: not unpadded base64url: {text!r}")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise VerificationError(f"{where}: non-canonical base64url (unused bits set): {text!r}")
    return raw


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_instant(value: Any, where: str) -> str:
    if not isinstance(value, str) or not INSTANT.fullmatch(value):
        raise VerificationError(f"{where}: not an instant (YYYY-MM-DDTHH:MM:SS.mmmZ): {value!r}")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise VerificationError(f"{where}: not a real date and time: {value!r}") from None
    return value


def _check_members(obj: Any, members: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise VerificationError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if set(obj) != members:
        missing, extra = sorted(members - set(obj)), sorted(set(obj) - members)
        raise VerificationError(f"{where}: wrong members (missing {missing}, unexpected {extra})")
    return obj


def _text(value: Any, where: str, *, nullable: bool = False, non_empty: bool = True) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or (non_empty and not value):
        raise VerificationError(f"{where}: expected {'non-empty ' if non_empty else ''}text, got {value!r}")


def _int(value: Any, where: str, *, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        raise VerificationError(f"{where}: expected an integer ≥ {minimum}, got {value!r}")
    return value


def _hex(value: Any, where: str) -> str:
    if not isinstance(value, str) or not HEX256.fullmatch(value):
        raise VerificationError(f"{where}: expected hex SHA-256, got {value!r}")
    return value


# §2 keys -------------------------------------------------------------------------------------

P25519 = 2**255 - 19
# §2's list of small-order encodings (sign bit cleared), written out in full.
SMALL_ORDER = frozenset(
    bytes.fromhex(h)
    for h in (
        "00" * 32,
        "01" + "00" * 31,
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ec" + "ff" * 30 + "7f",
        "ed" + "ff" * 30 + "7f",
        "ee" + "ff" * 30 + "7f",
    )
)


def key_id(x: str) -> str:
    """RFC 7638 thumbprint of an RFC 8037 Ed25519 public key (§2)."""
    members = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    return b64url_encode(hashlib.sha256(members.encode("utf-8")).digest())


def check_public_key(raw: bytes) -> None:
    """Refuse small-order and non-canonical Ed25519 public keys (§2)."""
    if len(raw) != 32:
        raise VerificationError(f"public key is {len(raw)} bytes, not 32")
    cleared = raw[:31] + bytes([raw[31] & 0x7F])
    if cleared in SMALL_ORDER:
        raise VerificationError(f"public key {raw.hex()} is a small-order point; refused")
    if int.from_bytes(cleared, "little") >= P25519:
        raise VerificationError(f"public key {raw.hex()} is a non-canonical encoding (y ≥ 2^255−19)")


def check_jwk_kid(jwk: Mapping[str, Any]) -> str:
    """The JWK's ``kid`` must be the thumbprint of its ``x``; returns the kid."""
    b64url_decode(jwk.get("x"), "jwk.x")
    expected = key_id(jwk["x"])
    if jwk.get("kid") != expected:
        raise VerificationError(f"jwk kid {jwk.get('kid')!r} is not the thumbprint of its x ({expected})")
    return expected


@dataclass(frozen=True)
class Key:
    kid: str
    public: bytes
    purpose: str
    status: str
    not_before: str
    not_after: str | None

    def verifier(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public)


def load_jwks(document: Any) -> dict[str, Key]:
    """Validate a pinned JWKS (§2) and index it by kid. Any bad key refuses the whole set."""
    _check_members(document, {"keys"}, "jwks")
    if not isinstance(document["keys"], list):
        raise VerificationError("jwks.keys is not an array")
    keys: dict[str, Key] = {}
    active: dict[str, str] = {}
    previous_start = ""
    for i, jwk in enumerate(document["keys"]):
        where = f"jwks.keys[{i}]"
        if not isinstance(jwk, dict):
            raise VerificationError(f"{where}: not an object")
        for member, value in (("kty", "OKP"), ("crv", "Ed25519"), ("alg", "EdDSA"), ("use", "sig")):
            if jwk.get(member) != value:
                raise VerificationError(f"{where}: {member} is {jwk.get(member)!r}, expected {value!r}")
        if jwk.get("key_ops") != ["verify"]:
            raise VerificationError(f"{where}: key_ops is {jwk.get('key_ops')!r}, expected ['verify']")
        kid = check_jwk_kid(jwk)
        raw = b64url_decode(jwk["x"], f"{where}.x")
        check_public_key(raw)
        if kid in keys:
            raise VerificationError(f"{where}: kid {kid} listed twice")
        purpose, status = jwk.get("purpose"), jwk.get("status")
        if purpose not in ("record", "log"):
            raise VerificationError(f"{where}: purpose {purpose!r} is neither 'record' nor 'log'")
        if status not in ("active", "retired"):
            raise VerificationError(f"{where}: status {status!r} is neither 'active' nor 'retired'")
        not_before = check_instant(jwk.get("not_before"), f"{where}.not_before")
        not_after: str | None = jwk.get("not_after")
        if status == "active":
            if not_after is not None:
                raise VerificationError(f"{where}: an active key must not have not_after")
            if purpose in active:
                raise VerificationError(f"{where}: second active {purpose} key (first {active[purpose]})")
            active[purpose] = kid
        else:
            not_after = check_instant(not_after, f"{where}.not_after")
            if not_after <= not_before:
                raise VerificationError(f"{where}: empty validity window [{not_before}, {not_after})")
        if not_before < previous_start:
            raise VerificationError(f"{where}: keys are not in order of not_before")
        previous_start = not_before
        keys[kid] = Key(kid, raw, purpose, status, not_before, not_after)
    return keys


# §6 verification code ------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _times_x(t: int) -> int:
    """Multiply by x in GF(32) = GF(2)[x]/(x⁵ + x² + 1)."""
    t <<= 1
    return t ^ 0b100101 if t & 0b100000 else t


def _fold(symbols: str) -> int:
    t = 0
    for symbol in symbols:
        t = _times_x(t) ^ CROCKFORD.index(symbol)
    return t


def check_symbol(body: str) -> str:
    """The Damm-style check symbol over the 10 body symbols (§6)."""
    if len(body) != 10 or any(c not in CROCKFORD for c in body):
        raise VerificationError(f"code body {body!r} is not 10 Crockford base32 symbols")
    return CROCKFORD[_times_x(_fold(body))]


def normalise_code(text: str) -> str:
    """What a reader accepts (§6) → the compact 11-symbol form."""
    compact = text.upper().replace(" ", "").replace("-", "")
    return compact.replace("O", "0").replace("I", "1").replace("L", "1")


def check_code(code: Any) -> str:
    """A record's ``code``: the compact form (11 upper-case symbols) that folds to 0 (§6)."""
    if not isinstance(code, str) or len(code) != 11 or any(c not in CROCKFORD for c in code):
        raise VerificationError(f"code {code!r} is not 11 Crockford base32 symbols (compact form)")
    if _fold(code) != 0:
        expected = check_symbol(code[:10])
        raise VerificationError(f"code {code!r} has a wrong check symbol (§6 gives {expected!r})")
    return code


def print_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


# §3 the signed record ------------------------------------------------------------------------

RECORD_MEMBERS = {
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
RESPONSE_MEMBERS = {"id", "code", "record", "signature", "kid", "log_index", "status"}


def check_record_shape(record: Any) -> None:
    """§3 table: exactly these members, each of the documented type."""
    _check_members(record, RECORD_MEMBERS, "record")
    if record["type"] != "ikrar.signature.v1":
        raise VerificationError(f"record.type is {record['type']!r}, not 'ikrar.signature.v1'")
    if not isinstance(record["id"], str) or not RECORD_ID.fullmatch(record["id"]):
        raise VerificationError(f"record.id {record['id']!r} is not 26 base32 characters")
    check_code(record["code"])
    commitment = _check_members(record["commitment"], {"id", "version", "text_sha256"}, "record.commitment")
    _text(commitment["id"], "record.commitment.id")
    _int(commitment["version"], "record.commitment.version", minimum=1)
    _hex(commitment["text_sha256"], "record.commitment.text_sha256")
    signatory = _check_members(
        record["signatory"], {"name", "position", "institution", "category"}, "record.signatory"
    )
    for member, value in signatory.items():
        _text(value, f"record.signatory.{member}")
    dimensions = record["dimensions"]
    if not isinstance(dimensions, list) or not dimensions:
        raise VerificationError("record.dimensions must be a non-empty array")
    for i, dimension in enumerate(dimensions):
        _text(dimension, f"record.dimensions[{i}]")
    if len(set(dimensions)) != len(dimensions):
        raise VerificationError(f"record.dimensions are not distinct: {dimensions}")
    consent = _check_members(record["consent"], {"text_sha256", "public_display"}, "record.consent")
    _hex(consent["text_sha256"], "record.consent.text_sha256")
    if not isinstance(consent["public_display"], bool):
        raise VerificationError("record.consent.public_display is not a boolean")
    handwriting = _check_members(record["handwriting"], {"strokes_sha256"}, "record.handwriting")
    _hex(handwriting["strokes_sha256"], "record.handwriting.strokes_sha256")
    check_instant(record["signed_at"], "record.signed_at")
    if record["claimed_at"] is not None:
        check_instant(record["claimed_at"], "record.claimed_at")
    _text(record["operator"], "record.operator", nullable=True)
    _text(record["device"], "record.device", nullable=True)
    _text(record["kid"], "record.kid")


def check_commitment(record: Mapping[str, Any], commitment: Any) -> None:
    """Step 6, first half: the commitment version the record names, as the API returns it (§3, §4)."""
    if not isinstance(commitment, dict):
        raise VerificationError("commitment document is not an object")
    named = record["commitment"]
    if commitment.get("id") != named["id"] or commitment.get("version") != named["version"]:
        raise VerificationError(
            f"commitment document is {commitment.get('id')!r} "
            f"v{commitment.get('version')!r}, the record names {named['id']!r} "
            f"v{named['version']}"
        )
    if commitment.get("status") not in ("open", "closed"):
        raise VerificationError(f"commitment version is not published (status {commitment.get('status')!r})")
    for member in ("text", "consent_text"):
        text = commitment.get(member)
        if not isinstance(text, str) or not text:
            raise VerificationError(f"commitment.{member} is not non-empty text")
        if not unicodedata.is_normalized("NFC", text) or "\r" in text or text != text.strip():
            raise VerificationError(f"commitment.{member} is not NFC/LF/trimmed as §4 requires")
    text_sha = sha256_hex(commitment["text"].encode("utf-8"))
    if named["text_sha256"] != text_sha:
        raise VerificationError(
            f"record.commitment.text_sha256 {named['text_sha256']} ≠ SHA-256 of the "
            f"commitment text {text_sha}"
        )
    consent_sha = sha256_hex(commitment["consent_text"].encode("utf-8"))
    if record["consent"]["text_sha256"] != consent_sha:
        raise VerificationError(
            f"record.consent.text_sha256 ≠ SHA-256 of the commitment's consent_text {consent_sha}"
        )
    # §3: dimensions in the commitment's order, category one of the commitment's. FORMATS.md does not
    # document the commitment document's shape; these use its `dimensions`/`categories` arrays of {id}.
    order = [d.get("id") for d in commitment.get("dimensions", []) if isinstance(d, dict)]
    if any(d not in order for d in record["dimensions"]):
        raise VerificationError(f"record.dimensions {record['dimensions']} not all in the commitment {order}")
    if record["dimensions"] != sorted(record["dimensions"], key=order.index):
        raise VerificationError(f"record.dimensions {record['dimensions']} are not in the commitment's order")
    categories = [c.get("id") for c in commitment.get("categories", []) if isinstance(c, dict)]
    if record["signatory"]["category"] not in categories:
        raise VerificationError(
            f"record.signatory.category {record['signatory']['category']!r} is not a "
            f"category of the commitment {categories}"
        )


def check_log_entry_commits(
    record: Mapping[str, Any], record_sha: str, log_index: int, entry_bytes: bytes
) -> None:
    """Step 6, second half: the log entry at ``log_index`` commits to SHA-256(canonical bytes) (§3, §7)."""
    entry = check_entry_shape(parse_canonical(entry_bytes), f"log entry {log_index}")
    if entry["index"] != log_index:
        raise VerificationError(f"log entry has index {entry['index']}, log_index is {log_index}")
    if entry["type"] != "signature:create":
        raise VerificationError(f"log entry {log_index} is {entry['type']!r}, not 'signature:create'")
    payload = entry["payload"]
    expected = {
        "record_id": record["id"],
        "record_sha256": record_sha,
        "kid": record["kid"],
        "commitment": record["commitment"]["id"],
        "version": record["commitment"]["version"],
    }
    for member, value in expected.items():
        if payload[member] != value:
            raise VerificationError(
                f"log entry {log_index}: payload.{member} {payload[member]!r} ≠ {value!r}"
            )
    if entry["time"] != record["signed_at"]:
        raise VerificationError(
            f"log entry {log_index}: time {entry['time']} ≠ record.signed_at {record['signed_at']}"
        )


def check_withdrawal(
    response: Mapping[str, Any], record_sha: str, entry_bytes: bytes | None, log_until: str | None = None
) -> None:
    """The unsigned ``status``/``withdrawal`` members (§7 ``signature:withdraw``), against the log entry.

    ``status`` is ``valid`` exactly when ``withdrawal`` is null. ``log_until`` is the time of the last
    entry of a log read in full and found to hold no withdrawal of this record.
    """
    record = response["record"]
    withdrawal = response.get("withdrawal")
    if not isinstance(response["status"], str):
        raise VerificationError(f"status {response['status']!r} is not text")
    if withdrawal is None:
        if response["status"] != "valid":
            raise VerificationError(f"status is {response['status']!r} but the document shows no withdrawal")
        if entry_bytes is not None:
            raise VerificationError(
                f"the log withdraws record {record['id']}; the document shows no withdrawal"
            )
        return
    _check_members(withdrawal, {"at", "reason", "log_index"}, "withdrawal")
    _int(withdrawal["log_index"], "withdrawal.log_index")
    if response["status"] != "withdrawn":
        raise VerificationError(f"status is {response['status']!r} but the document shows a withdrawal")
    _text(withdrawal["reason"], "withdrawal.reason")
    check_instant(withdrawal["at"], "withdrawal.at")
    if withdrawal["at"] < record["signed_at"]:
        raise VerificationError(f"withdrawal.at {withdrawal['at']} is before signed_at {record['signed_at']}")
    if entry_bytes is None:
        if log_until is not None and withdrawal["at"] <= log_until:
            raise VerificationError(
                f"the document shows a withdrawal at {withdrawal['at']}; the log has none"
            )
        return
    entry = check_entry_shape(parse_canonical(entry_bytes), "withdrawal log entry")
    where = f"log entry {entry['index']}"
    if entry["type"] != "signature:withdraw":
        raise VerificationError(f"{where} is {entry['type']!r}, not 'signature:withdraw'")
    expected = {
        "record_id": record["id"],
        "record_sha256": record_sha,
        "reason_sha256": sha256_hex(withdrawal["reason"].encode("utf-8")),
    }
    for member, value in expected.items():
        if entry["payload"][member] != value:
            raise VerificationError(f"{where}: payload.{member} {entry['payload'][member]!r} ≠ {value!r}")
    if entry["time"] != withdrawal["at"]:
        raise VerificationError(f"{where}: time {entry['time']} ≠ withdrawal.at {withdrawal['at']}")
    if withdrawal.get("log_index") != entry["index"]:
        raise VerificationError(f"withdrawal.log_index {withdrawal['log_index']!r} ≠ {entry['index']}")


@dataclass(frozen=True)
class VerifiedRecord:
    record: dict[str, Any]
    canonical: bytes
    sha256: str
    key: Key
    status: str
    withdrawal: dict[str, Any] | None


def verify_record(
    response: Any,
    jwks: Mapping[str, Key],
    *,
    commitment: Any = None,
    log_entry: bytes | None = None,
    withdrawal_entry: bytes | None = None,
    log_until: str | None = None,
) -> VerifiedRecord:
    """Verify a ``GET /api/v1/signatures/{id}`` document against a pinned JWKS (§3 steps 1–6).

    ``commitment`` (the ``GET /api/v1/commitments/{id}?version=N`` document) and ``log_entry`` (the
    canonical bytes of the entry at ``log_index``) enable the optional step 6. ``withdrawal_entry``,
    the record's ``signature:withdraw`` entry if the log has one, checks the unsigned withdrawal;
    ``log_until`` says the log up to that time was read and has no withdrawal entry for it.
    """
    if not isinstance(response, dict) or not set(response) >= RESPONSE_MEMBERS:
        missing = sorted(RESPONSE_MEMBERS - set(response if isinstance(response, dict) else {}))
        raise VerificationError(f"signature document lacks members {missing}")
    record = response["record"]
    # (1) the canonical bytes
    data = canonical(record)
    # (2) exactly the members, and the same kid (also: the same id and code as shown outside the record)
    check_record_shape(record)
    for member in ("kid", "id", "code"):
        if response[member] != record[member]:
            raise VerificationError(
                f"response {member} {response[member]!r} ≠ record.{member} {record[member]!r}"
            )
    log_index = _int(response["log_index"], "log_index")
    # (3) the key, from the pinned JWKS only, for sealing records
    key = jwks.get(record["kid"])
    if key is None:
        raise VerificationError(f"kid {record['kid']} is not in the pinned JWKS")
    if key.purpose != "record":
        raise VerificationError(f"key {key.kid} has purpose {key.purpose!r}, not 'record'")
    # (4) the validity window [not_before, not_after)
    signed_at = record["signed_at"]
    if signed_at < key.not_before or (key.not_after is not None and signed_at >= key.not_after):
        raise VerificationError(
            f"signed_at {signed_at} outside key {key.kid}'s window [{key.not_before}, {key.not_after or '∞'})"
        )
    # (5) the signature
    signature = b64url_decode(response["signature"], "signature")
    if len(signature) != 64:
        raise VerificationError(f"signature is {len(signature)} bytes, not 64")
    try:
        key.verifier().verify(signature, data)
    except InvalidSignature:
        raise VerificationError(f"Ed25519 signature does not verify for record {record['id']}") from None
    record_sha = sha256_hex(data)
    # the server's record_sha256 (§3), once the seal holds, must be the hash of the sealed bytes
    if "record_sha256" in response and response["record_sha256"] != record_sha:
        raise VerificationError("record_sha256 is not the SHA-256 of the record's canonical bytes")
    # (6) the commitment text, and the log entry
    if commitment is not None:
        check_commitment(record, commitment)
    if log_entry is not None:
        check_log_entry_commits(record, record_sha, log_index, log_entry)
    # not among the six steps: the status and withdrawal shown next to the record; a document that
    # still carries its record was not erased (§3: ``erasure`` is null unless ``status`` is erased)
    if response.get("erasure") is not None:
        raise VerificationError(f"the document carries its record but an erasure {response['erasure']!r}")
    check_withdrawal(response, record_sha, withdrawal_entry, log_until)
    return VerifiedRecord(record, data, record_sha, key, response["status"], response.get("withdrawal"))


# §7 the log ----------------------------------------------------------------------------------

ENTRY_MEMBERS = {"index", "time", "type", "payload", "prev"}
COMMITMENT_TYPES = {
    "commitment:create",
    "commitment:edit",
    "commitment:revise",
    "commitment:publish",
    "commitment:close",
}
PAYLOAD_MEMBERS = {
    "key:generate": {"kid", "purpose", "x", "not_before"},
    "key:rotate": {"kid", "purpose", "x", "not_before"},
    "signature:create": {"record_id", "record_sha256", "commitment", "version", "kid"},
    "signature:withdraw": {"record_id", "record_sha256", "reason_sha256"},
} | {kind: {"commitment", "version", "text_sha256", "consent_sha256"} for kind in COMMITMENT_TYPES}
# §7: commitment entries bind the whole version document with version_sha256; entries written
# before it existed ("legacy") have only the four members above. Both member sets are accepted.
WITH_VERSION_SHA256 = {"commitment", "version", "text_sha256", "consent_sha256", "version_sha256"}


def check_entry_shape(entry: Any, where: str) -> dict[str, Any]:
    """One entry's five members and, for the types §7 lists, its payload's members and types."""
    entry = checked = _check_members(entry, ENTRY_MEMBERS, where)
    _int(entry["index"], f"{where}.index")
    check_instant(entry["time"], f"{where}.time")
    if not isinstance(entry["type"], str) or not ENTRY_TYPE.fullmatch(entry["type"]):
        raise VerificationError(f"{where}.type {entry['type']!r} is not subject:action")
    _hex(entry["prev"], f"{where}.prev")
    if not isinstance(entry["payload"], dict):
        raise VerificationError(f"{where}.payload is not an object")
    members = PAYLOAD_MEMBERS.get(entry["type"])
    if members is None:
        return checked  # a type this verifier does not know: accept, ignore the payload (§7)
    if entry["type"] in COMMITMENT_TYPES and "version_sha256" in entry["payload"]:
        members = WITH_VERSION_SHA256
    payload = _check_members(entry["payload"], members, f"{where}.payload")
    if entry["type"].startswith("key:"):
        if payload["purpose"] not in ("record", "log"):
            raise VerificationError(f"{where}: key purpose {payload['purpose']!r}")
        check_public_key(b64url_decode(payload["x"], f"{where}.payload.x"))
        if payload["kid"] != key_id(payload["x"]):
            raise VerificationError(f"{where}: payload kid is not the thumbprint of payload x")
        if payload["not_before"] != entry["time"]:
            raise VerificationError(
                f"{where}: key not_before {payload['not_before']} ≠ entry time {entry['time']}"
            )
    elif entry["type"] == "signature:withdraw":
        if not isinstance(payload["record_id"], str) or not RECORD_ID.fullmatch(payload["record_id"]):
            raise VerificationError(f"{where}: payload.record_id {payload['record_id']!r}")
        _hex(payload["record_sha256"], f"{where}.payload.record_sha256")
        _hex(payload["reason_sha256"], f"{where}.payload.reason_sha256")
    else:
        _text(payload["commitment"], f"{where}.payload.commitment")
        _int(payload["version"], f"{where}.payload.version", minimum=1)
        creates = entry["type"] == "signature:create"
        for member in ("record_sha256",) if creates else sorted(members - {"commitment", "version"}):
            _hex(payload[member], f"{where}.payload.{member}")
        if creates:
            if not isinstance(payload["record_id"], str) or not RECORD_ID.fullmatch(payload["record_id"]):
                raise VerificationError(f"{where}: payload.record_id {payload['record_id']!r}")
            _text(payload["kid"], f"{where}.payload.kid")
    return checked


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def merkle_root(entries: Sequence[bytes]) -> str:
    """RFC 6962 Merkle tree hash over the entries' canonical bytes (§7), as hex."""

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return _leaf(entries[lo])
        k = 1
        while k * 2 < hi - lo:
            k *= 2
        return hashlib.sha256(b"\x01" + mth(lo, lo + k) + mth(lo + k, hi)).digest()

    return hashlib.sha256(b"").hexdigest() if not entries else mth(0, len(entries)).hex()


@dataclass(frozen=True)
class VerifiedLog:
    entries: list[dict[str, Any]]
    head: str  # hash of the last entry (ZERO_HASH for an empty log)
    root: str  # RFC 6962 root
    records: dict[str, VerifiedRecord]


def verify_log(
    entries: Sequence[bytes],
    *,
    jwks: Mapping[str, Key] | None = None,
    fetch_record: Callable[[str], Any] | None = None,
    fetch_commitment: Callable[[str, int], Any] | None = None,
    expected_root: str | None = None,
    expected_head: str | None = None,
) -> VerifiedLog:
    """Verify a whole chain of entries given as canonical bytes, in index order (§7).

    With ``jwks``, key entries must agree with the pinned key set. With ``fetch_record`` (and
    ``jwks``), every ``signature:create`` entry's record is fetched and verified (§3) including the
    entry's commitment to it and, for withdrawn records, the withdrawal the API shows.
    ``expected_root`` (from a verified checkpoint) or ``expected_head`` anchor the end of the chain:
    without an anchor, the last entry can be altered undetected.
    """
    parsed: list[dict[str, Any]] = []
    prev, last_time = ZERO_HASH, ""
    logged_keys: dict[str, dict[str, Any]] = {}
    key_ends: dict[str, str] = {}
    active: dict[str, str] = {}
    published: dict[tuple[str, int], tuple[str, str]] = {}
    created: dict[str, tuple[int, str, tuple[str, int]]] = {}  # record id → (index, record_sha256, version)
    withdrawn: dict[str, int] = {}  # record id → index of its signature:withdraw entry
    records: dict[str, VerifiedRecord] = {}
    for position, data in enumerate(entries):
        where = f"log entry {position}"
        entry = check_entry_shape(parse_canonical(data), where)
        if entry["index"] != position:
            raise VerificationError(f"{where}: index {entry['index']} ≠ position {position}")
        if entry["prev"] != prev:
            raise VerificationError(f"{where}: prev {entry['prev']} ≠ hash of the previous entry {prev}")
        if entry["time"] < last_time:
            raise VerificationError(f"{where}: time {entry['time']} is earlier than the previous {last_time}")
        kind, payload = entry["type"], entry["payload"]
        if kind in ("key:generate", "key:rotate"):
            purpose = payload["purpose"]
            if payload["kid"] in logged_keys:
                raise VerificationError(f"{where}: key {payload['kid']} logged twice")
            if purpose in active:
                if kind == "key:generate":
                    raise VerificationError(
                        f"{where}: key:generate while {purpose} key {active[purpose]} is still active"
                    )
                key_ends[active[purpose]] = entry["time"]
            logged_keys[payload["kid"]] = payload
            active[purpose] = payload["kid"]
        elif kind in COMMITMENT_TYPES:
            ident = (payload["commitment"], payload["version"])
            hashes = (payload["text_sha256"], payload["consent_sha256"])
            if ident in published and published[ident] != hashes:
                raise VerificationError(f"{where}: published version {ident} changed its text")
            if kind == "commitment:publish" or ident in published:
                published[ident] = hashes
        elif kind == "signature:create":
            ident = (payload["commitment"], payload["version"])
            if ident not in published:
                raise VerificationError(f"{where}: signature on {ident}, which the log has not published")
            key = logged_keys.get(payload["kid"])
            if key is None or key["purpose"] != "record":
                raise VerificationError(f"{where}: kid {payload['kid']} is not a logged record key")
            if payload["record_id"] in created:
                raise VerificationError(f"{where}: record {payload['record_id']} created twice")
            created[payload["record_id"]] = (position, payload["record_sha256"], ident)
        elif kind == "signature:withdraw":
            record_id = payload["record_id"]
            if record_id not in created or created[record_id][1] != payload["record_sha256"]:
                raise VerificationError(f"{where}: withdraws {record_id}, which no earlier entry created")
            if record_id in withdrawn:
                raise VerificationError(f"{where}: record {record_id} withdrawn twice")
            withdrawn[record_id] = position
        parsed.append(entry)
        prev, last_time = sha256_hex(data), entry["time"]
    if jwks is not None:
        _check_jwks_against_log(jwks, logged_keys, key_ends)
    if fetch_record is not None:
        for record_id, (position, _, ident) in created.items():
            withdrawal = entries[withdrawn[record_id]] if record_id in withdrawn else None
            records[record_id] = _verify_logged_record(
                parsed[position],
                entries[position],
                withdrawal,
                published[ident],
                jwks,
                fetch_record,
                fetch_commitment,
                last_time,
            )
    root = merkle_root(entries)
    if expected_root is not None and root != expected_root:
        raise VerificationError(f"Merkle root {root} ≠ expected {expected_root}")
    if expected_head is not None and prev != expected_head:
        raise VerificationError(f"head hash {prev} ≠ expected {expected_head}")
    return VerifiedLog(parsed, prev, root, records)


def _verify_logged_record(
    entry: dict[str, Any],
    data: bytes,
    withdrawal: bytes | None,
    hashes: tuple[str, str],
    jwks: Mapping[str, Key] | None,
    fetch_record: Callable[[str], Any],
    fetch_commitment: Callable[[str, int], Any] | None,
    log_until: str,
) -> VerifiedRecord:
    record_id = entry["payload"]["record_id"]
    ident = (entry["payload"]["commitment"], entry["payload"]["version"])
    if jwks is None:
        raise VerificationError("verifying records needs the pinned JWKS")
    try:
        response = fetch_record(record_id)
        commitment = fetch_commitment(*ident) if fetch_commitment else None
    except Exception as exc:
        raise VerificationError(f"log entry {entry['index']}: cannot fetch {record_id}: {exc}") from None
    verified = verify_record(
        response,
        jwks,
        commitment=commitment,
        log_entry=data,
        withdrawal_entry=withdrawal,
        log_until=log_until,
    )
    if verified.record["id"] != record_id:
        raise VerificationError(f"log entry {entry['index']}: fetched record is {verified.record['id']}")
    if (verified.record["commitment"]["text_sha256"], verified.record["consent"]["text_sha256"]) != hashes:
        raise VerificationError(
            f"log entry {entry['index']}: record's text/consent hashes differ from the "
            f"logged commitment version {ident}"
        )
    return verified


def _check_jwks_against_log(
    jwks: Mapping[str, Key], logged: Mapping[str, Mapping[str, Any]], ends: Mapping[str, str]
) -> None:
    if set(jwks) != set(logged):
        raise VerificationError(f"JWKS keys {sorted(jwks)} ≠ keys in the log {sorted(logged)}")
    for kid, key in jwks.items():
        entry = logged[kid]
        if (b64url_encode(key.public), key.purpose, key.not_before) != (
            entry["x"],
            entry["purpose"],
            entry["not_before"],
        ):
            raise VerificationError(f"JWKS key {kid} disagrees with its log entry")
        if key.not_after != ends.get(kid):
            raise VerificationError(
                f"JWKS key {kid} not_after {key.not_after} ≠ its rotation in the log {ends.get(kid)}"
            )


# §7 signed checkpoints (C2SP signed note) -----------------------------------------------------


def b64std_decode(text: str, where: str) -> bytes:
    """Standard, padded, canonical base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise VerificationError(f"{where}: not standard base64: {text!r}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{where}: non-canonical base64: {text!r}")
    return raw


def note_key_id(origin: str, public: bytes) -> bytes:
    return hashlib.sha256(origin.encode("utf-8") + b"\n\x01" + public).digest()[:4]


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    """``<origin>+<8 hex key id>+<base64(0x01 ‖ public key)>`` → (origin, public key)."""
    parts = vkey.split("+", 2)  # the origin never contains "+", base64 may
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]) or not parts[0]:
        raise VerificationError(f"verifier key {vkey!r} is not <origin>+<key id>+<key>")
    raw = b64std_decode(parts[2], "verifier key")
    if len(raw) != 33 or raw[0] != 1:
        raise VerificationError("verifier key is not 0x01 ‖ 32-byte Ed25519 public key")
    check_public_key(raw[1:])
    if note_key_id(parts[0], raw[1:]).hex() != parts[1]:
        raise VerificationError(f"verifier key id {parts[1]} ≠ SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ key)[:4]")
    return parts[0], raw[1:]


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: str  # hex


def verify_checkpoint(data: bytes, origin: str, public: bytes) -> Checkpoint:
    """A signed checkpoint, checked with the pinned log key (the JWKS key of purpose ``log``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError("checkpoint is not UTF-8") from None
    if "\n\n" not in text or not text.endswith("\n"):
        raise VerificationError("checkpoint is not a signed note (note text, blank line, signatures)")
    body, signatures = text.split("\n\n", 1)
    note = (body + "\n").encode("utf-8")
    lines = body.split("\n")  # origin, size, root, then extension lines (allowed, none written)
    if len(lines) < 3 or lines[0] != origin:
        raise VerificationError(f"checkpoint origin {lines[0]!r} ≠ pinned origin {origin!r}")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise VerificationError(f"checkpoint size {lines[1]!r} is not a decimal without leading zeros")
    root = b64std_decode(lines[2], "checkpoint root")
    if len(root) != 32:
        raise VerificationError("checkpoint root is not 32 bytes")
    key_id, found = note_key_id(origin, public), False
    for line in signatures[:-1].split("\n"):
        match = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if match is None:
            raise VerificationError(f"checkpoint signature line {line!r} is malformed")
        raw = b64std_decode(match.group(2), "checkpoint signature")
        if match.group(1) != origin or raw[:4] != key_id:
            continue  # a signature by a key we do not know: ignored
        try:
            if len(raw) != 68:
                raise InvalidSignature
            Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], note)
        except InvalidSignature:
            raise VerificationError("checkpoint signature by the pinned log key does not verify") from None
        found = True
    if not found:
        raise VerificationError("checkpoint carries no signature by the pinned log key")
    return Checkpoint(origin, int(lines[1]), root.hex())


# HTTP ----------------------------------------------------------------------------------------


# An auditor's bearer token (``ikrar tokens create --auditor``): the signature document carries the
# signed record only for auditors (docs/FORMATS.md §3); the ``signed`` fixture issues one per test.
AUDITOR: dict[str, str] = {}


def http_get(url: str) -> tuple[str, bytes]:
    request = urllib.request.Request(url)
    if "token" in AUDITOR:
        request.add_header("Authorization", f"Bearer {AUDITOR['token']}")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise VerificationError(f"GET {url}: HTTP {response.status}")
        return response.headers.get_content_type(), response.read()


def fetch_json(url: str) -> Any:
    return parse_json(http_get(url)[1])


def fetch_jwks(base_url: str) -> dict[str, Key]:
    content_type, body = http_get(base_url + "/.well-known/jwks.json")
    if content_type != "application/jwk-set+json":
        raise VerificationError(f"JWKS served as {content_type}, not application/jwk-set+json")
    return load_jwks(parse_json(body))


def fetch_record(base_url: str, record_id: str) -> Any:
    return fetch_json(f"{base_url}/api/v1/signatures/{record_id}")


def fetch_commitment(base_url: str, commitment_id: str, version: int) -> Any:
    return fetch_json(f"{base_url}/api/v1/commitments/{commitment_id}?version={version}")


def fetch_entries(base_url: str, start: int, end: int) -> list[bytes]:
    """Entries start … end−1 from ``GET /log/entries`` (NDJSON of canonical bytes), page by page."""
    result: list[bytes] = []
    while start + len(result) < end:
        content_type, body = http_get(f"{base_url}/log/entries?start={start + len(result)}&end={end}")
        if content_type != "application/x-ndjson":
            raise VerificationError(f"log entries served as {content_type}, not application/x-ndjson")
        if not body.endswith(b"\n"):
            raise VerificationError("log entries: the last line has no newline (cut off)")
        lines = body[:-1].split(b"\n")
        for line in lines:
            if len(line) > 1 << 20:
                raise VerificationError("log entry longer than 1 MiB")
            parse_canonical(line)
        result += lines
    return result[: end - start]


def fetch_checkpoint(base_url: str) -> bytes:
    content_type, body = http_get(base_url + "/log/checkpoint")
    if content_type != "text/plain":
        raise VerificationError(f"checkpoint served as {content_type}, not text/plain")
    return body


def verify_online(
    base_url: str,
    record_id: str,
    jwks: Mapping[str, Key],
    log_entry: bytes | None = None,
    withdrawal_entry: bytes | None = None,
) -> VerifiedRecord:
    """Fetch a record, its commitment version and its log entries over HTTP and verify them (steps 1–6)."""
    response = fetch_record(base_url, record_id)
    if log_entry is None and isinstance(response, dict) and type(response.get("log_index")) is int:
        log_entry = fetch_entries(base_url, response["log_index"], response["log_index"] + 1)[0]
    withdrawal = response.get("withdrawal") if isinstance(response, dict) else None
    if withdrawal_entry is None and isinstance(withdrawal, dict) and type(withdrawal.get("log_index")) is int:
        withdrawal_entry = fetch_entries(base_url, withdrawal["log_index"], withdrawal["log_index"] + 1)[0]
    named = response.get("record", {}).get("commitment", {}) if isinstance(response, dict) else {}
    commitment = fetch_commitment(base_url, str(named.get("id")), int(named.get("version", 0)))
    return verify_record(
        response, jwks, commitment=commitment, log_entry=log_entry, withdrawal_entry=withdrawal_entry
    )


# ──────────────────────────────────────────── tests ────────────────────────────────────────────

import pytest  # noqa: E402
from flask import Flask  # noqa: E402

NAMES = ["Siti Aminah", "Dédé Ñoño Łukasz Ærø Nguyễn", "PT <Maju> & Jaya", 'Ir. H. Ahmad "Ucup" O\'Neil']
REASON = "Salah orang: ditandatangani oleh staf atas nama pejabat — dibatalkan."
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
IDENTITY_X = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def signed(app: Flask) -> list[str]:
    """A few signatures, created through the service layer before the live server starts; the last
    one is then withdrawn (a ``signature:withdraw`` entry ends the log)."""
    from datetime import UTC, datetime

    from registry.services import signing
    from registry.services.withdrawals import withdraw
    from tests.factories import walk_in

    overrides: list[dict[str, Any]] = [
        {},
        {"public_display": False, "dimensions": ["smart-environment", "smart-governance"]},
        {"claimed_at": datetime(2024, 9, 12, 2, 0, tzinfo=UTC)},
        {"operator": None, "device": None},
    ]
    from tests.auditor_support import auditor_token

    # Issued first, so that the withdrawal still ends the log.
    AUDITOR["token"] = auditor_token(app)
    with app.app_context():
        ids = [
            signing.sign(walk_in(name, **extra), app.extensions["ikrar.signers"]).record.id
            for name, extra in zip(NAMES, overrides, strict=True)
        ]
        withdraw(ids[-1], REASON, "admin-test")
    return ids


def log_bytes(app: Flask) -> list[bytes]:
    """Test setup: the log's canonical bytes, read from the database (no HTTP endpoint is documented)."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import LogEntry

    with app.app_context():
        rows = db.session.execute(select(LogEntry).order_by(LogEntry.index)).scalars()
        return [bytes(row.body) for row in rows]


def _fetchers(url: str) -> tuple[Callable[[str], Any], Callable[[str, int], Any]]:
    records: dict[str, Any] = {}
    commitments: dict[tuple[str, int], Any] = {}

    def record(record_id: str) -> Any:
        if record_id not in records:
            records[record_id] = fetch_record(url, record_id)
        return copy.deepcopy(records[record_id])

    def commitment(commitment_id: str, version: int) -> Any:
        if (commitment_id, version) not in commitments:
            commitments[commitment_id, version] = fetch_commitment(url, commitment_id, version)
        return commitments[commitment_id, version]

    return record, commitment


# Pure format checks (no server) --------------------------------------------------------------


def test_key_id_known_answer_and_kid_check() -> None:
    assert key_id(RFC8037_X) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert len(key_id(RFC8037_X)) == 43
    assert check_jwk_kid({"x": RFC8037_X, "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"})
    with pytest.raises(VerificationError, match="not the thumbprint"):
        check_jwk_kid({"x": RFC8037_X, "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4K"})
    with pytest.raises(VerificationError, match="non-canonical base64url"):
        b64url_decode(RFC8037_X[:-1] + "p", "x")  # 'o' → 'p' only sets unused bits


def _edwards_order(encoding: bytes) -> int | None:
    """Independent check of the small-order list: decode the point and find its order (≤ 8)."""
    p, d = P25519, -121665 * pow(121666, -1, P25519) % P25519
    y = int.from_bytes(encoding, "little") & ((1 << 255) - 1)
    x2 = (y * y - 1) * pow(d * y * y + 1, -1, p) % p
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p:
        x = x * pow(2, (p - 1) // 4, p) % p
    assert (x * x - x2) % p == 0, "not on the curve"

    def add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        t = d * a[0] * b[0] * a[1] * b[1] % p
        return (
            (a[0] * b[1] + b[0] * a[1]) * pow(1 + t, -1, p) % p,
            (a[1] * b[1] + a[0] * b[0]) * pow(1 - t, -1, p) % p,
        )

    point = total = (x, y % p)
    for order in range(1, 9):
        if total == (0, 1):
            return order
        total = add(total, point)
    return None


def test_small_order_and_non_canonical_keys_are_refused() -> None:
    # §2 abbreviates the encodings as `26e8958f…6d53fc05` etc.; the full values must fit the fragments.
    fragments = {
        ("00", "00"),
        ("01", "00"),
        ("26e8958f", "6d53fc05"),
        ("c7176a70", "92ac037a"),
        ("ecff", "ff7f"),
        ("edff", "ff7f"),
        ("eeff", "ff7f"),
    }
    assert {
        next((a, b) for a, b in fragments if k.hex().startswith(a) and k.hex().endswith(b))
        for k in SMALL_ORDER
    } == fragments
    for encoding in SMALL_ORDER:
        if int.from_bytes(encoding, "little") < P25519:
            assert _edwards_order(encoding) in (1, 2, 4, 8)
        for variant in (encoding, encoding[:31] + bytes([encoding[31] | 0x80])):  # with the sign bit set
            with pytest.raises(VerificationError, match="small-order"):
                check_public_key(variant)
    for big in ("ef" + "ff" * 30 + "7f", "ff" * 32):
        with pytest.raises(VerificationError, match="non-canonical"):
            check_public_key(bytes.fromhex(big))
    check_public_key(b64url_decode(RFC8037_X, "x"))
    # Why it matters: with the identity point as "public key", cryptography accepts a forgery.
    identity = b64url_decode(IDENTITY_X, "x")
    Ed25519PublicKey.from_public_bytes(identity).verify(identity + bytes(32), b"any message at all")


def test_strict_json_parsing() -> None:
    assert parse_json(b'{"a":[1,"\\u00e9",null,true]}') == {"a": [1, "é", None, True]}
    for bad, message in [
        (b'{"a":1,"a":2}', "duplicate key"),
        (b'{"a":NaN}', "NaN"),
        (b"[Infinity]", "Infinity"),
        (b"[-Infinity]", "Infinity"),
        (b"[1.5]", "non-integer"),
        (b'["\xff"]', "UTF-8"),
        ('["a"]'.encode("utf-16"), "UTF-8"),
        (b"[9007199254740992]", "outside"),
        (b'["\\ud800"]', "lone surrogate"),
    ]:
        with pytest.raises(VerificationError, match=message):
            parse_json(bad)
    assert parse_canonical(b'{"a":1,"b":"\xc3\xa9"}') == {"a": 1, "b": "é"}
    assert check_instant("2024-09-12T03:15:00.123Z", "t") == "2024-09-12T03:15:00.123Z"
    for instant in (
        "2024-13-01T00:00:00.000Z",
        "2024-09-12T25:00:00.000Z",
        "2024-09-12T03:15:60.000Z",
        "2024-02-30T00:00:00.000Z",
        "2024-09-12T03:15:00.123Z\n",
        "2024-09-12T03:15:00.12Z",
        "2024-09-12T03:15:00.123+00:00",
        "2024-09-12T03:15:00.12\u0663Z",
    ):  # last: Arabic-Indic 3
        with pytest.raises(VerificationError):
            check_instant(instant, "t")
    with pytest.raises(VerificationError):
        _hex("0" * 64 + "\n", "h")
    # member order, whitespace, an unnecessary escape, NFD text
    for bad in (b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":"\\u00e9"}', b'["e\xcc\x81"]'):
        with pytest.raises(VerificationError):
            parse_canonical(bad)


def test_verification_code_check_symbol() -> None:
    assert check_symbol("0123456789") == "0"  # §6 known answer
    assert _times_x(0b10000) == 0b00101  # x · x⁴ = x⁵ = x² + 1
    body = "03WYKVH6X1"
    code = body + check_symbol(body)
    assert check_code(code) == code
    assert normalise_code(print_code(code).lower().replace("0", "o").replace("1", "l")) == code
    assert normalise_code(" " + print_code(code) + " ") == code
    for i in range(11):  # every single-symbol error, in the body or the check symbol, is detected
        for symbol in CROCKFORD:
            if symbol != code[i]:
                with pytest.raises(VerificationError, match="check symbol"):
                    check_code(code[:i] + symbol + code[i + 1 :])
    for a in CROCKFORD:  # and every swap of two adjacent different symbols, at every position
        for b in CROCKFORD:
            if a == b:
                continue
            for i in range(10):
                if i < 9:
                    candidate = body[:i] + a + b + body[i + 2 :]
                    candidate += check_symbol(candidate)
                else:  # b is the check symbol: choose the symbol before a so that it is
                    bodies = (body[:8] + c + a for c in CROCKFORD)
                    candidate = next(x + b for x in bodies if check_symbol(x) == b)
                assert candidate[i : i + 2] == a + b
                swapped = candidate[:i] + b + a + candidate[i + 2 :]
                with pytest.raises(VerificationError, match="check symbol"):
                    check_code(swapped)
    for bad in ("0123456789", "0123456789AB", "0123456789U", "0123-456789"):
        with pytest.raises(VerificationError, match="11 Crockford"):
            check_code(bad)


def test_merkle_root_rfc6962_vectors() -> None:
    leaves = [
        bytes.fromhex(h)
        for h in (
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        )
    ]
    roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    assert [merkle_root(leaves[:n]) for n in range(9)] == roots


# Against a live server -----------------------------------------------------------------------


def test_genuine_records_verify_over_http(signed: list[str], live_server: Any) -> None:
    url = live_server.url
    jwks = fetch_jwks(url)
    for record_id, name in zip(signed, NAMES, strict=True):
        response = fetch_record(url, record_id)
        verified = verify_online(url, record_id, jwks)  # log entries from GET /log/entries
        assert verified.record["signatory"]["name"] == name
        assert verified.key.purpose == "record"
        assert check_code(response["code"]) == verified.record["code"]  # §6 check symbol
        if record_id == signed[-1]:  # withdrawn, and the record still verifies
            assert verified.status == "withdrawn"
            assert verified.withdrawal is not None
            assert verified.withdrawal["reason"] == REASON
        else:
            assert verified.status == "valid"
            assert verified.withdrawal is None
    # the markup in the name reaches the signed bytes as text, unescaped
    markup = fetch_record(url, signed[2])
    assert b"PT <Maju> & Jaya" in canonical(markup["record"])
    assert markup["record"]["dimensions"] == ["smart-governance", "smart-living"]
    ordered = fetch_record(url, signed[1])["record"]
    assert ordered["dimensions"] == ["smart-governance", "smart-environment"]
    assert ordered["consent"]["public_display"] is False

    # the API description lists the paths used above
    content_type, body = http_get(url + "/openapi.json")
    assert content_type == "application/json"
    paths = parse_json(body)["paths"]
    assert "get" in paths["/.well-known/jwks.json"]
    signature_paths = [p for p in paths if re.fullmatch(r"/api/v1/signatures/\{\w+\}", p)]
    commitment_paths = [p for p in paths if re.fullmatch(r"/api/v1/commitments/\{\w+\}", p)]
    assert len(signature_paths) == 1
    assert "get" in paths[signature_paths[0]]
    assert len(commitment_paths) == 1
    assert "get" in paths[commitment_paths[0]]


def _withdrawal_entries(entries: Sequence[bytes]) -> dict[str, bytes]:
    """record id → its ``signature:withdraw`` entry, found by reading the log (§7)."""
    found = {}
    for data in entries:
        entry = parse_canonical(data)
        if entry["type"] == "signature:withdraw":
            found[entry["payload"]["record_id"]] = data
    return found


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaf_paths(item, (*path, i))
    else:
        yield path, value


def _altered(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if value is None:
        return ["x"]
    if len(value) == 43:  # a kid: a well-formed other key id
        return [key_id(RFC8037_X), value[:-1] + ("A" if value[-1] != "A" else "B")]
    if INSTANT.fullmatch(value):  # the last millisecond digit changed
        return [value[:-2] + str((int(value[-2]) + step) % 10) + "Z" for step in (1, 9)]
    if len(value) == 11 and all(c in CROCKFORD for c in value):  # a code: a wrong one and a valid other one
        body = value[:9] + ("0" if value[9] != "0" else "1")
        return [value[:10] + ("0" if value[10] != "0" else "1"), body + check_symbol(body)]
    flipped = value[:-1] + value[-1].swapcase() if value[-1].swapcase() != value[-1] else "Z" + value
    return [value + ".", flipped, unicodedata.normalize("NFD", "é") + value, None]


def _with(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    changed = copy.deepcopy(doc)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return changed


def test_any_single_change_is_refused(signed: list[str], live_server: Any, app: Flask) -> None:
    url = live_server.url
    jwks = fetch_jwks(url)
    entries = log_bytes(app)
    get_record, get_commitment = _fetchers(url)
    genuine = get_record(signed[2])
    named = genuine["record"]["commitment"]
    commitment = get_commitment(named["id"], named["version"])
    entry = entries[genuine["log_index"]]
    verify_record(genuine, jwks, commitment=commitment, log_entry=entry)

    tampered: list[tuple[str, Any]] = []
    for path, value in _leaf_paths(genuine):  # includes the unsigned status and withdrawal (null)
        tampered += [("/".join(map(str, path)), _with(genuine, path, new)) for new in _altered(value)]
    signature = genuine["signature"]
    for i, char in enumerate(signature):  # every character of the signature
        other = "A" if char != "A" else "B"
        changed = signature[:i] + other + signature[i + 1 :]
        tampered.append((f"signature[{i}]", _with(genuine, ("signature",), changed)))
    record, other_record = genuine["record"], get_record(signed[0])
    dimensions = record["dimensions"]
    tampered += [
        ("extra member", _with(genuine, ("record", "note"), "x")),
        ("missing member", {**genuine, "record": {k: v for k, v in record.items() if k != "operator"}}),
        ("dimensions reversed", _with(genuine, ("record", "dimensions"), dimensions[::-1])),
        ("dimension added", _with(genuine, ("record", "dimensions"), [*dimensions, "smart-economy"])),
        ("dimension removed", _with(genuine, ("record", "dimensions"), dimensions[:1])),
        ("signatory swapped", _with(genuine, ("record", "signatory"), other_record["record"]["signatory"])),
        ("record of another signature", _with(genuine, ("record",), other_record["record"])),
        ("signature of another record", _with(genuine, ("signature",), other_record["signature"])),
    ]
    assert len(tampered) > 150
    for label, doc in tampered:
        assert_refused(
            label,
            lambda doc=doc: verify_record(doc, jwks, commitment=commitment, log_entry=entry),  # type: ignore[misc]
        )

    # a commitment text that differs from what was signed, and a log entry for another record
    with pytest.raises(VerificationError, match="text_sha256"):
        verify_record(genuine, jwks, commitment={**commitment, "text": commitment["text"] + "!"})
    other_entry = entries[get_record(signed[0])["log_index"]]
    with pytest.raises(VerificationError, match="log entry"):
        verify_record(genuine, jwks, log_entry=other_entry)

    # A withdrawn record: its status and withdrawal are not signed, so they are checked against the log.
    withdrawn = get_record(signed[-1])
    created, withdrawal = entries[withdrawn["log_index"]], _withdrawal_entries(entries)[signed[-1]]
    verify_record(withdrawn, jwks, log_entry=created, withdrawal_entry=withdrawal)
    changes = [
        (label, _with(withdrawn, path, new))
        for path, value in _leaf_paths({"status": withdrawn["status"], "withdrawal": withdrawn["withdrawal"]})
        for label, new in [("/".join(map(str, path)), new) for new in _altered(value)]
    ]
    changes += [
        ("withdrawal hidden", {**withdrawn, "status": "valid", "withdrawal": None}),
        ("withdrawal hidden, status kept", {**withdrawn, "withdrawal": None}),
        ("withdrawal emptied", _with(withdrawn, ("withdrawal",), {})),
    ]
    for label, doc in changes:
        assert_refused(
            label,
            lambda doc=doc: verify_record(doc, jwks, log_entry=created, withdrawal_entry=withdrawal),  # type: ignore[misc]
        )
    assert_refused(  # the withdrawal entry of another record
        "foreign withdrawal", lambda: verify_record(genuine, jwks, withdrawal_entry=withdrawal), "withdraws"
    )
    # A withdrawal shown for a record the log never withdrew: only reading the whole log can tell.
    invented = {**genuine, "status": "withdrawn", "withdrawal": {**withdrawn["withdrawal"]}}
    verify_record(invented, jwks, log_entry=entry)  # (without the log: accepted)
    assert_refused(
        "invented withdrawal",
        lambda: verify_log(
            entries, jwks=jwks, fetch_record=lambda rid: invented if rid == signed[2] else get_record(rid)
        ),
        "the log has none",
    )


def assert_refused(label: str, check: Callable[[], Any], match: str | None = None) -> str:
    """``check()`` must raise VerificationError (whose message matches ``match``); returns the message."""
    try:
        check()
    except VerificationError as exc:
        message = str(exc)
    else:
        pytest.fail(f"{label}: accepted")
    assert match is None or re.search(match, message), f"{label}: refused for the wrong reason: {message}"
    return message


def test_bad_jwks_are_refused(signed: list[str], live_server: Any) -> None:
    url = live_server.url
    content_type, body = http_get(url + "/.well-known/jwks.json")
    assert content_type == "application/jwk-set+json"
    pinned = parse_json(body)
    genuine = fetch_record(url, signed[0])
    verify_record(genuine, load_jwks(pinned))
    keys = pinned["keys"]
    record_key = next(k for k in keys if k["kid"] == genuine["kid"])
    log_key = next(k for k in keys if k["purpose"] == "log")
    verify_record(genuine, load_jwks({"keys": [record_key]}))

    def whole(**changes: Any) -> dict[str, Any]:
        """The pinned set with the record key changed."""
        return {"keys": [dict(k, **changes) if k is record_key else k for k in keys]}

    def alone(**changes: Any) -> dict[str, Any]:
        """A set of just the record key, changed."""
        return {"keys": [dict(record_key, **changes)]}

    other_x, signed_at = log_key["x"], genuine["record"]["signed_at"]
    cases = [
        ("x swapped for another key", whole(x=other_x), "not the thumbprint"),
        ("x swapped for another key, alone", alone(x=other_x), "not the thumbprint"),
        ("x and kid of another key", whole(x=other_x, kid=key_id(other_x)), "listed twice"),
        ("x and kid of another key, alone", alone(x=other_x, kid=key_id(other_x)), "not in the pinned JWKS"),
        ("x and kid of an unrelated key", alone(x=RFC8037_X, kid=key_id(RFC8037_X)), "not in the pinned"),
        ("identity point key", whole(x=IDENTITY_X, kid=key_id(IDENTITY_X)), "small-order"),
        ("identity point key, record's kid", alone(x=IDENTITY_X), "not the thumbprint"),
        ("wrong purpose", alone(purpose="log"), "purpose 'log'"),
        ("wrong purpose, second active log key", whole(purpose="log"), "second active log key"),
        ("unknown purpose", alone(purpose="both"), "neither"),
        ("not yet valid", alone(not_before="2999-01-01T00:00:00.000Z"), "outside key"),
        ("expired at signed_at", alone(status="retired", not_after=signed_at), "outside key"),
        ("retired without not_after", alone(status="retired"), "not an instant"),
        ("active with not_after", alone(not_after="2999-01-01T00:00:00.000Z"), "must not have not_after"),
        ("key_ops sign", alone(key_ops=["sign"]), "key_ops"),
        ("wrong curve", alone(crv="X25519"), "crv"),
        ("padded x", alone(x=record_key["x"] + "="), "base64url"),
    ]
    for label, jwks_doc, message in cases:
        check = lambda doc=jwks_doc: verify_record(genuine, load_jwks(doc))  # noqa: E731
        assert_refused(label, check, message)
    # A record re-sealed under a key the attacker controls, with its kid: not in the pinned set.
    attacker_kid = key_id(RFC8037_X)
    attacker = {**genuine, "record": {**genuine["record"], "kid": attacker_kid}, "kid": attacker_kid}
    assert_refused(
        "attacker kid",
        lambda: verify_record(attacker, load_jwks(pinned)),
        "not in the pinned",
    )
    # Only a record-purpose key may seal a record, even when the JWKS itself is fine.
    wrong = {**genuine, "record": {**genuine["record"], "kid": log_key["kid"]}, "kid": log_key["kid"]}
    assert_refused("log key", lambda: verify_record(wrong, load_jwks(pinned)), "purpose 'log'")
    # The window's end is exclusive; one millisecond later still verifies.
    later = signed_at[:-2] + str(int(signed_at[-2]) + 1) + "Z" if signed_at[-2] != "9" else None
    if later:
        verify_record(genuine, load_jwks(alone(status="retired", not_after=later)))


def test_log_chain(signed: list[str], live_server: Any, app: Flask) -> None:
    url = live_server.url
    jwks = fetch_jwks(url)
    entries = log_bytes(app)
    get_record, get_commitment = _fetchers(url)
    # The server's export and signed checkpoint: the same bytes, and a root signed by the pinned log key.
    assert fetch_entries(url, 0, len(entries)) == entries
    assert fetch_entries(url, 2, 4) == entries[2:4]
    log_key = next(key for key in jwks.values() if key.purpose == "log")
    origin, public = parse_verifier_key(http_get(url + "/log/key")[1].decode().removesuffix("\n"))
    assert public == log_key.public
    checkpoint_bytes = fetch_checkpoint(url)
    checkpoint = verify_checkpoint(checkpoint_bytes, origin, log_key.public)
    assert checkpoint.size == len(entries)
    log = verify_log(
        entries,
        jwks=jwks,
        fetch_record=get_record,
        fetch_commitment=get_commitment,
        expected_root=checkpoint.root,
    )
    creates = [e for e in log.entries if e["type"] == "signature:create"]
    assert sorted(e["payload"]["record_id"] for e in creates) == sorted(signed)
    assert sorted(log.records) == sorted(signed)
    for entry in creates:
        api = get_record(entry["payload"]["record_id"])
        assert entry["payload"]["record_sha256"] == sha256_hex(rfc8785.dumps(api["record"]))
        assert entry["time"] == api["record"]["signed_at"]
        assert api["log_index"] == entry["index"]
        for name in NAMES:  # no personal data in clear
            assert name.encode() not in entries[entry["index"]]
    (withdrawal,) = [e for e in log.entries if e["type"] == "signature:withdraw"]
    assert withdrawal["payload"]["record_id"] == signed[-1]
    assert withdrawal["payload"]["reason_sha256"] == sha256_hex(REASON.encode())
    assert REASON.encode() not in entries[withdrawal["index"]]
    assert log.records[signed[-1]].status == "withdrawn"
    assert log.head == sha256_hex(entries[-1])
    assert log.root == merkle_root(entries)

    # Flipping any one byte of any entry breaks verification: the chain alone catches it in every
    # entry but the last; the last needs an anchor (the signed checkpoint's root).
    for i, data in enumerate(entries):
        anchor = log.root if i == len(entries) - 1 else None
        for j in range(len(data)):
            changed = list(entries)
            changed[i] = data[:j] + bytes([data[j] ^ 0x01]) + data[j + 1 :]
            assert_refused(
                f"entry {i} byte {j} flipped",
                lambda changed=changed, anchor=anchor: verify_log(changed, expected_root=anchor),  # type: ignore[misc]
            )
    # reordering, dropping or truncating entries also fails
    for changed in (entries[1:], [entries[1], entries[0], *entries[2:]], entries[:2] + entries[3:]):
        with pytest.raises(VerificationError):
            verify_log(changed)
    with pytest.raises(VerificationError, match="Merkle root"):
        verify_log(entries[:-1], expected_root=log.root)

    # A checkpoint changed anywhere is refused; a signature by an unknown key is ignored.
    note, signature_line = checkpoint_bytes.split(b"\n\n")
    size_line = str(checkpoint.size).encode()
    unknown = b"\xe2\x80\x94 other.example/log " + base64.b64encode(bytes(68)) + b"\n"
    assert verify_checkpoint(checkpoint_bytes + unknown, origin, public) == checkpoint
    forged_checkpoints = {
        "size": checkpoint_bytes.replace(
            b"\n" + size_line + b"\n", b"\n" + str(checkpoint.size + 1).encode() + b"\n"
        ),
        "root": note[:-3] + (b"A" if note[-3:-2] != b"A" else b"B") + note[-2:] + b"\n\n" + signature_line,
        "origin": b"x" + checkpoint_bytes,
        "signature": checkpoint_bytes[:-6]
        + (b"A" if checkpoint_bytes[-6:-5] != b"A" else b"B")
        + checkpoint_bytes[-5:],
        "no signature": note + b"\n\n",
        "only an unknown signature": note + b"\n\n" + unknown,
        "leading zero size": checkpoint_bytes.replace(b"\n" + size_line + b"\n", b"\n0" + size_line + b"\n"),
    }
    for label, forged_checkpoint in forged_checkpoints.items():
        assert forged_checkpoint != checkpoint_bytes
        assert_refused(label, lambda data=forged_checkpoint: verify_checkpoint(data, origin, public))  # type: ignore[misc]
    assert_refused(
        "other log key", lambda: verify_checkpoint(checkpoint_bytes, origin, b64url_decode(RFC8037_X, "x"))
    )

    # Without an anchor, the chain alone cannot protect its last entry — only the API cross-check can.
    last = parse_canonical(entries[-1])
    assert last["type"] == "signature:withdraw"
    forged_payload = {**last["payload"], "reason_sha256": "0" * 64}
    forged = [*entries[:-1], rfc8785.dumps({**last, "payload": forged_payload})]
    verify_log(forged)  # accepted: nothing in the chain commits to the last entry
    with pytest.raises(VerificationError, match="reason_sha256"):
        verify_log(forged, jwks=jwks, fetch_record=get_record)
    with pytest.raises(VerificationError, match="Merkle root"):
        verify_log(forged, expected_root=log.root)

    # Entry types this verifier does not know are accepted, their payloads ignored (§7).
    extended = list(entries)
    for kind, payload in (("signature:annotate", {"note": [1, None]}), ("audit_x:y_z", {})):
        entry = {"index": len(extended), "time": last["time"], "type": kind, "payload": payload}
        extended.append(rfc8785.dumps({**entry, "prev": sha256_hex(extended[-1])}))
    assert verify_log(extended, jwks=jwks, fetch_record=get_record).root == merkle_root(extended)
    not_object = {"index": len(entries), "time": last["time"], "type": "a:b", "payload": "opaque"}
    with pytest.raises(VerificationError, match="not an object"):
        verify_log([*entries, rfc8785.dumps({**not_object, "prev": log.head})])
    bad_type = {"index": len(entries), "time": last["time"], "type": "Bad:Type", "payload": {}}
    with pytest.raises(VerificationError, match="subject:action"):
        verify_log([*entries, rfc8785.dumps({**bad_type, "prev": log.head})])
    earlier = {
        "index": len(entries),
        "time": parse_canonical(entries[0])["time"],
        "type": "a:b",
        "payload": {},
    }
    with pytest.raises(VerificationError, match="earlier than"):
        verify_log([*entries, rfc8785.dumps({**earlier, "prev": log.head})])
