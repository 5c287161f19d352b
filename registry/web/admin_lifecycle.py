"""Admin: publish, close and reopen a commitment version, each behind a confirmation step.

A single click never changes a version: the button on the version page is a link to a GET page
that says what will happen, and the POST must carry ``confirm=yes`` (a required checkbox on that
page). A POST without it is refused with 400 and the confirmation page again; nothing changes.
Works without JavaScript. Routes live on the ``admin`` blueprint (imported by registry/app.py).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.core.version_entries import MAX_REOPEN_REASON
from registry.http_problems import localized
from registry.models import CommitmentVersion
from registry.services import commitments
from registry.services.errors import Conflict, InvalidInput
from registry.web.admin import admin
from registry.web.auth import roles_required

Page = str | tuple[str, int]
ACTIONS = ("publish", "close", "reopen")
# The status each action starts from: the confirmation page is offered only from it.
FROM_STATUS = {"publish": "draft", "close": "open", "reopen": "closed"}


def confirmed() -> bool:
    """The form carried the explicit confirmation (the required checkbox of the confirmation page)."""
    return request.form.get("confirm") == "yes"


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


def _unconfirmed(action: str, found: CommitmentVersion, slug: str) -> Page:
    message = _("Centang kotak konfirmasi untuk melanjutkan. Belum ada yang berubah.")
    return _confirm_page(
        action, found, slug, error=message, reason=request.form.get("reason", ""), status=400
    )


@admin.post("/commitments/<slug>/versions/<row:version>/publish")
@roles_required("admin")
def publish_version(slug: str, version: int) -> Page | Response:
    """Admin: publish a draft version and open it for signing (after the confirmation step)."""
    found = commitments.get_version(slug, version)
    if not confirmed():
        return _unconfirmed("publish", found, slug)
    try:
        commitments.publish(slug, version)
        flash(_("Versi %(n)d diterbitkan; penandatanganan dibuka.", n=version), "info")
    except Conflict as exc:
        flash(localized(exc), "error")
    return _back(slug, version)


@admin.post("/commitments/<slug>/versions/<row:version>/close")
@roles_required("admin")
def close_version(slug: str, version: int) -> Page | Response:
    """Admin: close signing of a version (after the confirmation step)."""
    found = commitments.get_version(slug, version)
    if not confirmed():
        return _unconfirmed("close", found, slug)
    try:
        commitments.close(slug, version)
        flash(_("Penandatanganan versi %(n)d ditutup.", n=version), "info")
    except Conflict as exc:
        flash(localized(exc), "error")
    return _back(slug, version)


@admin.post("/commitments/<slug>/versions/<row:version>/reopen")
@roles_required("admin")
def reopen_version(slug: str, version: int) -> Page | Response:
    """Admin: open a closed version for signing again, with a reason that the log keeps (public)."""
    found = commitments.get_version(slug, version)
    if not confirmed():
        return _unconfirmed("reopen", found, slug)
    reason = request.form.get("reason", "")
    try:
        commitments.reopen(slug, version, reason, current_user.public_id)
    except InvalidInput as exc:
        return _confirm_page("reopen", found, slug, error=localized(exc), reason=reason, status=400)
    except Conflict as exc:
        flash(localized(exc), "error")
        return _back(slug, version)
    flash(_("Penandatanganan versi %(n)d dibuka kembali.", n=version), "info")
    return _back(slug, version)
