"""The security event log: one JSON line per event on the ``ikrar.security`` logger.

Events (README, "Security event log"): ``auth.failure`` (a wrong password at sign-in or kiosk
exit), ``auth.throttled`` (an attempt refused during its wait), ``http.forbidden`` (any 403),
``http.rate_limited`` (any other 429), ``csrf.failure``, ``account.role_changed``,
``account.disabled``, ``account.enabled``, ``account.password_changed``,
``account.sessions_ended``, ``auth.mfa_failure`` (a wrong or reused second-factor code),
``account.mfa_enrolled``, ``account.mfa_reset``, ``desk.certificate_reprinted``,
``desk.walk_in_registered``, ``invitee.corrected`` (ids and the account name, never the values).

Each line holds the event, the time, the request's method and path (never its query string:
capability tokens travel there), the signed-in account's public id and the account name an
attempt named — and no password, token or other personal data. The client address is personal
data (UU 27/2022): it is logged as ``client``, an HMAC of the address under the application's
secret key, cut to 16 hex digits — the same address gives the same value, so an attack is seen
as one source, but the address itself is not written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from werkzeug.wrappers import Response

logger = logging.getLogger("ikrar.security")
MAX_VALUE = 120


def _clean(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text[:MAX_VALUE]


def client_id(address: str | None) -> str | None:
    """A stable pseudonym of a client address (HMAC-SHA-256 under the secret key, 16 hex digits)."""
    if not address:
        return None
    key = str(current_app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:16]


def event(name: str, **fields: Any) -> None:
    """Write one security event (fields: account names, counts, roles — never secrets)."""
    record: dict[str, Any] = {"event": name, "time": datetime.now(UTC).isoformat(timespec="milliseconds")}
    if has_request_context():
        record.update(method=request.method, path=_clean(request.path), client=client_id(request.remote_addr))
        user = getattr(current_user, "public_id", None) if current_user else None
        if user and getattr(current_user, "is_authenticated", False):
            record["user"] = user
        g.ikrar_security_logged = True
    record.update({key: _clean(value) for key, value in fields.items()})
    logger.warning(json.dumps(record, ensure_ascii=False, sort_keys=True))


def register(app: Flask) -> None:
    """Log every 403 and every 429 not logged already by the code that refused it."""

    from flask_wtf.csrf import CSRFError

    from registry.http_problems import problem, wants_json

    @app.errorhandler(CSRFError)
    def _csrf_failure(exc: CSRFError) -> Response | CSRFError:
        event("csrf.failure", reason=exc.description)
        # Answered as every other 400 is (registry/http_problems.py).
        return problem(400, exc.name, exc.description or exc.name) if wants_json() else exc

    @app.after_request
    def _refusals(response: Response) -> Response:
        if response.status_code in (403, 429) and not g.get("ikrar_security_logged"):
            event(
                "http.forbidden" if response.status_code == 403 else "http.rate_limited",
                status=response.status_code,
            )
        return response
