"""The live screen /c/<slug>/layar: consenting signatures only, withdrawn ones leave, SSE and polling.

The browser tests open the screen in Chromium on ``ikrar serve`` and sign through the API over
HTTP, as a tablet does; the new signature must appear on the open screen within 2 s (Playwright's
wait timeout), its strokes drawn, the count updated, and a non-consenting signing never shown.
Set IKRAR_SCREENSHOT_DIR (e.g. docs/screenshots) to also save live-screen.png at 1920×1080.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.extensions import db
from registry.models import SignatureRecord
from registry.services import erasure, live_screen, signing, withdrawals
from registry.services.signing import Signatory
from tests.conftest import LiveServer
from tests.factories import DEMO, walk_in
from tests.test_public_list import sign_people
from tests.test_signing_api import body, device_token

PAGE = f"/c/{DEMO}/layar"
JSON = f"/c/{DEMO}/layar.json"
EVENTS = f"/c/{DEMO}/layar/events"
SHOTS = os.environ.get("IKRAR_SCREENSHOT_DIR")
HIDDEN = ("Bambang Sutrisno", "Sri Mulyani Hadi", "Wening Lestari", "Jabatan 2", "Instansi 5", "Instansi 3")
SHOWN = ["Yoga Pratama", "Dr. Hartini Puspitasari", "PT <Maju> & Jaya"]  # newest first


@pytest.fixture
def signed(app: Flask) -> None:
    sign_people(app)


@pytest.fixture
def quick_streams(app: Flask) -> None:
    """Streams that look once and end (the test client reads a response to its end)."""
    app.config["IKRAR_LIVE_STREAM_SECONDS"] = 0


def events(raw: str) -> list[dict[str, str]]:
    """The SSE events of a stream body (comments left out)."""
    found = []
    for block in raw.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if "data" in fields:
            found.append(fields)
    return found


def test_service_shows_consenting_signatures_newest_first_and_counts_everyone(
    app: Flask, signed: None
) -> None:
    with app.app_context():
        screen = live_screen.screen(DEMO)
    assert [s.name for s in screen.newest] == SHOWN
    assert (screen.total, screen.listed) == (5, 3)  # the withdrawn one counts nowhere
    assert {c.id: c.count for c in screen.by_category}["pemerintah"] == 2
    assert {c.id: c.count for c in screen.by_dimension}["smart-governance"] == 3
    document = json.dumps(screen.document(), ensure_ascii=False)
    for hidden in HIDDEN:
        assert hidden not in document
    # Strokes are the stored canonical points without pressure: [x, y, t] in tenths of a pixel.
    first = screen.newest[0].strokes
    assert len(first) == 3 and all(len(p) == 3 for stroke in first for p in stroke)


def test_page_json_and_events_never_carry_a_non_consenting_signer(
    client: FlaskClient, signed: None, quick_streams: None
) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200  # public: no login
    assert "no-store" in page.headers["Cache-Control"]
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<script src=" in html
    names = re.findall(r'<p class="name">(.*?)</p>', html)
    assert names == ["Yoga Pratama", "Dr. Hartini Puspitasari", "PT &lt;Maju&gt; &amp; Jaya"]
    assert re.search(r'id="count">5<', html)
    assert html.count("<path d=") >= 9  # three signatures of three strokes each
    assert f"/c/{DEMO}" in html and "<svg" in html  # the QR code to the public list, inline
    polled = client.get(JSON)
    assert polled.status_code == 200 and "no-store" in polled.headers["Cache-Control"]
    state = polled.get_json()
    assert [s["name"] for s in state["signatures"]] == SHOWN and state["total"] == 5
    stream = client.get(EVENTS)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    raw = stream.get_data(as_text=True)
    assert raw.startswith("retry: ")
    (event,) = events(raw)
    assert event["event"] == "screen" and int(event["id"]) == state["cursor"]
    assert [s["name"] for s in json.loads(event["data"])["signatures"]] == SHOWN
    for hidden in HIDDEN:
        assert hidden not in html and hidden not in polled.get_data(as_text=True) and hidden not in raw


def test_cursor_resumes_and_a_withdrawal_or_erasure_leaves_the_screen(
    app: Flask, client: FlaskClient, signed: None, quick_streams: None
) -> None:
    cursor = client.get(JSON).get_json()["cursor"]
    # Nothing new since the cursor: the poll answers only the cursor, the stream sends no event.
    assert client.get(f"{JSON}?after={cursor}").get_json() == {"cursor": cursor, "changed": False}
    assert events(client.get(EVENTS, headers={"Last-Event-ID": str(cursor)}).get_data(as_text=True)) == []
    assert events(client.get(f"{EVENTS}?after={cursor}").get_data(as_text=True)) == []
    with app.app_context():
        newest, second = live_screen.screen(DEMO).newest[:2]
        ids = {
            row.log_index: row.id
            for row in db.session.execute(select(SignatureRecord)).scalars()
            if row.log_index in (newest.log_index, second.log_index)
        }
        withdrawals.withdraw(ids[newest.log_index], "Ditandatangani oleh orang yang salah", "admin-test")
        erasure.erase([ids[second.log_index]], ground="request", actor="admin-test")
    # Last-Event-ID (the browser's reconnection) wins over the first connection's ?after=.
    raw = client.get(f"{EVENTS}?after=0", headers={"Last-Event-ID": str(cursor)}).get_data(as_text=True)
    (event,) = events(raw)
    state = json.loads(event["data"])
    assert int(event["id"]) > cursor and state["cursor"] == int(event["id"])
    assert [s["name"] for s in state["signatures"]] == ["PT <Maju> & Jaya"]
    assert state["total"] == 3
    polled = client.get(f"{JSON}?after={cursor}").get_data(as_text=True)
    page = client.get(PAGE).get_data(as_text=True)
    for gone in ("Yoga Pratama", "Hartini"):
        assert gone not in raw and gone not in polled and gone not in page


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "1e3", "٣", "9" * 19, " 1"])
def test_bad_cursor_is_400_and_unknown_commitment_404(client: FlaskClient, after: str) -> None:
    for path in (JSON, EVENTS):
        response = client.get(path, query_string={"after": after})
        assert response.status_code == 400, (path, after)
        assert response.get_json()["field"] == "after"
    assert client.get(EVENTS, headers={"Last-Event-ID": after}).status_code == 400
    for path in ("/c/no-such-commitment/layar", "/c/no-such-commitment/layar.json"):
        assert client.get(path).status_code == 404
    assert client.get("/c/no-such-commitment/layar/events").status_code == 404


def test_streams_beyond_the_per_process_limit_answer_at_once(
    app: Flask, client: FlaskClient, signed: None
) -> None:
    """A stream that may not stay open (all slots held) answers the state and a longer retry."""
    app.config["IKRAR_LIVE_STREAMS"] = 0
    app.config["IKRAR_LIVE_STREAM_SECONDS"] = 3600  # would hold the test for an hour if it stayed
    raw = client.get(EVENTS).get_data(as_text=True)
    assert raw.startswith("retry: 3000")
    assert [s["name"] for s in json.loads(events(raw)[0]["data"])["signatures"]] == SHOWN


# --- in Chromium, on ikrar serve -----------------------------------------------------------------


# A room at the event: who has signed when the screen is opened (the last one declined public display).
ROOM = [
    (
        "Dr. Ir. Setyo Budi Raharjo, M.T.",
        "Kepala Dinas",
        "Dinas Komunikasi dan Informatika",
        "pemerintah",
        True,
    ),
    ("Prof. Dr. Ratna Wulandari, M.Si.", "Rektor", "Universitas Perwira Purbalingga", "akademisi", True),
    ("Agus Priyanto, S.E.", "Direktur Utama", "PT BPR Artha Perwira", "badan-usaha", True),
    ("Hj. Siti Nur’aini, S.Pd.", "Ketua", "Forum Purbalingga Sehat", "komunitas", True),
    ("Muhammad Rizki Ramadhan, S.Kom.", "Kepala Dinas", "Dinas Lingkungan Hidup", "pemerintah", True),
    ("Galih Prasetyo", "Pemimpin Redaksi", "Warta Perwira", "media", True),
    ("Sri Rahayu, S.Sos.", "Camat", "Kecamatan Kalimanah", "pemerintah", True),
    ("Ir. Dyah Ayu Kusumawati, M.M.", "Kepala Bidang", "Bappelitbangda", "pemerintah", False),
]
DIMENSIONS = ["smart-governance", "smart-branding", "smart-economy", "smart-living", "smart-society"]


def handwriting(seed: int) -> list[list[dict[str, float]]]:
    """A cursive-looking signature: a run of loops of varying size, then an underline flourish."""
    rng = random.Random(seed)
    turns, height, slant = rng.uniform(5, 8), rng.uniform(26, 40), rng.uniform(0.2, 0.5)
    t = 1_700_000_000_000.0
    loops = []
    for i in range(200):
        a = i / 200 * turns * 2 * math.pi
        radius = height * (0.6 + 0.4 * math.sin(i / 31 + seed))
        y = 120 + radius * math.sin(a)
        x = 40 + i * 2.2 + 0.6 * radius * math.cos(a) + slant * (120 - y)
        loops.append({"x": round(x, 1), "y": round(y, 1), "t": t})
        t += 9
    t += 180
    underline = []
    for i in range(30):
        underline.append(
            {"x": round(50 + i * 14, 1), "y": round(178 + 5 * math.sin(i / 5) + i * 0.5, 1), "t": t}
        )
        t += 7
    return [loops, underline]


@pytest.fixture
def room(app: Flask) -> None:
    with app.app_context():
        for i, (name, position, institution, category, public) in enumerate(ROOM):
            signing.sign(
                walk_in(
                    name,
                    signatory=Signatory(
                        name=name, position=position, institution=institution, category=category
                    ),
                    dimensions=[DIMENSIONS[i % 5], DIMENSIONS[(i + 2) % 5]],
                    public_display=public,
                    strokes=handwriting(i),
                ),
                app.extensions["ikrar.signers"],
            )


def _open(browser: Any, url: str, *, no_event_source: bool = False) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    if no_event_source:
        context.add_init_script("delete window.EventSource;")
    page = context.new_page()
    problems: list[str] = []
    # Failed loads are judged by their response below (the browser's own /favicon.ico is no fault).
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(url + PAGE)
    return context, page, problems


def _sign_over_http(url: str, token: str, name: str, *, public: bool) -> str:
    """Sign as a tablet does: POST to the signing API with a device token (tests/test_disk_full.py)."""
    document = body(
        name, consent={"accepted": True, "public_display": public}, strokes=handwriting(len(name))
    )
    request = urllib.request.Request(
        url + f"/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps(document).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        return str(json.loads(response.read())["id"])


def _card(name: str) -> str:
    return f'#signatures li.card:has(p.name:text-is("{name}"))'


def test_a_signature_made_through_the_api_appears_on_the_open_screen(
    app: Flask, room: None, live_server: LiveServer, browser: Any
) -> None:
    token = device_token(app)
    context, page, problems = _open(browser, live_server.url)
    try:
        page.wait_for_selector('#status[data-state="live"]', timeout=10_000)
        assert page.locator("#count").text_content() == str(len(ROOM))
        governance = sum(
            1 for i in range(len(ROOM)) if "smart-governance" in (DIMENSIONS[i % 5], DIMENSIONS[(i + 2) % 5])
        )
        _sign_over_http(live_server.url, token, "Bu Tuti Handayani", public=False)
        record_id = _sign_over_http(live_server.url, token, "Raden Ajeng Larasati", public=True)
        page.wait_for_selector(_card("Raden Ajeng Larasati"), timeout=2_000)
        page.wait_for_selector(f'#count:text-is("{len(ROOM) + 2}")', timeout=2_000)
        card = page.locator(_card("Raden Ajeng Larasati"))
        assert card.locator("p.institution").text_content() == "Dinas Komunikasi dan Informatika"
        # Drawn stroke by stroke: one path per stroke, complete when the card says so.
        page.wait_for_selector(f'{_card("Raden Ajeng Larasati")}[data-drawn="true"]', timeout=10_000)
        assert card.locator("svg.ink path").count() == len(handwriting(0))
        assert all(card.locator("svg.ink path").nth(i).get_attribute("d") for i in range(len(handwriting(0))))
        assert (
            page.locator("#signatures li.card").first.locator("p.name").text_content()
            == "Raden Ajeng Larasati"
        )
        bar = page.locator('#dimension-counts tr[data-id="smart-governance"] td.count')
        assert bar.text_content() == str(governance + 2)  # the two new ones count, public or not
        for hidden in ("Bu Tuti Handayani", "Dyah Ayu", "Bappelitbangda"):
            assert hidden not in page.content()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / "live-screen.png"))
        # Withdrawn (made in error): it leaves the open screen, and the count.
        with app.app_context():
            withdrawals.withdraw(record_id, "Ditandatangani pada komitmen yang salah", "admin-test")
        page.wait_for_selector(_card("Raden Ajeng Larasati"), state="detached", timeout=5_000)
        page.wait_for_selector(f'#count:text-is("{len(ROOM) + 1}")', timeout=2_000)
        assert not problems, problems
    finally:
        context.close()


def test_polling_fallback_without_event_source(
    app: Flask, room: None, live_server: LiveServer, browser: Any
) -> None:
    token = device_token(app)
    context, page, problems = _open(browser, live_server.url, no_event_source=True)
    try:
        page.wait_for_selector('#status[data-state="polling"]', timeout=10_000)
        _sign_over_http(live_server.url, token, "Bu Tuti Handayani", public=False)
        _sign_over_http(live_server.url, token, "Ahmad Muẓaffar", public=True)
        # The 2 s promise is the push path's; the fallback asks once a second, plus the answer's time.
        page.wait_for_selector(_card("Ahmad Muẓaffar"), timeout=5_000)
        page.wait_for_selector(f'#count:text-is("{len(ROOM) + 2}")', timeout=2_000)
        assert "Bu Tuti Handayani" not in page.content()
        assert not problems, problems
    finally:
        context.close()


def test_json_answers_have_the_members_openapi_documents(client: FlaskClient, signed: None) -> None:
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    state = client.get(JSON).get_json()
    assert set(state) == set(schemas["LiveScreen"]["required"]) == set(schemas["LiveScreen"]["properties"])
    for signature in state["signatures"]:
        assert set(signature) == set(schemas["LiveSignature"]["required"])
    unchanged = client.get(JSON, query_string={"after": state["cursor"]}).get_json()
    assert set(unchanged) == set(schemas["LiveScreenUnchanged"]["required"])
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"/c/{slug}/layar", "/c/{slug}/layar.json", "/c/{slug}/layar/events"} <= set(paths)
