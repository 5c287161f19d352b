"""The privacy notice /privasi (UU 27/2022 Pasal 21): content, languages, configuration, links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.services import signing
from tests.conftest import Env, LiveServer, csrf_token
from tests.factories import DEMO, walk_in
from tests.test_kiosk import enrol

DEMO_CONTROLLER = "Dinas Komunikasi dan Informatika Kabupaten Purbalingga"


def _english(client: FlaskClient) -> None:
    token = csrf_token(client, "/privasi")
    answer = client.post("/lang", data={"lang": "en", "next": "/privasi", "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == "/privasi"


def test_notice_in_indonesian_names_the_controller_and_the_facts(client: FlaskClient) -> None:
    page = client.get("/privasi")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Pemberitahuan privasi" in html
    assert f"Pengendali data pribadi adalah {DEMO_CONTROLLER}" in html
    # No contact configured: an example address, marked as one.
    assert 'id="contact-example"' in html and "ppid@example.org" in html
    for fact in (
        "Tanda tangan tulisan tangan Anda",  # the strokes
        "identitas operator dan perangkat",
        "daftar undangan",  # contact details from the import
        "memilih tampil publik",
        "mengakses data Anda",
        "memperbaiki",
        "dihapus",
        "keberatan",
        "3 × 24 jam",
        "tidak tersertifikasi menurut PP 71/2019",
        "sehari setelahnya data itu dihapus otomatis",
        "ikrar privacy erase",
        "sertifikat PDF yang Anda simpan tetap dapat diperiksa",
        "masa simpan belum ditetapkan",  # the demo commitment, until an admin sets it
    ):
        assert fact in html, fact
    assert "tersertifikasi menurut" not in html.replace("tidak tersertifikasi menurut", "")


def test_notice_in_english_through_the_language_switch(client: FlaskClient) -> None:
    _english(client)
    html = client.get("/privasi").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Privacy notice" in html
    assert f"The personal data controller is {DEMO_CONTROLLER}" in html
    assert "3 × 24 hours" in html and "not certified under PP 71/2019" in html
    assert "Pengendali data pribadi adalah" not in html


@pytest.fixture
def configured(env: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    from registry.app import create_app

    monkeypatch.setenv("IKRAR_CONTROLLER_NAME", "Dinas Kominfo Kabupaten Contoh")
    monkeypatch.setenv("IKRAR_CONTROLLER_CONTACT", "pdp@kominfo.contoh.go.id")
    application = create_app(env.config(), startup_checks=False)
    from tests.conftest import initialise

    initialise(application)
    yield application
    from registry.extensions import db

    with application.app_context():
        db.engine.dispose()


def test_controller_name_and_contact_come_from_the_settings(configured: Flask) -> None:
    html = configured.test_client().get("/privasi").get_data(as_text=True)
    assert "Pengendali data pribadi adalah Dinas Kominfo Kabupaten Contoh" in html
    assert "pdp@kominfo.contoh.go.id" in html
    assert "contact-example" not in html and "example.org" not in html
    assert DEMO_CONTROLLER not in html


def _links_to_notice(html: str) -> bool:
    return re.search(r'<a href="/privasi"[^>]*>', html) is not None


def test_public_list_and_verify_page_link_the_notice(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        code = signing.sign(walk_in("Sekar Ayu"), app.extensions["ikrar.signers"]).record.code
    public_list = client.get(f"/c/{DEMO}")
    assert public_list.status_code == 200 and _links_to_notice(public_list.get_data(as_text=True))
    verify_page = client.get(f"/v/{code}")
    assert verify_page.status_code == 200 and _links_to_notice(verify_page.get_data(as_text=True))


def test_kiosk_consent_step_links_the_notice_without_leaving_the_kiosk(
    app: Flask, client: FlaskClient
) -> None:
    enrol(app, client)
    html = client.get("/kiosk").get_data(as_text=True)
    consent = re.search(r'<section class="step" id="step-consent".*?</section>', html, re.S)
    assert consent is not None
    link = re.search(r'<a href="/privasi"[^>]*>', consent.group(0))
    assert link is not None
    # A new tab: the signer's answers on the kiosk page are not lost.
    assert 'target="_blank"' in link.group(0) and 'rel="noopener"' in link.group(0)
    assert client.get("/privasi").status_code == 200


def test_notice_is_listed_with_the_html_pages_in_openapi(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    assert "get" in document["paths"]["/privasi"]


def test_kiosk_link_opens_the_notice_in_a_new_tab_and_keeps_the_signers_answers(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    from tests.test_kiosk_browser import enrolled_page

    page = enrolled_page(browser, app, live_server, "opr-privacy")
    page.click("#walk-in")
    page.fill("#f-name", "Rina Marlina")
    page.fill("#f-position", "Sekretaris Desa")
    page.fill("#f-institution", "Desa Bojongsari")
    page.select_option("#f-category", "komunitas")
    page.click("#identity-next")
    page.click("#read-next")
    page.check("input[name=dimension][value=smart-society]")
    page.click("#dimensions-next")
    page.wait_for_selector("#step-consent:not([hidden])")
    page.check("#consent")
    with page.context.expect_page() as opened:
        page.click("#step-consent #privacy-link")
    notice = opened.value
    notice.wait_for_load_state()
    assert notice.url == live_server.url + "/privasi"
    assert notice.locator("#privacy-title").inner_text() == "Pemberitahuan privasi"
    assert DEMO_CONTROLLER in notice.locator("#controller").inner_text()
    notice.close()
    # The kiosk tab did not move: same step, same answers, and the signer carries on.
    assert page.is_visible("#step-consent") and page.is_checked("#consent")
    page.check("input[name=public_display][value=no]")
    page.click("#consent-next")
    page.wait_for_selector("#step-sign:not([hidden])")


def test_each_commitments_retention_period_is_on_the_notice(app: Flask, client: FlaskClient) -> None:
    from datetime import date

    from registry.services import erasure
    from tests.factories import DEMO

    with app.app_context():
        erasure.set_retention(DEMO, date(2029, 9, 12), "test")
    html = client.get("/privasi").get_data(as_text=True)
    assert "disimpan sampai 12 September 2029" in html
