"""The signed record (ikrar.signature.v1, docs/FORMATS.md §3): the one definition of its shape.

:func:`registry.core.records.check_record_shape` validates with :class:`Record`; the OpenAPI
document's ``Record`` schema is generated from it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from registry.core import codes
from registry.core.canonical import parse_instant
from registry.core.errors import FormatError
from registry.wire.base import Hex64, Instant, NonEmpty, Wire

RECORD_TYPE = "ikrar.signature.v1"
RECORD_ID = r"^[a-z2-7]{26}$"
SLUG = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
FIELD_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CODE = r"^[0-9A-HJKMNP-TV-Z]{11}$"


def _compact(code: str) -> str:
    # FORMATS.md: the signed code is the compact form, one spelling per code.
    try:
        compact = codes.normalise_code(code)
    except FormatError:
        compact = None
    if compact != code:
        raise ValueError("record.code must be the compact verification code")
    return code


def _instant(text: str) -> str:
    try:
        parse_instant(text)
    except FormatError as exc:
        raise ValueError(str(exc)) from None
    return text


def _distinct(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise ValueError("record.dimensions must be a non-empty list of distinct dimension ids")
    return ids


SignedInstant = Annotated[Instant, AfterValidator(_instant)]


class RecordCommitment(Wire):
    """The commitment version signed."""

    id: str = Field(pattern=SLUG, description="Commitment id (slug).")
    version: int = Field(ge=1)
    text_sha256: Hex64 = Field(description="SHA-256 of the version's UTF-8 text.")


class RecordSignatory(Wire):
    """Who signed, as confirmed on the review screen (NFC text)."""

    name: NonEmpty
    position: NonEmpty
    institution: NonEmpty
    category: NonEmpty = Field(description="A category id of the commitment version.")


class RecordConsent(Wire):
    text_sha256: Hex64 = Field(description="SHA-256 of the consent text the signer accepted.")
    public_display: bool


class RecordHandwriting(Wire):
    strokes_sha256: Hex64 = Field(description="SHA-256 of the canonical strokes (docs/FORMATS.md §5).")


class Record(Wire):
    """The signed record (ikrar.signature.v1); see docs/FORMATS.md. Its signature covers the
    RFC 8785 canonical bytes of this object."""

    type: Literal["ikrar.signature.v1"]
    id: str = Field(pattern=RECORD_ID, description="26 lowercase base32 characters.")
    code: Annotated[str, AfterValidator(_compact)] = Field(
        # Checked by _compact (which says what is wrong); the pattern documents it.
        json_schema_extra={"pattern": CODE},
        description="The compact verification code.",
    )
    commitment: RecordCommitment
    signatory: RecordSignatory
    dimensions: Annotated[list[Annotated[str, Field(pattern=FIELD_ID)]], AfterValidator(_distinct)] = Field(
        min_length=1, json_schema_extra={"uniqueItems": True}, description="Dimension ids."
    )
    consent: RecordConsent
    handwriting: RecordHandwriting
    signed_at: SignedInstant
    claimed_at: SignedInstant | None = Field(description="The tablet's clock, or null.")
    operator: NonEmpty | None
    device: NonEmpty | None
    kid: NonEmpty = Field(description="RFC 7638 thumbprint of the signing key.")
