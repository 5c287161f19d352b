"""Response headers and request limits every response gets."""

from __future__ import annotations

from flask import Flask, Response, abort, request


def register(app: Flask) -> None:
    @app.before_request
    def _refuse_oversized() -> None:
        # Refuse by the declared length before any view reads the body.
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            abort(413)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        if request.path.startswith(("/api/", "/.well-known/", "/openapi.json")):
            headers.setdefault("Access-Control-Allow-Origin", "*")
        return response
