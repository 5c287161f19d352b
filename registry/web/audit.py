"""/audit: the page that shows people how to check the log themselves, and its two downloads.

The log's machine endpoints are under /log (registry/api/log.py).
"""

from __future__ import annotations

import base64
from pathlib import Path

from flask import Blueprint, Response, render_template

from registry.paths import DOWNLOADS
from registry.services import checkpoints, keyring
from registry.services import roll as roll_service

audit = Blueprint("audit", __name__, url_prefix="/audit")


@audit.get("")
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
        root_b64=base64.b64encode(root).decode("ascii") if root is not None else None,
        verifier_key=checkpoints.log_verifier().verifier_key(),
        keys=sorted(ring.values(), key=lambda k: (k.not_before, k.kid)),
        origin=checkpoints.origin(),
    )


@audit.get("/verify_log.py")
def verify_log_tool() -> Response:
    """The independent log checker (standard library + ``cryptography``), to run on one's own machine."""
    return _download(DOWNLOADS["verify_log.py"], "text/x-python", "verify_log.py")


@audit.get("/FORMATS.md")
def formats_document() -> Response:
    """The byte formats of everything signed or hashed (docs/FORMATS.md)."""
    return _download(DOWNLOADS["FORMATS.md"], "text/markdown", "FORMATS.md")


def _download(path: Path, mimetype: str, name: str) -> Response:
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
