"""Building blocks of the wire models: strict JSON types and their documented constraints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

HEX64 = r"^[0-9a-f]{64}$"
# docs/FORMATS.md §2: UTC, milliseconds, "Z".
INSTANT = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"

Hex64 = Annotated[str, Field(pattern=HEX64)]
NonEmpty = Annotated[str, Field(min_length=1)]
Instant = Annotated[str, Field(pattern=INSTANT, json_schema_extra={"format": "date-time"})]
DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]
Count = Annotated[int, Field(ge=0)]
# With absent(): a member that may be left out but is never null.
Absent = SkipJsonSchema[None]


class Wire(BaseModel):
    """A JSON object with exactly its documented members, each of its JSON type (no coercion)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Open(BaseModel):
    """A JSON object whose documented members are typed but which may grow new ones."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str | None = None) -> Any:
    """A member that may be missing (never null): optional in the schema, without a default."""
    return Field(default=None, description=description, json_schema_extra=_no_default)
