"""A stored signature as the registry serves it: by audience, and by verification code."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, RootModel

from registry.wire.base import Absent, Count, DateTime, Hex64, Instant, Open, Wire, absent
from registry.wire.record import Record

Status = Literal["valid", "withdrawn", "erased", "invalid"]
RecordSha256 = Annotated[
    Hex64 | None,
    Field(description="hex SHA-256 of JCS(record), as in its signature:create entry; null when invalid."),
]


class Erasure(Wire):
    """When and by which signature:erase entry a signature's personal data were erased (FORMATS.md §7)."""

    at: Instant
    ground: Literal["request", "retention"] = Field(
        description="request: the data subject asked; retention: the retention period ended."
    )
    log_index: Count = Field(description="Its signature:erase entry.")


ErasureOrNull = Annotated[
    Erasure | None,
    Field(
        description="Only for status 'erased' (else null): its signature:erase entry's time, ground, index."
    ),
]


class Withdrawal(Wire):
    at: Instant
    reason: str | None = Field(description="null when erased.")
    log_index: int


class PublicWithdrawal(Wire):
    at: Instant
    reason: str | Absent = absent("Only with consent (never when erased).")
    log_index: int


class PublicCommitment(Wire):
    id: str
    version: int = Field(ge=1)
    title: str


class PublicSignatory(Wire):
    """What a signer who allowed public display shows to everyone."""

    name: str
    position: str
    institution: str
    signed_at: Instant
    kid: str
    commitment: PublicCommitment


class SignatureFull(Wire):
    """For auditors and admins (a signed-in session or an auditor bearer token). status 'invalid'
    means the stored data no longer verify (seal, strokes, commitment version or withdrawal against
    the log): then code, record, signature, kid and record_sha256 are null and nothing of the row is
    vouched for. status 'erased' means the signer's personal data were erased (a signature:erase
    entry, docs/FORMATS.md §7): record and signature are null, record_sha256 is the hash the
    signature:create entry committed to, a withdrawal's reason is null, and 'erasure' says when, why
    and at which log index."""

    id: str
    code: str | None
    record: Record | None
    signature: str | None = Field(description="base64url (no padding) Ed25519 signature, 64 bytes.")
    kid: str | None
    log_index: Count
    status: Status
    record_sha256: RecordSha256
    withdrawal: Withdrawal | None
    erasure: ErasureOrNull


class SignaturePublic(Wire):
    """For everyone else, what the consent text promises: without the signer's consent to public
    display only that a signature exists at a log index; with it also 'public' and the withdrawal
    reason. Never the code, certificate link, record or seal. An erased signature: id, log_index,
    status 'erased', record_sha256, erasure and the withdrawal's time and index only."""

    id: str
    log_index: Count
    status: Status
    record_sha256: RecordSha256
    erasure: ErasureOrNull
    withdrawal: PublicWithdrawal | None
    public: PublicSignatory | Absent = absent(
        "Only when the signer allowed public display (never when erased)."
    )


class Signature(RootModel[SignatureFull | SignaturePublic]):
    """A stored signature after the registry re-checked it, shaped by who asks (docs/FORMATS.md §3):
    auditors and admins get SignatureFull, everyone else SignaturePublic."""


class VerifiedCommitment(Wire):
    id: str
    version: int
    title: str


class VerifiedWithdrawal(Wire):
    at: DateTime
    reason: str | None = Field(description="null when erased.")


class VerifyStatus(Wire):
    """What the registry says about a verification code; only allow-listed fields. Unknown and
    invalid codes carry only status and code."""

    status: Literal["valid", "withdrawn", "erased", "invalid", "unknown"] = Field(
        description="invalid: the stored record no longer verifies against the registry's keys. "
        "erased: the signature was made, sealed and logged, but its personal data were erased "
        "(name, position and institution are null; see 'erasure')."
    )
    code: str | None = Field(description="Compact code (null if mistyped).")
    id: str | Absent = absent()
    commitment: VerifiedCommitment | Absent = absent()
    name: str | None = absent("null when erased.")
    position: str | None = absent("null when erased.")
    institution: str | None = absent("null when erased.")
    signed_at: DateTime | Absent = absent()
    kid: str | Absent = absent()
    log_index: int | Absent = absent()
    record_sha256: str | Absent = absent("SHA-256 (hex) of the record's canonical bytes.")
    public_display: bool | Absent = absent()
    withdrawal: VerifiedWithdrawal | None = absent()
    erasure: Erasure | Absent = absent("Only with status 'erased'.")


class Problem(Open):
    """RFC 9457 problem details (extension members may follow)."""

    type: str = Field(description="`about:blank` or `urn:ikrar:problem:<slug>`")
    title: str
    status: int
    detail: str = Field(description="What exactly was wrong.")
    field: str | Absent = absent("The request field at fault, when there is one.")
