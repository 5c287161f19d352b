"""The verify page in headless Chromium on a phone-sized viewport: the in-page WebCrypto check.

Set IKRAR_SCREENSHOT_DIR (e.g. docs/screenshots) to also save verify-phone.png and verify-upload.png.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from registry.services import certificates, signing
from tests.conftest import LiveServer
from tests.factories import walk_in

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("IKRAR_SCREENSHOT_DIR")


def statement_url(app: Flask, server: LiveServer, name: str) -> tuple[str, str]:
    """(the page address with the QR statement, the record id) of a fresh signature."""
    with app.app_context():
        row = signing.sign(walk_in(name), app.extensions["ikrar.signers"]).record
        url, signed = certificates.qr_url_for(row)
        assert signed
        record_id = row.id
    return server.url + "/v/" + url.split("/v/", 1)[1], record_id


def phone_page(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="id-ID", is_mobile=True)
    return context.new_page()


def result_of(page: Any) -> str:
    page.wait_for_selector("#offline-check[data-result]:not([data-result=pending])")
    return str(page.get_attribute("#offline-check", "data-result"))


def test_verify_page_says_valid_after_webcrypto_check(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url, _ = statement_url(app, live_server, "Ayu Lestari")
    page = phone_page(browser)
    errors: list[str] = []
    # Script errors and CSP violations (the browser's own /favicon.ico 404 is not one).
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if "Security Policy" in message.text else None
    )
    try:
        page.goto(url)
        assert result_of(page) == "valid"
        assert page.text_content("#check-result") == "Tanda tangan digital diperiksa di perangkat ini: sah"
        assert page.get_attribute("#verdict", "data-status") == "valid"
        assert errors == []  # no CSP violation, no script error
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / "verify-phone.png"), full_page=True)
    finally:
        page.context.close()


def test_verify_page_says_invalid_for_a_tampered_fragment(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url, _ = statement_url(app, live_server, "Budi Santoso")
    prefix, fragment = url.split("#")
    position = len(fragment) // 2
    tampered = fragment[:position] + ("B" if fragment[position] == "A" else "A") + fragment[position + 1 :]
    page = phone_page(browser)
    try:
        page.goto(prefix + "#" + tampered)
        assert result_of(page) == "invalid"
        assert "TIDAK SAH" in str(page.text_content("#check-result"))
        # A genuine statement of another record, moved to this page, does not match what it shows.
        other, _ = statement_url(app, live_server, "Citra Dewi")
        page.goto(prefix + "#" + other.split("#")[1])
        page.reload()
        assert result_of(page) == "mismatch"
        # No fragment (a typed code): the page says the on-device check needs the QR.
        page.goto(prefix)
        page.reload()
        assert result_of(page) == "none"
    finally:
        page.context.close()


def test_upload_page_in_the_browser(
    app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    _, record_id = statement_url(app, live_server, "Dewi Anggraini")
    with app.app_context():
        pdf = certificates.certificate_pdf(signing.get(record_id))
    path = tmp_path / "sertifikat.pdf"
    path.write_bytes(pdf)
    page = phone_page(browser)
    try:
        page.goto(live_server.url + "/verify/upload")
        page.set_input_files("#certificate", str(path))
        page.click("button[type=submit]:text('Periksa')")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-status") == "valid"
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "verify-upload.png"), full_page=True)
    finally:
        page.context.close()


def test_withdrawn_page_says_so_next_to_the_valid_seal(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    from registry.services import withdrawals

    url, record_id = statement_url(app, live_server, "Keliru Tanda")
    with app.app_context():
        withdrawals.withdraw(record_id, "Ditandatangani oleh orang yang salah", "admin-test")
    page = phone_page(browser)
    try:
        page.goto(url)
        assert result_of(page) == "valid"
        assert page.get_attribute("#verdict", "data-status") == "withdrawn"
        assert "DITARIK" in str(page.text_content("#check-result"))
        assert "orang yang salah" in str(page.text_content("#verdict"))
    finally:
        page.context.close()
