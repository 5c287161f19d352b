"""Everything under ``/admin``: one blueprint, its routes in one module per topic.

- commitments.py: the list of commitments, a commitment's page, writing and revising versions
- lifecycle.py: publishing, closing and reopening a version (each behind a confirmation step)
- invitees.py: importing invitees, correcting one, progress, the signatories as CSV
- signatures.py: one signature, withdrawing it
- privacy.py: erasing a signature's personal data, a commitment's retention period
- certificates.py: the signed roll (PDF) and every certificate as one ZIP archive
- branding.py: the issuer's emblem of a draft version
- forms.py: the admin forms (Flask-WTF; CSRF is checked for every form by registry/extensions.py)

Views hold no SQL: each calls the services (registry/services/), which own their transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from registry.core.errors import N_, IkrarError
from registry.http_problems import localized
from registry.services.errors import NotFound
from registry.services.invitees import MAX_CSV_BYTES
from registry.web.dates import long_wib

admin = Blueprint("admin", __name__, url_prefix="/admin")

Page = str | tuple[str, int]
# The commitment fields the services name in their messages, translated with them.
FIELD_LABELS = (N_("title"), N_("text"), N_("place"), N_("consent text"), N_("reason"), N_("issuer"))


@admin.app_template_filter("admin_wib")
def format_wib(moment: datetime | None) -> str:
    """An instant as ``Kamis, 12 September 2024 pukul 10.15 WIB`` (registry/web/dates.py)."""
    return long_wib(moment)


@admin.app_template_filter("category_label")
def category_label(category: str, version: Any) -> str:
    """A stakeholder category's label in ``version`` (a commitment version), its id if unknown."""
    for item in getattr(version, "categories", None) or []:
        if item.get("id") == category:
            return str(item.get("label") or category)
    return category


@admin.app_template_filter("admin_localized")
def localized_filter(error: IkrarError) -> str:
    """An error's message in the reader's language."""
    return localized(error)


@admin.app_template_filter("admin_status")
def status_label(status: str) -> str:
    """A commitment version's status in the interface language."""
    labels: dict[str, str] = {"draft": _("draf"), "open": _("dibuka"), "closed": _("ditutup")}
    return labels.get(status, status)


@admin.errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[str, int]:
    return render_template("admin/error.html", message=localized(exc)), 404


@admin.errorhandler(413)
def _too_large(exc: HTTPException) -> tuple[str, int] | HTTPException:
    if request.endpoint == "admin.upload_emblem":
        return exc  # the emblem form has its own limit (branding.py); beyond the body limit, the bare 413
    # The whole request was refused by its declared length before any view ran: say why in the page.
    limit = int(current_app.config["MAX_CONTENT_LENGTH"]) // 1024
    message = _(
        "Berkas terlalu besar: permintaan lebih dari %(limit)d KiB ditolak. "
        "Impor paling banyak %(kib)d KiB sekaligus; bagi berkas menjadi beberapa bagian.",
        limit=limit,
        kib=MAX_CSV_BYTES // 1024,
    )
    return render_template("admin/error.html", message=message, title=_("Berkas terlalu besar")), 413


# The routes, registered on ``admin`` when their modules are imported (after ``admin`` exists).
from registry.web.admin import (  # noqa: E402
    branding,
    certificates,
    commitments,
    invitees,
    lifecycle,
    privacy,
    signatures,
)

__all__ = [
    "admin",
    "branding",
    "certificates",
    "commitments",
    "invitees",
    "lifecycle",
    "privacy",
    "signatures",
]
