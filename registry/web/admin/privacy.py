"""Admin pages for data subjects' rights: erase one signature, set a commitment's retention period.

Each action is one service call (registry/services/erasure.py), which owns its transaction and
appends to the log.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.core import codes
from registry.core.errors import FormatError
from registry.http_problems import localized
from registry.models import ERASURE_GROUNDS
from registry.services import erasure, privacy
from registry.services.errors import InvalidInput, NotFound
from registry.web.admin import Page, admin
from registry.web.admin.forms import ErasureForm, RetentionForm
from registry.web.admin.signatures import signature_or_404, signature_page_with
from registry.web.auth import roles_required


def _confirmed(given: str, code: str) -> bool:
    """The admin typed the signature's verification code (in any printed form) to confirm."""
    try:
        return codes.normalise_code(given) == code
    except FormatError:
        return False


@admin.post("/signatures/<record_id>/erase")
@roles_required("admin")
def erase_signature(record_id: str) -> Page | Response:
    """Admin: erase one signature's personal data (irreversible; the log keeps that it was made)."""
    record = signature_or_404(record_id)
    form = ErasureForm()
    ground = form.posted("ground")
    error = None
    if ground not in ERASURE_GROUNDS:
        error = _("Pilih dasar penghapusan.")
    elif not _confirmed(form.posted("confirm"), record.code):
        error = _("Ketik kode verifikasi tanda tangan ini untuk mengonfirmasi penghapusan.")
    if error is None:
        try:
            erasure.erase([record.id], ground=ground, actor=current_user.public_id)
        except InvalidInput as exc:
            error = localized(exc)
    if error is not None:
        return signature_page_with(record, {"erase": error}), 422
    erasure.vacuum()
    flash(_("Data pribadi tanda tangan ini telah dihapus."), "info")
    return redirect(url_for(".signature_page", record_id=record_id), code=303)


def _set_retention(slug: str, form: RetentionForm) -> str | None:
    """Store the posted retention date; the error to show when it cannot be."""
    text = form.posted("retain_until").strip()
    try:
        until = date.fromisoformat(text) if text else None
    except ValueError:
        return str(_("Tanggal tidak sah; gunakan format TTTT-BB-HH."))
    try:
        erasure.set_retention(slug, until, current_user.public_id)
    except InvalidInput as exc:
        return localized(exc)
    return None


@admin.route("/commitments/<slug>/retention", methods=["GET", "POST"])
@roles_required("admin")
def retention_page(slug: str) -> Page | Response:
    """Admin: how long the signatories' personal data of a commitment are kept."""
    try:
        current = privacy.retention_of(slug)
    except NotFound:
        abort(404)
    form = RetentionForm()
    error = None
    if form.is_submitted():
        error = _set_retention(slug, form)
        if error is None:
            flash(_("Masa simpan disimpan."), "info")
            return redirect(url_for(".retention_page", slug=slug), code=303)
    due = [item for item in erasure.due() if item.slug == slug]
    page = render_template("admin/retention.html", slug=slug, current=current, due=due, error=error)
    return (page, 422) if error else page
