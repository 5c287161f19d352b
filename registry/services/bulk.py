"""Every certificate of a commitment as one ZIP archive, produced entry by entry (never buffered whole).

Python's ``zipfile`` writes into a small sink that only keeps the entry being written: once an
entry is complete (its local header rewritten with the real sizes), its bytes are handed to the
caller and dropped. The archive therefore needs memory for one certificate, whatever the number
of signatures. Entries are stored (PDFs are already compressed), named ``v<version>/<file name>``
in log order, dated with the signing time in WIB, so the same records give the same archive.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from registry.core.errors import N_
from registry.extensions import db
from registry.models import Commitment, CommitmentVersion, Erasure, SignatureRecord
from registry.pdf.common import WIB
from registry.services import commitments, sealed
from registry.services.certificates import certificate_filename, certificate_pdf
from registry.services.errors import NotFound

CHECK_BATCH = 500


@dataclass(frozen=True)
class VersionCount:
    version: int
    title: str
    status: str
    signatures: int


def version_counts(slug: str) -> list[VersionCount]:
    """The commitment's versions with their number of signature records (withdrawn ones included)."""
    commitments.get_version(slug)  # NotFound for an unknown commitment
    rows = db.session.execute(
        select(
            CommitmentVersion.version,
            CommitmentVersion.title,
            CommitmentVersion.status,
            func.count(SignatureRecord.id),
        )
        .join(Commitment)
        .outerjoin(SignatureRecord, SignatureRecord.commitment_version_id == CommitmentVersion.id)
        .where(Commitment.slug == slug)
        .group_by(
            CommitmentVersion.id, CommitmentVersion.version, CommitmentVersion.title, CommitmentVersion.status
        )
        .order_by(CommitmentVersion.version)
    ).all()
    for number, *_ in rows:
        commitments.get_version(slug, int(number))  # each title shown must still match the log
    return [VersionCount(int(v), str(t), str(s), int(n)) for v, t, s, n in rows]


def record_ids(slug: str, version: int | None = None) -> list[str]:
    """Ids of the certificates the archive holds, in log order (all versions, or one)."""
    query = (
        select(SignatureRecord.id)
        .join(CommitmentVersion, SignatureRecord.commitment_version_id == CommitmentVersion.id)
        .join(Commitment)
        .outerjoin(Erasure, Erasure.record_id == SignatureRecord.id)
        # An erased signature has no certificate any more: its personal data are gone.
        .where(Commitment.slug == slug, Erasure.record_id.is_(None))
    )
    if version is not None:
        commitments.get_version(slug, version)  # NotFound for an unknown version
        query = query.where(CommitmentVersion.version == version)
    else:
        commitments.get_version(slug)
    return list(db.session.execute(query.order_by(SignatureRecord.log_index)).scalars())


def check_all(ids: list[str]) -> None:
    """Refuse the archive before its first byte if any record fails its re-check (sealed.py).

    The archive is streamed, so a record found broken half-way could only cut it off; checking
    first turns that into a clear integrity error page instead.
    """
    for start in range(0, len(ids), CHECK_BATCH):
        rows = db.session.execute(
            select(SignatureRecord).where(SignatureRecord.id.in_(ids[start : start + CHECK_BATCH]))
        ).scalars()
        for checked in sealed.check_many(rows.unique()):
            checked.signed()  # IntegrityFailure names the first broken record
            db.session.expunge(checked.row)


def entry_name(record: SignatureRecord) -> str:
    return f"v{record.commitment_version.version}/{certificate_filename(record)}"


def _entry_info(record: SignatureRecord) -> zipfile.ZipInfo:
    local = record.signed_at.astimezone(WIB)
    info = zipfile.ZipInfo(
        entry_name(record), (local.year, local.month, local.day, local.hour, local.minute, local.second)
    )
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # Unix, whatever the server's platform
    info.external_attr = 0o100644 << 16
    return info


class _Sink:
    """A file object for zipfile that keeps only the bytes not yet handed out.

    zipfile seeks back only into the entry it is writing (to rewrite its local header with the
    real sizes), so seeking before what was already handed out is refused.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.base = 0  # absolute offset of buffer[0]
        self.position = 0

    def write(self, data: bytes) -> int:
        at = self.position - self.base
        self.buffer[at : at + len(data)] = data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        ends = {0: 0, 1: self.position, 2: self.base + len(self.buffer)}
        target = ends[whence] + offset
        if target < self.base or target > self.base + len(self.buffer):
            raise OSError("cannot seek into data already streamed")
        self.position = target
        return target

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        if self.position != self.base + len(self.buffer):
            raise OSError("zipfile left the stream in the middle of an entry")
        data = bytes(self.buffer)
        self.base += len(self.buffer)
        self.buffer.clear()
        return data


def archive(ids: list[str]) -> Iterator[bytes]:
    """The ZIP archive of the certificates of ``ids``, one chunk per entry, then the directory."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:  # type: ignore[call-overload]
        for record_id in ids:
            record = db.session.get(SignatureRecord, record_id)
            if record is None:
                raise NotFound(N_("signature %(id)s disappeared while the archive was written"), id=record_id)
            zf.writestr(_entry_info(record), certificate_pdf(record))
            yield sink.drain()
            db.session.expunge(record)  # keep the session small on large commitments
    yield sink.drain()
