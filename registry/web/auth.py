"""Signing in and out (sessions: registry/web/staff_sessions.py), and role checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from registry.extensions import login_manager
from registry.http_problems import JSON_PREFIXES
from registry.services import accounts, throttle
from registry.web import mfa_views, staff_sessions, throttled

auth = Blueprint("auth", __name__)
# The second step of signing in; its view sits with the rest of MFA.
auth.add_url_rule("/login/mfa", view_func=mfa_views.login_code, methods=["GET", "POST"])
F = TypeVar("F", bound=Callable[..., Any])


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])


def local_target(target: str | None) -> str | None:
    """``target`` if it is a path on this site; None for anything that could leave it.

    A control character (CR, LF, tab, NUL…) or other non-printable character is refused too:
    Werkzeug would refuse to put CR/LF in the Location header and the request would end in a 500.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if not target.isprintable():
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _login_limit() -> str:
    return str(current_app.config.get("IKRAR_LOGIN_LIMIT", "10 per minute;100 per day"))


@auth.route("/login", methods=["GET", "POST"])
@throttled.limit(_login_limit)  # IKRAR_LOGIN_LIMIT: failures per account and address
def login() -> tuple[str, int] | Response:
    """Sign in (admins, operators, auditors)."""
    form = LoginForm()
    if form.validate_on_submit():
        attempt = throttled.begin(form.username.data)  # sign-in throttling (services/throttle.py)
        if isinstance(attempt, throttle.Wait):
            return throttled.refused(attempt, "login.html", form=form)
        with throttled.checking(attempt):
            user = accounts.authenticate(form.username.data, form.password.data)
        throttled.report(attempt, right_password=user is not None)
        if user is not None:  # signed in, or (MFA required) on to the code: registry/web/mfa_views.py
            return mfa_views.after_password(user, local_target(request.args.get("next")))
        flash(_("Nama pengguna atau kata sandi salah."), "error")
    return render_template("login.html", form=form), (400 if form.errors else 200)


@auth.post("/logout")
def logout() -> Response:
    """Sign out."""
    staff_sessions.end()
    return redirect(url_for("auth.login"), code=303)


@auth.get("/home")
def home() -> Response:
    """The signed-in user's start page for their role."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(_home_for(current_user.role))


def _home_for(role: str) -> str:
    endpoints = {"admin": "admin.commitments", "operator": "operator.home", "auditor": "audit.audit_page"}
    endpoint = endpoints[role]
    return url_for(endpoint) if endpoint in current_app.view_functions else url_for("audit.audit_page")


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles``; others are sent to sign in, or refused with 403."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


LANGUAGES = ("id", "en")


def select_locale() -> str:
    """The language of this request: what the browser chose, else Bahasa Indonesia.

    Integrations and auditors' tools calling the JSON endpoints (the API, /log/, /.well-known/,
    /openapi.json) get what their Accept-Language asks for, English by default; a kiosk's or
    signed-in browser's API calls follow the interface language. Outside a request (the CLI)
    messages are English.
    """
    if not has_request_context():
        return "en"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    if request.path.startswith(JSON_PREFIXES) and "kiosk_device" not in session and "_user_id" not in session:
        return str(request.accept_languages.best_match(LANGUAGES, default="en"))
    return "id"


@auth.post("/lang")
def set_language() -> Response:
    """Switch the interface language (Bahasa Indonesia or English)."""
    chosen = request.form.get("lang")
    if chosen not in LANGUAGES:
        abort(400)
    session["lang"] = chosen
    return redirect(local_target(request.form.get("next")) or url_for("auth.login"), code=303)


def register(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    staff_sessions.register(app)
