"""The invitee roster of a tablet's commitment: what its kiosk searches, online and offline.

The kiosk keeps the roster (names, positions, institutions, category labels, whether each has
signed) on the tablet for the event, so a signer finds their own name when the venue Wi-Fi drops;
``search`` is the same matching on the server (registry/core/name_search.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from registry.core import name_search
from registry.extensions import db
from registry.models import CommitmentVersion, Invitee, SignatureRecord, Withdrawal

MAX_RESULTS = 8


@dataclass(frozen=True)
class Found:
    invitees: list[dict[str, Any]]
    more: bool  # more than MAX_RESULTS matched: "ketik lebih lengkap"


def roster(version: CommitmentVersion) -> list[dict[str, Any]]:
    """Every listed invitee of the version's commitment, with whether they signed it, and the
    walk-ins registered at the desk who have not signed yet (so they find their own name)."""
    people = list(
        db.session.execute(
            select(Invitee)
            .where(Invitee.commitment_id == version.commitment_id)
            .order_by(Invitee.name, Invitee.id)
        ).scalars()
    )
    # Signed = a signature still standing: after a withdrawal the invitee may sign again.
    signed = set(
        db.session.execute(
            select(SignatureRecord.invitee_id)
            .outerjoin(Withdrawal, Withdrawal.record_id == SignatureRecord.id)
            .where(
                SignatureRecord.commitment_version_id == version.id,
                SignatureRecord.invitee_id.is_not(None),
                Withdrawal.record_id.is_(None),
            )
        ).scalars()
    )
    people = [i for i in people if not (i.walk_in and i.id in signed)]
    labels = {c["id"]: c["label"] for c in version.categories}
    return [
        {
            "id": i.id,
            "name": i.name,
            "position": i.position,
            "institution": i.institution,
            "category": i.category,
            "category_label": labels.get(i.category, i.category),
            "signed": i.id in signed,
        }
        for i in people
    ]


def search(version: CommitmentVersion, query: str) -> Found:
    """The roster entries the typed ``query`` finds, best first (at most MAX_RESULTS)."""
    ranked = []
    for entry in roster(version):
        found = name_search.match(query, entry["name"], entry["institution"])
        if found is not None:
            ranked.append((found.rank, entry["id"], entry))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return Found([entry for _rank, _id, entry in ranked[:MAX_RESULTS]], len(ranked) > MAX_RESULTS)
