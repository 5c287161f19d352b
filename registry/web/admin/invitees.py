"""Admin: import the invitee list, correct an invitee's typo before they sign (logged), who has
signed a version, and the signatories as CSV.

Thin views over registry/services/invitees.py, invitee_edits.py and export.py.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.http_problems import localized
from registry.services import commitments, export, invitee_edits, invitees
from registry.services.errors import Conflict, InvalidInput
from registry.web.admin import Page, admin
from registry.web.admin.forms import INVITEE_FIELDS, InviteeForm, InviteeImportForm
from registry.web.auth import roles_required


@admin.post("/commitments/<slug>/invitees/import")
@roles_required("admin")
def import_invitees(slug: str) -> Page:
    """Admin: import invitees from a CSV file and show what was imported and what was rejected."""
    invitees.commitment(slug)
    upload = InviteeImportForm().file.data
    if upload is None or not upload.filename:
        return render_template("admin/import_report.html", slug=slug, report=None), 400
    # Read one byte past the cap, so an oversized file is recognised without reading all of it.
    data = upload.stream.read(invitees.MAX_CSV_BYTES + 1)
    report = invitees.import_csv(slug, data)
    return render_template("admin/import_report.html", slug=slug, report=report), (
        422 if report.fatal else 200
    )


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
        values=values or {f: getattr(invitee, f) for f in INVITEE_FIELDS},
        error=error,
        changes=invitee_edits.history(slug, invitee.id),
    )
    return page, status


@admin.route("/commitments/<slug>/invitees/<int:invitee_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_invitee(slug: str, invitee_id: int) -> Response | tuple[str, int]:
    """Admin: correct an invitee's name, position, institution or category before they sign."""
    form = InviteeForm()
    if not form.is_submitted():
        return _edit_page(slug, invitee_id, {}, "", 200)
    values = form.values()
    fields = invitee_edits.InviteeFields(**{k: values[k] for k in INVITEE_FIELDS})
    try:
        invitee_edits.correct(slug, invitee_id, fields, values["reason"], current_user.username)
    except (invitee_edits.SignedAlready, Conflict) as exc:
        return _edit_page(slug, invitee_id, values, localized(exc), 409)
    except InvalidInput as exc:
        return _edit_page(slug, invitee_id, values, localized(exc), 400)
    flash(_("Data undangan diperbaiki; perubahan dicatat."), "info")
    return redirect(url_for(".commitment_page", slug=slug) + "#changes", code=303)


@admin.get("/commitments/<slug>/versions/<row:version>/progress")
@roles_required("admin", "auditor")
def progress_page(slug: str, version: int) -> str:
    """Admin and auditor: who signed a commitment version and who has not yet."""
    progress = invitees.progress(slug, version)
    return render_template(
        "admin/progress.html",
        p=progress,
        slug=slug,
        last=invitees.last_signed_at(progress.signed),
        is_admin=current_user.role == "admin",
    )


@admin.get("/commitments/<slug>/versions/<row:version>/signatories.csv")
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
