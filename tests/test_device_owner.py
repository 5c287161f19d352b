"""A device credential ends with the operator who enrolled it (issue 13, Faults)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from registry.services import accounts, credentials
from tests.factories import DEMO
from tests.test_kiosk import enrol
from tests.test_signing_api import body, post


def _disable(app: Flask, public_id: str) -> None:
    with app.app_context():
        user = accounts.by_public_id(public_id)
        assert user is not None
        accounts.set_active(user.username, False)


def test_a_disabled_operators_tablet_no_longer_lists_invitees(app: Flask, client: FlaskClient) -> None:
    operator = enrol(app, client)
    assert client.get("/kiosk/invitees?q=Sri").status_code == 200
    assert client.get("/kiosk/state").status_code == 200
    _disable(app, operator)
    assert client.get("/kiosk/invitees?q=Sri").status_code == 401
    assert client.get("/kiosk/state").status_code == 401
    page = client.get("/kiosk")
    assert page.status_code == 302 and page.headers["Location"].endswith("/operator")


def test_a_device_token_issued_to_a_disabled_operator_is_refused(app: Flask, client: FlaskClient) -> None:
    """Already so before issue 13 (bearer.py, now registry/services/callers.py); kept so the shared owner check cannot lose it."""
    with app.app_context():
        user = accounts.create_user(
            "op-tablet", "Operator Tablet", "operator", "correct horse battery staple"
        )
        token = credentials.issue("device", "Tablet 2", commitment=DEMO, user=user).token
        public_id = user.public_id
    assert post(client, token, body("Ayu Lestari")).status_code == 201
    _disable(app, public_id)
    refused = post(client, token, body("Budi Santoso"))
    assert refused.status_code == 401, refused.get_json()
    assert "disabled" in refused.get_json()["detail"]


def test_a_device_that_belongs_to_no_account_keeps_working(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        token = credentials.issue("device", "Integration", commitment=DEMO).token
    assert post(client, token, body("Ayu Lestari")).status_code == 201
