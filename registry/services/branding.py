"""The issuer's emblem on a commitment version: set it on a draft, read it back verified.

The emblem is part of the version document (docs/FORMATS.md §4) through its SHA-256, so it is
chosen while the version is a draft (each change appends a ``commitment:edit`` entry, like any
other edit) and is fixed once the version is published. The bytes live once in the ``emblem``
table, keyed by their hash; every read recomputes the hash, so an image swapped in the database
is refused as an integrity error instead of printed.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select

from registry.core.errors import N_, FormatError
from registry.emblem import sanitise_emblem
from registry.extensions import db
from registry.models import CommitmentVersion, Emblem
from registry.services import checkpoints, log
from registry.services.commitments import entry_payload, get_version
from registry.services.errors import Conflict, IntegrityFailure, InvalidInput, NotFound

logger = logging.getLogger("registry.integrity")


def _draft(slug: str, version_number: int) -> CommitmentVersion:
    version = get_version(slug, version_number)
    if version.status != "draft":
        raise Conflict(
            N_("version %(n)d is published and its emblem cannot change; revise it into a new version"),
            n=version_number,
        )
    return version


def set_emblem(slug: str, version_number: int, upload: bytes) -> CommitmentVersion:
    """Sanitise ``upload`` and make it the draft version's emblem (InvalidInput if it is refused)."""
    try:
        emblem = sanitise_emblem(upload)
    except FormatError as exc:
        raise InvalidInput.wrap(exc, field="emblem") from None

    def work(writer: log.LogWriter) -> CommitmentVersion:
        version = _draft(slug, version_number)
        if db.session.get(Emblem, emblem.sha256) is None:
            db.session.add(
                Emblem(
                    sha256=emblem.sha256,
                    png=emblem.png,
                    width=emblem.width,
                    height=emblem.height,
                    created_at=writer.now(),
                )
            )
            db.session.flush()  # the row the version's foreign key names exists first
        version.emblem_sha256 = emblem.sha256
        writer.append("commitment:edit", entry_payload(version, slug))
        return version

    return log.append_transaction(checkpoints.sealer(), work)


def remove_emblem(slug: str, version_number: int) -> CommitmentVersion:
    """The draft version without an emblem (the stored image stays: other versions may use it)."""

    def work(writer: log.LogWriter) -> CommitmentVersion:
        version = _draft(slug, version_number)
        if version.emblem_sha256 is not None:
            version.emblem_sha256 = None
            writer.append("commitment:edit", entry_payload(version, slug))
        return version

    return log.append_transaction(checkpoints.sealer(), work)


def emblem_png(sha256: str) -> bytes:
    """The stored emblem whose hash is ``sha256``, only if its bytes still have that hash."""
    found = db.session.get(Emblem, sha256)
    if found is None:
        raise NotFound(N_("there is no emblem %(sha)s"), sha=sha256[:64])
    png = bytes(found.png)
    if hashlib.sha256(png).hexdigest() != sha256:
        logger.error("integrity error: emblem %s: the stored image does not hash to its key", sha256)
        raise IntegrityFailure(
            N_("integrity error: the stored emblem %(sha)s no longer matches its hash; it is not shown"),
            sha=sha256,
        )
    return png


def version_emblem(version: CommitmentVersion) -> bytes | None:
    """The emblem of a version already checked against the log (bound_versions.check_version)."""
    return emblem_png(version.emblem_sha256) if version.emblem_sha256 else None


def public_emblem(sha256: str) -> bytes:
    """An emblem for everyone: only one a published version uses (a draft's stays private)."""
    used = db.session.execute(
        select(CommitmentVersion.id)
        .where(CommitmentVersion.emblem_sha256 == sha256, CommitmentVersion.status != "draft")
        .limit(1)
    ).first()
    if used is None:
        raise NotFound(N_("there is no emblem %(sha)s"), sha=sha256[:64])
    return emblem_png(sha256)
