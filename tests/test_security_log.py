"""The security event log: structured lines for refusals and account changes, no secrets in them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.services import account_security, accounts, signing
from tests.conftest import csrf_token, sign_in
from tests.factories import walk_in

PASSWORD = "salah-sekali-bukan-kata-sandi-ini"


def _events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "ikrar.security"]


def test_sign_in_failures_throttling_and_forbidden_pages_are_logged_without_secrets(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ikrar.security")
    with app.app_context():
        accounts.create_user("petugas-log", "Petugas", "operator", "kuda-baterai-staples-benar")
    for _ in range(5):
        token = csrf_token(client, "/login")
        client.post("/login", data={"username": "petugas-log", "password": PASSWORD, "csrf_token": token})
    events = _events(caplog)
    failures = [e for e in events if e["event"] == "auth.failure"]
    assert failures and all(e["account"] == "petugas-log" and e["form"] == "sign-in" for e in failures)
    assert any(e["event"] == "auth.throttled" and e["wait"] >= 1 for e in events)
    for e in events:
        assert len(e["client"]) == 16 and "127.0.0.1" not in json.dumps(e)
        assert "time" in e and e["path"] == "/login"
    assert PASSWORD not in caplog.text

    operator = app.test_client()
    sign_in(app, operator, "operator")
    caplog.clear()
    assert operator.get("/admin/commitments").status_code == 403
    (forbidden,) = [e for e in _events(caplog) if e["event"] == "http.forbidden"]
    assert forbidden["path"] == "/admin/commitments" and forbidden["user"].startswith("u")


def test_csrf_failures_and_capability_tokens(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ikrar.security")
    sign_in(app, client, "admin")
    caplog.clear()
    assert client.post("/logout", data={}).status_code == 400
    assert [e["event"] for e in _events(caplog)] == ["csrf.failure"]
    with app.app_context():
        row = signing.sign(walk_in("Rahasia Token"), app.extensions["ikrar.signers"]).record
        record_id = row.id
    caplog.clear()
    anonymous = app.test_client()
    assert (
        anonymous.get(f"/api/v1/signatures/{record_id}/certificate.pdf?t=tebakan-token-rahasia").status_code
        == 403
    )
    assert "tebakan-token-rahasia" not in caplog.text and "http.forbidden" in caplog.text


def test_account_changes_are_logged(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ikrar.security")
    with app.app_context():
        accounts.create_user("auditor-log", "Auditor", "auditor", "kuda-baterai-staples-benar")
        account_security.set_role("auditor-log", "admin")
        accounts.set_active("auditor-log", False)
        account_security.end_sessions(None)
    kinds = [(e["event"], e.get("account")) for e in _events(caplog)]
    assert ("account.role_changed", "auditor-log") in kinds
    assert ("account.disabled", "auditor-log") in kinds
    assert ("account.sessions_ended", "*") in kinds
