"""An auditor bearer token for tests that need the full signature document (record and seal)."""

from __future__ import annotations

import secrets

from flask import Flask

from registry.services import accounts, credentials


def auditor_token(app: Flask, role: str = "auditor") -> str:
    """A fresh account of ``role`` (auditor or admin) and an auditor token issued to it."""
    with app.app_context():
        user = accounts.create_user(
            f"{role}-{secrets.token_hex(3)}", f"Test {role}", role, "correct horse battery staple"
        )
        return credentials.issue("auditor", "test audit", user=user).token


def auditor_headers(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {auditor_token(app)}"}
