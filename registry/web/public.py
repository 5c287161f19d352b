"""The public's pages: the home page with its code field, a signed version to read, the favicon.
The ``public`` blueprint serves all of ``/c``: the public list (roll_views.py) and the live screen
(live_screen_views.py) register on it; the code field's ``/v/`` is verify_views.py.

No sign-in anywhere here; everything shown is what the JSON API already publishes.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, url_for

from registry.models import CommitmentVersion
from registry.services import commitments
from registry.services.errors import NotFound

public = Blueprint("public", __name__)


def _shared_cache_free(response: Response) -> Response:
    # Pages carry the language form's CSRF token (and, when signed in, the user's name).
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


def _published(slug: str, version: int) -> CommitmentVersion:
    """A published version, or this site's 404 page (not the API's problem document)."""
    try:
        return commitments.get_version(slug, version, published_only=True)
    except NotFound:
        abort(404)


def home_page(code: str = "", error: str | None = None, status: int = 200) -> Response:
    """The home page; with ``code`` and ``error`` it answers a mistyped code (verify_views.code_form)."""
    html = render_template("home.html", published=commitments.list_published(), code=code, error=error)
    return _shared_cache_free(Response(html, status=status, mimetype="text/html"))


@public.get("/")
def home() -> Response:
    """What Ikrar is, a field for a verification code, and the published commitments."""
    return home_page()


@public.get("/c/<slug>/v<row:version>")
def version_page(slug: str, version: int) -> Response:
    """A signed commitment version to read: title, full text, place, date, dimensions, text hash."""
    found = _published(slug, version)
    html = render_template(
        "version.html",
        slug=slug,
        version=found,
        text_url=url_for("public.version_text", slug=slug, version=version),
        api_url=url_for("api.get_commitment", slug=slug, version=version),
    )
    return _shared_cache_free(Response(html, mimetype="text/html"))


@public.get("/c/<slug>/v<row:version>/text.txt")
def version_text(slug: str, version: int) -> Response:
    """The version's text, byte for byte as hashed: ``sha256sum`` of the download is its text SHA-256."""
    found = _published(slug, version)
    response = Response(found.text.encode("utf-8"), mimetype="text/plain")
    response.headers["Content-Disposition"] = f'inline; filename="{slug}-v{version}.txt"'
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@public.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links: the same SVG mark."""
    response = current_app.send_static_file("favicon.svg")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
