"""Staff sessions in headless Chromium against the real server: logout and password change end
the session everywhere, also in a second browser holding a copy of the cookie."""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry.services import accounts
from tests.conftest import LiveServer

PASSWORD = "correct horse battery staple"
NEW = "sawah hijau di lereng slamet"


def _log_in(context: Any, server: LiveServer, username: str, password: str = PASSWORD) -> Any:
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/admin/commitments")
    return page


def _admin_page_opens(context: Any, server: LiveServer) -> bool:
    page = context.new_page()
    page.goto(server.url + "/admin/commitments")
    opened = page.url == server.url + "/admin/commitments"
    page.close()
    return opened


def test_logout_and_password_change_in_a_real_browser(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    with app.app_context():
        accounts.create_user("sari", "Sari", "admin", PASSWORD)
    first = browser.new_context(locale="id-ID")
    page = _log_in(first, live_server, "sari")
    stolen = [dict(c) for c in first.cookies() if c["name"] == "ikrar_session"]
    assert stolen
    thief = browser.new_context(user_agent="Mozilla/5.0 (X11; Linux) another machine")
    thief.add_cookies(stolen)
    assert _admin_page_opens(thief, live_server)
    page.click("header form[action='/logout'] button")
    page.wait_for_url(live_server.url + "/login")
    assert not _admin_page_opens(thief, live_server)
    assert page.get_attribute("input#password", "type") == "password"

    page = _log_in(first, live_server, "sari")
    second = browser.new_context(locale="id-ID")
    _log_in(second, live_server, "sari")
    page.click("#password-link")
    page.wait_for_url(live_server.url + "/account/password")
    for field in ("#current", "#password", "#confirm"):
        assert page.get_attribute(field, "type") == "password"
    page.fill("#current", PASSWORD)
    page.fill("#password", "password1234")
    page.fill("#confirm", "password1234")
    page.click("main button[type=submit]")
    assert "daftar kata sandi umum" in page.inner_text("#password-error")
    page.fill("#current", PASSWORD)
    page.fill("#password", NEW)
    page.fill("#confirm", NEW)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/admin/commitments")
    assert "Kata sandi diganti" in page.inner_text("main")
    assert _admin_page_opens(first, live_server)  # this browser stays signed in
    assert not _admin_page_opens(second, live_server)  # the other one was signed out
    for context in (first, second, thief):
        context.close()
