"""The issuer and its emblem: printed on the certificate and the roll, shown on the verify page and
the public list, bound by the version document the log holds (docs/FORMATS.md §4), and uploaded
only as a PNG Ikrar re-encodes itself, hostile files refused with nothing stored (SVG emblems:
tests/test_branding_svg.py)."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO

import pypdf
import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, PngImagePlugin
from sqlalchemy import Connection, create_engine, func, select, text

from registry import demo
from registry.core.canonical import canonical_bytes, parse_canonical
from registry.core.keys import Signer
from registry.core.versions import document_from_json, version_document, version_sha256
from registry.emblem import sanitise_emblem
from registry.extensions import db
from registry.models import Emblem, LogEntry
from registry.pdf.certificate import CertificateData, render_certificate
from registry.pdf.printed import Expected, check_printed
from registry.services import certificates, commitments, integrity, signing, verification
from registry.services import roll as roll_service
from registry.services.errors import IntegrityFailure
from tests.conftest import Env, csrf_token, sign_in
from tests.factories import DEMO, scribble, walk_in
from tests.test_printed import full_expectation, make_data, with_content
from tests.test_version_document import _tool

ISSUER = "PEMERINTAH KABUPATEN PURBALINGGA"
verify_log = _tool()  # tools/verify_log.py, the standalone verifier


# --- helpers ---------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def image_objects(pdf: bytes, page: int = 0) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return sum(1 for obj in document[page].get_objects() if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
    finally:
        document.close()


def sign_one(app: Flask, name: str = "Rina Handayani", seed: int = 3) -> tuple[str, str]:
    with app.app_context():
        result = signing.sign(walk_in(name, strokes=scribble(seed)), app.extensions["ikrar.signers"])
        return result.record.id, result.record.code


def certificate_of(app: Flask, record_id: str) -> bytes:
    with app.app_context():
        return certificates.certificate_pdf(signing.get(record_id))


def emblem_png(*, size: tuple[int, int] = (300, 200), secret: str = "") -> bytes:
    """A coloured shape on a transparent ground, optionally with a text chunk and trailing bytes."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(size[0] // 4, 3 * size[0] // 4):
        for y in range(size[1] // 4, 3 * size[1] // 4):
            image.putpixel((x, y), (27, 54, 93, 255))
    out = BytesIO()
    info = PngImagePlugin.PngInfo()
    if secret:
        info.add_text("Comment", secret)
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue() + (secret.encode() if secret else b"")


def draft_v2(app: Flask) -> None:
    """Version 2 of the demo as a draft (the issuer carries over from the form's fields)."""
    with app.app_context():
        commitments.revise(DEMO, demo.draft())


def upload(app: Flask, client: FlaskClient, data: bytes, filename: str, version: int = 2) -> tuple[int, str]:
    page = f"/admin/commitments/{DEMO}/versions/{version}"
    token = csrf_token(client, page)
    # The multipart body written by hand: for large files the test client would spool it to a
    # temporary file it never closes (as tests/test_admin.py does).
    boundary = "ikrarbatas"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="emblem"; filename="{filename}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        f"{page}/emblem", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    return response.status_code, response.get_data(as_text=True)


def stored_state(app: Flask) -> tuple[int, int, str | None]:
    with app.app_context():
        emblems = db.session.execute(select(func.count()).select_from(Emblem)).scalar_one()
        entries = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
        version = commitments.get_version(DEMO, 2)
        result = (emblems, entries, version.emblem_sha256)
        db.session.remove()
        return result


@pytest.fixture
def raw(app: Flask, env: Env) -> Iterator[Connection]:
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


# --- the version document ----------------------------------------------------------------------


def test_issuer_and_emblem_enter_the_version_document_only_when_set() -> None:
    fields = {
        "commitment": "contoh-2024",
        "version": 1,
        "title": "Komitmen Contoh",
        "text": "Kami berjanji:\nmelayani warga.",
        "place": "Purbalingga",
        "event_date": "2024-09-12",
        "dimensions": [{"id": "smart-governance", "label": "Smart Governance"}],
        "categories": [{"id": "pemerintah", "label": "Pemerintah / OPD"}],
        "consent_text": "Saya setuju.",
    }
    plain = version_document(**fields)
    # The known answer of docs/FORMATS.md §4 holds: versions without issuer keep their hash.
    assert version_sha256(plain) == "64fc2880d594eb17b5d480055babf312951978f7749d65d5b3a51bd03a837569"
    served = {**plain, "issuer": None, "emblem_sha256": None}
    assert version_sha256(document_from_json(served)) == version_sha256(plain)
    assert version_sha256(verify_log.version_document(served)) == version_sha256(plain)

    named = version_document(**fields, issuer=ISSUER)  # docs/FORMATS.md §4, the second example
    assert len(canonical_bytes(named)) == 388
    assert version_sha256(named) == "f066e04cd278f9519e88658bdd50caf3b74072f62383c59407a39714ab568f3e"
    branded = version_document(**fields, issuer=ISSUER, emblem_sha256="ab" * 32)
    assert canonical_bytes(branded).decode() == (
        '{"categories":[{"id":"pemerintah","label":"Pemerintah / OPD"}],"consent_text":"Saya setuju.",'
        '"dimensions":[{"id":"smart-governance","label":"Smart Governance"}],"emblem_sha256":"'
        + "ab"
        * 32
        + '","event_date":"2024-09-12","id":"contoh-2024","issuer":"PEMERINTAH KABUPATEN PURBALINGGA",'
        '"place":"Purbalingga","text":"Kami berjanji:\\nmelayani warga.","title":"Komitmen Contoh",'
        '"type":"ikrar.commitment-version.v1","version":1}'
    )
    served = {**branded, "issuer": ISSUER, "emblem_sha256": "ab" * 32}
    assert version_sha256(document_from_json(served)) == version_sha256(branded)
    assert version_sha256(verify_log.version_document(served)) == version_sha256(branded)
    assert version_sha256(branded) != version_sha256(plain)


def test_the_api_serves_the_issuer_and_the_hash_that_binds_it(app: Flask, client: FlaskClient) -> None:
    served = client.get(f"/api/v1/commitments/{DEMO}?version=1").get_json()
    assert served["issuer"] == ISSUER and served["emblem_sha256"] is None and served["emblem_url"] is None
    assert version_sha256(document_from_json(served)) == served["version_sha256"]
    with app.app_context():
        publish = db.session.execute(
            select(LogEntry).where(LogEntry.type == "commitment:publish").order_by(LogEntry.index)
        ).scalars()
        payloads = [parse_canonical(bytes(entry.body))["payload"] for entry in publish]
    assert any(p["version_sha256"] == served["version_sha256"] for p in payloads)


# --- where the issuer shows ----------------------------------------------------------------------


def test_issuer_prints_on_certificate_and_roll(app: Flask) -> None:
    record_id, _ = sign_one(app)
    certificate = certificate_of(app, record_id)
    assert ISSUER in pdf_text(certificate)
    assert image_objects(certificate) == 0  # the demo ships no emblem
    with app.app_context():
        roll = roll_service.roll_pdf(DEMO, 1)
    assert ISSUER in pdf_text(roll).split("\n", 3)[0] + pdf_text(roll)[:400]


def test_issuer_shows_on_verify_page_and_public_list(app: Flask, client: FlaskClient) -> None:
    _, code = sign_one(app)
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert f'<span class="issuer-name" id="issuer-name">{ISSUER}</span>' in page
    listing = client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert f'<span class="issuer-name" id="issuer-name">{ISSUER}</span>' in listing
    screen = client.get(f"/c/{DEMO}/layar").get_data(as_text=True)  # the projector's live screen
    assert f'<p class="issuer" id="issuer"><span>{ISSUER}</span></p>' in screen


def test_issuer_with_markup_is_escaped_everywhere(app: Flask, client: FlaskClient) -> None:
    issuer = "PT <Maju> & Jaya"
    with app.app_context():
        draft = demo.draft()
        commitments.create(
            "pakta-markup",
            commitments.CommitmentDraft(**{**draft.__dict__, "issuer": issuer}),
        )
        commitments.publish("pakta-markup", 1)
        result = signing.sign(
            walk_in("Rina Handayani", commitment="pakta-markup"), app.extensions["ikrar.signers"]
        )
        pdf = certificates.certificate_pdf(signing.get(result.record.id))
        roll = roll_service.roll_pdf("pakta-markup", 1)
    assert issuer in pdf_text(pdf) and issuer in pdf_text(roll)
    pages = ("/c/pakta-markup", f"/v/{result.record.code}", "/c/pakta-markup/layar")
    for page in (client.get(path) for path in pages):
        body = page.get_data(as_text=True)
        assert "PT &lt;Maju&gt; &amp; Jaya" in body and "<Maju>" not in body


def test_the_admin_form_sets_the_issuer(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    draft_v2(app)
    page = f"/admin/commitments/{DEMO}/versions/2/edit"
    form = client.get(page).get_data(as_text=True)
    assert f'value="{ISSUER}"' in form
    with app.app_context():
        values = {
            "title": "Komitmen Bersama mewujudkan Purbalingga Smart City",
            "text": demo.TEXT,
            "place": "Purbalingga",
            "event_date": "2024-09-12",
            "dimensions": "\n".join(f"{d['id']} | {d['label']}" for d in demo.DIMENSIONS),
            "categories": "\n".join(f"{c['id']} | {c['label']}" for c in demo.CATEGORIES),
            "consent_text": demo.CONSENT,
        }
    response = client.post(
        page, data={**values, "issuer": "  DINAS KOMINFO  ", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 303
    with app.app_context():
        assert commitments.get_version(DEMO, 2).issuer == "DINAS KOMINFO"
    response = client.post(page, data={**values, "issuer": "", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 303
    with app.app_context():
        assert commitments.get_version(DEMO, 2).issuer is None


# --- the emblem --------------------------------------------------------------------------------


def test_an_uploaded_png_is_re_encoded_and_printed_as_an_image(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    draft_v2(app)
    status, _ = upload(app, client, emblem_png(size=(1200, 800), secret="rahasia-metadata"), "lambang.png")
    assert status == 303
    emblems, _, sha = stored_state(app)
    assert emblems == 1 and sha is not None
    with app.app_context():
        stored = db.session.get(Emblem, sha)
        assert stored is not None
        png = bytes(stored.png)
    assert hashlib.sha256(png).hexdigest() == sha
    assert b"rahasia" not in png and png.endswith(b"IEND\xaeB`\x82")
    with Image.open(BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (512, 341) and not image.text
    # A draft's emblem is not public yet; the published one is, as the stored bytes.
    assert client.get(f"/emblem/{sha}.png").status_code == 404
    with app.app_context():
        commitments.publish(DEMO, 2)
    served = client.get(f"/emblem/{sha}.png")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    record_id, code = sign_one(app)
    certificate = certificate_of(app, record_id)
    assert image_objects(certificate) == 1 and b"/Subtype /Image" in certificate
    assert ISSUER in pdf_text(certificate)
    with app.app_context():
        assert image_objects(roll_service.roll_pdf(DEMO, 2)) == 1
    assert f"/emblem/{sha}.png" in client.get(f"/v/{code}").get_data(as_text=True)
    assert f"/emblem/{sha}.png" in client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert f"/emblem/{sha}.png" in client.get(f"/c/{DEMO}/layar").get_data(as_text=True)
    document = client.get(f"/api/v1/commitments/{DEMO}?version=2").get_json()
    assert document["emblem_sha256"] == sha and document["emblem_url"].endswith(f"/emblem/{sha}.png")
    assert version_sha256(document_from_json(document)) == document["version_sha256"]
    with app.app_context():
        integrity.verify_database()
        db.session.remove()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb() -> bytes:
    """A 3 KiB PNG declaring 30000 × 30000 pixels of zeros (900 MB once decoded)."""
    rows = zlib.compress(b"\x00" * (1 + 30000 // 8) * 30000, 9)
    header = struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


HOSTILE = {
    "png-bomb": (_bomb(), "lambang.png", 400, "piksel"),
    "svg-script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="5"/></svg>',
        "lambang.svg",
        400,
        "memuat &lt;script&gt;",
    ),
    "svg-xxe": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
        "lambang.png",
        400,
        "DOCTYPE",
    ),
    "text-as-png": (b"Ini bukan gambar, hanya teks.\n" * 20, "lambang.png", 400, "bukan gambar PNG atau SVG"),
    "truncated-png": (emblem_png()[:120], "lambang.png", 400, "bukan gambar PNG yang sah"),
    "too-large": (b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024), "lambang.png", 413, ""),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_emblems_are_refused_and_nothing_is_stored(
    app: Flask, client: FlaskClient, case: str
) -> None:
    data, filename, expected, message = HOSTILE[case]
    sign_in(app, client, "admin")
    draft_v2(app)
    before = stored_state(app)
    status, page = upload(app, client, data, filename)
    assert status == expected, page[:500]
    assert message in page
    assert stored_state(app) == before == (0, before[1], None)


def test_an_emblem_cannot_change_once_published(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    status, page = upload(app, client, emblem_png(), "lambang.png", version=1)
    assert status == 409 and "versi baru" in page


# --- tampering behind the application's back -----------------------------------------------------


def test_an_issuer_changed_in_the_database_is_detected(
    app: Flask, client: FlaskClient, raw: Connection
) -> None:
    record_id, code = sign_one(app)
    assert ISSUER in client.get(f"/v/{code}").get_data(as_text=True)
    for forged in ("PEMERINTAH KABUPATEN PALSU", None):
        raw.execute(text("UPDATE commitment_version SET issuer = :i WHERE version = 1"), {"i": forged})
        raw.commit()
        page = client.get(f"/v/{code}").get_data(as_text=True)
        assert "PALSU" not in page and ISSUER not in page
        assert 'data-status="invalid"' in page
        assert client.get(f"/c/{DEMO}").status_code == 500
        assert client.get(f"/api/v1/commitments/{DEMO}?version=1").status_code == 500
        with app.app_context(), pytest.raises(IntegrityFailure):
            certificates.certificate_pdf(signing.get(record_id))
        with app.app_context():
            db.session.remove()
            with pytest.raises(integrity.IntegrityError_) as caught:
                integrity.verify_database()
            assert "version_sha256" in caught.value.reason
            db.session.remove()


def test_an_emblem_swapped_in_the_database_is_detected(
    app: Flask, client: FlaskClient, raw: Connection
) -> None:
    sign_in(app, client, "admin")
    draft_v2(app)
    assert upload(app, client, emblem_png(), "lambang.png")[0] == 303
    with app.app_context():
        commitments.publish(DEMO, 2)
    record_id, _ = sign_one(app)
    _, _, sha = stored_state(app)
    raw.execute(text("UPDATE emblem SET png = :p"), {"p": emblem_png(size=(64, 64))})
    raw.commit()
    assert client.get(f"/emblem/{sha}.png").status_code == 500
    with app.app_context(), pytest.raises(IntegrityFailure):
        certificates.certificate_pdf(signing.get(record_id))
    with app.app_context():
        db.session.remove()
        with pytest.raises(integrity.IntegrityError_) as caught:
            integrity.verify_database()
        assert "emblem" in caught.value.reason
        db.session.remove()


# --- the printed-text check (upload and `ikrar verify`) with a letterhead -------------------------


def _branded(signer: Signer, **fields: object) -> tuple[CertificateData, bytes]:
    data = replace(make_data(signer), issuer=ISSUER, emblem_png=sanitise_emblem(emblem_png()).png, **fields)
    return data, render_certificate(data)


def _expected(data: CertificateData, pdf: bytes) -> Expected:
    return replace(full_expectation(data, pdf), issuer_known=True, issuer=data.issuer)


def test_a_certificate_with_a_letterhead_prints_what_it_seals() -> None:
    signer = Signer.generate()
    data, pdf = _branded(signer)
    assert check_printed(pdf, _expected(data, pdf)).status == "same"
    # Offline the issuer is not known: not checked, and said so.
    offline = check_printed(pdf, replace(_expected(data, pdf), issuer_known=False, issuer=None))
    assert offline.status == "same" and "issuer" in offline.not_checked
    # Another issuer, or one printed where the version has none, is caught.
    forged = check_printed(pdf, replace(_expected(data, pdf), issuer="PEMERINTAH KABUPATEN LAIN"))
    assert (forged.status, forged.differing) == ("differs", ["issuer"])
    plain = render_certificate(replace(data, issuer=None, emblem_png=None))
    assert check_printed(plain, _expected(data, plain)).differing == ["issuer"]
    assert check_printed(pdf, replace(_expected(data, pdf), issuer=None)).status == "differs"


def test_an_image_level_with_text_or_a_second_image_is_refused() -> None:
    signer = Signer.generate()
    data, pdf = _branded(signer)
    content = pypdf.PdfReader(BytesIO(pdf)).pages[0].get_contents().get_data()
    placed = re.search(rb"([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm\s+/(\S+) Do", content)
    assert placed is not None
    lowered = placed.group(0).replace(b" " + placed.group(4) + b" cm", b" -300 cm")  # over the name
    twice = placed.group(0) + b"\nQ\nq\n" + placed.group(0)
    for forged, why in (
        (with_content(pdf, lambda c: c.replace(placed.group(0), lowered)), "outside the letterhead"),
        (with_content(pdf, lambda c: c.replace(placed.group(0), twice)), "more than one image"),
    ):
        result = check_printed(forged, _expected(data, forged))
        assert (result.status, result.differing) == ("differs", ["structure"]) and why in str(result.reason)


def test_an_uploaded_certificate_with_emblem_verifies(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    draft_v2(app)
    assert upload(app, client, emblem_png(), "lambang.png")[0] == 303
    with app.app_context():
        commitments.publish(DEMO, 2)
    record_id, _ = sign_one(app)
    pdf = certificate_of(app, record_id)
    copy = BytesIO()
    writer = pypdf.PdfWriter(clone_from=BytesIO(pdf))
    writer.write(copy)  # not byte-identical: the structure and the printed text are read
    with app.app_context():
        assert verification.check_upload(pdf).verdict == "valid"
        result = verification.check_upload(copy.getvalue())
        assert result.verdict == "valid" and not result.identical, result.reasons
        assert result.printed is not None and "issuer" in result.printed.checked
