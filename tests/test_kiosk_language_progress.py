"""A language switch in the middle of signing keeps the signer's progress, and only for that signer.

Headless Chromium against the real server: the switch is the header's form (a page reload).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from registry.extensions import db
from registry.models import SignatureRecord
from tests.conftest import LiveServer
from tests.test_kiosk_browser import draw_signature, enrolled_page, no_trace

WALK_IN = {"name": "Sekar Ayu Lestari", "position": "Ketua", "institution": "Karang Taruna Kutasari"}

FIELDS = """() => ['f-name', 'f-position', 'f-institution', 'f-category'].map(id => document.getElementById(id).value)"""
TICKED = """() => Array.from(document.querySelectorAll('input[name=dimension]:checked')).map(c => c.value)"""


def visible_step(page: Any) -> str:
    return str(page.evaluate("() => document.querySelector('.step:not([hidden])').dataset.step"))


def switch_language(page: Any, lang: str) -> None:
    page.click("#lang-form button")
    page.wait_for_function(f"() => document.documentElement?.lang === '{lang}'")


def fill_walk_in(page: Any) -> None:
    page.click("#walk-in")
    for field, value in WALK_IN.items():
        page.fill(f"#f-{field}", value)
    page.select_option("#f-category", "komunitas")


def test_a_switch_keeps_the_step_and_what_was_filled_in(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-lang-progress")
    try:
        fill_walk_in(page)
        page.click("#identity-next")
        page.click("#read-next")
        page.wait_for_selector("#step-dimensions:not([hidden])")
        page.check("input[name=dimension][value=smart-living]")

        switch_language(page, "en")
        page.wait_for_selector("#step-dimensions:not([hidden])")
        assert visible_step(page) == "dimensions"
        assert page.text_content("#step-dimensions h1") == "The dimensions your institution commits to"
        assert page.evaluate(FIELDS) == [*WALK_IN.values(), "komunitas"]
        assert page.evaluate(TICKED) == ["smart-living"]
        # Taken back by the reloaded page: storage no longer holds the signer while they go on.
        assert page.evaluate("() => sessionStorage.length") == 0

        page.check("input[name=dimension][value=smart-governance]")
        page.click("#dimensions-next")
        page.check("#consent")
        page.check("input[name=public_display][value=no]")
        switch_language(page, "id")
        page.wait_for_selector("#step-consent:not([hidden])")
        assert page.text_content("#step-consent h1") == "Persetujuan"
        assert page.is_checked("#consent") and page.is_checked("input[name=public_display][value=no]")
        page.click("#consent-next")
        page.wait_for_selector("#step-sign:not([hidden])")
        draw_signature(page)
        strokes = page.evaluate("() => window.ikrarKiosk.strokeCount()")
        assert strokes == 2

        # The drawn signature survives a switch too, and the review is in the new language.
        switch_language(page, "en")
        page.wait_for_selector("#step-sign:not([hidden])")
        assert page.evaluate("() => window.ikrarKiosk.strokeCount()") == strokes
        page.click("#sign-next")
        page.wait_for_selector("#step-review:not([hidden])")
        assert page.text_content("#r-name") == WALK_IN["name"]
        assert page.text_content("#r-public") == "No, do not show it"
        page.click("#submit")
        page.wait_for_selector("#step-done:not([hidden])")
        with app.app_context():
            record = db.session.execute(select(SignatureRecord)).scalar_one()
            assert (record.name, record.institution) == (WALK_IN["name"], WALK_IN["institution"])
            assert record.public_display is False
            assert b"smart-governance" in record.body and b"smart-living" in record.body

        # The next signer starts in Indonesian with nothing of the one before.
        page.click("#step-done [data-next-signer]")
        page.wait_for_function("() => document.documentElement?.lang === 'id'")
        page.wait_for_selector("#step-find:not([hidden])")
        assert page.text_content("#step-find h1") == "Selamat datang"
        left = no_trace(page)
        assert left["values"] == [] and left["session"] == 0 and left["local"] == 0
        page.click("#walk-in")
        assert page.evaluate(FIELDS) == ["", "", "", ""]
    finally:
        page.context.close()


def test_a_signer_who_walks_away_after_a_switch_leaves_nothing(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-lang-idle")
    try:
        fill_walk_in(page)
        page.click("#identity-next")
        page.wait_for_selector("#step-read:not([hidden])")
        switch_language(page, "en")
        page.wait_for_selector("#step-read:not([hidden])")
        assert page.evaluate(FIELDS)[0] == WALK_IN["name"]
        # Shortened for the test (the page's default is minutes), then one key press restarts the idle clock.
        page.evaluate(
            "() => Object.assign(document.getElementById('kiosk').dataset, {idleSeconds: '4', idleWarningSeconds: '2'})"
        )
        page.keyboard.press("Shift")
        page.wait_for_selector("#idle-warning[open]", timeout=30_000)
        page.wait_for_function(
            "() => document.documentElement?.lang === 'id' && document.getElementById('step-find')?.hidden === false",
            timeout=30_000,
        )
        left = no_trace(page)
        assert left["values"] == [] and left["session"] == 0 and left["local"] == 0
        # A reload (what a language switch does) brings nobody back.
        page.reload()
        page.wait_for_selector("#step-find:not([hidden])")
        assert visible_step(page) == "find"
        page.click("#walk-in")
        assert page.evaluate(FIELDS) == ["", "", "", ""]
    finally:
        page.context.close()
