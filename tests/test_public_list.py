"""The public list /c/<slug>: only consenting, non-withdrawn signatories; counts; no login; strict CSP."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.services import signing, withdrawals
from registry.services.signing import Signatory
from tests.conftest import LiveServer
from tests.factories import DEMO, scribble, walk_in

PAGE = f"/c/{DEMO}"

# (name, category, dimensions, public display, withdrawn)
PEOPLE = [
    ("PT <Maju> & Jaya", "badan-usaha", ["smart-economy", "smart-branding"], True, False),
    ("Dr. Hartini Puspitasari", "akademisi", ["smart-society", "smart-governance"], True, False),
    ("Bambang Sutrisno", "pemerintah", ["smart-governance"], False, False),  # no public display
    ("Wening Lestari", "pemerintah", ["smart-governance", "smart-environment"], True, True),  # withdrawn
    ("Yoga Pratama", "komunitas", ["smart-living"], True, False),
    ("Sri Mulyani Hadi", "pemerintah", ["smart-governance", "smart-living"], False, False),  # no public
]


def sign_people(app: Flask) -> None:
    with app.app_context():
        for i, (name, category, dims, public, withdrawn) in enumerate(PEOPLE):
            result = signing.sign(
                walk_in(
                    name,
                    signatory=Signatory(
                        name=name, position=f"Jabatan {i}", institution=f"Instansi {i}", category=category
                    ),
                    dimensions=dims,
                    public_display=public,
                    strokes=scribble(i + 2),
                ),
                app.extensions["ikrar.signers"],
            )
            if withdrawn:
                withdrawals.withdraw(result.record.id, "Ditandatangani karena salah paham", "admin-test")


def counts(page: str, table: str) -> dict[str, int]:
    block = page[page.index(f'id="{table}"') :]
    block = block[: block.index("</table>")]
    return {
        m[0]: int(m[1]) for m in re.findall(r'data-id="([^"]+)">.*?<td class="count">(\d+)</td>', block, re.S)
    }


@pytest.fixture
def signed(app: Flask) -> None:
    sign_people(app)


def test_lists_only_consenting_non_withdrawn_signatories_with_counts(
    client: FlaskClient, signed: None
) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200  # no login needed
    page = response.get_data(as_text=True)
    listed = re.findall(r'<td class="name">(.*?)</td>', page)
    assert [html.unescape(n) for n in listed] == [
        "Dr. Hartini Puspitasari",
        "PT <Maju> & Jaya",
        "Yoga Pratama",
    ]
    assert "PT &lt;Maju&gt; &amp; Jaya" in page and "PT <Maju>" not in page
    for hidden in ("Bambang Sutrisno", "Sri Mulyani Hadi", "Wening Lestari", "Jabatan 2", "Instansi 3"):
        assert hidden not in page
    # Counts: everyone not withdrawn (5), the two non-public ones only as numbers.
    assert re.search(r'id="totals"><strong>5</strong>', page)
    assert "2 di antaranya tidak memilih tampil" in page
    assert counts(page, "category-counts") == {
        "pemerintah": 2,
        "akademisi": 1,
        "badan-usaha": 1,
        "komunitas": 1,
        "media": 0,
    }
    assert counts(page, "dimension-counts") == {
        "smart-governance": 3,
        "smart-branding": 1,
        "smart-economy": 1,
        "smart-living": 2,
        "smart-society": 1,
        "smart-environment": 0,
    }
    # The longest bar is full width; bars are SVG attributes, not inline styles.
    assert 'width="100.00"' in page and ' style="' not in page
    assert "private" in response.headers["Cache-Control"]  # it carries a CSRF token
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert f"/api/v1/commitments/{DEMO}?version=1" in page


def test_no_signatures_yet_and_unknown_commitment(client: FlaskClient) -> None:
    page = client.get(PAGE).get_data(as_text=True)
    assert "Belum ada penanda tangan" in page and 'id="totals"><strong>0</strong>' in page
    assert client.get("/c/no-such-commitment").status_code == 404


def test_public_list_in_a_browser_with_the_strict_csp(
    signed: None, live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    # The checkout's docs/screenshots is refreshed only on request (IKRAR_SCREENSHOT_DIR), as the others.
    screenshots = Path(os.environ.get("IKRAR_SCREENSHOT_DIR") or tmp_path)
    context = browser.new_context(viewport={"width": 900, "height": 1100})
    violations: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(live_server.url + PAGE)
        assert page.locator("#signatories td.name").count() == 3
        # The stylesheet is a static file, so the CSP lets it apply: the bars are navy.
        fill = page.eval_on_selector("#category-counts rect:not(.track)", "e => getComputedStyle(e).fill")
        assert fill == "rgb(27, 54, 93)"
        assert not [v for v in violations if "public-list" in v]
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshots / "public-list.png"), full_page=True)
    finally:
        context.close()
    assert (screenshots / "public-list.png").stat().st_size > 10_000
