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

from registry.core.canonical import sha256_hex
from registry.core.errors import N_, FormatError
from registry.core.version_entries import STATUS_AFTER
from registry.core.versions import version_document, version_sha256
from registry.models import CommitmentVersion
from registry.services import log_index
from registry.services.errors import IntegrityFailure

logger = logging.getLogger("registry.integrity")
_LOCK = threading.Lock()


def _verified_cache() -> set[tuple[int, str, str, str, str]]:
    # One per application (and so per database): (row id, version_sha256, text and consent hash
    # columns, status) already matched against the log. A row edited since differs: a miss.
    cache: set[tuple[int, str, str, str, str]] = current_app.extensions.setdefault(
        "ikrar.bound_versions", set()
    )
    return cache


# The entries that decide a version's status: published (open) by its publish entry, closed by a
# later close entry, open again after a reopen entry. Create, edit and revise entries describe
# drafts, which may still change.
STATUS_OF = STATUS_AFTER


def _version_named(entry: dict[str, Any]) -> tuple[str, int]:
    payload = entry["payload"]
    return (str(payload["commitment"]), int(payload["version"]))


def status_history(slug: str, number: int) -> list[tuple[int, str, dict[str, Any]]]:
    """(index, type, entry) of the publish, close and reopen entries naming this version, in log order."""
    index = log_index.index_for("version-status", tuple(STATUS_OF), _version_named)
    return list(index.refresh().get((slug, number), []))


def _status_entries(slug: str, number: int) -> list[tuple[int, str, dict[str, Any]]]:
    """(index, type, payload) of the publish, close and reopen entries naming this version."""
    return [(position, kind, entry["payload"]) for position, kind, entry in status_history(slug, number)]


def closed_at_index(slug: str, number: int, index: int) -> int | None:
    """The close entry in force at log ``index`` for this version (a record's signature:create must
    come while the version is open: after its publish or a reopen, before any later close), or None."""
    last: tuple[int, str] | None = None
    for position, kind, _payload in _status_entries(slug, number):
        if position >= index:
            break
        last = (position, kind)
    if last is None:
        return -1  # not yet published at that point
    return last[0] if STATUS_OF[last[1]] == "closed" else None


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
        issuer=version.issuer,
        emblem_sha256=version.emblem_sha256,
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
    """Return ``version`` if its stored fields and status agree with the log; else IntegrityFailure.

    The status column is not trusted either: a version the log published is checked against its
    publish entry whatever the row says (a published version flagged back to "draft" would
    otherwise escape the check), and the row's status must be the one the log's last publish or
    close entry gives. A real draft (no publish entry) has only its own hash columns to agree with.
    """
    slug = version.commitment.slug
    text_hash = sha256_hex(version.text.encode("utf-8"))
    consent_hash = sha256_hex(version.consent_text.encode("utf-8"))
    if (version.text_sha256, version.consent_sha256) != (text_hash, consent_hash):
        raise _refuse(version, slug, "the stored text or consent hash differs from the stored text")
    try:
        digest = version_sha256(signed_document(version, slug))
    except FormatError as exc:
        raise _refuse(version, slug, f"stored fields cannot be hashed: {exc}") from exc
    # The status is checked on every read (the log may have closed the version since it was
    # cached); the hashes are compared with the publish entry once per stored form of the row.
    entries = _status_entries(slug, version.version)
    expected = STATUS_OF[entries[-1][1]] if entries else "draft"
    if version.status != expected:
        raise _refuse(version, slug, f"stored status {version.status!r} where the log says {expected!r}")
    if expected == "draft":
        return version  # not bound yet (and never public)
    key = (version.id, digest, version.text_sha256, version.consent_sha256, version.status)
    cache = _verified_cache()
    if key in cache:
        return version
    publishes = [(index, payload) for index, kind, payload in entries if kind == "commitment:publish"]
    if len(publishes) != 1:
        raise _refuse(version, slug, f"{len(publishes)} commitment:publish entries name it (expected 1)")
    index, payload = publishes[0]
    if (payload.get("text_sha256"), payload.get("consent_sha256")) != (text_hash, consent_hash):
        raise _refuse(version, slug, f"text or consent text differs from log entry {index}")
    bound = payload.get("version_sha256")
    if bound is not None and bound != digest:
        raise _refuse(
            version,
            slug,
            f"title, place, date, dimensions, categories, issuer or emblem differ from log entry {index}",
        )
    with _LOCK:
        cache.add(key)
    return version
