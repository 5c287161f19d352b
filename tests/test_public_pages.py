"""The public's own pages: the home page and its code field, error pages, the favicon (issue 14)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from registry.core.codes import display_code
from registry.services import signing
from tests.conftest import LiveServer, sign_in
from tests.factories import DEMO, walk_in


def test_home_page_explains_ikrar_and_links_the_public_pages(client: FlaskClient) -> None:
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert '<form class="code-form" method="get" action="/v/"' in page and 'name="code"' in page
    assert "Apa itu Ikrar?" in page and "tidak tersertifikasi" in page
    for link in ('href="/audit"', 'href="/privasi"', f'href="/c/{DEMO}"', f'href="/c/{DEMO}/v1"'):
        assert link in page, link
    assert "12 September 2024" in page and "2024-09-12" not in page
    assert "private" in response.headers["Cache-Control"]  # the language form's CSRF token


def test_the_code_field_normalises_what_a_person_types(ctx: Flask, client: FlaskClient) -> None:
    code = signing.sign(walk_in("Ayu Lestari"), ctx.extensions["ikrar.signers"]).record.code
    typed = " " + display_code(code).lower().replace("-", " - ") + " "
    response = client.get("/v/", query_string={"code": typed})
    assert response.status_code == 303 and response.headers["Location"] == f"/v/{code}"
    assert client.get("/v/", query_string={"code": code}).headers["Location"] == f"/v/{code}"


def test_no_code_goes_home_and_a_mistyped_code_is_explained(client: FlaskClient) -> None:
    for path in ("/v/", "/v/?code=", "/v/?code=%20%20"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/", path
    assert client.get("/v", follow_redirects=True).request.path == "/"  # via Werkzeug's /v -> /v/
    short = client.get("/v/", query_string={"code": "ABCD"})
    page = short.get_data(as_text=True)
    assert short.status_code == 400 and "11 huruf dan angka" in page
    assert 'value="ABCD"' in page and 'aria-invalid="true"' in page
    # One symbol changed: the check symbol catches it before any lookup.
    wrong = client.get("/v/", query_string={"code": "0000-0000-007"})
    assert wrong.status_code == 400 and "simbol periksa" in wrong.get_data(as_text=True)


def test_the_unknown_code_page_has_the_field(client: FlaskClient) -> None:
    response = client.get("/v/0000-0000-000")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and 'data-status="unknown"' in page
    assert 'action="/v/"' in page and 'value="0000-0000-000"' in page


def test_error_pages_are_indonesian_html_and_the_api_keeps_problem_json(
    app: Flask, client: FlaskClient
) -> None:
    missing = client.get("/no-such-page")
    page = missing.get_data(as_text=True)
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Halaman tidak ditemukan" in page and "/static/base.css" in page and 'href="/"' in page
    assert client.get("/c/no-such-commitment/v1").status_code == 404

    wrong_method = client.delete("/privasi")
    assert wrong_method.status_code == 405 and "Cara akses tidak didukung" in wrong_method.get_data(
        as_text=True
    )
    assert "GET" in wrong_method.headers["Allow"]

    sign_in(app, client, "operator")
    refused = client.get(f"/admin/commitments/{DEMO}")
    assert refused.status_code == 403 and "Akses ditolak" in refused.get_data(as_text=True)

    api = client.get("/api/v1/commitments/no-such-commitment")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert client.get("/no-such-page", headers={"Accept": "application/json"}).mimetype == (
        "application/problem+json"
    )
    assert client.get("/log/nothing").mimetype == "application/problem+json"


def test_an_unexpected_error_is_a_styled_500_page(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom() -> str:
        raise RuntimeError("a bug")

    client = app.test_client()
    response = client.get("/boom-for-test")
    page = response.get_data(as_text=True)
    assert (
        response.status_code == 500 and "Terjadi kesalahan di server" in page and "/static/base.css" in page
    )
    assert "a bug" not in page and "Traceback" not in page
    as_api = client.get("/boom-for-test", headers={"Accept": "application/json"})
    assert as_api.status_code == 500 and as_api.mimetype == "application/problem+json"


def test_favicon(client: FlaskClient) -> None:
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/").get_data(
        as_text=True
    )
    for path in ("/favicon.ico", "/static/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<svg") and b"<script" not in response.data
        response.close()


def test_home_form_to_verify_page_in_a_browser(app: Flask, live_server: LiveServer, browser: Any) -> None:
    with app.app_context():
        code = signing.sign(walk_in("Ayu Lestari"), app.extensions["ikrar.signers"]).record.code
    page = browser.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.locator("h1").first.inner_text() == "Periksa sertifikat komitmen"
        page.fill("#code", display_code(code).lower().replace("-", " "))
        page.click(".code-form button[type=submit]")
        page.wait_for_url(re.compile(rf"/v/{code}$"))
        assert page.locator("#sealed-name").inner_text() == "Ayu Lestari"
        page.goto(live_server.url + "/v/")
        assert page.url == live_server.url + "/"
        page.goto(live_server.url + "/halaman-yang-tidak-ada")
        assert page.locator("#error-title").inner_text() == "Halaman tidak ditemukan"
        # Styled: base.css applies (the header's dark background), not Werkzeug's bare page.
        background = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        assert background == "rgb(16, 36, 62)"
    finally:
        page.close()
