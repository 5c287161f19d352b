"""Strings of the Indonesian interface that were left in English (issue 14), now translated."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from registry.services import certificates, signing
from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO, walk_in
from tests.test_admin import _form
from tests.test_verify import upload


def test_upload_reasons_are_indonesian(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        row = signing.sign(walk_in("Ayu Lestari"), app.extensions["ikrar.signers"]).record
        pdf, kid = certificates.certificate_pdf(row), row.kid
    page = upload(client, pdf).get_data(as_text=True)
    assert f"Tanda tangan digital rekaman sah, diperiksa dengan kunci {kid}" in page
    assert "Berkas ini sama persis, byte demi byte" in page
    assert "verifies with key" not in page and "byte for byte the certificate" not in page


def test_withdrawal_reason_slug_and_status_words_are_indonesian(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        record_id = str(signing.sign(walk_in("Siti Uji"), app.extensions["ikrar.signers"]).record.id)
    sign_in(app, client, "admin")
    path = f"/admin/signatures/{record_id}"
    refused = client.post(
        f"{path}/withdraw",
        data={"reason": "salah", "confirm": "yes", "csrf_token": csrf_token(client, path)},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "jelaskan alasan penarikan dalam sedikitnya 10 karakter" in page
    assert "explain the withdrawal" not in page

    form = client.get("/admin/commitments/new")
    assert form.status_code == 200
    created = client.post(
        "/admin/commitments/new",
        data=_form(slug="Bad Slug") | {"csrf_token": csrf_token(client, "/admin/commitments/new")},
    )
    text = created.get_data(as_text=True)
    assert "ID komitmen harus 3–64 karakter" in text and "lowercase letters" not in text

    bulk = client.get(f"/admin/commitments/{DEMO}/certificates").get_data(as_text=True)
    assert "<td>dibuka</td>" in bulk and "<td>open</td>" not in bulk
