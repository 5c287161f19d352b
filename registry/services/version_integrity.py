"""`ikrar log verify`'s check of commitment versions: every stored published version is the one
its ``commitment:publish`` entry (and its last ``commitment:*`` entry) bound (docs/FORMATS.md §4, §7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from registry.core.canonical import sha256_hex
from registry.core.errors import FormatError
from registry.core.version_entries import STATUS_AFTER, binding_problem, status_problem, version_key
from registry.core.versions import version_sha256
from registry.extensions import db
from registry.models import Commitment, CommitmentVersion, Emblem
from registry.services.bound_versions import signed_document

Key = tuple[str, int]
Fail = Callable[[int, str], Exception]


@dataclass(frozen=True)
class BoundVersion:
    """A stored version that matched the log: what its records must seal."""

    commitment: str
    version: int
    text_sha256: str
    consent_sha256: str


@dataclass
class VersionEntries:
    """The log's commitment entries, remembered while the log is walked (a few per version)."""

    published: dict[Key, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    latest: dict[Key, tuple[int, str, dict[str, Any]]] = field(default_factory=dict)
    status: dict[Key, str] = field(default_factory=dict)  # open or closed, as the log stands so far

    def signed(self, index: int, payload: Any, fail: Fail) -> None:
        """A signature:create entry: its version must be open at that point of the log."""
        if not isinstance(payload, dict):
            return  # its own checks report a malformed signature entry
        key = (str(payload.get("commitment")), payload.get("version"))
        if self.status.get(key) == "closed":  # type: ignore[arg-type]
            raise fail(index, f"a signature of {key[0]} version {key[1]} was made while signing was closed")

    def add(self, index: int, kind: str, payload: Any, fail: Fail) -> None:
        try:
            key = version_key(payload, kind)
        except ValueError as exc:
            raise fail(index, str(exc)) from exc
        if kind in ("commitment:close", "commitment:reopen"):
            previous = self.latest.get(key)
            problem = status_problem(previous[1] if previous else None, kind)
            if problem is not None:
                raise fail(index, f"{key[0]} version {key[1]}: this entry {problem}")
        if kind in STATUS_AFTER:
            self.status[key] = STATUS_AFTER[kind]
        if kind == "commitment:publish":
            if key in self.published:
                raise fail(index, f"{key[0]} version {key[1]} is published a second time")
            self.published[key] = (index, payload)
        self.latest[key] = (index, kind, payload)


# The status a published version has after each kind of last entry.
_STATUS_AFTER = STATUS_AFTER


def check_versions(entries: VersionEntries, size: int, fail: Fail) -> dict[int, BoundVersion]:
    """Compare every stored version with the log; return the published ones by row id."""
    bound: dict[int, BoundVersion] = {}
    seen: set[Key] = set()
    rows = db.session.execute(
        select(CommitmentVersion, Commitment.slug)
        .join(Commitment, CommitmentVersion.commitment_id == Commitment.id)
        .order_by(CommitmentVersion.id)
    ).all()
    for row, slug in rows:
        key = (str(slug), int(row.version))
        published = entries.published.get(key)
        if row.status == "draft":
            if published is not None:
                raise fail(published[0], f"{slug} version {row.version} is published but stored as a draft")
            continue
        if published is None:
            last = entries.latest.get(key)
            raise fail(
                last[0] if last else size,
                f"{slug} version {row.version} is stored as {row.status} but no commitment:publish "
                "entry publishes it",
            )
        seen.add(key)
        index, payload = published
        text_hash = sha256_hex(row.text.encode("utf-8"))
        consent_hash = sha256_hex(row.consent_text.encode("utf-8"))
        if (row.text_sha256, row.consent_sha256) != (text_hash, consent_hash):
            raise fail(
                index,
                f"{slug} version {row.version}: the stored text or consent hash differs from the stored text",
            )
        try:
            digest = version_sha256(signed_document(row, str(slug)))
        except FormatError as exc:
            raise fail(index, f"{slug} version {row.version}: stored fields cannot be hashed: {exc}") from exc
        problem = binding_problem(payload, text_hash, consent_hash, digest)
        if problem is not None:
            raise fail(
                index, f"{slug} version {row.version} as stored differs from this publish entry: {problem}"
            )
        last_index, last_kind, last_payload = entries.latest[key]
        problem = binding_problem(last_payload, text_hash, consent_hash, digest)
        if problem is not None:
            raise fail(
                last_index, f"{slug} version {row.version} as stored differs from this entry: {problem}"
            )
        if _STATUS_AFTER.get(last_kind) != row.status:
            raise fail(
                last_index, f"{slug} version {row.version} is stored as {row.status} after a {last_kind}"
            )
        emblem = db.session.get(Emblem, row.emblem_sha256) if row.emblem_sha256 else None
        if row.emblem_sha256 and (emblem is None or sha256_hex(bytes(emblem.png)) != row.emblem_sha256):
            raise fail(
                index,
                f"{slug} version {row.version}: its emblem is missing or no longer hashes to emblem_sha256",
            )
        bound[row.id] = BoundVersion(str(slug), row.version, text_hash, consent_hash)
        db.session.expunge(row)
    missing = [(index, key) for key, (index, _) in entries.published.items() if key not in seen]
    if missing:
        index, (slug, number) = min(missing)
        raise fail(
            index, f"the log publishes {slug} version {number} but no such version is stored (deleted?)"
        )
    return bound
