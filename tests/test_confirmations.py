"""Publishing, closing, reopening and withdrawing each need an explicit confirmation: one click
(or one forged POST without the confirmation field) never changes anything."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry import demo
from registry.extensions import db
from registry.models import LogEntry, Withdrawal
from registry.services import accounts, commitments, signing
from tests.conftest import LiveServer, csrf_token, sign_in
from tests.factories import DEMO, walk_in

DRAFT = "pakta-integritas-2025"
PASSWORD = "correct horse battery staple"


def _log_size(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one())


def _status(app: Flask, slug: str, version: int = 1) -> str:
    with app.app_context():
        return commitments.get_version(slug, version).status


def _draft(app: Flask) -> None:
    with app.app_context():
        commitments.create(DRAFT, demo.draft())


def _record(app: Flask) -> str:
    with app.app_context():
        return str(signing.sign(walk_in("Siti Penanda Uji"), app.extensions["ikrar.signers"]).record.id)


@pytest.mark.parametrize("confirm", [None, "", "no", "YES", "on"])
def test_a_post_without_the_confirmation_changes_nothing(
    app: Flask, client: FlaskClient, confirm: Any
) -> None:
    sign_in(app, client, "admin")
    _draft(app)
    record_id = _record(app)
    with app.app_context():
        commitments.close(DEMO, 1)
        commitments.revise(DEMO, demo.draft())  # a second draft version to publish
    token = csrf_token(client, "/admin/commitments")
    size = _log_size(app)
    extra = {} if confirm is None else {"confirm": confirm}
    reason = {"reason": "Peserta datang terlambat karena hujan deras."}
    posts = [
        (f"/admin/commitments/{DRAFT}/versions/1/publish", {}, "publish"),
        (f"/admin/commitments/{DEMO}/versions/1/reopen", reason, "reopen"),
        (f"/admin/commitments/{DEMO}/versions/2/publish", {}, "publish"),
        (
            f"/admin/signatures/{record_id}/withdraw",
            {"reason": "Salah orang yang menandatangani."},
            "withdraw",
        ),
    ]
    for path, data, _action in posts:
        response = client.post(path, data={"csrf_token": token, **data, **extra})
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        # The confirmation step again, saying why; the typed reason is kept.
        assert 'name="confirm"' in page and "required" in page, path
        assert "centang kotak konfirmasi" in page.lower(), path
        if "reason" in data:
            assert data["reason"] in page
    assert _log_size(app) == size
    assert _status(app, DRAFT) == "draft" and _status(app, DEMO, 1) == "closed"
    assert _status(app, DEMO, 2) == "draft"
    with app.app_context():
        assert db.session.get(Withdrawal, record_id) is None


def test_closing_needs_the_confirmation_and_then_closes(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    base = f"/admin/commitments/{DEMO}/versions/1"
    page = client.get(base).get_data(as_text=True)
    # The version page offers a link to the confirmation step, not a form that closes.
    assert f'href="{base}/confirm/close"' in page and f'action="{base}/close"' not in page
    confirm = client.get(f"{base}/confirm/close")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert f'action="{base}/close"' in text and 'id="confirm-cancel"' in text
    assert 'type="checkbox" id="confirm" name="confirm" value="yes" required' in text
    token = csrf_token(client, f"{base}/confirm/close")
    assert client.post(f"{base}/close", data={"csrf_token": token}).status_code == 400
    assert _status(app, DEMO) == "open"
    # Without CSRF, even confirmed, nothing happens either.
    assert client.post(f"{base}/close", data={"confirm": "yes"}).status_code == 400
    assert _status(app, DEMO) == "open"
    response = client.post(f"{base}/close", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303
    assert _status(app, DEMO) == "closed"
    # A confirmation page for an action the status no longer allows sends back to the version.
    assert client.get(f"{base}/confirm/close").status_code == 303


def test_confirmation_pages_are_admin_only(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "operator")
    base = f"/admin/commitments/{DEMO}/versions/1"
    assert client.get(f"{base}/confirm/close").status_code == 403
    token = csrf_token(client, "/login")
    assert client.post(f"{base}/close", data={"csrf_token": token, "confirm": "yes"}).status_code == 403
    assert _status(app, DEMO) == "open"


def test_withdrawing_with_the_box_ticked_withdraws(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    record_id = _record(app)
    path = f"/admin/signatures/{record_id}"
    page = client.get(path).get_data(as_text=True)
    assert 'id="withdraw-confirm" name="confirm" value="yes" required' in page
    token = csrf_token(client, path)
    data = {"csrf_token": token, "reason": "Salah orang yang menandatangani.", "confirm": "yes"}
    assert client.post(f"{path}/withdraw", data=data).status_code == 303
    with app.app_context():
        assert db.session.get(Withdrawal, record_id) is not None


def test_in_chromium_publish_shows_the_confirmation_cancel_changes_nothing_confirm_publishes(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    _draft(app)
    with app.app_context():
        accounts.create_user("admin-confirm", "Admin Diskominfo", "admin", PASSWORD)
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="id-ID")
    page = context.new_page()
    version_url = f"{live_server.url}/admin/commitments/{DRAFT}/versions/1"
    try:
        page.goto(f"{live_server.url}/login?next=/admin/commitments")
        page.fill("#username", "admin-confirm")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit] >> text=Masuk")
        page.wait_for_url("**/admin/commitments")
        size = _log_size(app)
        page.goto(version_url)
        page.click("#publish")
        page.wait_for_selector("#confirm-form")
        assert "Terbitkan dan buka penandatanganan?" in page.inner_text("h1")
        assert _status(app, DRAFT) == "draft" and _log_size(app) == size  # the click changed nothing
        # The browser itself refuses to send the form while the box is not ticked.
        page.click("#confirm-submit")
        assert page.locator("#confirm:invalid").count() == 1
        assert _status(app, DRAFT) == "draft"
        page.click("#confirm-cancel")
        page.wait_for_url(version_url)
        assert _status(app, DRAFT) == "draft" and _log_size(app) == size
        page.click("#publish")
        page.wait_for_selector("#confirm-form")
        page.check("#confirm")
        page.click("#confirm-submit")
        page.wait_for_url(version_url)
        assert "diterbitkan" in page.inner_text("body")
        assert _status(app, DRAFT) == "open"
        assert page.locator("#history").inner_text().count("diterbitkan") == 1
    finally:
        context.close()
