"""The signed record of one signature: its fields, canonical bytes and Ed25519 seal."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.core import codes
from registry.core.canonical import (
    b64url_decode,
    b64url_encode,
    canonical_bytes,
    parse_canonical,
    parse_instant,
    sha256_hex,
)
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing, Signer, VerifyingKey

RECORD_TYPE = "ikrar.signature.v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_RECORD_ID = re.compile(r"^[a-z2-7]{26}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
_FIELD_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class SignedRecord:
    """A record as signed: the object, its exact canonical bytes, and the base64url signature."""

    record: dict[str, Any]
    canonical: bytes
    signature: str

    @property
    def sha256(self) -> str:
        return sha256_hex(self.canonical)

    @property
    def kid(self) -> str:
        return str(self.record["kid"])


def _text(obj: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> None:
    value = obj.get(key)
    if value is None and optional and key in obj:
        return
    if not isinstance(value, str) or not value:
        raise FormatError(f"{path}.{key} must be non-empty text")


def check_record_shape(record: Any) -> None:
    """Raise FormatError unless ``record`` has exactly the fields of an ikrar.signature.v1 record."""
    if not isinstance(record, dict):
        raise FormatError("a record is a JSON object")
    expected = {
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
    if set(record) != expected:
        missing, extra = expected - set(record), set(record) - expected
        raise FormatError(f"record fields differ: missing {sorted(missing)}, unexpected {sorted(extra)}")
    if record["type"] != RECORD_TYPE:
        raise FormatError(f"record type must be {RECORD_TYPE!r}")
    if not isinstance(record["id"], str) or not _RECORD_ID.fullmatch(record["id"]):
        raise FormatError("record id must be 26 lowercase base32 characters")
    if codes.normalise_code(record["code"]) != record["code"]:
        # FORMATS.md: the signed code is the compact form, one spelling per code.
        raise FormatError("record.code must be the compact verification code")
    commitment = record["commitment"]
    if not isinstance(commitment, dict) or set(commitment) != {"id", "version", "text_sha256"}:
        raise FormatError("record.commitment must have id, version, text_sha256")
    if not isinstance(commitment["id"], str) or not _SLUG.fullmatch(commitment["id"]):
        raise FormatError("record.commitment.id is not a commitment id")
    if type(commitment["version"]) is not int or commitment["version"] < 1:
        raise FormatError("record.commitment.version must be a positive integer")
    if not isinstance(commitment["text_sha256"], str) or not _HEX64.fullmatch(commitment["text_sha256"]):
        raise FormatError("record.commitment.text_sha256 must be 64 lowercase hex digits")
    signatory = record["signatory"]
    if not isinstance(signatory, dict) or set(signatory) != {"name", "position", "institution", "category"}:
        raise FormatError("record.signatory must have name, position, institution, category")
    for key in ("name", "position", "institution", "category"):
        _text(signatory, key, "record.signatory")
    dims = record["dimensions"]
    if (
        not isinstance(dims, list)
        or not dims
        or any(not isinstance(d, str) or not _FIELD_ID.fullmatch(d) for d in dims)
        or len(set(dims)) != len(dims)
    ):
        raise FormatError("record.dimensions must be a non-empty list of distinct dimension ids")
    consent = record["consent"]
    if not isinstance(consent, dict) or set(consent) != {"text_sha256", "public_display"}:
        raise FormatError("record.consent must have text_sha256, public_display")
    if not isinstance(consent["text_sha256"], str) or not _HEX64.fullmatch(consent["text_sha256"]):
        raise FormatError("record.consent.text_sha256 must be 64 lowercase hex digits")
    if not isinstance(consent["public_display"], bool):
        raise FormatError("record.consent.public_display must be true or false")
    hand = record["handwriting"]
    if (
        not isinstance(hand, dict)
        or set(hand) != {"strokes_sha256"}
        or not isinstance(hand["strokes_sha256"], str)
        or not _HEX64.fullmatch(hand["strokes_sha256"])
    ):
        raise FormatError("record.handwriting.strokes_sha256 must be 64 lowercase hex digits")
    parse_instant(record["signed_at"])
    if record["claimed_at"] is not None:
        parse_instant(record["claimed_at"])
    for key in ("operator", "device"):
        _text(record, key, "record", optional=True)
    _text(record, "kid", "record")


def sign_record(record: dict[str, Any], signer: Signer) -> SignedRecord:
    """Seal ``record`` with ``signer``; the record must name the signer's key id."""
    check_record_shape(record)
    if record["kid"] != signer.kid:
        raise FormatError("record.kid must be the signing key's id")
    canonical = canonical_bytes(record)
    return SignedRecord(record, canonical, b64url_encode(signer.sign(canonical)))


def verify_record(canonical: bytes, signature: str, keyring: KeyRing) -> tuple[SignedRecord, VerifyingKey]:
    """Verify a record's canonical bytes and signature against the pinned key ring; raise on failure."""
    try:
        record = parse_canonical(canonical)
        check_record_shape(record)
        raw_signature = b64url_decode(signature)
    except FormatError as exc:
        raise VerificationError(f"malformed record: {exc}") from exc
    key = keyring.verify(
        record["kid"],
        canonical,
        raw_signature,
        purpose="record",
        at=parse_instant(record["signed_at"]),
    )
    return SignedRecord(record, canonical, signature), key
