"""The offline test of issue 14: signers sign while the venue Wi-Fi is down, and nobody is doubled.

In Chromium with the network taken away (Playwright ``set_offline``): a listed invitee found by
the search over the roster kept on the tablet, a walk-in with a new name, and a walk-in typing a
listed invitee's name (the tablet's twin dialog offers the listed entry). After reconnecting:
exactly three signers, each counted for the right invitee, on the progress page and the public list.
A second test covers what only the server can see: an invitee added after the tablet kept its
roster (linked when the queue is sent), a signer who said "that is not me" (registered, flagged),
and an invitee who signed on another tablet meanwhile (refused, shown to the operator).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from registry.extensions import db
from registry.models import Commitment, Invitee, SignatureRecord
from registry.services import signing
from tests.conftest import LiveServer, sign_in
from tests.factories import DEMO
from tests.factories import walk_in as walk_in_request
from tests.test_kiosk_browser import draw_signature, enrolled_page, walk_through

LISTED = 6  # invitees of the demo commitment


def roster_kept(page: Any) -> None:
    """The tablet holds the roster (fetched online and kept in IndexedDB) before the network goes."""
    page.wait_for_function("() => window.IkrarSearch && window.IkrarSearch.ready()")


def from_identity(page: Any) -> None:
    """From a filled identity screen to the review screen (as walk_through, after the identity)."""
    page.wait_for_selector("#step-read:not([hidden])")
    page.click("#read-next")
    page.check("input[name=dimension][value=smart-governance]")
    page.click("#dimensions-next")
    page.check("#consent")
    page.check("input[name=public_display][value=yes]")
    page.click("#consent-next")
    page.wait_for_selector("#step-sign:not([hidden])")
    draw_signature(page)
    page.click("#sign-next")
    page.wait_for_selector("#step-review:not([hidden])")


def type_walk_in(page: Any, fields: dict[str, str]) -> None:
    page.click("#walk-in")
    for field, value in fields.items():
        if field == "category":
            page.select_option("#f-category", value)
        else:
            page.fill(f"#f-{field}", value)
    page.click("#identity-next")


def submit_queued(page: Any, pending: int) -> None:
    """Sign; offline, the signing is kept on the tablet and the signer is told what happens next."""
    page.click("#submit")
    page.wait_for_selector("#step-queued:not([hidden])")
    text = page.text_content("#step-queued") or ""
    assert "dikirim otomatis" in text and "minta operator mencetaknya" in text
    assert page.text_content("#step-queued [data-pending-count]") == str(pending)
    assert page.text_content("#pending-count") == str(pending) and page.is_visible("#pending")
    page.click("#step-queued [data-next-signer]")
    page.wait_for_selector("#step-find:not([hidden])")


def drained(page: Any) -> None:
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('kiosk').dataset.pending === '0'", timeout=60_000)


def invitee_id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(db.session.execute(select(Invitee.id).where(Invitee.name == name)).scalar_one())


def signatures(app: Flask) -> dict[str, tuple[int | None, bool]]:
    """Signed name → (invitee id, whether that invitee is a walk-in)."""
    with app.app_context():
        rows = db.session.execute(select(SignatureRecord)).scalars().all()
        found = {}
        for row in rows:
            invitee = db.session.get(Invitee, row.invitee_id) if row.invitee_id else None
            assert row.name not in found, f"{row.name} signed twice"
            found[row.name] = (row.invitee_id, bool(invitee and invitee.walk_in))
        return found


def test_three_signers_offline_are_three_signers_online(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-three")
    roster_kept(page)
    sri, yusuf = invitee_id(app, "Dra. Sri Wahyuningsih, M.Si."), invitee_id(app, "Yusuf Hidayat")
    page.context.set_offline(True)
    assert page.evaluate("() => navigator.onLine") is False

    # (a) A listed invitee finds her name offline, without her title and accents as listed.
    walk_through(page, search="ibu sri wahyu")
    assert page.text_content("#r-name") == "Dra. Sri Wahyuningsih, M.Si."
    submit_queued(page, 1)
    # The tablet now shows her as signed, still offline.
    page.fill("#search", "sri wahyuningsih")
    page.wait_for_selector(".result[disabled]")

    # (b) A walk-in with a new name.
    type_walk_in(
        page, {"name": "Siti Aminah", "position": "Warga", "institution": "RT 01", "category": "komunitas"}
    )
    from_identity(page)
    submit_queued(page, 2)

    # (c) A walk-in typing a listed invitee's name: the tablet offers the listed entry from the
    # roster it keeps, and he chooses it, as the person on the list would.
    type_walk_in(
        page, {"name": "yusuf hidayat", "position": "Pemred", "institution": "Radio", "category": "media"}
    )
    page.wait_for_selector("#twin-dialog[open]")
    assert page.text_content("#twin-name") == "Yusuf Hidayat"
    page.click("#twin-choose")
    page.wait_for_selector("#step-identity:not([hidden])")
    assert page.input_value("#f-name") == "Yusuf Hidayat"
    page.click("#identity-next")
    from_identity(page)
    submit_queued(page, 3)

    with app.app_context():
        assert db.session.execute(select(SignatureRecord)).scalars().all() == []
    drained(page)
    assert not page.is_visible("#rejected")

    signed = signatures(app)
    assert set(signed) == {"Dra. Sri Wahyuningsih, M.Si.", "Siti Aminah", "Yusuf Hidayat"}
    assert signed["Dra. Sri Wahyuningsih, M.Si."] == (sri, False)
    assert signed["Yusuf Hidayat"] == (yusuf, False)
    assert signed["Siti Aminah"][1] is True
    with app.app_context():
        assert len(db.session.execute(select(Invitee)).scalars().all()) == LISTED + 1

    staff = app.test_client()
    sign_in(app, staff, "admin")
    progress = staff.get(f"/admin/commitments/{DEMO}/versions/1/progress").get_data(as_text=True)
    assert re.search(r'id="invited-signed">2 / 6<', progress)
    assert re.search(r'id="walk-ins">1<', progress) and re.search(r'id="total">3<', progress)
    public = staff.get(f"/c/{DEMO}").get_data(as_text=True)
    names = re.findall(r'<td class="name">([^<]*)</td>', public)
    assert sorted(names) == sorted(["Dra. Sri Wahyuningsih, M.Si.", "Siti Aminah", "Yusuf Hidayat"])
    page.context.close()


def test_what_only_the_server_knows_is_linked_flagged_or_refused_never_silent(
    browser: Any, app: Flask, live_server: LiveServer
) -> None:
    page = enrolled_page(browser, app, live_server, "opr-late")
    roster_kept(page)
    bambang, agus = invitee_id(app, "Ir. Bambang Setiawan"), invitee_id(app, "Agus Priyanto")
    # Added to the list after this tablet kept its roster: the tablet cannot offer her.
    with app.app_context():
        commitment = db.session.execute(select(Commitment).where(Commitment.slug == DEMO)).scalar_one()
        late = Invitee(
            commitment_id=commitment.id,
            name="Hj. Dewi Lestari, S.E.",
            position="Pemilik",
            institution="CV Batik Lestari Purbalingga",
            category="badan-usaha",
        )
        db.session.add(late)
        db.session.commit()
        dewi = late.id
    page.context.set_offline(True)

    # She registers as a walk-in (her name is not on the tablet) and is queued.
    type_walk_in(
        page,
        {
            "name": "Dewi Lestari",
            "position": "Pemilik",
            "institution": "CV Batik Lestari",
            "category": "badan-usaha",
        },
    )
    assert not page.is_visible("#twin-dialog")
    from_identity(page)
    submit_queued(page, 1)

    # A namesake of a listed invitee says "that is not me" in the twin dialog.
    type_walk_in(
        page, {"name": "Agus Priyanto", "position": "Warga", "institution": "RT 02", "category": "komunitas"}
    )
    page.wait_for_selector("#twin-dialog[open]")
    page.click("#twin-other")
    from_identity(page)
    submit_queued(page, 2)

    # Bambang signs on another tablet that is online; this one still shows him unsigned, and he
    # (or someone in his name) signs here too.
    with app.app_context():
        request = walk_in_request("x", signatory=None, invitee_id=bambang)
        signing.sign(request, app.extensions["ikrar.signers"])
    walk_through(page, search="bambang")
    submit_queued(page, 3)

    drained(page)
    synced = page.text_content("#synced") or ""
    assert "dicatat atas namanya di daftar: 1" in synced and "halaman progres: 1" in synced
    rejected = page.text_content("#rejected") or ""
    assert "1 (HTTP 409)" in rejected and "sudah menandatangani: 1" in rejected
    # The notices stay for the next signers: they name nobody.
    for name in ("Dewi", "Agus", "Bambang"):
        assert name not in synced + rejected

    signed = signatures(app)
    assert signed["Dewi Lestari"] == (dewi, False)  # linked to the late invitee, as she typed it
    assert signed["Agus Priyanto"][1] is True and signed["Agus Priyanto"][0] != agus
    assert signed["Ir. Bambang Setiawan"] == (bambang, False)
    assert len(signed) == 3
    page.context.close()
