"""Bulk certificates: a streamed, deterministic ZIP of every certificate, and its download page."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.models import SignatureRecord
from registry.pdf.common import WIB
from registry.services import bulk, signing, withdrawals
from registry.services.certificates import certificate_filename, certificate_pdf
from tests.conftest import LiveServer, sign_in
from tests.factories import DEMO, walk_in

ZIP = f"/admin/commitments/{DEMO}/certificates.zip"
PAGE = f"/admin/commitments/{DEMO}/certificates"
NAMES = ["PT <Maju> & Jaya", "Dédé Ñoño", "Siti Rahmawati"]


@pytest.fixture
def signed(app: Flask) -> list[str]:
    ids = []
    with app.app_context():
        for name in NAMES:
            ids.append(signing.sign(walk_in(name), app.extensions["ikrar.signers"]).record.id)
        withdrawals.withdraw(ids[1], "Salah orang", "admin-test")
    return ids


def expected_entries(app: Flask, ids: list[str]) -> dict[str, bytes]:
    with app.app_context():
        from registry.extensions import db

        entries = {}
        for record_id in ids:
            record = db.session.get(SignatureRecord, record_id)
            assert record is not None
            entries[f"v1/{certificate_filename(record)}"] = certificate_pdf(record)
        return entries


def test_zip_is_streamed_and_holds_every_certificate(
    app: Flask, client: FlaskClient, signed: list[str]
) -> None:
    sign_in(app, client, "admin")
    response = client.get(ZIP, buffered=False)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed  # a generator behind it, no Content-Length known up front
    assert "Content-Length" not in response.headers
    assert response.headers["Ikrar-Entries"] == "3"
    assert "no-store" in response.headers["Cache-Control"]
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 4  # one chunk per certificate, then the central directory
    data = b"".join(chunks)

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    expected = expected_entries(app, signed)
    assert archive.namelist() == list(expected)  # log order
    for info in archive.infolist():
        content = archive.read(info)
        assert content == expected[info.filename]
        assert info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x08  # sizes in the header
        document = pypdfium2.PdfDocument(content)
        assert len(document) == 1
        document.close()
    with app.app_context():
        from registry.extensions import db

        first = db.session.get(SignatureRecord, signed[0])
        assert first is not None
        local = first.signed_at.astimezone(WIB)
        assert archive.infolist()[0].date_time == (
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second - local.second % 2,  # DOS time has 2-second steps
        )

    # Same records, same archive bytes; one version only works too.
    assert client.get(ZIP).data == data
    assert client.get(ZIP + "?version=1").data == data
    assert client.get(ZIP + "?version=2").status_code == 404
    assert client.get(ZIP + "?version=x").status_code == 422


def test_archive_holds_one_entry_in_memory_at_a_time(app: Flask, signed: list[str]) -> None:
    with app.app_context():
        for i in range(9):
            signing.sign(walk_in(f"Peserta Uji {i}"), app.extensions["ikrar.signers"])
        ids = bulk.record_ids(DEMO)
        sizes = [len(chunk) for chunk in bulk.archive(ids)]
    assert len(ids) == 12 and len(sizes) == 13
    # Each chunk is one stored certificate plus its header, never the archive so far.
    assert max(sizes[:-1]) < 2 * min(sizes[:-1])
    assert sum(sizes) > 5 * max(sizes)


def test_role_boundaries(app: Flask, client: FlaskClient, signed: list[str]) -> None:
    for path in (ZIP, PAGE):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    operator = app.test_client()
    sign_in(app, operator, "operator")
    assert operator.get(ZIP).status_code == 403 and operator.get(PAGE).status_code == 403
    auditor = app.test_client()
    sign_in(app, auditor, "auditor")
    assert auditor.get(PAGE).status_code == 200
    assert auditor.get("/admin/commitments/nothing-here/certificates.zip").status_code == 404


def test_page_offers_the_download_with_a_static_script(
    app: Flask, client: FlaskClient, signed: list[str]
) -> None:
    sign_in(app, client, "admin")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'data-entries="3"' in page and f'data-url="{ZIP}"' in page
    assert '<script src="/static/bulk-download.js" defer></script>' in page
    assert "<script>" not in page and ' style="' not in page
    script = client.get("/static/bulk-download.js")
    assert script.status_code == 200 and "javascript" in script.mimetype
    script.close()


def test_download_with_progress_in_a_browser(
    app: Flask, signed: list[str], live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from registry.services import accounts

    with app.app_context():
        accounts.create_user("bulk-admin", "Bulk Admin", "admin", "correct horse battery staple")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "bulk-download" in m.text else None)
    try:
        page.goto(live_server.url + "/login?next=" + PAGE)
        page.fill("#username", "bulk-admin")
        page.fill("#password", "correct horse battery staple")
        page.click("form.card button[type=submit]")
        page.wait_for_url("**" + PAGE)
        with page.expect_download() as download_info:
            page.click("button.bulk-download >> nth=0")
        download = download_info.value
        page.wait_for_selector('#bulk-status[data-done="3"]')
        assert page.eval_on_selector("#bulk-bar", "e => [e.value, e.max]") == [3, 3]
        assert page.inner_text("#bulk-status").startswith("Selesai: 3 dari 3 sertifikat, ")
        target = tmp_path / "all.zip"
        download.save_as(str(target))
    finally:
        context.close()
    assert not violations
    archive = zipfile.ZipFile(target)
    assert archive.namelist() == list(expected_entries(app, signed))
