"""Admin: publish, close and reopen a commitment version, each behind a confirmation step.

A single click never changes a version: the button on the version page is a link to a GET page
that says what will happen, and the POST must carry ``confirm=yes`` (a required checkbox on that
page). A POST without it is refused with 400 and the confirmation page again; nothing changes.
Works without JavaScript. One handler serves the three actions: they differ only in the service
call and the message.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.core.version_entries import MAX_REOPEN_REASON
from registry.http_problems import localized
from registry.models import CommitmentVersion
from registry.services import commitments
from registry.services.errors import Conflict, InvalidInput
from registry.web.admin import Page, admin
from registry.web.admin.forms import StatusChangeForm
from registry.web.auth import roles_required

ACTIONS = ("publish", "close", "reopen")
# The status each action starts from: the confirmation page is offered only from it.
FROM_STATUS = {"publish": "draft", "close": "open", "reopen": "closed"}


def _confirm_page(
    action: str,
    version: CommitmentVersion,
    slug: str,
    *,
    error: str = "",
    reason: str = "",
    status: int = 200,
) -> Page:
    page = render_template(
        "admin/confirm.html",
        action=action,
        v=version,
        slug=slug,
        error=error,
        reason=reason,
        reason_max=MAX_REOPEN_REASON,
        reason_min=commitments.MIN_REOPEN_REASON,
    )
    return (page, status) if status != 200 else page


def _back(slug: str, version: int) -> Response:
    return redirect(url_for(".version_page", slug=slug, version=version), code=303)


@admin.get("/commitments/<slug>/versions/<row:version>/confirm/<action>")
@roles_required("admin")
def confirm_action(slug: str, version: int, action: str) -> Page | Response:
    """Admin: the confirmation step of publishing, closing or reopening a version."""
    found = commitments.get_version(slug, version)
    if action not in ACTIONS:
        return _back(slug, version)
    if found.status != FROM_STATUS[action]:
        flash(_("Status versi sudah berubah; periksa kembali."), "error")
        return _back(slug, version)
    return _confirm_page(action, found, slug)


def _apply(action: str, slug: str, version: int, reason: str) -> str:
    """Carry out a confirmed action; the message that says it was done."""
    if action == "publish":
        commitments.publish(slug, version)
        return str(_("Versi %(n)d diterbitkan; penandatanganan dibuka.", n=version))
    if action == "close":
        commitments.close(slug, version)
        return str(_("Penandatanganan versi %(n)d ditutup.", n=version))
    commitments.reopen(slug, version, reason, current_user.public_id)
    return str(_("Penandatanganan versi %(n)d dibuka kembali.", n=version))


@admin.post("/commitments/<slug>/versions/<row:version>/<any(publish, close, reopen):action>")
@roles_required("admin")
def change_status(slug: str, version: int, action: str) -> Page | Response:
    """Admin: publish a draft (opening it for signing), close signing, or reopen it with a reason
    that the log keeps (public) — after the confirmation step."""
    found = commitments.get_version(slug, version)
    form = StatusChangeForm()
    reason = form.posted("reason")
    if not form.confirmed:
        message = _("Centang kotak konfirmasi untuk melanjutkan. Belum ada yang berubah.")
        return _confirm_page(action, found, slug, error=message, reason=reason, status=400)
    try:
        flash(_apply(action, slug, version, reason), "info")
    except InvalidInput as exc:
        if action != "reopen":  # only reopening takes text (its reason); anything else is unexpected
            raise
        return _confirm_page(action, found, slug, error=localized(exc), reason=reason, status=400)
    except Conflict as exc:
        flash(localized(exc), "error")
    return _back(slug, version)
