"""How every part of the site speaks an error: RFC 9457 problem details, messages in the
request's language, and strict query parameters.

Shared by the JSON API (registry/api/) and the pages (registry/web/); the application's error
handlers that use them are registered by registry/api/problems.py.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext

from registry.core.errors import N_, IkrarError
from registry.services.errors import InvalidInput

PROBLEM_TYPE = "urn:ikrar:problem:"
JSON_PREFIXES = ("/api/", "/.well-known/", "/openapi.json", "/log/")


def problem(status: int, title: str, detail: str, *, slug: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


# Parameters that are words of the message (a field's name, a status), translated with it.
WORDS = {"label", "status"}
STATUS_WORDS = (N_("draft"), N_("open"), N_("closed"))


def localized(error: IkrarError) -> str:
    """The error's message in the request's language (see registry/web/auth.py select_locale).

    Templates marked with N_ have Indonesian translations; anything else stays as written.
    """
    params = {k: gettext(v) if k in WORDS and isinstance(v, str) else v for k, v in error.params.items()}
    return str(gettext(error.template, **params) if params else gettext(error.template or str(error)))


def single_arg(name: str) -> str | None:
    """A query parameter given at most once (two values would be read differently by different parsers)."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise InvalidInput(
            N_("query parameter %(name)s is given %(count)d times"), field=name, name=name, count=len(values)
        )
    return values[0] if values else None


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"
