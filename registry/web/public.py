"""The public's pages: the home page with its code field, a signed version to read, the favicon.

No sign-in anywhere here; everything shown is what the JSON API already publishes.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.core import codes
from registry.core.errors import FormatError
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


def _home(code: str = "", error: str | None = None, status: int = 200) -> Response:
    html = render_template("home.html", published=commitments.list_published(), code=code, error=error)
    return _shared_cache_free(Response(html, status=status, mimetype="text/html"))


@public.get("/")
def home() -> Response:
    """What Ikrar is, a field for a verification code, and the published commitments."""
    return _home()


@public.get("/v/")
def code_form() -> Response:
    """The home page's form lands here: ``?code=abcd efgh-jkm`` goes to ``/v/ABCDEFGHJKM``.

    With no code it is the home page's address; a code that cannot be one (wrong length, a letter
    outside the alphabet, a wrong check symbol) is answered on the home page, with the field kept.
    """
    typed = (request.args.get("code") or "").strip()
    if not typed:
        return redirect(url_for("public.home"), code=303)  # type: ignore[return-value]
    try:
        code = codes.normalise_code(typed)
    except FormatError as exc:
        if "check symbol" in str(exc):
            message = _(
                "Kode itu salah ketik: simbol terakhirnya (simbol periksa) tidak cocok. Periksa kembali kode."
            )
        else:
            message = _("Kode verifikasi terdiri atas 11 huruf dan angka, misalnya ABCD-EFGH-JKM.")
        return _home(typed[:40], message, 400)
    return redirect(url_for("verify.verify_page", code=code), code=303)  # type: ignore[return-value]


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
