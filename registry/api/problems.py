"""Errors as RFC 9457 problem details for the API, plain pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from registry.api import storage_full
from registry.core.errors import N_, IkrarError
from registry.services.errors import IntegrityFailure, InvalidInput, ServiceError
from registry.web import error_pages

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
        raise InvalidInput(f"query parameter {name} is given {len(values)} times", field=name)
    return values[0] if values else None


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def _page(exc: HTTPException) -> Response | HTTPException:
    """A person's browser gets the site's page for the common statuses (Werkzeug's bare page else)."""
    status = exc.code or 500
    if not error_pages.handles(status):
        return exc
    response = error_pages.page(status)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if exc.get_response().headers.get(header):
            response.headers[header] = exc.get_response().headers[header]
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        response = problem(exc.status, exc.title, localized(exc), slug=exc.slug, field=exc.field)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:  # a 503 the client should retry later (registry/services/errors.py Unavailable)
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(IntegrityFailure)
    def _integrity_failure(exc: IntegrityFailure) -> Response:
        # Logged where it was found (services/bound_versions.py, services/sealed.py).
        if wants_json():
            return problem(exc.status, exc.title, localized(exc), slug=exc.slug)
        page = render_template("integrity_error.html", message=localized(exc))
        response = Response(page, status=exc.status, mimetype="text/html")
        response.cache_control.no_store = True
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        if not wants_json():
            return _page(exc)
        status = exc.code or 500
        detail = exc.description or exc.name
        if status == 413:
            detail = f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        response = problem(status, exc.name, detail)
        for header in ("Allow", "Retry-After"):
            if exc.get_response().headers.get(header):
                response.headers[header] = exc.get_response().headers[header]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged")
        return error_pages.page(500)

    storage_full.register(app, _unexpected)
