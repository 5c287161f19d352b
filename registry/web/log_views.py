"""The auditors' endpoints: checkpoint, verifier key, entries, proofs, receipts and the /audit page."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Response, render_template, stream_with_context
from sqlalchemy import select

from registry.api.problems import single_arg
from registry.core import merkle
from registry.extensions import db
from registry.models import LogEntry
from registry.paths import DOWNLOADS
from registry.services import checkpoints, keyring, signing
from registry.services import roll as roll_service
from registry.services.errors import InvalidInput
from registry.services.receipts import signature_receipt

log = Blueprint("log", __name__)
PAGE = 1000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _int_arg(name: str, default: int | None = None) -> int:
    raw = single_arg(name)
    if raw is None:
        if default is None:
            raise InvalidInput(f"query parameter {name} is required", field=name)
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput(f"{name} must be a non-negative integer", field=name)
    return int(raw)


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.cache_control.no_cache = True
    return response


@log.get("/log/checkpoint")
def checkpoint() -> Response:
    _, note = checkpoints.latest()
    if not note:
        raise InvalidInput("the log has no checkpoint yet: run `ikrar init`")
    return _text(note)


@log.get("/log/key")
def verifier_key() -> Response:
    return _text(checkpoints.log_verifier().verifier_key() + "\n")


@log.get("/log/entries")
def entries() -> Response:
    size = checkpoints.log_size()
    start = _int_arg("start", 0)
    end = _int_arg("end", min(start + PAGE, size))
    if start > size or end > size:
        wrong = "start" if start > size else "end"
        raise InvalidInput(f"the log has {size} entries; {wrong} must not exceed that", field=wrong)
    if start > end:
        raise InvalidInput("start must not be greater than end", field="start")
    end = min(end, start + PAGE)  # paged: a client asks again from where this page stopped

    def lines() -> Iterator[bytes]:
        rows = db.session.execute(
            select(LogEntry.body)
            .where(LogEntry.index >= start, LogEntry.index < end)
            .order_by(LogEntry.index)
            .execution_options(yield_per=200)
        ).scalars()
        for body in rows:
            # Canonical JCS never contains a raw newline, so each line is exactly the leaf bytes.
            yield bytes(body) + b"\n"

    response = Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    response.headers["Ikrar-Log-Size"] = str(size)
    response.headers["Ikrar-Range"] = f"{start}-{end}"
    return response


@log.get("/log/proof/inclusion")
def inclusion() -> Response:
    current = checkpoints.log_size()
    size = _int_arg("size", current)
    index = _int_arg("index")
    _check_size("size", size, current)
    if not index < size:
        raise InvalidInput(f"index must be below size ({size})", field="index")
    proof, leaf, root = checkpoints.fetch_once(
        lambda fetch: (
            merkle.inclusion_proof(index, size, fetch),
            fetch([(0, index)])[(0, index)],
            merkle.root_hash(size, fetch),
        )
    )
    return _json(
        {
            "index": index,
            "size": size,
            "leaf_hash": _b64(leaf),
            "root": _b64(root),
            "proof": [_b64(h) for h in proof],
        }
    )


@log.get("/log/proof/consistency")
def consistency() -> Response:
    current = checkpoints.log_size()
    old, new = _int_arg("old"), _int_arg("new", current)
    _check_size("new", new, current)
    if not 0 < old <= new:
        raise InvalidInput(f"old must satisfy 0 < old <= new ({new})", field="old")
    proof, old_root, new_root = checkpoints.fetch_once(
        lambda fetch: (
            merkle.consistency_proof(old, new, fetch),
            merkle.root_hash(old, fetch),
            merkle.root_hash(new, fetch),
        )
    )
    return _json(
        {
            "old": old,
            "new": new,
            "old_root": _b64(old_root),
            "new_root": _b64(new_root),
            "proof": [_b64(h) for h in proof],
        }
    )


@log.get("/api/v1/signatures/<record_id>/receipt")
def receipt(record_id: str) -> Response:
    row = signing.get(record_id)
    return _text(signature_receipt(row.log_index))


@log.get("/audit")
def audit_page() -> str:
    size, note = checkpoints.latest()
    ring = keyring.keyring()
    # The root as the CLI prints it (hex) and as the signed note carries it (base64).
    root = roll_service.current_checkpoint().root_hash if note else None
    return render_template(
        "audit.html",
        size=size,
        checkpoint=note,
        root_hex=root.hex() if root is not None else None,
        root_b64=_b64(root) if root is not None else None,
        verifier_key=checkpoints.log_verifier().verifier_key(),
        keys=sorted(ring.values(), key=lambda k: (k.not_before, k.kid)),
        origin=checkpoints.origin(),
    )


@log.get("/audit/verify_log.py")
def verify_log_tool() -> Response:
    """The independent log checker (standard library + ``cryptography``), to run on one's own machine."""
    return _download(DOWNLOADS["verify_log.py"], "text/x-python", "verify_log.py")


@log.get("/audit/FORMATS.md")
def formats_document() -> Response:
    """The byte formats of everything signed or hashed (docs/FORMATS.md)."""
    return _download(DOWNLOADS["FORMATS.md"], "text/markdown", "FORMATS.md")


def _download(path: Path, mimetype: str, name: str) -> Response:
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def _check_size(name: str, size: int, current: int) -> None:
    """``size`` is the tree size given as query parameter ``name`` (``size`` or ``new``)."""
    if not 0 < size <= current:
        raise InvalidInput(f"{name} must satisfy 0 < {name} <= {current} (the log's size)", field=name)


def _json(body: dict[str, object]) -> Response:
    from flask import jsonify

    return jsonify(body)
