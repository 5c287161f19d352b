"""The staff and upload forms read form bodies only: a JSON body (hostile or not) posted with a
valid CSRF token gets the form's own answer for an empty form, never a 500 or a bare 400."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.services import commitments
from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO

JSON_BODIES = ["[1, 2]", '"text"', "{not json", '{"slug": "dari-json", "event_date": "2025-01-01"}']


@pytest.mark.parametrize("body", JSON_BODIES)
def test_a_json_body_to_the_commitment_form_is_an_empty_form(
    app: Flask, client: FlaskClient, body: str
) -> None:
    sign_in(app, client, "admin")
    token = csrf_token(client, "/admin/commitments/new")
    response = client.post(
        "/admin/commitments/new",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="event_date"' in page and "dari-json" not in page


@pytest.mark.parametrize("body", [*JSON_BODIES, '{"confirm": "yes"}'])
def test_a_json_body_never_confirms_a_status_change(app: Flask, client: FlaskClient, body: str) -> None:
    sign_in(app, client, "admin")
    token = csrf_token(client, f"/admin/commitments/{DEMO}")
    response = client.post(
        f"/admin/commitments/{DEMO}/versions/1/close",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 400
    assert 'id="confirm-form"' in response.get_data(as_text=True)
    with app.app_context():
        assert commitments.get_version(DEMO, 1).status == "open"


@pytest.mark.parametrize("body", JSON_BODIES)
def test_a_json_body_to_verify_upload_asks_for_a_file(client: FlaskClient, body: str) -> None:
    token = csrf_token(client, "/verify/upload")
    response = client.post(
        "/verify/upload",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 400
    assert "Pilih berkas PDF sertifikat." in response.get_data(as_text=True)
