"""The transparency log under /log: checkpoint, verifier key, entries and proofs (docs/FORMATS.md).

The page that explains them to people is /audit (registry/web/audit.py); a signature's receipt
is GET /api/v1/signatures/{id}/receipt (registry/api/signatures.py).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from flask import Response, jsonify, stream_with_context

from registry.api import log_bp
from registry.core import merkle
from registry.core.errors import N_
from registry.http_problems import single_arg
from registry.services import checkpoints
from registry.services.errors import InvalidInput

PAGE = 1000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _int_arg(name: str, default: int | None = None) -> int:
    raw = single_arg(name)
    if raw is None:
        if default is None:
            raise InvalidInput(N_("query parameter %(name)s is required"), field=name, name=name)
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput(N_("%(name)s must be a non-negative integer"), field=name, name=name)
    return int(raw)


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.cache_control.no_cache = True
    return response


@log_bp.get("/checkpoint")
def checkpoint() -> Response:
    _, note = checkpoints.latest()
    if not note:
        raise InvalidInput(N_("the log has no checkpoint yet: run `ikrar init`"))
    return _text(note)


@log_bp.get("/key")
def verifier_key() -> Response:
    return _text(checkpoints.log_verifier().verifier_key() + "\n")


@log_bp.get("/entries")
def entries() -> Response:
    size = checkpoints.log_size()
    start = _int_arg("start", 0)
    end = _int_arg("end", min(start + PAGE, size))
    if start > size or end > size:
        wrong = "start" if start > size else "end"
        raise InvalidInput(
            N_("the log has %(size)d entries; %(name)s must not exceed that"),
            field=wrong,
            size=size,
            name=wrong,
        )
    if start > end:
        raise InvalidInput(N_("start must not be greater than end"), field="start")
    end = min(end, start + PAGE)  # paged: a client asks again from where this page stopped

    def lines() -> Iterator[bytes]:
        for body in checkpoints.entry_bodies(start, end):
            # Canonical JCS never contains a raw newline, so each line is exactly the leaf bytes.
            yield bytes(body) + b"\n"

    response = Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    response.headers["Ikrar-Log-Size"] = str(size)
    response.headers["Ikrar-Range"] = f"{start}-{end}"
    return response


@log_bp.get("/proof/inclusion")
def inclusion() -> Response:
    current = checkpoints.log_size()
    size = _int_arg("size", current)
    index = _int_arg("index")
    _check_size("size", size, current)
    if not index < size:
        raise InvalidInput(N_("index must be below size (%(size)d)"), field="index", size=size)
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


@log_bp.get("/proof/consistency")
def consistency() -> Response:
    current = checkpoints.log_size()
    old, new = _int_arg("old"), _int_arg("new", current)
    _check_size("new", new, current)
    if not 0 < old <= new:
        raise InvalidInput(N_("old must satisfy 0 < old <= new (%(new)d)"), field="old", new=new)
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


def _check_size(name: str, size: int, current: int) -> None:
    """``size`` is the tree size given as query parameter ``name`` (``size`` or ``new``)."""
    if not 0 < size <= current:
        raise InvalidInput(
            N_("%(name)s must satisfy 0 < %(name)s <= %(current)d (the log's size)"),
            field=name,
            name=name,
            current=current,
        )


def _json(body: dict[str, object]) -> Response:
    return jsonify(body)
