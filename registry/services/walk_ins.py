"""A walk-in who is in fact on the invitation list: link them, or say that they may be.

A signer whose tablet was offline (or whose tablet's roster predates a late addition to the list)
cannot find their name and registers as a walk-in. When that signing reaches the server, it is
the listed invitee's signature if, against exactly one listed (not walk-in) invitee of the
commitment:

1. the **name** is the same as a person says it — the same search words in any order, ignoring
   case, accents, punctuation, honorifics and academic titles (``name_search.person_key``: "Agus
   Priyanto" is "Ir. Agus Priyanto, M.T."; the kiosk's twin dialog uses the same rule);
2. the **category** is the same (both sides chose it from the same list, so it can contradict);
3. the **institutions agree**: the words of one are all (prefixes of) words of the other
   (``name_search.institutions_agree``: "Dinas Kominfo" and "Dinas Kominfo Kabupaten
   Purbalingga" agree; "Dinas Uji Coba" does not). The position is not compared: people write
   it shortened ("Kadis") or as it is after a promotion.

Two listed namesakes meeting all three, or one meeting only the name, is a doubt: the walk-in is
registered as typed and the answer names those invitees (``listed_namesakes``), so the operator
sees a possible duplicate — a wrong link would mark someone else as signed. A signer who told the
kiosk "that is not me" (``link_invitee: false``) is never linked.

Linking changes which invitee the signature counts for, not the signed record: its signatory is
what the signer typed and confirmed on the review screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from registry.core import name_search
from registry.extensions import db
from registry.models import CommitmentVersion, Invitee


@dataclass(frozen=True)
class Match:
    invitee: Invitee | None  # the one listed invitee the walk-in is, if any
    namesakes: list[int] = field(default_factory=list)  # every listed invitee of the same name


def listed_match(version: CommitmentVersion, name: str, institution: str, category: str) -> Match:
    """The listed invitee this walk-in is (rules 1–3 above, exactly one), and all listed namesakes."""
    wanted = name_search.person_key(name)
    if not wanted:
        return Match(None)
    listed = db.session.execute(
        select(Invitee).where(Invitee.commitment_id == version.commitment_id, Invitee.walk_in.is_(False))
    ).scalars()
    same_name = [i for i in listed if name_search.person_key(i.name) == wanted]
    agreeing = [
        i
        for i in same_name
        if i.category == category and name_search.institutions_agree(institution, i.institution)
    ]
    return Match(agreeing[0] if len(agreeing) == 1 else None, sorted(i.id for i in same_name))


def namesakes_by_person(listed: Iterable[Invitee]) -> dict[str, list[str]]:
    """Listed invitees' names by ``person_key`` (rule 1): progress pages flag a walk-in whose name
    is among them, as a possible duplicate the operator should check."""
    found: dict[str, list[str]] = {}
    for invitee in listed:
        if not invitee.walk_in:
            found.setdefault(name_search.person_key(invitee.name), []).append(invitee.name)
    found.pop("", None)  # a name of titles only matches nobody
    return found
