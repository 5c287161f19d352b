"""The issuer's emblem: an admin uploads it onto a draft version; everyone may load a published one.

The upload is re-encoded (registry/emblem.py) before anything is stored; a refused file leaves
the draft and the emblem table as they were. The image route serves only the re-encoded bytes,
as ``image/png`` with ``nosniff``, and only while they still hash to the address they are served at.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as Redirect

from registry.emblem import MAX_UPLOAD_BYTES
from registry.http_problems import localized
from registry.services import branding, commitments
from registry.services.errors import Conflict, InvalidInput
from registry.web.auth import roles_required

emblems = Blueprint("branding", __name__)

Page = str | tuple[str, int]


@emblems.get("/emblem/<sha256>.png")
def emblem(sha256: str) -> Response:
    """The emblem a published commitment version binds, by its SHA-256 (immutable)."""
    png = branding.public_emblem(sha256.lower() if len(sha256) == 64 else "")
    response = Response(png, mimetype="image/png")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def _refused(slug: str, version: int, message: str, status: int) -> tuple[str, int]:
    found = commitments.get_version(slug, version)
    page = render_template("admin/emblem_refused.html", v=found, slug=slug, message=message)
    return page, status


@emblems.post("/admin/commitments/<slug>/versions/<row:version>/emblem")
@roles_required("admin")
def upload_emblem(slug: str, version: int) -> Page | Redirect:
    """Admin: set the issuer's emblem of a draft version from an uploaded PNG or SVG."""
    upload = request.files.get("emblem")
    if upload is None or not upload.filename:
        return _refused(slug, version, _("Pilih berkas PNG atau SVG lambang."), 400)
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _refused(
            slug, version, _("Berkas lambang lebih dari %(kib)d KiB.", kib=MAX_UPLOAD_BYTES // 1024), 413
        )
    try:
        branding.set_emblem(slug, version, data)
    except InvalidInput as exc:
        return _refused(slug, version, localized(exc), 400)
    except Conflict as exc:
        return _refused(slug, version, localized(exc), 409)
    flash(_("Lambang disimpan."), "info")
    return redirect(url_for("admin.version_page", slug=slug, version=version), code=303)


@emblems.post("/admin/commitments/<slug>/versions/<row:version>/emblem/remove")
@roles_required("admin")
def remove_emblem(slug: str, version: int) -> Page | Redirect:
    """Admin: a draft version without an emblem."""
    try:
        branding.remove_emblem(slug, version)
    except Conflict as exc:
        return _refused(slug, version, localized(exc), 409)
    flash(_("Lambang dihapus dari draf."), "info")
    return redirect(url_for("admin.version_page", slug=slug, version=version), code=303)
