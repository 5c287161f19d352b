"""An auditor bearer token for tests that need the full signature document (record and seal)."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, has_app_context

from registry.services import accounts, credentials


def auditor_token(app: Flask, role: str = "auditor") -> str:
    """A fresh account of ``role`` (auditor or admin) and an auditor token issued to it."""
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        # Inside the test's own context (the ``ctx`` fixture): the requests that follow share its
        # session, which must see the token; a nested context would commit it in another session.
        return _issue(role)
    with app.app_context():
        return _issue(role)


def _issue(role: str) -> str:
    user = accounts.create_user(
        f"{role}-{secrets.token_hex(3)}", f"Test {role}", role, "correct horse battery staple"
    )
    return credentials.issue("auditor", "test audit", user=user).token


def auditor_headers(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {auditor_token(app)}"}
