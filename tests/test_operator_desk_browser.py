"""The operator's desk in headless Chromium: sign in, read progress, search, register a walk-in,
and the walk-in then finds their own name on a kiosk tablet."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.a11y import assert_accessible
from tests.conftest import LiveServer
from tests.test_kiosk_browser import enrolled_page, log_in, operator


def test_operator_desk_flow(browser: Any, app: Flask, live_server: LiveServer) -> None:
    operator(app, "opr-desk")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    try:
        log_in(page, live_server, "opr-desk")  # the real login form
        page.click("#desk-links a")
        page.wait_for_selector("#not-signed")
        assert page.inner_text("#invited-signed") == "0 / 6"
        assert page.locator("a[href*='/admin/']").count() == 0, "no admin actions at the desk"
        assert_accessible(page, context="operator progress")
        # Search as a signer says their name.
        page.fill("#q", "Bapak Agus")
        page.click("#desk-search button[type=submit]")
        page.wait_for_url("**q=Bapak+Agus**")
        assert page.locator("#not-signed tbody tr").count() == 1
        assert "Agus Priyanto" in page.inner_text("#not-signed tbody tr")
        # Register a walk-in.
        page.click("#walk-in-link")
        assert_accessible(page, context="walk-in form")
        page.fill("#name", "Wulan Maharani")
        page.fill("#position", "Staf Ahli Bupati")
        page.fill("#institution", "Sekretariat Daerah")
        page.select_option("#category", "pemerintah")
        page.click("#register")
        page.wait_for_selector("#not-signed")
        assert "Wulan Maharani" in page.inner_text("#not-signed")
        assert "Wulan Maharani" in page.inner_text("p.flash")
        # A walk-in with a listed name is warned, and the listed person is shown.
        page.goto(live_server.url + page.get_attribute("#walk-in-link", "href"))
        page.fill("#name", "agus priyanto")
        page.fill("#position", "Guru")
        page.fill("#institution", "SMA Negeri 1 Purbalingga")
        page.click("#register")
        page.wait_for_selector("#twin-warning")
        assert "PT Perwira Digital Nusantara" in page.inner_text("#twin-warning")
        assert page.is_visible("#different-person")
        assert_accessible(page, context="walk-in twin warning")
    finally:
        context.close()
    # The walk-in finds their own name on a tablet enrolled afterwards.
    tablet = enrolled_page(browser, app, live_server, "opr-desk-tablet")
    try:
        tablet.wait_for_function("() => IkrarSearch.ready()")
        tablet.fill("#search", "wulan")
        tablet.wait_for_selector("#results button")
        assert tablet.inner_text("#results button b") == "Wulan Maharani"
    finally:
        tablet.context.close()
