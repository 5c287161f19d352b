"""What a ``commitment:*`` log entry binds of a commitment version, and checking a served version.

Used by ``ikrar log verify`` (against the stored rows) and by ``ikrar audit`` (against the served
JSON documents). Entries written before ``version_sha256`` existed ("legacy" entries) have only
the four other members and bind the text and the consent text, not the title, place, date,
dimensions or categories (docs/FORMATS.md §7).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from registry.core.canonical import sha256_hex
from registry.core.errors import FormatError
from registry.core.versions import document_from_json, version_sha256

COMMITMENT_TYPES = frozenset(
    {
        "commitment:create",
        "commitment:edit",
        "commitment:revise",
        "commitment:publish",
        "commitment:close",
        "commitment:reopen",
    }
)
LEGACY_MEMBERS = frozenset({"commitment", "version", "text_sha256", "consent_sha256"})
MEMBERS = LEGACY_MEMBERS | {"version_sha256"}
# A reopening also says why and who (docs/FORMATS.md §7); it never existed in a legacy form.
REOPEN = "commitment:reopen"
REOPEN_MEMBERS = MEMBERS | {"reason", "user"}
MAX_REOPEN_REASON = 500
# The status of a published version after each kind of entry that changes it.
STATUS_AFTER = {"commitment:publish": "open", "commitment:close": "closed", REOPEN: "open"}
_HEX256 = re.compile(r"[0-9a-f]{64}")
_USER = re.compile(r"usr_[A-Za-z0-9_-]{1,60}")


def _hex256(value: Any) -> bool:
    return isinstance(value, str) and _HEX256.fullmatch(value) is not None


def _reopen_problem(payload: dict[str, Any]) -> str | None:
    if set(payload) != REOPEN_MEMBERS:
        return (
            "a commitment:reopen entry's payload has exactly the members commitment, version, "
            "text_sha256, consent_sha256, version_sha256, reason and user"
        )
    reason = payload["reason"]
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REOPEN_REASON:
        return f"a reopening's reason must be text of 1–{MAX_REOPEN_REASON} characters"
    if any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in reason):
        return "a reopening's reason contains a control character"
    if not isinstance(payload["user"], str) or _USER.fullmatch(payload["user"]) is None:
        return "a reopening's user is not a public user id"
    return None


def version_key(payload: Any, kind: str = "") -> tuple[str, int]:
    """(commitment id, version) of a commitment entry's payload; ValueError when it is malformed."""
    if kind == REOPEN and isinstance(payload, dict):
        problem = _reopen_problem(payload)
        if problem is not None:
            raise ValueError(problem)
    elif not isinstance(payload, dict) or set(payload) not in (LEGACY_MEMBERS, MEMBERS):
        raise ValueError(
            "a commitment entry's payload has exactly the members commitment, version, text_sha256, "
            "consent_sha256 and (except in legacy entries) version_sha256"
        )
    slug, number = payload["commitment"], payload["version"]
    if not isinstance(slug, str) or not slug or type(number) is not int or number < 1:
        raise ValueError("commitment id or version malformed")
    if not all(_hex256(payload[name]) for name in payload if name.endswith("_sha256")):
        raise ValueError("a hash of the commitment entry is not hex SHA-256")
    return slug, number


def status_problem(previous: str | None, kind: str) -> str | None:
    """Why ``kind`` cannot follow a version whose last status entry was ``previous``, or None.

    Publishing happens once (checked apart); a close needs an open version, a reopen a closed one.
    """
    state = STATUS_AFTER.get(previous) if previous else None
    if kind == "commitment:close" and state != "open":
        return "closes a version that is not open"
    if kind == REOPEN and state != "closed":
        return "reopens a version that is not closed"
    return None


def binding_problem(
    payload: Mapping[str, Any], text_sha256: str, consent_sha256: str, document_sha256: str
) -> str | None:
    """Why hashes recomputed from a version differ from what ``payload`` bound, or None."""
    if payload.get("text_sha256") != text_sha256:
        return "its text does not hash to the entry's text_sha256"
    if payload.get("consent_sha256") != consent_sha256:
        return "its consent text does not hash to the entry's consent_sha256"
    bound = payload.get("version_sha256")
    if bound is not None and bound != document_sha256:
        return (
            "its version document (title, text, place, date, dimensions, categories or consent "
            "text) does not hash to the entry's version_sha256"
        )
    return None


def served_version_problem(payload: Mapping[str, Any], document: Any) -> str | None:
    """Why a served version document (GET /api/v1/commitments/{id}?version=N) differs from its
    ``commitment:publish`` payload, or None when it is the version the log bound."""
    if not isinstance(document, dict):
        return "the version document is not a JSON object"
    slug, number = payload["commitment"], payload["version"]
    if (document.get("id"), document.get("version")) != (slug, number):
        return f"the server answered with {document.get('id')!r} version {document.get('version')!r}"
    if document.get("status") not in ("open", "closed"):
        return f"a published version is served with status {document.get('status')!r}"
    text, consent = document.get("text"), document.get("consent_text")
    if not isinstance(text, str) or not isinstance(consent, str):
        return "the version document lacks its text or consent_text"
    text_hash = sha256_hex(text.encode("utf-8"))
    consent_hash = sha256_hex(consent.encode("utf-8"))
    if (document.get("text_sha256"), document.get("consent_sha256")) != (text_hash, consent_hash):
        return "the document's text_sha256 or consent_sha256 is not the hash of its own text"
    try:
        digest = version_sha256(document_from_json(document))
    except (KeyError, TypeError, ValueError, FormatError) as exc:
        return f"the version document cannot be rebuilt: {exc}"
    served = document.get("version_sha256")
    if served is not None and served != digest:
        return "the document's version_sha256 is not the hash of its own fields"
    return binding_problem(payload, text_hash, consent_hash, digest)
