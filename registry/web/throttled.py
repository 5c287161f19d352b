"""The answer to a sign-in attempt made during its wait (registry/services/throttle.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, flash, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from registry import security_log
from registry.extensions import limiter
from registry.services import throttle

F = TypeVar("F", bound=Callable[..., Any])


def limit(provider: Callable[[], str]) -> Callable[[F], F]:
    """IKRAR_LOGIN_LIMIT on a sign-in form: POSTs per client address *and* account, counting only
    wrong passwords, so one address failing never blocks someone else's sign-in."""
    return limiter.limit(  # type: ignore[return-value]
        provider, methods=["POST"], key_func=_limit_key, deduct_when=_sign_in_failed
    )


def _limit_key() -> str:
    return f"{get_remote_address()}|{throttle.digest(throttle.account_name(request.form.get('username')))}"


def _sign_in_failed(response: Response) -> bool:
    # Only a checked, wrong password counts: not a success, not a throttled or malformed attempt.
    return bool(g.get("ikrar_sign_in_failed", False))


def _form() -> str:
    return "kiosk-exit" if request.path.startswith("/kiosk") else "sign-in"


def begin(username: str | None, kind: str = "password") -> throttle.Attempt | throttle.Wait:
    """``kind="mfa"``: the second-factor code step, counted apart (services/throttle.py)."""
    # The MFA step's form names no account: the one its password was checked for is logged.
    g.ikrar_sign_in_account = username
    return throttle.current().begin(username, get_remote_address(), kind)


def _account() -> str | None:
    return request.form.get("username") or g.get("ikrar_sign_in_account")


@contextmanager
def checking(attempt: throttle.Attempt) -> Iterator[None]:
    """Around the password (or code) check: if it raises, the attempt gives its place back
    uncounted, instead of holding it until the in-flight count expires (services/throttle.py)."""
    try:
        yield
    except BaseException:
        throttle.current().abandon(attempt)
        raise


def report(attempt: throttle.Attempt, *, right_password: bool, event: str = "auth.failure") -> None:
    """The attempt's outcome: a wrong password (or, ``event="auth.mfa_failure"``, a wrong code)."""
    g.ikrar_sign_in_failed = not right_password
    if not right_password:
        security_log.event(event, account=_account(), form=_form())
    throttle.current().report(attempt, right_password=right_password)


def refused(wait: throttle.Wait, template: str, **context: Any) -> Response:
    """429 with Retry-After and the form again, saying how long to wait."""
    flash(
        _(
            "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Coba lagi dalam %(seconds)d detik.",
            seconds=wait.seconds,
        ),
        "error",
    )
    g.ikrar_throttle_wait = wait.seconds
    security_log.event("auth.throttled", account=_account(), form=_form(), wait=wait.seconds)
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = str(wait.seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    @app.after_request
    def _retry_after(response: Response) -> Response:
        # Flask-Limiter rewrites Retry-After to the end of its window (up to a day for
        # IKRAR_LOGIN_LIMIT); a throttled sign-in must say the real wait.
        wait = g.get("ikrar_throttle_wait")
        if wait is not None:
            response.headers["Retry-After"] = str(wait)
        return response
