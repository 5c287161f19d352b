"""The paths of the live screen (registry/web/live_screen_views.py) and of the kiosk tablet's JSON
(registry/web/kiosk.py); their schemas are the models in registry/wire/screens.py."""

from __future__ import annotations

from typing import Any

from registry.api.openapi_operations import (
    RECORD_ID,
    SLUG,
    in_query,
    json_body,
    opaque,
    operation,
    problems,
)
from registry.wire.screens import KioskInvitees, KioskRoster, KioskState, LiveScreenPoll

AFTER = in_query("after", {"type": "integer", "minimum": 0}, "The cursor the client holds (digits only).")
LIVE_ERRORS = {
    400: "`after` (or Last-Event-ID) is not a whole number ≥ 0.",
    404: "No published commitment has this id.",
}
LAST_EVENT_ID = {
    "name": "Last-Event-ID",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    "description": "Sent by EventSource when it reconnects; wins over `after`.",
}
KIOSK: list[dict[str, list[str]]] = [{"kioskSession": []}]
NOT_ENROLLED = {"401": {"description": "This browser holds no live tablet enrolment."}}


def live_paths() -> dict[str, Any]:
    return {
        "/c/{slug}/layar.json": {
            "get": operation(
                "getLiveScreen",
                "The live screen's state (the page's polling fallback). Public, no login.",
                {
                    "200": json_body(
                        LiveScreenPoll,
                        "The whole state when the log moved past `after` (or without `after`); else only "
                        "the cursor. Never cached (Cache-Control: no-store).",
                    )
                }
                | problems(LIVE_ERRORS),
                parameters=[SLUG, AFTER],
            )
        },
        "/c/{slug}/layar/events": {
            "get": operation(
                "streamLiveScreen",
                "Server-Sent Events of the live screen. Public, no login.",
                {
                    "200": {
                        "description": "The event stream.",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    }
                }
                | problems(LIVE_ERRORS),
                description="One `screen` event (data: a LiveScreen document, id: its cursor) whenever "
                "what the screen shows changes; a `: heartbeat` comment every 10 s when nothing does. "
                "The stream ends after about 30 s by design: EventSource reconnects (`retry:` is sent) "
                "with Last-Event-ID and resumes. When the server holds its maximum of open streams it "
                "sends the current state at once, ends, and asks to retry in 3 s.",
                parameters=[SLUG, AFTER, LAST_EVENT_ID],
            )
        },
    }


def kiosk_paths() -> dict[str, Any]:
    """The kiosk's own browser endpoints: only for an enrolled tablet's session."""
    return {
        "/kiosk/invitees": {
            "get": operation(
                "kioskSearchInvitees",
                "Invitees of the tablet's commitment matching `q` (≥ 2 characters, ≤ 8 results).",
                {"200": json_body(KioskInvitees, "Matches (empty for a query under 2 characters).")}
                | NOT_ENROLLED,
                security=KIOSK,
                parameters=[in_query("q", {"type": "string"})],
            )
        },
        "/kiosk/roster": {
            "get": operation(
                "kioskRoster",
                "The whole invitee roster of the tablet's commitment, for offline search.",
                {"200": json_body(KioskRoster, "The roster (never cached).")} | NOT_ENROLLED,
                security=KIOSK,
            )
        },
        "/kiosk/state": {
            "get": operation(
                "kioskState",
                "A fresh CSRF token for the tablet and whether its commitment is open.",
                {"200": json_body(KioskState, "State.")} | NOT_ENROLLED,
                security=KIOSK,
            )
        },
        "/kiosk/qr/{record_id}.svg": {
            "get": operation(
                "kioskCertificateQr",
                "QR code (SVG) of the certificate URL of a signature this tablet made just now (within "
                "the last 2 minutes).",
                {"200": opaque("SVG image.", "image/svg+xml")}
                | NOT_ENROLLED
                | {
                    "404": {"description": "No signature this tablet made in the last 2 minutes has this id."}
                },
                security=KIOSK,
                parameters=[RECORD_ID],
            )
        },
    }
