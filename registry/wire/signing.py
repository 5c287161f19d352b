"""The signing request a kiosk or integration sends, and the answer it gets back.

The view (registry/api/signing.py) reads the body member by member to name the field at
fault in its 422; it takes the member names from these models, and a test checks that every body
it accepts or refuses is accepted or refused by the schema generated from them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from registry.services.ranges import MAX_ROW_ID
from registry.wire.base import Absent, Count, DateTime, Uri, Wire, absent
from registry.wire.record import Record


class SignatoryInput(Wire):
    """A walk-in's details as typed on the kiosk."""

    name: str = Field(max_length=200)
    position: str = Field(max_length=200)
    institution: str = Field(max_length=200)
    category: str = Field(description="A category id of the commitment.")


class ConsentInput(Wire):
    accepted: Literal[True]
    public_display: bool


class StrokePoint(Wire):
    x: float
    y: float
    t: float
    p: Annotated[float, Field(ge=0, le=1)] | Absent = absent("Pressure.")


class SigningRequest(Wire):
    """Give either signatory (a walk-in) or invitee_id (someone on the list). Unknown fields,
    duplicate keys, NaN and non-finite numbers are refused."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["signatory"]}, {"required": ["invitee_id"]}],
            "dependentRequired": {"link_invitee": ["signatory"]},
        }
    )

    signatory: SignatoryInput | Absent = absent()
    invitee_id: Annotated[int, Field(ge=1, le=MAX_ROW_ID)] | Absent = absent()
    link_invitee: bool = Field(
        default=True,
        description="With a signatory only. A walk-in whose name, category and institution match "
        "exactly one listed invitee (rules in registry/services/walk_ins.py) signs as that invitee; "
        "false when the signer said the listed namesake is someone else.",
    )
    dimensions: list[str] = Field(min_length=1, description="Dimension ids of the commitment version.")
    consent: ConsentInput
    strokes: list[list[StrokePoint]] = Field(
        description="Handwritten signature: strokes of points; x, y in pad pixels (0–10000), t in ms "
        "(non-decreasing), p pressure 0–1. Numbers are read at the exact value of their decimal text "
        "(at most 30 significant digits, exponent within ±30) and rounded half to even "
        "(docs/FORMATS.md §5). At most 200 strokes and 6000 points; a trivial scribble is refused."
    )
    claimed_time: DateTime | None = Field(
        default=None,
        description="The tablet's clock: RFC 3339 with a mandatory offset (Z or ±HH:MM), an optional "
        "fraction of 1–9 digits, UTC year 1000–9998. Converted to UTC and truncated (not rounded) to "
        "the millisecond, it is the record's claimed_at (docs/FORMATS.md §3). The server's time is "
        "the signing time.",
    )


class SigningResponse(Wire):
    id: str
    code: str = Field(description="The short verification code printed on the certificate.")
    record: Record
    signature: str = Field(description="base64url Ed25519 signature over the record's JCS bytes.")
    kid: str
    log_index: Count
    url: Uri
    certificate_url: Uri
    verify_url: Uri
    linked_invitee: bool = Field(
        description="A walk-in (signatory) was recognised as a listed invitee: the signature counts "
        "for that invitee; the record keeps the details the signer typed."
    )
    listed_namesakes: list[int] = Field(
        description="Ids of listed invitees with the walk-in's name it was not linked to (a doubt for "
        "the operator, e.g. two namesakes or another institution)."
    )
