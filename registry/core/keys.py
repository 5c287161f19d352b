"""Ed25519 keys: key ids (RFC 7638 thumbprints), JWKs (RFC 8037), and the key ring that verifies."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.core.canonical import b64url_decode, b64url_encode, format_instant, parse_instant
from registry.core.errors import FormatError, KeyRingError, VerificationError

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
PURPOSES = ("record", "log")
STATUSES = ("active", "retired")

_P = 2**255 - 19
# Two separate rules (docs/FORMATS.md §2), both on the 32 bytes read as a little-endian
# integer with the sign bit (bit 255) cleared, i.e. on y:
# 1. canonical: y < p. Any y >= p (p, p+1, …, 2^255-1) is a second spelling of y - p; some
#    verifiers reduce it, others refuse it, so a signature's validity would depend on the library.
# 2. not of small order. The eight points of order dividing 8 have five distinct canonical y
#    values (the sign bit tells the x apart); with any of them as key, a forged signature
#    (e.g. identity key, R = identity, S = 0) verifies for every message. Their non-canonical
#    spellings (y = p for 0, y = p + 1 for 1) are caught by rule 1.
_SMALL_ORDER_Y = {
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",  # y = 0: order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  # y = 1: identity
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8 (−y)
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p − 1: order 2
    )
}


def check_public_key(raw: bytes) -> None:
    """Refuse public keys that are the wrong size, non-canonical (y >= p), or of small order."""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise KeyRingError(f"an Ed25519 public key has {PUBLIC_KEY_SIZE} bytes, not {len(raw)}")
    cleared = raw[:31] + bytes([raw[31] & 0x7F])
    if int.from_bytes(cleared, "little") >= _P:
        raise KeyRingError("public key is not canonically encoded (y ≥ 2^255−19)")
    if cleared in _SMALL_ORDER_Y:
        raise KeyRingError("public key is a small-order point; it would accept forged signatures")


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw: bytes) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of the RFC 8037 OKP key."""
    check_public_key(raw)
    # Required members only, lexicographic order, no whitespace (RFC 7638 §3.2).
    members = '{"crv":"Ed25519","kty":"OKP","x":"' + b64url_encode(raw) + '"}'
    return b64url_encode(hashlib.sha256(members.encode("ascii")).digest())


@dataclass(frozen=True)
class VerifyingKey:
    """One public key of the ring, with what it is for and when it may have signed."""

    kid: str
    public_key: bytes
    purpose: str
    status: str
    not_before: datetime
    not_after: datetime | None = None

    def __post_init__(self) -> None:
        if key_id(self.public_key) != self.kid:
            raise KeyRingError(f"key id {self.kid} is not the thumbprint of its public key")
        if self.purpose not in PURPOSES:
            raise KeyRingError(f"unknown key purpose {self.purpose!r}")
        if self.status not in STATUSES:
            raise KeyRingError(f"unknown key status {self.status!r}")

    def covers(self, moment: datetime) -> bool:
        """Whether this key was the one allowed to sign at ``moment``."""
        return self.not_before <= moment and (self.not_after is None or moment < self.not_after)

    def to_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self.public_key),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
            "key_ops": ["verify"],
            "purpose": self.purpose,
            "status": self.status,
            "not_before": format_instant(self.not_before),
        }
        if self.not_after is not None:
            jwk["not_after"] = format_instant(self.not_after)
        return jwk

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerifyingKey:
        try:
            if jwk["kty"] != "OKP" or jwk["crv"] != "Ed25519":
                raise KeyRingError("only OKP Ed25519 keys are accepted")
            not_after = jwk.get("not_after")
            return cls(
                kid=jwk["kid"],
                public_key=b64url_decode(jwk["x"]),
                purpose=jwk["purpose"],
                status=jwk["status"],
                not_before=parse_instant(jwk["not_before"]),
                not_after=parse_instant(not_after) if not_after is not None else None,
            )
        except (KeyError, TypeError) as exc:
            raise KeyRingError(f"JWK lacks a required member: {exc}") from exc
        except FormatError as exc:
            raise KeyRingError(f"malformed JWK: {exc}") from exc


class KeyRing(Mapping[str, VerifyingKey]):
    """The pinned public keys; verification takes keys only from here, by key id."""

    def __init__(self, keys: Iterable[VerifyingKey]) -> None:
        self._keys: dict[str, VerifyingKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise KeyRingError(f"key id {key.kid} appears twice")
            self._keys[key.kid] = key

    def __getitem__(self, kid: str) -> VerifyingKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def to_jwks(self) -> dict[str, Any]:
        ordered = sorted(self._keys.values(), key=lambda k: (k.not_before, k.kid))
        return {"keys": [k.to_jwk() for k in ordered]}

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> KeyRing:
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list):
            raise KeyRingError("a JWKS is an object with a 'keys' array")
        return cls(VerifyingKey.from_jwk(k) for k in keys)

    def verify(
        self, kid: str, message: bytes, signature: bytes, *, purpose: str, at: datetime | None
    ) -> VerifyingKey:
        """Raise VerificationError unless ``kid``'s key signed ``message`` (at ``at``, for ``purpose``)."""
        key = self._keys.get(kid)
        if key is None:
            raise VerificationError(f"key id {kid!r} is not in the key ring")
        if key.purpose != purpose:
            raise VerificationError(f"key {kid} is a {key.purpose} key, not a {purpose} key")
        if at is not None and not key.covers(at):
            raise VerificationError(f"key {kid} was not valid at {format_instant(at)}")
        if len(signature) != SIGNATURE_SIZE:
            raise VerificationError("an Ed25519 signature has 64 bytes")
        check_public_key(key.public_key)
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, message)
        except InvalidSignature as exc:
            raise VerificationError(f"signature does not verify with key {kid}") from exc
        return key


class Signer:
    """A private key of the ring, able to sign; holds its own key id."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = raw_public_key(private_key)
        self.kid = key_id(self.public_key)

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._private_key

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        """The signer of a 32-byte RFC 8032 private key (seed)."""
        if len(seed) != 32:
            raise KeyRingError(f"an Ed25519 private key has 32 bytes, not {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def private_bytes_raw(self) -> bytes:
        """The 32-byte seed; only ever passed to the key file's AEAD, never written as is."""
        return self._private_key.private_bytes_raw()


def encrypt_private_key(signer: Signer, passphrase: bytes) -> bytes:
    """Encrypted PKCS#8 PEM of the signer's private key: the legacy format, kept to test upgrades.

    New key files are ikrar-key v1 (registry/core/keyfile.py)."""
    if not passphrase:
        raise KeyRingError("refusing to write a private key without a passphrase")
    return signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def decrypt_private_key(pem: bytes, passphrase: bytes) -> Signer:
    """Load a legacy encrypted PKCS#8 PEM; raise KeyRingError with the reason it cannot be used."""
    if not passphrase:
        # cryptography raises the same TypeError for "no password" and "file not encrypted".
        raise KeyRingError("no key passphrase: set IKRAR_KEY_PASSPHRASE")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as exc:
        raise KeyRingError("the key file is not encrypted; Ikrar only uses encrypted keys") from exc
    except ValueError as exc:
        raise KeyRingError(
            "cannot decrypt the key file: wrong IKRAR_KEY_PASSPHRASE or a damaged file"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyRingError("the key file does not hold an Ed25519 private key")
    return Signer(key)
