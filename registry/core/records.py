"""The signed record of one signature: its fields, canonical bytes and Ed25519 seal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

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
from registry.wire.record import RECORD_TYPE, Record

__all__ = ["RECORD_TYPE", "SignedRecord", "check_record_shape", "sign_record", "verify_record"]


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


def _problem(error: ErrorDetails) -> str:
    """One pydantic error as the record path at fault and what is wrong there."""
    where = ".".join(["record", *map(str, error["loc"])])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause) if str(cause).startswith(where) else f"{where}: {cause}"
    return f"{where}: {error['msg']}"


def check_record_shape(record: Any) -> None:
    """Raise FormatError unless ``record`` has exactly the fields of an ikrar.signature.v1 record.

    The shape is :class:`registry.wire.record.Record`, validated strictly (no coercion, no extra
    members), which is also what /openapi.json publishes.
    """
    if not isinstance(record, dict):
        raise FormatError("a record is a JSON object")
    expected = set(Record.model_fields)
    if set(record) != expected:
        missing, extra = expected - set(record), set(record) - expected
        raise FormatError(f"record fields differ: missing {sorted(missing)}, unexpected {sorted(extra)}")
    try:
        Record.model_validate(record)
    except ValidationError as exc:
        raise FormatError(_problem(exc.errors()[0])) from None


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
