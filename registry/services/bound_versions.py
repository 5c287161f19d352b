"""Published commitment versions, served only while they still hash to what the log bound.

A published version never changes (docs/FORMATS.md §4): its ``commitment:publish`` log entry holds
``version_sha256`` over every field a signer reads. Each read of a published version recomputes
that hash from the stored row and compares it with the entry, so a title or text edited in the
database is refused (IntegrityFailure) instead of shown, printed or used to seal a new record.
Entries written before ``version_sha256`` existed bind the text and the consent text only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import current_app
from sqlalchemy import select

from registry.core.canonical import parse_canonical, sha256_hex
from registry.core.errors import N_, FormatError
from registry.core.versions import version_document, version_sha256
from registry.extensions import db
from registry.models import CommitmentVersion, LogEntry
from registry.services.errors import IntegrityFailure

logger = logging.getLogger("registry.integrity")
_LOCK = threading.Lock()


def _verified_cache() -> set[tuple[int, str, str, str]]:
    # One per application (and so per database): (row id, version_sha256, text and consent hash
    # columns) already matched against the log. A row edited since hashes differently: a miss.
    cache: set[tuple[int, str, str, str]] = current_app.extensions.setdefault("ikrar.bound_versions", set())
    return cache


def _publish_entries(slug: str, number: int) -> list[tuple[int, dict[str, Any]]]:
    rows = db.session.execute(
        select(LogEntry.index, LogEntry.body).where(LogEntry.type == "commitment:publish")
    ).all()
    found = []
    for index, body in rows:
        try:
            payload = parse_canonical(bytes(body))["payload"]
        except (FormatError, KeyError, TypeError):
            continue  # a damaged entry is `ikrar log verify`'s to report; it binds nothing here
        if (
            isinstance(payload, dict)
            and payload.get("commitment") == slug
            and payload.get("version") == number
        ):
            found.append((int(index), payload))
    return found


def signed_document(version: CommitmentVersion, slug: str) -> dict[str, Any]:
    """The version's fields as the log binds them (docs/FORMATS.md §4), from the stored row."""
    return version_document(
        commitment=slug,
        version=version.version,
        title=version.title,
        text=version.text,
        place=version.place,
        event_date=version.event_date.isoformat(),
        dimensions=version.dimensions,
        categories=version.categories,
        consent_text=version.consent_text,
    )


def _refuse(version: CommitmentVersion, slug: str, why: str) -> IntegrityFailure:
    logger.error("integrity error: commitment %s version %s: %s", slug, version.version, why)
    return IntegrityFailure(
        N_(
            "integrity error: the stored commitment %(commitment)s version %(version)s no longer "
            "matches what the log bound when it was published; it is not shown"
        ),
        commitment=slug,
        version=version.version,
    )


def check_version(version: CommitmentVersion) -> CommitmentVersion:
    """Return ``version`` if it is a draft or still matches its publish entry; else IntegrityFailure."""
    if version.status == "draft":
        return version  # drafts are not bound yet (and never public)
    slug = version.commitment.slug
    text_hash = sha256_hex(version.text.encode("utf-8"))
    consent_hash = sha256_hex(version.consent_text.encode("utf-8"))
    try:
        digest = version_sha256(signed_document(version, slug))
    except FormatError as exc:
        raise _refuse(version, slug, f"stored fields cannot be hashed: {exc}") from exc
    key = (version.id, digest, version.text_sha256, version.consent_sha256)
    cache = _verified_cache()
    if key in cache:
        return version
    if (version.text_sha256, version.consent_sha256) != (text_hash, consent_hash):
        raise _refuse(version, slug, "the stored text or consent hash differs from the stored text")
    entries = _publish_entries(slug, version.version)
    if len(entries) != 1:
        raise _refuse(version, slug, f"{len(entries)} commitment:publish entries name it (expected 1)")
    index, payload = entries[0]
    if (payload.get("text_sha256"), payload.get("consent_sha256")) != (text_hash, consent_hash):
        raise _refuse(version, slug, f"text or consent text differs from log entry {index}")
    bound = payload.get("version_sha256")
    if bound is not None and bound != digest:
        raise _refuse(
            version, slug, f"title, place, date, dimensions or categories differ from log entry {index}"
        )
    with _LOCK:
        cache.add(key)
    return version
