"""Admin: one signature, and withdrawing it when it was made in error (nothing is deleted).

Erasing a signature's personal data is in privacy.py.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from registry.core.errors import N_
from registry.http_problems import localized
from registry.models import SignatureRecord
from registry.services import sealed, signing, withdrawals
from registry.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from registry.web.admin import Page, admin
from registry.web.admin.forms import WithdrawalForm
from registry.web.auth import roles_required


class Unconfirmed(ServiceError):
    """An action POSTed without its explicit confirmation: refused, nothing changed."""


def signature_or_404(record_id: str) -> SignatureRecord:
    try:
        return signing.get(record_id)
    except NotFound:
        abort(404)


def signature_page_with(record: SignatureRecord, errors: dict[str, str], reason: str = "") -> str:
    """The signature's page, with the withdrawal and erasure forms and their errors."""
    return render_template(
        "admin/signature.html", r=record, s=sealed.check(record), errors=errors, reason=reason
    )


@admin.get("/signatures/<record_id>")
@roles_required("admin")
def signature_page(record_id: str) -> str:
    """Admin: one signature, with the form to withdraw it when it was made in error."""
    return signature_page_with(signature_or_404(record_id), {})


@admin.post("/signatures/<record_id>/withdraw")
@roles_required("admin")
def withdraw_signature(record_id: str) -> Page | Response:
    """Admin: withdraw a signature made in error, with a public reason (nothing is deleted)."""
    record = signature_or_404(record_id)
    form = WithdrawalForm()
    reason = form.posted("reason")
    try:
        if not form.confirmed:
            # One click never withdraws: the form's required checkbox must be ticked.
            raise Unconfirmed(
                N_("tick the confirmation box to withdraw; nothing was changed"), field="confirm"
            )
        withdrawals.withdraw(record_id, reason, current_user.public_id)
    except (InvalidInput, Conflict, Unconfirmed) as exc:
        field = "confirm" if isinstance(exc, Unconfirmed) else "reason"
        page = signature_page_with(record, {field: localized(exc)}, reason)
        return page, 400 if isinstance(exc, Unconfirmed) else 422
    flash(_("Tanda tangan ditarik."), "info")
    return redirect(url_for(".signature_page", record_id=record_id), code=303)
