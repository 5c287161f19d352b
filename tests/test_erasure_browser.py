"""The verify page of an erased signature, as a phone shows it after scanning the kept certificate.

The QR printed on the certificate still carries the signer's name in its fragment; the registry
no longer holds it. The page must say, at the top and in the first viewport, that the signature
was recorded and its personal data erased — never green, never "unknown", and never echo the
name the QR carries.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry.services import erasure
from tests.conftest import LiveServer
from tests.test_verify_browser import (
    final_verdict,
    headline,
    in_first_viewport,
    phone_page,
    qr_from_certificate,
    visible_green,
    watch_errors,
)

NAME = "Wiraswasti Erasmus Handayaningrat"


def test_the_scanned_qr_of_an_erased_signature_says_recorded_and_erased(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url = qr_from_certificate(app, live_server, NAME)
    code = url.split("/v/", 1)[1].split("#", 1)[0]
    with app.app_context():
        from registry.services import verification

        row = verification.find(code)
        assert row is not None
        erasure.erase([row.id], ground="request", actor="test")
    page = phone_page(browser)
    errors = watch_errors(page)
    try:
        page.goto(url)
        assert final_verdict(page) == "erased"
        assert headline(page) == "Tercatat; data pribadi dihapus"
        assert in_first_viewport(page, "#verdict")
        text = str(page.inner_text("body"))
        assert "dihapus pada" in text
        assert NAME not in text and "Wiraswasti" not in page.content()
        assert visible_green(page) == []
        assert errors == []
        # A code typed by hand (no QR statement) gets the same verdict.
        page.goto("about:blank")
        page.goto(url.split("#", 1)[0])
        assert final_verdict(page) == "erased" and headline(page) == "Tercatat; data pribadi dihapus"
    finally:
        page.context.close()
