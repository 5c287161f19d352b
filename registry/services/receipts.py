"""Offline inclusion receipts: a C2SP tlog-proof per signature's log entry (stable bytes)."""

from __future__ import annotations

from sqlalchemy import select

from registry.core import merkle
from registry.core.tlog import TlogProof
from registry.extensions import db
from registry.models import LogEntry
from registry.services import checkpoints


def signature_receipt(index: int) -> str:
    """A C2SP tlog-proof for entry ``index`` against the checkpoint of size index+1 (stable bytes)."""
    size = index + 1
    body = db.session.execute(select(LogEntry.body).where(LogEntry.index == index)).scalar_one()
    proof = merkle.inclusion_proof(index, size, checkpoints.fetch_nodes)
    return TlogProof(
        index=index, hashes=tuple(proof), checkpoint_note=checkpoints.sign_at(size), extra=bytes(body)
    ).to_text()
