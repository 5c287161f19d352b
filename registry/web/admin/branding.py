"""Admin: the issuer's emblem of a draft version, uploaded or removed.

The upload is re-encoded (registry/emblem.py) before anything is stored; a refused file leaves
the draft and the emblem table as they were. Published emblems are served by
registry/web/branding_views.py.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from registry.emblem import MAX_UPLOAD_BYTES
from registry.http_problems import localized
from registry.services import branding, commitments
from registry.services.errors import Conflict, InvalidInput
from registry.web.admin import Page, admin
from registry.web.admin.forms import EmblemForm
from registry.web.auth import roles_required


def _refused(slug: str, version: int, message: str, status: int) -> tuple[str, int]:
    found = commitments.get_version(slug, version)
    page = render_template("admin/emblem_refused.html", v=found, slug=slug, message=message)
    return page, status


@admin.post("/commitments/<slug>/versions/<row:version>/emblem")
@roles_required("admin")
def upload_emblem(slug: str, version: int) -> Page | Response:
    """Admin: set the issuer's emblem of a draft version from an uploaded PNG or SVG."""
    upload = EmblemForm().emblem.data
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
    return redirect(url_for(".version_page", slug=slug, version=version), code=303)


@admin.post("/commitments/<slug>/versions/<row:version>/emblem/remove")
@roles_required("admin")
def remove_emblem(slug: str, version: int) -> Page | Response:
    """Admin: a draft version without an emblem."""
    try:
        branding.remove_emblem(slug, version)
    except Conflict as exc:
        return _refused(slug, version, localized(exc), 409)
    flash(_("Lambang dihapus dari draf."), "info")
    return redirect(url_for(".version_page", slug=slug, version=version), code=303)
