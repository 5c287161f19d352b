"""Sign-in, sessions and role checks."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import sign_in


def test_login_page_renders_csrf_token(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_sign_in_and_out(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "auditor")
    assert client.get("/home").status_code == 302
    cookie = client.get_cookie("ikrar_session")
    assert cookie is not None and cookie.http_only
