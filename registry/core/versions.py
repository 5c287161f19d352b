"""The signed form of a commitment version: every field a signer reads, bound by one hash.

The log entries that create, edit, publish and close a version commit to ``version_sha256``, the
SHA-256 of this document's canonical bytes; the text and consent text enter it in full, so a
title, place, date, dimension label or text edited in the database no longer hashes to what the
log holds (docs/FORMATS.md §4). The issuer printed above the title and the SHA-256 of the emblem
image are optional members: present only when the version has them, so a version without them
(every version written before they existed) keeps its document and its hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registry.core.canonical import canonical_bytes, sha256_hex

VERSION_TYPE = "ikrar.commitment-version.v1"
# The members of the version document, beside "type"; an outside verifier rebuilds it from the
# JSON document of the version (GET /api/v1/commitments/{id}?version=N), which has them all.
DOCUMENT_FIELDS = (
    "id",
    "version",
    "title",
    "text",
    "place",
    "event_date",
    "dimensions",
    "categories",
    "consent_text",
)
# Members a version document has only when set (a served document gives them as null when unset).
OPTIONAL_FIELDS = ("issuer", "emblem_sha256")


def version_document(
    *,
    commitment: str,
    version: int,
    title: str,
    text: str,
    place: str,
    event_date: str,
    dimensions: Sequence[Mapping[str, Any]],
    categories: Sequence[Mapping[str, Any]],
    consent_text: str,
    issuer: str | None = None,
    emblem_sha256: str | None = None,
) -> dict[str, Any]:
    """The object whose canonical bytes ``version_sha256`` hashes (``event_date`` as YYYY-MM-DD)."""
    document: dict[str, Any] = {
        "type": VERSION_TYPE,
        "id": commitment,
        "version": version,
        "title": title,
        "text": text,
        "place": place,
        "event_date": event_date,
        "dimensions": [dict(item) for item in dimensions],
        "categories": [dict(item) for item in categories],
        "consent_text": consent_text,
    }
    if issuer is not None:
        document["issuer"] = issuer
    if emblem_sha256 is not None:
        document["emblem_sha256"] = emblem_sha256
    return document


def version_sha256(document: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the version document's canonical bytes (raises FormatError if not signable)."""
    return sha256_hex(canonical_bytes(dict(document)))


def document_from_json(served: Mapping[str, Any]) -> dict[str, Any]:
    """The version document rebuilt from a served version document (its other members ignored)."""
    missing = [name for name in DOCUMENT_FIELDS if name not in served]
    if missing:
        raise KeyError(f"the version document lacks {', '.join(missing)}")
    return version_document(
        commitment=served["id"],
        version=served["version"],
        title=served["title"],
        text=served["text"],
        place=served["place"],
        event_date=served["event_date"],
        dimensions=served["dimensions"],
        categories=served["categories"],
        consent_text=served["consent_text"],
        issuer=served.get("issuer"),
        emblem_sha256=served.get("emblem_sha256"),
    )
