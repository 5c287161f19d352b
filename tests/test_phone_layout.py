"""Every public page fits a 360 px phone without horizontal scrolling (issue 14: /c/… was 631 px).

Long names, long institutions and 64-hex-digit hashes are the usual culprits: the test signs with
such data, then checks ``document.documentElement.scrollWidth <= 360`` in Chromium at 360×740.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from registry.extensions import db
from registry.models import SignatureRecord
from registry.services import erasure, signing, withdrawals
from registry.services.signing import Signatory
from tests.conftest import LiveServer
from tests.factories import DEMO, walk_in

pytestmark = pytest.mark.same_on_every_database

WIDTH = 360
LONG_NAME = "Prof. Dr. Ir. Raden Mas Kusumawardhana Adiningrat Wicaksonoputro, S.T., M.Si., M.M."
LONG_INSTITUTION = "Dinas Komunikasi, Informatika, Statistik dan Persandian Kabupaten Purbalingga"


def _sign(app: Flask, name: str, **overrides: Any) -> SignatureRecord:
    request = walk_in(
        name,
        signatory=Signatory(
            name=name,
            position="Kepala Bidang Aplikasi Informatika",
            institution=LONG_INSTITUTION,
            category="pemerintah",
        ),
        **overrides,
    )
    return signing.sign(request, app.extensions["ikrar.signers"]).record


@pytest.fixture
def codes(app: Flask) -> dict[str, str]:
    """A verification code in each state the verify page shows."""
    with app.app_context():
        valid = _sign(app, LONG_NAME)
        withdrawn = _sign(app, "Ayu Lestari Wulandari Kusumaningrum")
        withdrawals.withdraw(withdrawn.id, "Ditandatangani oleh orang yang salah " * 8, "admin-test")
        erased = _sign(app, "Bambang Sutrisno")
        erasure.erase([erased.id], ground="request", actor="test")
        invalid = _sign(app, "Citra Dewi")
        db.session.execute(
            update(SignatureRecord)
            .where(SignatureRecord.id == invalid.id)
            .values(body=bytes(invalid.body).replace(b"Citra Dewi", b"Citra Dewa"))
        )
        db.session.commit()
        return {
            "valid": valid.code,
            "withdrawn": withdrawn.code,
            "erased": erased.code,
            "invalid": invalid.code,
            "unknown": "0000-0000-000",
        }


def test_public_pages_fit_a_360_px_phone(
    codes: dict[str, str], live_server: LiveServer, browser: Any
) -> None:
    pages = {
        "home": "/",
        **{f"verify {state}": f"/v/{code}" for state, code in codes.items()},
        "public list": f"/c/{DEMO}",
        "version": f"/c/{DEMO}/v1",
        "audit": "/audit",
        "privacy": "/privasi",
        "not found": "/halaman-yang-tidak-ada",
        "bad code": "/v/?code=ABCD",
        "upload": "/verify/upload",
    }
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=1)
    page = context.new_page()
    widths: dict[str, int] = {}
    try:
        for label, path in pages.items():
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            if label.startswith("verify "):
                expected = "unknown" if label == "verify unknown" else label.split()[1]
                assert page.get_attribute("#verdict", "data-status") == expected, label
            widths[label] = page.evaluate("document.documentElement.scrollWidth")
        # The commitment text opened, and the key history, are part of what a reader sees.
        page.goto(live_server.url + f"/c/{DEMO}")
        page.click("details.text summary")
        widths["public list, text open"] = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    too_wide = {label: width for label, width in widths.items() if width > WIDTH}
    assert not too_wide, too_wide
