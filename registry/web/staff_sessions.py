"""The web side of server-side staff sessions, and the headers staff pages need.

The signed session cookie holds Flask-Login's account id and ``_sid``, the random id of a
``staff_session`` row (registry/services/sessions.py). The user loader accepts a request only while
that row is live: copying the cookie is of no use after logout, a password change, disabling the
account or changing its role.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from registry.extensions import login_manager
from registry.models import User
from registry.services import mfa, sessions
from registry.services.sessions import State

SESSION_KEY = "_sid"
# Pages for staff (and the kiosk, which shows an invitee list): never kept by a browser or proxy cache.
STAFF_PATHS = ("/admin", "/operator", "/kiosk", "/login", "/logout", "/home", "/account", "/audit")
HSTS = "max-age=63072000; includeSubDomains"


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_user(public_id: str) -> User | None:
    result = sessions.check(session.get(SESSION_KEY), public_id)
    if result.state is State.EXPIRED:
        g.ikrar_session_expired = True
    if result.user is not None and mfa.required(result.user) and not result.user.mfa_enabled:
        # A session begun before MFA became required for this account (IKRAR_MFA turned on, a
        # new role, an mfa-reset): it must sign in again, through enrolment.
        return None
    return result.user


def _fresh_session(session_id: str, user: User) -> None:
    """Replace everything in this browser's session by a signed-in one (the language choice stays)."""
    lang = session.get("lang")
    session.clear()
    login_user(user)
    session[SESSION_KEY] = session_id
    if lang:
        session["lang"] = lang


def begin(user: User) -> None:
    """Sign this browser in: always a new session id (no fixation); the browser's previous one ends."""
    _fresh_session(sessions.start(user.id, session.get(SESSION_KEY)), user)


def continue_as(session_id: str, user: User) -> None:
    """Carry on in this browser on ``session_id``, a session a service has just made for ``user``."""
    _fresh_session(session_id, user)


def end() -> None:
    """Sign out: revoke this browser's session row and clear its cookie (the language stays)."""
    sessions.end(session.get(SESSION_KEY))
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


def register(app: Flask) -> None:
    @app.before_request
    def _drop_dead_session() -> None:
        # Loading the user here, before any view runs, keeps the session check's own small write
        # out of the view's transaction.
        if "_user_id" not in session or current_user.is_authenticated:
            return
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        if g.get("ikrar_session_expired"):
            flash(_("Sesi berakhir; silakan masuk lagi."), "info")

    @app.after_request
    def _staff_headers(response: Response) -> Response:
        if current_app.config["IKRAR_BASE_URL"].startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith("/static/"):
            return response
        # A view that already forbids storing (e.g. "private, no-store") keeps its header.
        if "no-store" in response.headers.get("Cache-Control", ""):
            return response
        if request.path.startswith(STAFF_PATHS) or ("_user_id" in session and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
