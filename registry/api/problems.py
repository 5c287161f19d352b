"""The application's error handlers: RFC 9457 problem details for the API, plain pages elsewhere
(the helpers they share with the views are in registry/http_problems.py)."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from registry.api import storage_full
from registry.http_problems import localized, problem, wants_json
from registry.services.errors import IntegrityFailure, ServiceError
from registry.web import error_pages


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
        challenge = getattr(exc, "challenge", None)
        if challenge:  # a 401 names the scheme that would work (registry/services/errors.py Unauthorized)
            response.headers["WWW-Authenticate"] = challenge
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
