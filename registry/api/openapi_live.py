"""The OpenAPI description of the live screen's JSON and event stream (registry/web/live_screen_views.py).

Kept apart from registry/api/openapi.py, which merges these paths and schemas into its document.
"""

from __future__ import annotations

from typing import Any

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_COUNT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "label", "count"],
    "properties": {
        "id": {"type": "string"},
        "label": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
    },
}
_CURSOR = {
    "type": "integer",
    "minimum": 0,
    "description": "The size of the registry's latest signed checkpoint; it moves whenever anything is "
    "appended to the log. Send it back as `after` (or, on the event stream, as Last-Event-ID).",
}

LIVE_SCHEMAS: dict[str, Any] = {
    "LiveSignature": {
        "type": "object",
        "description": "A signatory who consented to public display, as the live screen shows them.",
        "additionalProperties": False,
        "required": ["log_index", "name", "position", "institution", "category", "signed_at", "strokes"],
        "properties": {
            "log_index": {"type": "integer", "minimum": 0, "description": "Its signature:create entry."},
            "name": {"type": "string"},
            "position": {"type": "string"},
            "institution": {"type": "string"},
            "category": {"type": "string", "description": "Stakeholder category label."},
            "signed_at": {"type": "string", "format": "date-time"},
            "strokes": {
                "type": "array",
                "description": "The handwriting: per stroke, points [x, y, t] — x and y in tenths of a "
                "pad pixel, t in ms since the first point (FORMATS.md §5, without the pressure).",
                "items": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "prefixItems": [{"type": "integer"}, {"type": "integer"}, {"type": "integer"}],
                        "minItems": 3,
                        "maxItems": 3,
                    },
                },
            },
        },
    },
    "LiveScreen": {
        "type": "object",
        "description": "The live screen of a commitment's latest published version. Counts include "
        "every valid signature that is neither withdrawn nor erased; `signatures` lists only those "
        "whose signatory consented to public display, newest first (at most 9).",
        "additionalProperties": False,
        "required": [
            "cursor",
            "changed",
            "commitment",
            "total",
            "listed",
            "by_category",
            "by_dimension",
            "signatures",
            "integrity_errors",
        ],
        "properties": {
            "cursor": _CURSOR,
            "changed": {"const": True},
            "commitment": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "integer"},
                    "title": {"type": "string"},
                },
            },
            "total": {"type": "integer", "minimum": 0},
            "listed": {
                "type": "integer",
                "minimum": 0,
                "description": "Of total, consented to public display.",
            },
            "by_category": {"type": "array", "items": _COUNT},
            "by_dimension": {"type": "array", "items": _COUNT},
            "signatures": {"type": "array", "items": {"$ref": "#/components/schemas/LiveSignature"}},
            "integrity_errors": {
                "type": "integer",
                "minimum": 0,
                "description": "Stored signatures that no longer verify: neither counted nor shown.",
            },
        },
    },
    "LiveScreenUnchanged": {
        "type": "object",
        "additionalProperties": False,
        "required": ["cursor", "changed"],
        "properties": {"cursor": _CURSOR, "changed": {"const": False}},
    },
}

_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Commitment id.",
}
_AFTER = {
    "name": "after",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
    "description": "The cursor the client holds (digits only).",
}
_ERRORS = {
    "400": {
        "description": "`after` (or Last-Event-ID) is not a whole number ≥ 0.",
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    },
    "404": {
        "description": "No published commitment has this id.",
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    },
}

LIVE_PATHS: dict[str, Any] = {
    "/c/{slug}/layar.json": {
        "get": {
            "operationId": "getLiveScreen",
            "summary": "The live screen's state (the page's polling fallback). Public, no login.",
            "parameters": [_SLUG, _AFTER],
            "responses": {
                "200": {
                    "description": "The whole state when the log moved past `after` (or without "
                    "`after`); else only the cursor. Never cached (Cache-Control: no-store).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/LiveScreen"},
                                    {"$ref": "#/components/schemas/LiveScreenUnchanged"},
                                ]
                            }
                        }
                    },
                },
                **_ERRORS,
            },
        }
    },
    "/c/{slug}/layar/events": {
        "get": {
            "operationId": "streamLiveScreen",
            "summary": "Server-Sent Events of the live screen. Public, no login.",
            "description": "One `screen` event (data: a LiveScreen document, id: its cursor) whenever "
            "what the screen shows changes; a `: heartbeat` comment every 10 s when nothing does. "
            "The stream ends after about 30 s by design: EventSource reconnects (`retry:` is sent) "
            "with Last-Event-ID and resumes. When the server holds its maximum of open streams it "
            "sends the current state at once, ends, and asks to retry in 3 s.",
            "parameters": [
                _SLUG,
                _AFTER,
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
                    "description": "Sent by EventSource when it reconnects; wins over `after`.",
                },
            ],
            "responses": {
                "200": {
                    "description": "The event stream.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                **_ERRORS,
            },
        }
    },
}
