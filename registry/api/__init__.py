"""The machine interface: the JSON API (v1), the transparency log, and the documents that describe
them (the signing keys' JWKS and the OpenAPI description). One blueprint per URL prefix:

- ``bp`` (endpoints ``api.*``), ``/api/v1``: commitments, signatures, signing, verification by code;
- ``log_bp`` (``log.*``), ``/log``: checkpoint, entries, verifier key, proofs;
- ``discovery_bp`` (``discovery.*``), no prefix: ``/.well-known/jwks.json`` and ``/openapi.json``.

As in Flask's microblog, the route modules import their blueprint from here and are imported at
the bottom, which is the one side effect of importing this package: every route is on its
blueprint before the application factory (registry/app.py) registers them.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log_bp = Blueprint("log", __name__, url_prefix="/log")
discovery_bp = Blueprint("discovery", __name__)

from registry.api import commitments, discovery, log, signatures, signing, verify  # noqa: E402, F401
