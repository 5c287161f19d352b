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


def _login_form(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_wrong_password_and_missing_csrf(app: Flask, client: FlaskClient) -> None:
    from registry.services import accounts

    with app.app_context():
        accounts.create_user("rina", "Rina", "operator", "correct horse battery staple")
    token = _login_form(client)
    wrong = client.post(
        "/login", data={"username": "rina", "password": "wrong password!!", "csrf_token": token}
    )
    assert wrong.status_code == 200 and "salah" in wrong.get_data(as_text=True)
    no_csrf = client.post("/login", data={"username": "rina", "password": "correct horse battery staple"})
    assert no_csrf.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_next_redirects_only_to_local_paths(app: Flask, client: FlaskClient) -> None:
    from registry.services import accounts

    with app.app_context():
        accounts.create_user("tono", "Tono", "auditor", "correct horse battery staple")
    for target, expected in [
        ("/audit", "/audit"),
        ("https://evil.example/", "/home"),
        ("//evil.example/x", "/home"),
        ("/\\evil.example", "/home"),
        ("javascript:alert(1)", "/home"),
    ]:
        client.post("/logout", data={"csrf_token": _login_form(client)})
        token = _login_form(client)
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "tono", "password": "correct horse battery staple", "csrf_token": token},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == expected, target


def test_login_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    statuses = []
    for _ in range(12):
        token = _login_form(client)
        statuses.append(
            client.post(
                "/login", data={"username": "nobody", "password": "x" * 12, "csrf_token": token}
            ).status_code
        )
    # Three wrong passwords, then the account waits (tests/test_login_throttle.py has the rest).
    assert statuses[:3] == [200] * 3
    assert statuses[3] == 429


# The idle and absolute limits are checked on the server: tests/test_sessions.py.


def test_disabled_user_loses_the_session(app: Flask, client: FlaskClient) -> None:
    from registry.services import accounts

    sign_in(app, client, "auditor", username="dina")
    with app.app_context():
        accounts.set_active("dina", False)
    assert client.get("/home").headers["Location"].endswith("/login")


def test_logout_needs_post(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "auditor")
    assert client.get("/logout").status_code == 405


def test_pages_carry_no_inline_style_or_script(client: FlaskClient) -> None:
    # The CSP forbids inline styles and scripts; a page relying on them would render broken.
    for path in ("/login", "/audit"):
        page = client.get(path).get_data(as_text=True)
        assert "<style" not in page and "style=" not in page and "<script>" not in page, path
        assert "/static/base.css" in page
    response = client.get("/static/base.css")
    assert response.status_code == 200
    response.close()
