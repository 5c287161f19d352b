"""Commitments, keys and log proofs as the registry serves them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from registry.wire.base import Absent, Count, Hex64, Instant, Open, Uri, Wire, absent


class Choice(Wire):
    """A dimension or stakeholder category of a commitment version."""

    id: str
    label: str
    description: str | Absent = absent()


class CommitmentSummary(Wire):
    id: str = Field(description="Stable commitment id (slug).")
    version: int = Field(ge=1)
    title: str
    status: Literal["open", "closed"]
    text_sha256: Hex64 = Field(description="SHA-256 of the UTF-8 text.")
    place: str
    event_date: str = Field(json_schema_extra={"format": "date"})
    url: Uri


class CommitmentList(Wire):
    commitments: list[CommitmentSummary]


class Commitment(CommitmentSummary):
    """A commitment version: its exact text, choices and hashes."""

    text: str = Field(description="The exact text signatories read (NFC).")
    dimensions: list[Choice]
    categories: list[Choice]
    consent_text: str
    consent_sha256: Hex64
    version_sha256: Hex64 = Field(
        description="SHA-256 of the canonical version document (docs/FORMATS.md §4); equals the "
        "version_sha256 of the version's commitment:publish log entry."
    )
    issuer: str | None = Field(
        description="Who issues the commitment, printed above its title (e.g. PEMERINTAH KABUPATEN "
        "PURBALINGGA); in the version document when not null."
    )
    emblem_sha256: Hex64 | None = Field(
        description="SHA-256 of the issuer's emblem (PNG as re-encoded by Ikrar, served at "
        "emblem_url); in the version document when not null."
    )
    emblem_url: Uri | None
    opened_at: Instant | None
    closed_at: Instant | None = Field(
        description="When signing closed; null while open, also after a reopening (the log's "
        "commitment:close and commitment:reopen entries keep the history)."
    )
    versions: list[int] = Field(description="Published version numbers.")


class JWK(Open):
    """An Ed25519 public key (RFC 8037) with its purpose, status and validity window."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str = Field(description="base64url public key (RFC 8037).")
    kid: str
    alg: Literal["EdDSA"]
    use: Literal["sig"]
    key_ops: list[Literal["verify"]] | Absent = absent()
    purpose: Literal["record", "log"]
    status: Literal["active", "retired"]
    not_before: Instant
    not_after: Instant | Absent = absent()


class JWKS(Wire):
    keys: list[JWK]


class InclusionProof(Wire):
    """RFC 9162 inclusion proof (hashes in base64)."""

    index: Count
    size: Count
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyProof(Wire):
    """RFC 9162 consistency proof (hashes in base64)."""

    old: Count
    new: Count
    old_root: str
    new_root: str
    proof: list[str]
