"""The kiosk's name search: invitees whose name or institution contains what the signer typed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from registry.core.names import name_key
from registry.extensions import db
from registry.models import Invitee, SignatureRecord


@dataclass(frozen=True)
class Found:
    invitee: Invitee
    signed: bool  # signed the version the kiosk is open for


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(commitment_id: int, version_id: int, query: str, limit: int) -> list[Found]:
    """Listed (not walk-in) invitees matching ``query`` by name_key, the same on every database.

    The query is folded as the stored keys are (registry/core/names.py), so "élise" finds
    "ÉLISE ÑÚÑEZ" on SQLite too, whose ``lower()`` folds ASCII only. Ordered by key, then id:
    one order on both databases.
    """
    pattern = "%" + _escape_like(name_key(query)) + "%"
    found = list(
        db.session.execute(
            select(Invitee)
            .where(
                Invitee.commitment_id == commitment_id,
                Invitee.walk_in.is_(False),
                or_(
                    Invitee.name_key.like(pattern, escape="\\"),
                    Invitee.institution_key.like(pattern, escape="\\"),
                ),
            )
            .order_by(Invitee.name_key, Invitee.id)
            .limit(limit)
        ).scalars()
    )
    signed = set(
        db.session.execute(
            select(SignatureRecord.invitee_id).where(
                SignatureRecord.commitment_version_id == version_id,
                SignatureRecord.invitee_id.in_([i.id for i in found]),
            )
        ).scalars()
    )
    return [Found(i, i.id in signed) for i in found]
