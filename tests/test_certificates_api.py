"""GET /api/v1/signatures/<id>/certificate.pdf: deterministic bytes, embedded record, hostile names."""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import replace

import pypdfium2
import pytest
from flask import Flask

from registry.core import qr
from registry.core.canonical import parse_canonical
from registry.pdf.certificate import render_certificate
from registry.pdf.reader import extract_attachments
from registry.services import certificates, keyring, signing
from tests.conftest import sign_in
from tests.factories import walk_in

# Names the signing service accepts (markup is refused there; see the markup test below).
SERVICE_NAMES = [
    "PT <Maju> & Jaya",
    "Dédé Ñoño Çağrı Łódź",
    unicodedata.normalize("NFD", "Dédé Ñoño Çağrı Łódź"),
    "Prof. Dr. Ir. Raden Mas Haryo Bagus Setyo Wicaksono Adiningrat Kusumawardhana, S.T., M.T., M.Sc.",
]
MARKUP_NAMES = ["<b><i>x</b></i>", '<img src="/etc/hostname"/>']


def page_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_certificate_endpoint_is_deterministic_and_self_contained(ctx: Flask) -> None:
    row = signing.sign(walk_in("Ayu Lestari"), ctx.extensions["ikrar.signers"]).record
    client = ctx.test_client()
    link = certificates.certificate_url(row).removeprefix(str(ctx.config["IKRAR_BASE_URL"]))
    first = client.get(link)
    second = client.get(link)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data == certificates.certificate_pdf(row)
    disposition = first.headers["Content-Disposition"]
    assert disposition == f'inline; filename="ikrar-{row.code}-ayu-lestari.pdf"'
    assert first.headers["X-Robots-Tag"].startswith("noindex")
    files = extract_attachments(first.data)
    assert files["record.json"] == bytes(row.body)
    assert files["record.sig"].decode() == row.signature
    assert "receipt.tlog-proof" in files
    # The QR statement is signed by the record's own key and describes this record.
    url, signed = certificates.qr_url_for(row)
    assert signed and url.startswith(f"{ctx.config['IKRAR_BASE_URL']}/v/{row.code}#")
    statement = qr.verify_url(url, keyring.keyring())
    assert qr.matches_record(statement.fields, parse_canonical(bytes(row.body)), row.log_index) == []

    missing = client.get("/api/v1/signatures/aaaaaaaaaaaaaaaaaaaaaaaaaa/certificate.pdf")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


@pytest.mark.parametrize("name", SERVICE_NAMES, ids=lambda n: n.encode("unicode_escape").decode()[:20])
def test_names_accepted_by_the_service_print_exactly(ctx: Flask, name: str) -> None:
    row = signing.sign(walk_in(name), ctx.extensions["ikrar.signers"]).record
    assert row.name == unicodedata.normalize("NFC", name)
    text = page_text(certificates.certificate_pdf(row))
    assert squeeze(row.name) in squeeze(text)
    assert certificates.certificate_filename(row).isascii()


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_markup_names_print_literally(ctx: Flask, name: str) -> None:
    row = signing.sign(walk_in("Nama Biasa"), ctx.extensions["ikrar.signers"]).record
    data = certificates.certificate_data(row)
    record = copy.deepcopy(data.record)
    record["signatory"]["name"] = name
    text = page_text(render_certificate(replace(data, record=record)))
    assert name in text


def test_rotated_key_still_signs_old_statements(ctx: Flask) -> None:
    row = signing.sign(walk_in("Sebelum Rotasi"), ctx.extensions["ikrar.signers"]).record
    before = certificates.certificate_pdf(row)
    old, new = keyring.rotate(keyring.KeySettings(**_settings(ctx)))
    assert old == row.kid != new
    assert certificates.certificate_pdf(row) == before  # signed with the retired key, same bytes
    # Without the old private key the QR carries no statement (and the page says so).
    (ctx.config["IKRAR_KEYS_DIR"] / f"{old}.pem").unlink()
    url, signed = certificates.qr_url_for(row)
    assert not signed and url == f"{ctx.config['IKRAR_BASE_URL']}/v/{row.code}"


def _settings(app: Flask) -> dict[str, object]:
    return {
        "directory": app.config["IKRAR_KEYS_DIR"],
        "passphrase": app.config["IKRAR_KEY_PASSPHRASE"],
        "passphrase_file": app.config["IKRAR_KEY_PASSPHRASE_FILE"],
    }


def test_certificate_opens_only_with_its_link_or_for_staff(app: Flask) -> None:
    # Record ids are public (the log names them); the PDF shows the handwritten signature.
    with app.app_context():
        row = signing.sign(
            walk_in("Rahasia Tanda Tangan", public_display=False), app.extensions["ikrar.signers"]
        ).record
        record_id, token = row.id, certificates.certificate_token(row.id)
    client = app.test_client()
    path = f"/api/v1/signatures/{record_id}/certificate.pdf"
    refused = client.get(path)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert (
        client.get(path, query_string={"t": token[:-1] + ("A" if token[-1] != "A" else "B")}).status_code
        == 403
    )
    assert client.get(path, query_string={"t": ""}).status_code == 403
    assert client.get(path, query_string={"t": token}).status_code == 200
    staff = app.test_client()
    sign_in(app, staff, "auditor")
    assert staff.get(path).status_code == 200


def test_verify_answers_at_once_for_a_key_rotated_after_the_ring_was_cached(ctx: Flask) -> None:
    # The verify endpoints reuse a recently read key ring; a record signed with a key the cached
    # ring does not know yet must still verify (the ring is re-read at once, not after the TTL).
    client = ctx.test_client()
    first = signing.sign(walk_in("Sebelum Rotasi Cache"), ctx.extensions["ikrar.signers"]).record
    assert client.get(f"/api/v1/verify/{first.code}").get_json()["status"] == "valid"
    _old, new = keyring.rotate(keyring.KeySettings(**_settings(ctx)))
    second = signing.sign(walk_in("Sesudah Rotasi Cache"), ctx.extensions["ikrar.signers"]).record
    assert second.kid == new
    assert client.get(f"/api/v1/verify/{second.code}").get_json()["status"] == "valid"
    assert client.get(f"/api/v1/verify/{first.code}").get_json()["status"] == "valid"
