"""An admin corrects a typo in an invitee's details before they sign; every correction is kept.

A signed record's name, position, institution and category are in its signed bytes and cannot
change, so only an invitee without a standing signature may be corrected (after a withdrawal of a
signature made in error the invitee may be corrected and sign again). Each correction is stored in
``invitee_change`` (who, when, old and new values, an optional reason) and named on the security
log with the account and ids only: the values are personal data and stay in the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select

from registry import security_log
from registry.core.errors import N_
from registry.core.names import name_key
from registry.extensions import db
from registry.models import Erasure, Invitee, InviteeChange, SignatureRecord, Withdrawal
from registry.services import checkpoints, commitments, invitees, log
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.services.text import clean_text

MAX_FIELD = 200
MAX_REASON = 500
FIELDS = ("name", "position", "institution", "category")


@dataclass(frozen=True)
class InviteeFields:
    name: str
    position: str
    institution: str
    category: str


class SignedAlready(Conflict):
    """The invitee has a standing signature: their signed name cannot change."""


def _invitee(slug: str, invitee_id: int) -> Invitee:
    commitment = invitees.commitment(slug)
    found = db.session.get(Invitee, invitee_id)
    if found is None or found.commitment_id != commitment.id:
        raise NotFound(N_("invitee %(id)d is not on the list of this commitment"), id=invitee_id)
    return found


def has_standing_signature(invitee_id: int) -> bool:
    """Whether the invitee has a signature that is neither withdrawn nor erased (on any version)."""
    found = db.session.execute(
        select(SignatureRecord.id)
        .outerjoin(Withdrawal, Withdrawal.record_id == SignatureRecord.id)
        .outerjoin(Erasure, Erasure.record_id == SignatureRecord.id)
        .where(
            SignatureRecord.invitee_id == invitee_id,
            Withdrawal.record_id.is_(None),
            Erasure.record_id.is_(None),
        )
    ).first()
    return found is not None


def editable(slug: str, invitee_id: int) -> tuple[Invitee, bool]:
    """The invitee and whether they may be corrected (no standing signature)."""
    found = _invitee(slug, invitee_id)
    return found, not has_standing_signature(found.id)


def _clean(fields: InviteeFields, categories: list[str]) -> InviteeFields:
    cleaned = InviteeFields(
        name=clean_text(fields.name, "name", max_length=MAX_FIELD, printed=True),
        position=clean_text(fields.position, "position", max_length=MAX_FIELD, printed=True),
        institution=clean_text(fields.institution, "institution", max_length=MAX_FIELD, printed=True),
        category=clean_text(fields.category, "category", max_length=64),
    )
    if cleaned.category not in categories:
        raise InvalidInput(
            N_("category %(given)s is not one of %(choices)s"),
            field="category",
            given=repr(cleaned.category[:40]),
            choices=", ".join(categories),
        )
    return cleaned


def correct(slug: str, invitee_id: int, fields: InviteeFields, reason: str, actor: str) -> InviteeChange:
    """Correct an invitee who has not signed; the change is stored with the admin's account name.

    Raises InvalidInput (a field refused, or nothing changed), SignedAlready, Conflict (the new
    name and institution are another invitee's) or NotFound. Nothing is written on a refusal.
    """
    why = clean_text(reason, "reason", max_length=MAX_REASON, optional=True)

    # In the append transaction for the log head lock that signing holds, so no signature can
    # slip in between the check and the correction; nothing is appended, so nothing is sealed.
    def work(_locked: log.LogWriter) -> InviteeChange:
        invitee = _invitee(slug, invitee_id)
        if has_standing_signature(invitee.id):
            raise SignedAlready(
                N_(
                    "%(name)s has signed already: a signed name cannot change; withdraw the "
                    "signature (made in error) first, then correct the details and sign again"
                ),
                name=invitee.name,
            )
        cleaned = _clean(fields, commitments.get_version(slug).category_ids)
        old = {f: str(getattr(invitee, f)) for f in FIELDS}
        new = asdict(cleaned)
        if old == new:
            raise InvalidInput(N_("nothing was changed"))
        twin = db.session.execute(
            select(Invitee.id).where(
                Invitee.commitment_id == invitee.commitment_id,
                Invitee.id != invitee.id,
                Invitee.name_key == name_key(cleaned.name),
                Invitee.institution_key == name_key(cleaned.institution),
            )
        ).first()
        if twin is not None:
            raise Conflict(
                N_("%(name)s of %(institution)s is already on the invitee list"),
                field="name",
                name=cleaned.name,
                institution=cleaned.institution,
            )
        for f in FIELDS:
            setattr(invitee, f, new[f])
        change = InviteeChange(
            invitee_id=invitee.id,
            commitment_id=invitee.commitment_id,
            actor=actor,
            old=old,
            new=new,
            reason=why or None,
        )
        db.session.add(change)
        db.session.flush()
        return change

    change = log.append_transaction(checkpoints.sealer(), work)
    security_log.event(
        "invitee.corrected",
        account=actor,
        commitment=slug,
        invitee=invitee_id,
        fields=",".join(f for f in FIELDS if change.old[f] != change.new[f]),
    )
    return change


def history(slug: str, invitee_id: int | None = None) -> list[InviteeChange]:
    """The corrections made to a commitment's invitees (or to one of them), newest first."""
    commitment = invitees.commitment(slug)
    query = select(InviteeChange).where(InviteeChange.commitment_id == commitment.id)
    if invitee_id is not None:
        query = query.where(InviteeChange.invitee_id == invitee_id)
    return list(db.session.execute(query.order_by(InviteeChange.id.desc())).scalars())
