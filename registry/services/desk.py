"""Help at the desk: what an operator may see and do beside the tablets.

An operator runs the tablets; the signers ask them for help. So an operator may read who has
signed a published version and who has not (read-only, no codes, no admin actions), search that
list with the kiosk's own rules (registry/core/name_search.py), reprint a signer's certificate and
register a walk-in before they sign, so the signer then finds their own name on the tablet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from registry.core import name_search
from registry.core.errors import N_
from registry.core.names import name_key
from registry.db import write_transaction
from registry.extensions import db
from registry.models import CommitmentVersion, Invitee, SignatureRecord
from registry.services import commitments, invitees, sealed, signing, walk_in_fields
from registry.services.errors import Conflict, NotFound


@dataclass(frozen=True)
class DeskRow:
    """One person on the operator's list: signed (with the record to reprint) or still to sign."""

    name: str
    position: str
    institution: str
    category: str  # the category's label
    walk_in: bool
    record_id: str | None = None
    signed_at: datetime | None = None
    withdrawn: bool = False
    namesakes: tuple[str, ...] = ()  # listed invitees this walk-in may be (same name): to check


@dataclass(frozen=True)
class DeskView:
    version: CommitmentVersion
    query: str
    signed: list[DeskRow]
    waiting: list[DeskRow]
    invited_signed: int
    invited: int
    walk_ins: int
    total: int
    withdrawn: int
    hidden: int  # erased or failing signatures: counted, never shown at the desk

    @property
    def searching(self) -> bool:
        return bool(name_search.search_words(self.query))


def _filtered(rows: list[DeskRow], query: str) -> list[DeskRow]:
    if not name_search.search_words(query):
        return rows
    ranked = []
    for index, row in enumerate(rows):
        found = name_search.match(query, row.name, row.institution)
        if found is not None:
            ranked.append((found.rank, index, row))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [row for _rank, _index, row in ranked]


def view(slug: str, version_number: int, query: str = "") -> DeskView:
    """The desk's read-only progress of a published version, narrowed to ``query`` when given."""
    version = commitments.get_version(slug, version_number, published_only=True)
    progress = invitees.progress(slug, version_number)
    labels = {c["id"]: c["label"] for c in version.categories}
    people = {
        i.id: i
        for i in db.session.execute(
            select(Invitee).where(Invitee.commitment_id == version.commitment_id)
        ).scalars()
    }
    signed: list[DeskRow] = []
    standing: set[int] = set()
    for checked in progress.signed:
        row = checked.row
        if not checked.ok:
            continue  # erased data or an integrity failure: the admin page says which
        signatory = checked.signatory
        withdrawn = checked.status == "withdrawn"
        if not withdrawn and row.invitee_id is not None:
            standing.add(row.invitee_id)
        who = people.get(row.invitee_id) if row.invitee_id is not None else None
        signed.append(
            DeskRow(
                name=signatory["name"],  # from the signed bytes, as the certificate prints it
                position=signatory["position"],
                institution=signatory["institution"],
                category=labels.get(signatory["category"], signatory["category"]),
                walk_in=bool(who and who.walk_in),
                record_id=row.id,
                signed_at=row.signed_at,
                withdrawn=withdrawn,
                namesakes=tuple(progress.namesakes.get(row.id, ())),
            )
        )
    waiting = [
        DeskRow(i.name, i.position, i.institution, labels.get(i.category, i.category), i.walk_in)
        for i in sorted(people.values(), key=lambda i: (i.name.casefold(), i.id))
        if i.id not in standing
    ]
    query = " ".join(query.split())[:100]
    return DeskView(
        version=version,
        query=query,
        signed=_filtered(signed, query),
        waiting=_filtered(waiting, query),
        invited_signed=progress.invited_signed,
        invited=len(progress.invited),
        walk_ins=progress.walk_ins,
        total=len(progress.signed),
        withdrawn=progress.withdrawn,
        hidden=sum(1 for s in progress.signed if not s.ok),
    )


def reprintable(record_id: str) -> SignatureRecord:
    """A signature whose certificate the desk may print again: it exists and its data were not erased."""
    row = signing.get(record_id)
    checked = sealed.check(row)
    if not checked.ok:
        raise NotFound(N_("this signature has no certificate to print (its data were erased or fail checks)"))
    return row


# What the desk form gives about a walk-in (checked as the signing API checks a walk-in).
WalkIn = walk_in_fields.WalkInFields


class TwinFound(Conflict):
    """A walk-in whose name is already on the list: the desk offers the listed person first."""

    def __init__(self, twins: list[Invitee], *, same_institution: bool) -> None:
        if same_institution:
            super().__init__(
                N_("%(name)s of %(institution)s is already on the list of this commitment"),
                name=twins[0].name,
                institution=twins[0].institution,
            )
        else:
            super().__init__(N_("%(name)s is already on the list of this commitment"), name=twins[0].name)
        self.twins = twins
        # The same name and institution is the same person: no confirmation adds them twice.
        self.overridable = not same_institution


def clean_walk_in(fields: WalkIn, version: CommitmentVersion) -> WalkIn:
    """The walk-in's fields as the signing API cleans a walk-in (one check for every typed name)."""
    return walk_in_fields.clean(fields.name, fields.position, fields.institution, fields.category, version)


def open_version(slug: str) -> CommitmentVersion:
    version = commitments.get_version(slug, published_only=True)
    if version.status != "open":
        raise NotFound(N_("signing of %(slug)s is not open"), slug=slug)
    return version


def register_walk_in(slug: str, fields: WalkIn, *, different_person: bool = False) -> Invitee:
    """Add a walk-in to an open commitment's list, so they find their own name on a kiosk.

    A name already on the list (by name key) is refused with :class:`TwinFound` unless the operator
    confirmed it is a different person; the same name *and* institution is always the same person.
    """

    def work() -> Invitee:
        version = open_version(slug)
        cleaned = clean_walk_in(fields, version)
        twins = list(
            db.session.execute(
                select(Invitee)
                .where(
                    Invitee.commitment_id == version.commitment_id, Invitee.name_key == name_key(cleaned.name)
                )
                .order_by(Invitee.id)
            ).scalars()
        )
        same = [t for t in twins if t.institution_key == name_key(cleaned.institution)]
        if same:
            raise TwinFound(same, same_institution=True)
        if twins and not different_person:
            raise TwinFound(twins, same_institution=False)
        invitee = Invitee(commitment_id=version.commitment_id, walk_in=True, **cleaned.__dict__)
        db.session.add(invitee)
        db.session.flush()
        return invitee

    return write_transaction(work)
