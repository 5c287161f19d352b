"""The signed roll of a commitment version and the public list of its signatories.

Both read the state the latest signed checkpoint describes: records and withdrawals appended
after it (by a transaction that committed while we read) are left out, so the roll's last page
and its signature pages always describe the same log.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from registry.core import name_search
from registry.core.canonical import format_instant
from registry.core.errors import N_
from registry.core.tlog import open_checkpoint
from registry.extensions import db
from registry.models import CommitmentVersion, LogEntry, SignatureRecord, SigningKey
from registry.pdf.roll import RollCheckpoint, RollData, RollSignatory, render_roll
from registry.services import checkpoints, commitments, sealed
from registry.services.branding import version_emblem
from registry.services.errors import IntegrityFailure, Unavailable


def verify_url(code: str) -> str:
    """The verify page of a code (what the roll's small QR encodes; no fragment)."""
    return f"{str(current_app.config['IKRAR_BASE_URL']).rstrip('/')}/v/{code}"


def _labels(items: list[dict[str, Any]]) -> dict[str, str]:
    return {str(item["id"]): str(item.get("label") or item["id"]) for item in items}


def current_checkpoint() -> RollCheckpoint:
    """The latest signed checkpoint, opened with the log key (refuses a note that does not verify)."""
    _, note = checkpoints.latest()
    if not note:
        raise Unavailable(N_("the log has no checkpoint yet: run `ikrar init`"))
    verifier = checkpoints.log_verifier()
    opened = open_checkpoint(note, verifier, checkpoints.origin())
    kid = db.session.execute(
        select(SigningKey.kid).where(SigningKey.purpose == "log", SigningKey.status == "active")
    ).scalar_one()
    return RollCheckpoint(
        origin=opened.origin,
        size=opened.size,
        root_hash=opened.root_hash,
        note=note,
        note_key_id=verifier.key_id,
        log_kid=str(kid),
    )


def _records(version: CommitmentVersion, size: int) -> list[SignatureRecord]:
    """The version's records the checkpoint of ``size`` covers, in log order."""
    rows = db.session.execute(
        select(SignatureRecord)
        .where(SignatureRecord.commitment_version_id == version.id, SignatureRecord.log_index < size)
        .order_by(SignatureRecord.log_index)
    ).scalars()
    return list(rows.unique())


def _withdrawn(signature: sealed.Sealed, size: int) -> tuple[str, str] | None:
    w = signature.withdrawal
    if w is None or w.log_index >= size:
        return None
    return format_instant(w.withdrawn_at), w.reason


def _checked(version: CommitmentVersion, size: int) -> list[sealed.Sealed]:
    """The version's records at the checkpoint, each re-checked (sealed.py); refuses on any failure."""
    checked = sealed.check_many(_records(version, size))
    broken = [s.row for s in checked if not s.ok and not s.erased]
    if broken:
        raise IntegrityFailure(
            N_(
                "integrity error: %(count)d signature(s) of this version no longer verify "
                "(first at log index %(index)d); nothing is printed"
            ),
            count=len(broken),
            index=broken[0].log_index,
        )
    # An erased signature's personal data are gone: the roll printed now leaves it out (the log
    # and the verify page still show that it was made).
    return [s for s in checked if not s.erased]


def roll_data(slug: str, version_number: int) -> RollData:
    version = commitments.get_version(slug, version_number)
    checkpoint = current_checkpoint()
    made_at = db.session.execute(
        select(LogEntry.time).where(LogEntry.index == checkpoint.size - 1)
    ).scalar_one()
    categories = _labels(version.categories)
    dimensions = _labels(version.dimensions)
    signatories = []
    for number, signature in enumerate(_checked(version, checkpoint.size), start=1):
        row, record = signature.row, signature.signed()
        signer = record["signatory"]
        signatories.append(
            RollSignatory(
                number=number,
                name=signer["name"],
                position=signer["position"],
                institution=signer["institution"],
                category_label=categories.get(signer["category"], signer["category"]),
                dimension_labels=[dimensions.get(d, d) for d in record["dimensions"]],
                signed_at=record["signed_at"],
                code=record["code"],
                verify_url=verify_url(record["code"]),
                strokes=json.loads(row.strokes),
                public_display=signature.public_display,
                log_index=row.log_index,
                withdrawn=_withdrawn(signature, checkpoint.size),
            )
        )
    return RollData(
        slug=slug,
        version=version.version,
        title=version.title,
        place=version.place,
        event_date=version.event_date,
        status=version.status,
        text=version.text,
        text_sha256=version.text_sha256,
        dimension_labels=[str(d.get("label") or d["id"]) for d in version.dimensions],
        made_at=format_instant(made_at),
        checkpoint=checkpoint,
        signatories=signatories,
        issuer=version.issuer,
        emblem_png=version_emblem(version),
    )


def roll_pdf(slug: str, version_number: int) -> bytes:
    """The signed roll of one commitment version at the latest checkpoint (deterministic bytes)."""
    return render_roll(roll_data(slug, version_number))


# --------------------------------------------------------------------------------------------
# The public list


@dataclass(frozen=True)
class PublicSignatory:
    name: str
    position: str
    institution: str
    category: str  # label


@dataclass(frozen=True)
class Count:
    id: str
    label: str
    count: int


@dataclass(frozen=True)
class PublicList:
    slug: str
    version: CommitmentVersion
    signatories: list[PublicSignatory]  # consented to public display, not withdrawn
    total: int  # every signature not withdrawn, public or not
    by_category: list[Count]
    by_dimension: list[Count]
    # Signatures whose stored data no longer verify: counted and shown as integrity errors only.
    integrity_errors: int = 0

    @property
    def not_listed(self) -> int:
        return self.total - len(self.signatories)


def public_list(slug: str) -> PublicList:
    """Who signed the latest published version, for everyone: only an allow-list of fields.

    Signatories who did not consent to public display, and withdrawn signatures, are not listed;
    the former count in the totals, the latter nowhere.
    """
    version = commitments.get_version(slug, published_only=True)
    size, _ = checkpoints.latest()
    categories = _labels(version.categories)
    dimensions = _labels(version.dimensions)
    listed: list[PublicSignatory] = []
    per_category: Counter[str] = Counter()
    per_dimension: Counter[str] = Counter()
    total = broken = 0
    for signature in sealed.check_many(_records(version, size)):
        if signature.erased:
            continue  # made and logged, but nothing of the person is held any more
        if not signature.ok:
            broken += 1
            continue
        if _withdrawn(signature, size) is not None:
            continue
        record = signature.signed()
        signer = record["signatory"]
        total += 1
        per_category[signer["category"]] += 1
        for dimension in record["dimensions"]:
            per_dimension[dimension] += 1
        if signature.public_display:
            listed.append(
                PublicSignatory(
                    name=signer["name"],
                    position=signer["position"],
                    institution=signer["institution"],
                    category=categories.get(signer["category"], signer["category"]),
                )
            )
    listed.sort(key=lambda s: (s.category, s.institution.casefold(), name_search.sort_key(s.name)))
    return PublicList(
        slug=slug,
        version=version,
        signatories=listed,
        total=total,
        by_category=[Count(k, v, per_category[k]) for k, v in categories.items()],
        by_dimension=[Count(k, v, per_dimension[k]) for k, v in dimensions.items()],
        integrity_errors=broken,
    )
