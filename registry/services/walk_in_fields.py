"""The fields a walk-in types about themselves, checked once for every place that takes them.

The signing API (a kiosk's walk-in signature) and the operator's desk (a walk-in registered before
signing) take the same four fields and must refuse the same text: what is printed on a certificate
must be printable, and the category must be one the commitment version defines.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.core.errors import N_
from registry.models import CommitmentVersion
from registry.services.errors import InvalidInput
from registry.services.text import clean_text

MAX_FIELD = 200  # characters of a name, position or institution
MAX_CATEGORY = 64


@dataclass(frozen=True)
class WalkInFields:
    name: str
    position: str
    institution: str
    category: str


def clean(
    name: str, position: str, institution: str, category: str, version: CommitmentVersion
) -> WalkInFields:
    """The four fields cleaned (registry/services/text.py), or :class:`InvalidInput` naming the field."""
    cleaned = WalkInFields(
        name=clean_text(name, "name", max_length=MAX_FIELD, printed=True),
        position=clean_text(position, "position", max_length=MAX_FIELD, printed=True),
        institution=clean_text(institution, "institution", max_length=MAX_FIELD, printed=True),
        category=clean_text(category, "category", max_length=MAX_CATEGORY),
    )
    if cleaned.category not in version.category_ids:
        raise InvalidInput(
            N_("category %(given)s is not one of %(choices)s"),
            field="category",
            given=repr(cleaned.category[:40]),
            choices=", ".join(version.category_ids),
        )
    return cleaned
