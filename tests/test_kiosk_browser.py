"""The kiosk driven in headless Chromium as signers and operators use it: real gunicorn, real pointer events.

Set IKRAR_SCREENSHOT_DIR (e.g. docs/screenshots) to also save the main screens as kiosk-*.png.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from registry.extensions import db
from registry.models import Credential, SignatureRecord
from registry.services import accounts
from tests.conftest import LiveServer

PASSWORD = "correct horse battery staple"
TABLET = {"width": 800, "height": 1280}
SHOTS = os.environ.get("IKRAR_SCREENSHOT_DIR")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"kiosk-{name}.png"))


def operator(app: Flask, username: str = "opr-browser", role: str = "operator") -> None:
    with app.app_context():
        accounts.create_user(username, "Operator Meja Depan", role, PASSWORD)


def log_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/operator")


def enrolled_page(
    browser: Any, app: Flask, server: LiveServer, username: str = "opr-browser", *, touch: bool = False
) -> Any:
    """A fresh tablet-sized context; the operator logs in and enrols it for the demo commitment."""
    operator(app, username)
    context = browser.new_context(viewport=TABLET, device_scale_factor=1, locale="id-ID", has_touch=touch)
    page = context.new_page()
    log_in(page, server, username)
    shot(page, "0-operator-enrol")
    page.fill("#label", "Tablet 1")
    page.click("#enrol")
    page.wait_for_url(server.url + "/kiosk")
    page.wait_for_selector("#step-find:not([hidden])")
    return page


def draw_signature(page: Any) -> None:
    """A looping, signature-like path drawn with the mouse: down, many moves, up — twice."""
    box = page.locator("#pad").bounding_box()
    assert box is not None
    for stroke in range(2):
        x0, y0 = box["x"] + 60 + stroke * 260, box["y"] + box["height"] / 2
        page.mouse.move(x0, y0)
        page.mouse.down()
        for i in range(1, 40):
            a = i / 40 * 2 * math.pi
            page.mouse.move(x0 + i * 5 + 25 * math.sin(2 * a), y0 + 50 * math.cos(3 * a))
        page.mouse.up()


def walk_through(
    page: Any, *, search: str | None, walk_in: dict[str, str] | None = None, shots: bool = False
) -> None:
    """One signer from the search screen to the review screen."""
    if search is not None:
        page.fill("#search", search)
        page.wait_for_selector(".result")
        if shots:
            shot(page, "1-search")
        page.locator(".result").first.click()
    else:
        page.click("#walk-in")
        assert walk_in is not None
        for field, value in walk_in.items():
            if field == "category":
                page.select_option("#f-category", value)
            else:
                page.fill(f"#f-{field}", value)
    page.wait_for_selector("#step-identity:not([hidden])")
    if shots:
        shot(page, "2-identity")
    page.click("#identity-next")
    page.wait_for_selector("#step-read:not([hidden])")
    if shots:
        shot(page, "3-read")
    page.click("#read-next")
    page.check("input[name=dimension][value=smart-governance]")
    page.check("input[name=dimension][value=smart-living]")
    if shots:
        shot(page, "4-dimensions")
    page.click("#dimensions-next")
    page.check("#consent")
    page.check("input[name=public_display][value=yes]")
    if shots:
        shot(page, "5-consent")
    page.click("#consent-next")
    page.wait_for_selector("#step-sign:not([hidden])")
    draw_signature(page)
    if shots:
        shot(page, "6-signature")
    page.click("#sign-next")
    page.wait_for_selector("#step-review:not([hidden])")
    if shots:
        shot(page, "7-review")


def no_trace(page: Any) -> dict[str, Any]:
    """What the page still holds that a next signer could see."""
    result: dict[str, Any] = page.evaluate(
        """() => {
        const pad = document.getElementById('pad');
        const pixels = pad.width && pad.height ? pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data : [];
        let ink = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) ink++;
        const values = Array.from(document.querySelectorAll('input:not([type=hidden]), select'))
          .filter(e => (e.type === 'checkbox' || e.type === 'radio') ? e.checked : e.value !== '')
          .map(e => e.id || e.name);
        return {
          ink, values,
          results: document.querySelectorAll('#results li').length,
          review: ['r-name', 'r-institution', 'done-code'].map(id => document.getElementById(id).textContent).join(''),
          qr: document.getElementById('qr').hasAttribute('src'),
          local: localStorage.length, session: sessionStorage.length,
          history: history.length,
          step: document.querySelector('.step:not([hidden])').id,
        };
    }"""
    )
    return result


def test_a_signer_signs_and_the_next_finds_no_trace(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server)
    before = no_trace(page)
    assert before["step"] == "step-find" and before["results"] == 0
    # Nobody's data before a search: one letter shows nothing.
    page.fill("#search", "R")
    page.wait_for_timeout(400)
    assert page.locator(".result").count() == 0
    walk_through(page, search="ratna", shots=True)
    assert page.text_content("#r-name") == "Dr. Ratna Dewi Kusumastuti"
    assert page.text_content("#r-dimensions") == "Smart Governance, Smart Living"
    page.click("#submit")
    page.wait_for_selector("#step-done:not([hidden])")
    page.wait_for_function(
        "() => document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0"
    )
    code = page.text_content("#done-code")
    shot(page, "8-done")
    with app.app_context():
        rows = db.session.execute(select(SignatureRecord)).scalars().all()
        assert [(r.name, r.code) for r in rows] == [("Dr. Ratna Dewi Kusumastuti", code)]
        device = db.session.execute(select(Credential)).scalar_one()
        assert device.kind == "device"
    page.click("#step-done [data-next-signer]")
    after = no_trace(page)
    assert after == before | {"ink": 0}
    assert after["values"] == [] and after["review"] == "" and not after["qr"]
    assert after["local"] == 0 and after["session"] == 0
    assert after["history"] == before["history"]
    # The invitee who signed is marked; the next signer cannot pick them again.
    page.fill("#search", "ratna")
    page.wait_for_selector(".result")
    assert page.locator(".result").first.is_disabled()


def test_refusals_stay_on_the_screen_and_a_scribble_is_refused(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-refusals")
    page.click("#walk-in")
    page.click("#identity-next")
    assert page.is_visible("#identity-error")
    page.fill("#f-name", "Budi Santoso")
    page.fill("#f-position", "Ketua RW 05")
    page.fill("#f-institution", "Kelurahan Kandanggampang")
    page.select_option("#f-category", "komunitas")
    page.click("#identity-next")
    page.click("#read-next")
    page.click("#dimensions-next")
    assert page.is_visible("#dimensions-error")
    page.check("input[name=dimension][value=smart-society]")
    page.click("#dimensions-next")
    page.click("#consent-next")
    assert page.is_visible("#consent-error")
    page.check("#consent")
    page.check("input[name=public_display][value=no]")
    page.click("#consent-next")
    # A dot is not a signature.
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 103, box["y"] + 101)
    page.mouse.up()
    page.click("#sign-next")
    assert page.is_visible("#sign-error")
    page.click("#clear")
    draw_signature(page)
    page.click("#undo")  # the second stroke goes; the first one alone is still a signature
    page.click("#sign-next")
    page.wait_for_selector("#step-review:not([hidden])")
    assert page.text_content("#r-public") == "Tidak, jangan tampilkan"
    # The success screen resets by itself after its countdown (shortened here).
    page.evaluate("() => { document.getElementById('kiosk').dataset.resetSeconds = '1'; }")
    page.click("#submit")
    page.wait_for_selector("#step-done:not([hidden])")
    page.wait_for_selector("#step-find:not([hidden])")
    assert no_trace(page)["values"] == []
    # The same walk-in again: the server refuses (409) and the kiosk says so on the review screen.
    walk_through(
        page,
        search=None,
        walk_in={
            "name": "Budi Santoso",
            "position": "Ketua RW 05",
            "institution": "Kelurahan Kandanggampang",
            "category": "komunitas",
        },
    )
    page.click("#submit")
    page.wait_for_selector("#review-error:not([hidden])")
    assert "Budi Santoso" in page.text_content("#review-error")
    with app.app_context():
        rows = db.session.execute(select(SignatureRecord)).scalars().all()
        assert [(r.name, r.public_display) for r in rows] == [("Budi Santoso", False)]


def test_offline_signers_are_queued_and_sent_when_the_network_returns(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-offline")
    context = page.context
    # The service worker has cached the kiosk shell.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    cached = page.evaluate(
        """async () => {
        for (let i = 0; i < 100; i++) {
          if (await caches.match('/kiosk')) return true;
          await new Promise(resolve => setTimeout(resolve, 100));
        }
        return false;
    }"""
    )
    assert cached
    context.set_offline(True)
    names = ["Siti Aminah", "Joko Purnomo", "Wulan Sari"]
    for i, name in enumerate(names):
        walk_through(
            page,
            search=None,
            walk_in={
                "name": name,
                "position": "Warga",
                "institution": f"RT 0{i + 1}",
                "category": "komunitas",
            },
        )
        page.click("#submit")
        page.wait_for_selector("#step-queued:not([hidden])")
        if i == 0:
            shot(page, "9-queued")
        page.wait_for_function(f"() => document.getElementById('pending-count').textContent === '{i + 1}'")
        page.click("#step-queued [data-next-signer]")
        assert no_trace(page)["values"] == []
    assert page.is_visible("#pending") and page.is_visible("#offline")
    # Offline, the kiosk page still reloads (from the service worker's cache) and keeps its queue.
    reloaded = page.reload()
    assert reloaded is not None and reloaded.from_service_worker
    page.wait_for_selector("#step-find:not([hidden])")
    page.wait_for_function("() => document.getElementById('pending-count').textContent === '3'")
    with app.app_context():
        assert db.session.execute(select(SignatureRecord)).scalars().all() == []
    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('kiosk').dataset.pending === '0'", timeout=60_000)
    assert not page.is_visible("#pending")
    queued = page.evaluate(
        """() => new Promise((resolve, reject) => {
        const req = indexedDB.open('ikrar-kiosk', 1);
        req.onsuccess = () => { const c = req.result.transaction('queue').objectStore('queue').count();
          c.onsuccess = () => resolve(c.result); c.onerror = () => reject(c.error); };
        req.onerror = () => reject(req.error);
    })"""
    )
    assert queued == 0
    with app.app_context():
        rows = db.session.execute(select(SignatureRecord)).scalars().all()
        assert sorted(r.name for r in rows) == sorted(names)
        assert all(r.claimed_at is not None for r in rows)


def test_leaving_kiosk_mode_needs_the_operators_password(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-leave")
    page.click("a[href='/kiosk/leave']")
    page.fill("#username", "opr-leave")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    assert page.is_visible(".flash.error")
    page.goto(live_server.url + "/kiosk")
    page.wait_for_selector("#step-find:not([hidden])")
    page.goto(live_server.url + "/kiosk/leave")
    page.fill("#username", "opr-leave")
    page.fill("#password", PASSWORD)
    page.check("input[name=retire]")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/operator")
    with app.app_context():
        assert db.session.execute(select(Credential)).scalar_one().revoked_at is not None


def test_an_auditor_cannot_enrol_a_tablet(browser: Any, app: Flask, live_server: LiveServer) -> None:
    operator(app, "auditor-browser", role="auditor")
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#username", "auditor-browser")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.goto(live_server.url + "/operator").status == 403
    page.goto(live_server.url + "/kiosk")
    assert page.url.endswith("/operator")
    context.close()


def test_the_kiosk_switches_to_english_and_back(browser: Any, app: Flask, live_server: LiveServer) -> None:
    page = enrolled_page(browser, app, live_server, "opr-lang")
    assert page.text_content("#step-find h1") == "Selamat datang"
    page.click("#lang-form button")
    page.wait_for_selector("#step-find:not([hidden])")
    assert page.text_content("#step-find h1") == "Welcome"
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.click("#lang-form button")
    page.wait_for_selector("#step-find:not([hidden])")
    assert page.text_content("#step-find h1") == "Selamat datang"
    page.context.close()


def test_a_queued_signing_the_server_refuses_is_shown_and_dropped(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-twice")
    page.context.set_offline(True)
    walk_in = {"name": "Sari Dewi", "position": "Warga", "institution": "RT 07", "category": "komunitas"}
    for _ in range(2):  # the same person twice while offline: the server will take only the first
        walk_through(page, search=None, walk_in=walk_in)
        page.click("#submit")
        page.wait_for_selector("#step-queued:not([hidden])")
        page.click("#step-queued [data-next-signer]")
    page.wait_for_function("() => document.getElementById('pending-count').textContent === '2'")
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('kiosk').dataset.pending === '0'", timeout=60_000)
    page.wait_for_selector("#rejected:not([hidden])")
    notice = page.text_content("#rejected") or ""
    # The notice stays on screen for the next signers: it names nobody, it counts and says why.
    assert "Sari Dewi" not in notice and "RT 07" not in notice
    assert "1 (HTTP 409)" in notice
    with app.app_context():
        assert [r.name for r in db.session.execute(select(SignatureRecord)).scalars()] == ["Sari Dewi"]
    page.context.close()


def test_stylus_pressure_and_touch_reach_the_record(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    """Pen input (with pressure) and a finger (touch) through Chromium's input pipeline, as a tablet sends them."""
    import json

    page = enrolled_page(browser, app, live_server, "opr-pen")
    walk_in = {"name": "Pena Stylus", "position": "Warga", "institution": "RT 08", "category": "komunitas"}
    page.click("#walk-in")
    for field, value in walk_in.items():
        if field == "category":
            page.select_option("#f-category", value)
        else:
            page.fill(f"#f-{field}", value)
    page.click("#identity-next")
    page.click("#read-next")
    page.check("input[name=dimension][value=smart-economy]")
    page.click("#dimensions-next")
    page.check("#consent")
    page.check("input[name=public_display][value=no]")
    page.click("#consent-next")
    page.wait_for_selector("#step-sign:not([hidden])")
    box = page.locator("#pad").bounding_box()
    assert box is not None
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 80, box["y"] + box["height"] / 2
    # A pen stroke whose pressure rises from 0.2 to 0.9.
    pen = {"pointerType": "pen", "button": "left", "clickCount": 1}
    cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": x0, "y": y0, "force": 0.2, **pen})
    for i in range(1, 30):
        cdp.send(
            "Input.dispatchMouseEvent",
            {
                "type": "mouseMoved",
                "x": x0 + i * 8,
                "y": y0 + 40 * math.sin(i / 3),
                "force": round(0.2 + 0.7 * i / 29, 3),
                "buttons": 1,
                **pen,
            },
        )
    cdp.send(
        "Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x0 + 232, "y": y0, "force": 0.0, **pen}
    )
    # A finger stroke.
    tx, ty = box["x"] + 420, box["y"] + box["height"] / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": tx, "y": ty}]})
    for i in range(1, 20):
        point = {"x": tx + i * 6, "y": ty + 30 * math.cos(i / 2)}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.click("#sign-next")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#submit")
    page.wait_for_selector("#step-done:not([hidden])")
    with app.app_context():
        record = db.session.execute(select(SignatureRecord)).scalar_one()
        strokes = json.loads(record.strokes)
    assert len(strokes) == 2
    pen_pressures = [p[3] for p in strokes[0]]
    assert min(pen_pressures) < 400 < 800 < max(pen_pressures)  # thousandths: the pen's own pressure
    assert {p[3] for p in strokes[1]} == {500}  # a finger reports no usable pressure: the neutral 0.5
    page.context.close()
