"""Signing closes while a signer is on the tablet (headless Chromium, real server): the signer is told
plainly, nothing is queued, the kiosk returns to its start (the "closed" screen); an idle kiosk
notices a closing and a reopening through its state poll."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import SignatureRecord
from registry.services import commitments
from tests.conftest import LiveServer
from tests.factories import DEMO
from tests.test_kiosk_browser import enrolled_page, no_trace, walk_through

WALK_IN = {"name": "Sari Dewi", "position": "Warga", "institution": "RT 07", "category": "komunitas"}


def _signatures(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(SignatureRecord)).scalar_one())


def _visible_step(page: Any) -> str:
    return str(page.evaluate("() => document.querySelector('.step:not([hidden])').id"))


def test_a_signer_mid_flow_when_signing_closes_is_told_and_the_kiosk_returns_to_the_start(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-closing")
    try:
        walk_through(page, search=None, walk_in=WALK_IN)
        with app.app_context():
            commitments.close(DEMO, 1)
        page.click("#submit")
        page.wait_for_selector("#step-ended:not([hidden])")
        shown = page.inner_text("#step-ended")
        assert "Penandatanganan sudah ditutup" in shown and "tidak tercatat" in shown
        assert "operator" in shown
        # Refused for good: nothing waits in the offline queue, nothing was signed.
        page.evaluate("() => window.ikrarKiosk.pending()")
        assert page.evaluate("() => document.getElementById('kiosk').dataset.pending") == "0"
        assert page.is_hidden("#pending")
        assert _signatures(app) == 0
        page.click("#step-ended [data-next-signer]")
        page.wait_for_selector("#step-closed:not([hidden])")
        trace = no_trace(page)
        assert trace["values"] == [] and trace["ink"] == 0 and trace["review"] == ""
        assert "Sari Dewi" not in page.inner_text("body")
        # Reopened by an admin: the next poll brings the start screen back.
        with app.app_context():
            commitments.reopen(DEMO, 1, "Peserta susulan datang setelah acara ditutup.", "usr_test")
        page.evaluate("() => window.ikrarKiosk.poll()")
        page.wait_for_selector("#step-find:not([hidden])")
    finally:
        page.context.close()


def test_an_idle_kiosk_shows_the_closed_screen_and_the_start_again_after_reopening(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-idle")
    try:
        with app.app_context():
            commitments.close(DEMO, 1)
        page.evaluate("() => window.ikrarKiosk.poll()")
        page.wait_for_selector("#step-closed:not([hidden])")
        assert "Penandatanganan sudah ditutup" in page.inner_text("#step-closed")
        # A page loaded while closed starts on the closed screen.
        page.reload()
        page.wait_for_selector("#step-closed:not([hidden])")
        with app.app_context():
            commitments.reopen(DEMO, 1, "Peserta susulan datang setelah acara ditutup.", "usr_test")
        page.evaluate("() => window.ikrarKiosk.poll()")
        page.wait_for_selector("#step-find:not([hidden])")
        assert _visible_step(page) == "step-find"
    finally:
        page.context.close()
