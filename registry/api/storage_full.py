"""A full disk under the database or the instance folder: 503 with Retry-After, never a bare 500.

The transaction that hit the full disk was rolled back (registry/db.py write_transaction), so
nothing was half-done and the same request can be sent again once space is freed: the kiosk's
offline queue keeps the item on any 5xx (registry/static/kiosk/kiosk.js ``retryable``).
"""

from __future__ import annotations

import errno
import sqlite3

from flask import Flask, Response, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import OperationalError

from registry.core.errors import N_

RETRY_AFTER = 120  # seconds: freeing disk space takes an operator, not a moment
SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full (could not extend file: No space left on device)
DETAIL = N_(
    "the server's storage is full, so nothing was saved; the request can be sent again once an "
    "operator has freed space"
)


def is_storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` (a database error or an OSError) means the disk or a quota is full."""
    original = getattr(exc, "orig", None) or exc
    if isinstance(original, sqlite3.Error):
        return getattr(original, "sqlite_errorcode", None) == SQLITE_FULL or "disk is full" in str(original)
    if getattr(original, "sqlstate", None) == POSTGRES_DISK_FULL:
        return True
    return isinstance(original, OSError) and original.errno in (errno.ENOSPC, errno.EDQUOT)


def register(app: Flask, unexpected: object) -> None:
    """Answer a full disk with 503; any other database or OS error goes to ``unexpected``."""

    def _answer(exc: Exception) -> Response:
        if not is_storage_full(exc):
            return unexpected(exc)  # type: ignore[operator, no-any-return]
        # The driver's message alone: SQLAlchemy's text of the error carries the statement's
        # parameters, which are personal data (names of signatories and invitees).
        app.logger.critical(
            "storage full on %s %s: %s", request.method, request.path, getattr(exc, "orig", None) or exc
        )
        from registry.http_problems import problem, wants_json

        if wants_json():
            response = problem(503, "Storage full", gettext(DETAIL), slug="storage-full")
        else:
            page = render_template("unavailable.html", message=gettext(DETAIL))
            response = Response(page, status=503, mimetype="text/html")
            response.cache_control.no_store = True
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    app.register_error_handler(OperationalError, _answer)
    app.register_error_handler(OSError, _answer)
