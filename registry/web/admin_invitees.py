"""Admin: correct an invitee's typo before they sign (logged), and the signatories as CSV.

Thin views over registry/services/invitee_edits.py and registry/services/export.py; registry/web/
admin.py keeps the commitment pages.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.http_problems import localized
from registry.services import commitments, export, invitee_edits
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.web.auth import roles_required

admin_invitees = Blueprint("admin_invitees", __name__, url_prefix="/admin")

EDIT_FIELDS = ("name", "position", "institution", "category", "reason")


@admin_invitees.errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[str, int]:
    return render_template("admin/error.html", message=localized(exc)), 404


def _edit_page(
    slug: str, invitee_id: int, values: dict[str, str], error: str, status: int
) -> tuple[str, int]:
    invitee, editable = invitee_edits.editable(slug, invitee_id)
    page = render_template(
        "admin/invitee_edit.html",
        slug=slug,
        invitee=invitee,
        editable=editable,
        categories=commitments.get_version(slug).categories,
        values=values or {f: getattr(invitee, f) for f in EDIT_FIELDS[:4]},
        error=error,
        changes=invitee_edits.history(slug, invitee.id),
    )
    return page, status


@admin_invitees.route("/commitments/<slug>/invitees/<int:invitee_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_invitee(slug: str, invitee_id: int) -> Response | tuple[str, int]:
    """Admin: correct an invitee's name, position, institution or category before they sign."""
    if request.method == "GET":
        return _edit_page(slug, invitee_id, {}, "", 200)
    values = {k: request.form.get(k, "") for k in EDIT_FIELDS}
    fields = invitee_edits.InviteeFields(**{k: values[k] for k in EDIT_FIELDS[:4]})
    try:
        invitee_edits.correct(slug, invitee_id, fields, values["reason"], current_user.username)
    except invitee_edits.SignedAlready as exc:
        return _edit_page(slug, invitee_id, values, localized(exc), 409)
    except Conflict as exc:
        return _edit_page(slug, invitee_id, values, localized(exc), 409)
    except InvalidInput as exc:
        return _edit_page(slug, invitee_id, values, localized(exc), 400)
    flash(_("Data undangan diperbaiki; perubahan dicatat."), "info")
    return redirect(url_for("admin.commitment_page", slug=slug) + "#changes", code=303)


@admin_invitees.get("/commitments/<slug>/versions/<row:version>/signatories.csv")
@roles_required("admin", "auditor")
def signatories_csv(slug: str, version: int) -> Response:
    """Admin and auditor: the signatories of a version as CSV (UTF-8 with BOM, formula-safe)."""
    commitments.get_version(slug, version, published_only=True)
    labels = {
        "valid": _("sah"),
        "withdrawn": _("ditarik"),
        "erased": _("data pribadi dihapus"),
        "invalid": _("kesalahan integritas"),
        "yes": _("ya"),
        "no": _("tidak"),
    }
    header = [
        _("Nama"),
        _("Jabatan"),
        _("Instansi"),
        _("Kategori"),
        _("Waktu tanda tangan (WIB)"),
        _("Kode verifikasi"),
        _("Tampil di daftar publik"),
        _("Status"),
    ]
    body = export.to_csv(header, export.signatory_rows(slug, version, labels))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ikrar-{slug}-v{version}-penandatangan.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
