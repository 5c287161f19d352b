"""The JSON of the live screen (registry/web/live_screen_views.py) and of the kiosk tablet
(registry/web/kiosk.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, RootModel

from registry.wire.base import Count, DateTime, Wire

CURSOR = (
    "The size of the registry's latest signed checkpoint; it moves whenever anything is appended to "
    "the log. Send it back as `after` (or, on the event stream, as Last-Event-ID)."
)


class LiveCount(Wire):
    id: str
    label: str
    count: Count


class LiveSignature(Wire):
    """A signatory who consented to public display, as the live screen shows them."""

    log_index: Count = Field(description="Its signature:create entry.")
    name: str
    position: str
    institution: str
    category: str = Field(description="Stakeholder category label.")
    signed_at: DateTime
    strokes: list[list[tuple[int, int, int]]] = Field(
        description="The handwriting: per stroke, points [x, y, t] — x and y in tenths of a pad pixel, "
        "t in ms since the first point (FORMATS.md §5, without the pressure)."
    )


class LiveCommitment(Wire):
    id: str
    version: int
    title: str


class LiveScreen(Wire):
    """The live screen of a commitment's latest published version. Counts include every valid
    signature that is neither withdrawn nor erased; `signatures` lists only those whose signatory
    consented to public display, newest first (at most 9)."""

    cursor: Count = Field(description=CURSOR)
    changed: Literal[True]
    commitment: LiveCommitment
    total: Count
    listed: Count = Field(description="Of total, consented to public display.")
    by_category: list[LiveCount]
    by_dimension: list[LiveCount]
    signatures: list[LiveSignature]
    integrity_errors: Count = Field(
        description="Stored signatures that no longer verify: neither counted nor shown."
    )


class LiveScreenUnchanged(Wire):
    """The log has not moved past `after`: only the cursor."""

    cursor: Count = Field(description=CURSOR)
    changed: Literal[False]


class LiveScreenPoll(RootModel[LiveScreen | LiveScreenUnchanged]):
    """The whole state when the log moved past `after` (or without `after`); else only the cursor."""


class KioskInvitee(Wire):
    """A roster entry: a listed invitee, or a walk-in registered at the desk who has not signed."""

    id: int
    name: str
    position: str
    institution: str
    category: str
    category_label: str
    signed: bool = Field(description="Has a standing (not withdrawn) signature of this version.")


class KioskInvitees(Wire):
    invitees: list[KioskInvitee] = Field(description="Best first, at most 8.")
    more: bool = Field(description="More than 8 matched: the kiosk asks to type more.")


class KioskRoster(Wire):
    """The whole roster of the tablet's commitment, kept on the tablet for offline search."""

    commitment: str = Field(description="Commitment id.")
    device: str = Field(description="The tablet's device credential id.")
    titles: list[str] = Field(description="Honorifics the name search ignores.")
    invitees: list[KioskInvitee]


class KioskState(Wire):
    csrf_token: str
    open: bool = Field(description="Whether the tablet's commitment is open for signing.")
    device: str
