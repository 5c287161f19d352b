"""The kiosk as an older official on a tablet meets it (issue 14): big enough buttons, a text box
that shows it scrolls and takes the keyboard, empty fields pointed out, long names whole, and the
next signer back in Bahasa Indonesia."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import LiveServer
from tests.test_kiosk_browser import enrolled_page, walk_through

pytestmark = pytest.mark.same_on_every_database

TOUCH = 44  # CSS px, WCAG 2.5.5 / platform guidance for a finger


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return dict(box)


def test_language_and_operator_buttons_are_finger_sized(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-touch")
    try:
        for selector in ("#lang-form button", "a.button[href='/kiosk/leave']"):
            box = _box(page, selector)
            assert box["width"] >= TOUCH and box["height"] >= TOUCH, (selector, box)
    finally:
        page.context.close()


def test_the_text_scrolls_visibly_and_takes_the_keyboard(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-scroll")
    try:
        page.click("#walk-in")
        page.fill("#f-name", "Ayu Lestari")
        page.fill("#f-position", "Kepala Bidang")
        page.fill("#f-institution", "Dinas Kominfo")
        page.select_option("#f-category", "pemerintah")
        page.click("#identity-next")
        page.wait_for_selector("#step-read:not([hidden])")
        text = page.locator("#commitment-text")
        assert text.get_attribute("tabindex") == "0" and text.get_attribute("role") == "region"
        assert text.get_attribute("aria-label") == "Teks komitmen"
        assert page.locator("#commitment-text-hint").is_visible()
        assert "gradient" in page.evaluate(
            "getComputedStyle(document.getElementById('commitment-text')).backgroundImage"
        )
        page.evaluate("document.getElementById('commitment-text').style.maxHeight = '8rem'")
        assert page.evaluate(
            "(e => e.scrollHeight > e.clientHeight)(document.getElementById('commitment-text'))"
        )
        # Tab reaches it; the arrow keys then scroll it.
        page.focus("#commitment-text")
        assert page.evaluate("document.activeElement.id") == "commitment-text"
        page.keyboard.press("End")
        scrolled = "document.getElementById('commitment-text').scrollTop"
        for _ in range(100):  # the page's CSP forbids wait_for_function's eval: poll instead
            if page.evaluate(scrolled) > 0:
                break
            page.wait_for_timeout(50)
        assert page.evaluate(scrolled) > 0
    finally:
        page.context.close()


def test_complete_all_fields_marks_the_empty_ones_and_long_names_wrap(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-fields")
    try:
        page.click("#walk-in")
        long_name = "Prof. Dr. Ir. Raden Mas Kusumawardhana Adiningrat Wicaksonoputro, S.T., M.Si., M.M."
        page.fill("#f-name", long_name)
        page.click("#identity-next")
        assert page.locator("#identity-error").is_visible()
        assert page.get_attribute("#f-name", "aria-invalid") is None
        for field in ("position", "institution", "category"):
            assert page.get_attribute(f"#f-{field}", "aria-invalid") == "true", field
        outline = page.evaluate("getComputedStyle(document.getElementById('f-position')).outlineStyle")
        assert outline == "solid"
        page.fill("#f-position", "Kepala Bidang")
        page.fill("#f-institution", "Dinas Kominfo")
        page.select_option("#f-category", "pemerintah")
        page.click("#identity-next")
        page.wait_for_selector("#step-read:not([hidden])")
        assert page.get_attribute("#f-position", "aria-invalid") is None
    finally:
        page.context.close()


def test_the_next_signer_starts_in_indonesian(browser: Any, app: Flask, live_server: LiveServer) -> None:
    page = enrolled_page(browser, app, live_server, "opr-lang-reset")
    try:
        page.click("#lang-form button")
        page.wait_for_selector("#step-find:not([hidden])")
        assert page.text_content("#step-find h1") == "Welcome"
        page.click("#walk-in")  # the English signer starts, then gives up with "Cancel"
        page.fill("#f-name", "Ayu")
        page.click("#cancel")
        page.click("#cancel-confirm")
        page.wait_for_function("() => document.documentElement?.lang === 'id'")
        page.wait_for_selector("#step-find:not([hidden])")
        assert page.text_content("#step-find h1") == "Selamat datang"
    finally:
        page.context.close()


def test_a_long_name_is_shown_whole_on_the_review_screen(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-long")
    name = "Prof. Dr. Ir. Raden Mas Kusumawardhanaadiningratwicaksonoputrowiryawan, S.T., M.Si., M.M."
    institution = "Dinas Komunikasi, Informatika, Statistik dan Persandian Kabupaten Purbalingga"
    try:
        walk_through(
            page,
            search=None,
            walk_in={
                "name": name,
                "position": "Kepala",
                "institution": institution,
                "category": "pemerintah",
            },
        )
        assert page.inner_text("#r-name") == name and page.inner_text("#r-institution") == institution
        for selector in ("#r-name", "#r-institution"):
            fits = page.evaluate(
                f"(e => e.scrollWidth <= e.clientWidth)(document.querySelector('{selector}'))"
            )
            assert fits, selector  # wrapped inside its box, not cut off or spilling out
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        page.context.close()
