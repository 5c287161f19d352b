"""The signed-in staff member's own account: changing their password, enrolling MFA
(registry/web/mfa_views.py, also open to a sign-in waiting for its code)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from registry.http_problems import localized
from registry.services import account_security, passwords
from registry.services.errors import ServiceError
from registry.web import mfa_views, staff_sessions
from registry.web.auth import roles_required

account = Blueprint("account", __name__, url_prefix="/account")
account.add_url_rule("/mfa", "mfa", view_func=mfa_views.enrol, methods=["GET", "POST"])


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField("current", validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])
    confirm = PasswordField("confirm", validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])


@account.route("/password", methods=["GET", "POST"])
@roles_required("admin", "operator", "auditor")
def password() -> tuple[str, int] | Response:
    """Change one's own password (current password required). Every other session of the account
    ends; this browser carries on, on a new session id."""
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            session_id = account_security.change_own_password(
                user.id, form.current.data, form.password.data, form.confirm.data
            )
        except ServiceError as exc:
            error = localized(exc)
        else:
            staff_sessions.continue_as(session_id, user)
            flash(_("Kata sandi diganti. Semua sesi lain akun ini telah diakhiri."), "info")
            return redirect(url_for("auth.home"), code=303)
    elif form.errors:
        error = _("Isi ketiga kolom; formulir ini juga harus dikirim dari halaman ini.")
    status = 400 if error else 200
    page = render_template("account/password.html", form=form, error=error, min_length=passwords.MIN_LENGTH)
    return page, status
