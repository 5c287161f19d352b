"""Admin pages: commitments and versions, CSV import of invitees, progress, withdrawal."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import CommitmentVersion, Invitee, LogEntry, SignatureRecord, Withdrawal
from registry.services import commitments, invitees, signing
from registry.services.errors import NotFound
from tests.conftest import LiveServer, csrf_token, sign_in
from tests.factories import DEMO, walk_in

DEMO_V1 = f"/admin/commitments/{DEMO}/versions/1"


def _signed_record(app: Flask, name: str = "Siti Penanda Uji") -> str:
    with app.app_context():
        result = signing.sign(walk_in(name), app.extensions["ikrar.signers"])
        return str(result.record.id)


def _form(**overrides: str) -> dict[str, str]:
    values = {
        "slug": "pakta-integritas-2025",
        "title": "Pakta Integritas Pengadaan 2025",
        "text": "Kami berjanji menjalankan pengadaan yang bersih.\n\n1. Tidak menerima suap.",
        "place": "Pendopo Dipokusumo, Purbalingga",
        "event_date": "2025-02-03",
        "dimensions": "transparansi | Transparansi\nakuntabilitas | Akuntabilitas",
        "categories": "pemerintah | Pemerintah / OPD\nswasta | Badan usaha",
        "consent_text": "Saya setuju nama, jabatan, instansi dan tanda tangan saya diproses.",
    }
    values.update(overrides)
    return values


# --- access ----------------------------------------------------------------------------------


def _pages(app: Flask) -> list[str]:
    record_id = _signed_record(app)
    return [
        "/admin/commitments",
        "/admin/commitments/new",
        f"/admin/commitments/{DEMO}",
        DEMO_V1,
        f"/admin/commitments/{DEMO}/revise",
        f"{DEMO_V1}/progress",
        f"/admin/signatures/{record_id}",
    ]


def test_every_page_renders_for_an_admin(app: Flask, client: FlaskClient) -> None:
    pages = _pages(app)
    sign_in(app, client, "admin")
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "text/html" in response.content_type
        assert 'name="csrf_token"' in response.get_data(as_text=True), path
    # Bahasa Indonesia first, English on request.
    assert "Komitmen baru" in client.get("/admin/commitments").get_data(as_text=True)
    token = csrf_token(client, "/admin/commitments")
    client.post("/lang", data={"lang": "en", "next": "/admin/commitments", "csrf_token": token})
    english = client.get(f"{DEMO_V1}/progress").get_data(as_text=True)
    assert "Not signed yet" in english and "open" in english and "Belum menandatangani" not in english
    # The login page sends admins to the commitments list.
    assert client.get("/home").headers["Location"] == "/admin/commitments"
    # The style sheet is served from the app (the CSP allows no inline styles).
    css = client.get("/static/admin.css")
    assert css.status_code == 200 and css.content_type.startswith("text/css")
    css.close()


def test_operator_and_auditor_are_refused_and_anonymous_sent_to_login(app: Flask) -> None:
    pages = _pages(app)
    anonymous = app.test_client()
    for path in pages:
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
        assert path in response.headers["Location"].replace("%2F", "/")
    operator, auditor = app.test_client(), app.test_client()
    sign_in(app, operator, "operator")
    sign_in(app, auditor, "auditor")
    for path in pages:
        assert operator.get(path).status_code == 403, path
        if path.endswith("/progress"):  # auditors may read progress, without admin links
            page = auditor.get(path)
            assert page.status_code == 200 and "/admin/signatures/" not in page.get_data(as_text=True)
        else:
            assert auditor.get(path).status_code == 403, path
    # POSTs are refused too (the role check runs before CSRF can matter for a signed-in user).
    token = csrf_token(operator, "/login")
    response = operator.post(f"{DEMO_V1}/close", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert commitments.get_version(DEMO, 1).status == "open"


def test_post_without_csrf_token_is_refused_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    record_id = _signed_record(app)
    with app.app_context():
        size = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/admin/commitments/new", _form()),
        (f"{DEMO_V1}/close", {}),
        (f"/admin/commitments/{DEMO}/revise", _form()),
        (f"/admin/signatures/{record_id}/withdraw", {"reason": "Salah orang yang menandatangani."}),
        (f"/admin/commitments/{DEMO}/invitees/import", {}),
    ]
    upload = b"name,position,institution,category\nAgus Uji,Staf,Dinas Uji,pemerintah\n"
    for path, data in posts:
        for extra in ({}, {"csrf_token": "forged"}):
            if path.endswith("/import"):
                extra = {**extra, "file": _csv_file(upload)}
            assert client.post(path, data={**data, **extra}).status_code == 400, path
    # GET never changes state either: the action URLs only answer POST.
    assert client.get(f"{DEMO_V1}/close").status_code == 405
    assert client.get(f"/admin/signatures/{record_id}/withdraw").status_code == 405
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one() == size
        assert commitments.get_version(DEMO, 1).status == "open"
        assert db.session.get(Withdrawal, record_id) is None


# --- commitments -----------------------------------------------------------------------------


def test_create_publish_revise_makes_version_2_and_leaves_version_1_unchanged(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "admin")
    token = csrf_token(client, "/admin/commitments/new")
    response = client.post("/admin/commitments/new", data=_form(csrf_token=token))
    assert response.status_code == 303
    base = "/admin/commitments/pakta-integritas-2025"
    assert response.headers["Location"] == f"{base}/versions/1"
    page = client.get(f"{base}/versions/1").get_data(as_text=True)
    text = _form()["text"]
    import hashlib

    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest in page and "draft" in page

    # A draft can be edited in place.
    edited = _form(csrf_token=token, title="Pakta Integritas Pengadaan Barang/Jasa 2025")
    assert client.post(f"{base}/versions/1/edit", data=edited).status_code == 303
    confirmed = {"csrf_token": token, "confirm": "yes"}
    assert client.post(f"{base}/versions/1/publish", data=confirmed).status_code == 303
    with app.app_context():
        v1 = commitments.get_version("pakta-integritas-2025", 1)
        assert v1.status == "open" and v1.title == "Pakta Integritas Pengadaan Barang/Jasa 2025"
        before = {c: getattr(v1, c) for c in ("title", "text", "text_sha256", "consent_sha256", "dimensions")}

    # A published version cannot be edited; "edit" makes version 2.
    response = client.post(f"{base}/versions/1/edit", data=_form(csrf_token=token, title="Diubah"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/versions/1")
    assert client.get(f"{base}/revise").status_code == 200
    new_text = text + "\n2. Melaporkan gratifikasi."
    response = client.post(f"{base}/revise", data=_form(csrf_token=token, text=new_text))
    assert response.status_code == 303 and response.headers["Location"] == f"{base}/versions/2"
    with app.app_context():
        v1 = commitments.get_version("pakta-integritas-2025", 1)
        v2 = commitments.get_version("pakta-integritas-2025", 2)
        assert {c: getattr(v1, c) for c in before} == before and v1.status == "open"
        assert v2.status == "draft" and v2.text == new_text
        assert v2.text_sha256 == hashlib.sha256(new_text.encode()).hexdigest() != v1.text_sha256
    page = client.get(f"{base}/versions/2").get_data(as_text=True)
    assert "versions/2/confirm/publish" in page
    assert client.post(f"{base}/versions/2/publish", data=confirmed).status_code == 303
    assert client.post(f"{base}/versions/2/close", data=confirmed).status_code == 303
    with app.app_context():
        assert commitments.get_version("pakta-integritas-2025", 1).status == "closed"
        assert commitments.get_version("pakta-integritas-2025", 2).status == "closed"
        types = list(db.session.execute(select(LogEntry.type).order_by(LogEntry.index)).scalars())
        assert types[-7:] == [
            "commitment:create",
            "commitment:edit",
            "commitment:publish",
            "commitment:revise",
            "commitment:close",  # publishing version 2 closes version 1
            "commitment:publish",
            "commitment:close",
        ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "Bad Slug"}, "slug", "ID komitmen harus 3–64 karakter"),
        ({"slug": DEMO}, "slug", "sudah ada"),
        ({"title": ""}, "title", "judul wajib diisi"),
        ({"event_date": "12/09/2024"}, "event_date", "YYYY-MM-DD"),
        ({"dimensions": "tanpa pemisah"}, "dimensions", "id | label"),
        ({"dimensions": "a | A\na | B"}, "dimensions", "muncul dua kali"),
        ({"categories": "Bad Id | X"}, "categories", "harus terdiri atas huruf kecil"),
        ({"consent_text": " "}, "consent_text", "teks persetujuan wajib diisi"),
        ({"title": "Judul\x07"}, "title", "judul berisi karakter kontrol (U+0007)"),
    ],
)
def test_invalid_commitment_form_shows_the_error_at_its_field(
    app: Flask, client: FlaskClient, overrides: dict[str, str], field: str, message: str
) -> None:
    sign_in(app, client, "admin")
    token = csrf_token(client, "/admin/commitments/new")
    response = client.post("/admin/commitments/new", data=_form(csrf_token=token, **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1), page[-3000:]
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(CommitmentVersion)).scalar_one()
        assert count == 1  # only the demo commitment


# --- CSV import ------------------------------------------------------------------------------


def _csv_file(data: bytes, name: str = "undangan.csv") -> tuple[Any, str]:
    import io

    return (io.BytesIO(data), name)


def _english(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    assert client.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": token}).status_code == 303


def _import(app: Flask, client: FlaskClient, data: bytes) -> tuple[int, str]:
    """Upload ``data`` through the import form (CSRF token included)."""
    token = csrf_token(client, f"/admin/commitments/{DEMO}")
    # The multipart body written by hand: for large files the test client would spool it to a
    # temporary file it never closes.
    boundary = "ikrarbatas"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="undangan.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        f"/admin/commitments/{DEMO}/invitees/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return response.status_code, response.get_data(as_text=True)


def _rejected(page: str) -> dict[int, str]:
    return {
        int(line): reason
        for line, reason in re.findall(
            r'<tr data-line="(\d+)"><td>\d+</td><td>[^<]*</td><td>([^<]*)</td>', page.split('id="notes"')[0]
        )
    }


def _invitee_names(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(Invitee.name).order_by(Invitee.id)).scalars())


HOSTILE_CSV = "\n".join(
    [
        "nama;jabatan;instansi;kategori;kontak",
        "Ahmad Fauzi;Kepala Dinas;Dinas Pendidikan;pemerintah;0812-000-111",  # 2 ok
        "<script>alert(1)</script>;Camat;Kecamatan Bukateja;pemerintah;",  # 3 markup
        ";Dosen;Universitas Perwira;akademisi;",  # 4 empty name
        "Budi\x07 Santoso;Direktur;CV Maju;badan-usaha;",  # 5 control character
        "Citra Lestari;Dosen;Universitas Perwira;alien;",  # 6 unknown category
        "Ahmad Fauzi;Kepala Dinas;Dinas Pendidikan;pemerintah;",  # 7 duplicate of line 2
        "Dra. Sri Wahyuningsih, M.Si.;Kepala;Dinas Kominfo Kabupaten Purbalingga;pemerintah;",  # 8 present
        "X" * 201 + ";Staf;Dinas;pemerintah;",  # 9 too long
        unicodedata.normalize("NFD", "Dédé Kurniawati") + ";Ketua;Komunitas Braling;komunitas;",  # 10 NFD
        "Eko Prasetyo;Pemred;Radio Perwira;Media;",  # 11 category by label, case-insensitive
        "PT <Maju> & Jaya;Direktur;PT <Maju> & Jaya;badan-usaha;",  # 12 angle brackets, not markup
        "Hanya dua;kolom",  # 13 wrong number of columns
        "",
    ]
)


def test_csv_import_reports_every_rejected_row_and_imports_the_valid_ones(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "admin")
    _english(client)  # the reasons in English; the Indonesian ones are checked below
    before = _invitee_names(app)
    with app.app_context():
        log_size = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    status, page = _import(app, client, b"\xef\xbb\xbf" + HOSTILE_CSV.encode("utf-8"))
    assert status == 200, page
    assert "4 imported" in page and "7 rejected" in page and "1 already on the list" in page
    assert "of 12 rows" in page
    assert "BOM UTF-8" in page and "separator “;”" in page
    rejected = _rejected(page)
    assert sorted(rejected) == [3, 4, 5, 6, 7, 9, 13]
    assert "markup" in rejected[3]
    assert "name must not be empty" in rejected[4]
    assert "control character (U+0007)" in rejected[5]
    assert "unknown category" in rejected[6] and "pemerintah" in rejected[6]
    assert "duplicate of line 2" in rejected[7]
    assert re.search(r'id="already-listed">.*data-line="8"><td>8</td><td>Dra\. Sri Wahyuningsih', page, re.S)
    assert "longer than 200" in rejected[9]
    assert "2 columns where the header has 5" in rejected[13]
    assert "the contact column was ignored" in page  # the cells were never stored (test_minimisation)
    assert "<script>" not in page and "&lt;script&gt;" in page  # the hostile name is shown escaped
    assert re.search(r'data-line="10"><td>10</td><td>Dédé Kurniawati</td><td>text normalised to NFC', page)
    new = _invitee_names(app)[len(before) :]
    assert new == ["Ahmad Fauzi", "Dédé Kurniawati", "Eko Prasetyo", "PT <Maju> & Jaya"]
    with app.app_context():
        rows = {i.name: i for i in db.session.execute(select(Invitee)).scalars()}
        assert unicodedata.is_normalized("NFC", rows["Dédé Kurniawati"].name)
        assert rows["Eko Prasetyo"].category == "media"
        entries = list(db.session.execute(select(LogEntry).where(LogEntry.index >= log_size)).scalars())
        assert [e.type for e in entries] == ["invitee:import"]
        body = bytes(entries[0].body).decode()
        # Counts only: no name, position or institution in the public log, and no contact anywhere.
        assert '"imported":' in body and '"rejected":8' in body
        for secret in ("Ahmad", "Fauzi", "0812-000-111", "Dinas Pendidikan", "Kepala"):
            assert secret not in body  # the whole contact: "0812" alone may occur inside a hash


def test_csv_import_accepts_comma_separated_without_bom_and_english_headers(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "admin")
    data = (
        b"name,position,institution,category,notes\r\n"
        b'"Rina Marlina","Kepala Bagian, Umum","Setda Purbalingga",pemerintah,x\r\n'
        b"Joko Widodo Santoso,Ketua,Karang Taruna,komunitas,y\r\n"
        b"Lina Marlina,Staf,Karang Taruna,komunitas\r\n"  # the trailing optional cell left out
        b"Tanpa Kategori,Staf,Karang Taruna\r\n"  # a required cell missing
    )
    status, page = _import(app, client, data)
    assert status == 200
    assert "3 diimpor" in page and "1 ditolak" in page and "“,”" in page and "notes" in page
    assert "3 kolom, padahal baris judul memuat 5" in _rejected(page)[5]
    with app.app_context():
        row = db.session.execute(select(Invitee).where(Invitee.name == "Rina Marlina")).scalar_one()
        assert row.position == "Kepala Bagian, Umum"
    assert 'id="notice-1"' not in page  # no contact column, no notice
    # Importing the same file again adds nobody.
    status, page = _import(app, client, data)
    assert "0 diimpor" in page and "1 ditolak" in page and "3 sudah ada dalam daftar" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"name,position,institution,category\n" + b"Nama Orang,Staf,Dinas,pemerintah\n" * 16_000,
            "at most 512 KiB",
        ),
        ("nama;jabatan;instansi;kategori\nSürya;Staf;Dinas;pemerintah\n".encode("utf-16"), "not UTF-8"),
        (b"name,position,category\nA,B,pemerintah\n", "lacks the column(s) institution"),
        (b"", "empty"),
        (b"name,position,institution,category\n", "no invitees"),
        (
            b'name,position,institution,category\n"Tanpa tutup,Staf,Dinas,pemerintah\nB,C,D,pemerintah\n',
            "CSV",
        ),
    ],
)
def test_fatal_csv_errors_import_nothing(app: Flask, client: FlaskClient, data: bytes, message: str) -> None:
    sign_in(app, client, "admin")
    _english(client)
    before = _invitee_names(app)
    with app.app_context():
        log_size = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    status, page = _import(app, client, data)
    assert status == 422
    fatal = re.search(r'<p class="flash error" id="fatal">([^<]*)</p>', page)
    assert fatal and message in fatal.group(1), page[-2000:]
    assert _invitee_names(app) == before
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one() == log_size


def test_a_file_over_the_request_limit_is_refused_with_a_clear_page(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    before = _invitee_names(app)
    big = b"name,position,institution,category\n" + b"Nama Orang,Staf,Dinas,pemerintah\n" * 40_000
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    status, page = _import(app, client, big)
    assert status == 413
    message = re.search(r'<p class="flash error" id="message">([^<]*)</p>', page)
    assert message and "Berkas terlalu besar" in message.group(1) and "512 KiB" in message.group(1)
    assert _invitee_names(app) == before


def test_import_without_a_file_is_a_clear_error(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    token = csrf_token(client, f"/admin/commitments/{DEMO}")
    response = client.post(f"/admin/commitments/{DEMO}/invitees/import", data={"csrf_token": token})
    assert response.status_code == 400 and "Pilih berkas CSV" in response.get_data(as_text=True)


def test_import_into_an_unknown_commitment_writes_nothing(app: Flask) -> None:
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(Invitee)).scalar_one()
        with pytest.raises(NotFound):
            invitees.import_csv("tidak-ada", b"name,position,institution,category\nA,B,C,pemerintah\n")
        assert db.session.execute(select(func.count()).select_from(Invitee)).scalar_one() == before


# --- progress and withdrawal -----------------------------------------------------------------


def test_progress_shows_who_signed_and_who_has_not(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    with app.app_context():
        first = db.session.execute(select(Invitee).order_by(Invitee.id)).scalars().first()
        assert first is not None
        invited_name, invitee_id = first.name, first.id
        request = walk_in("x")
        from dataclasses import replace

        signing.sign(replace(request, signatory=None, invitee_id=invitee_id), app.extensions["ikrar.signers"])
        signing.sign(walk_in("Walk In Peserta"), app.extensions["ikrar.signers"])
        total = db.session.execute(
            select(func.count()).select_from(Invitee).where(Invitee.walk_in.is_(False))
        ).scalar_one()
    page = client.get(f"{DEMO_V1}/progress").get_data(as_text=True)
    assert re.search(rf'id="invited-signed">1 / {total}<', page)
    assert 'id="walk-ins">1<' in page and 'id="total">2<' in page
    signed = page.split('id="signed"')[1].split("</table>")[0]
    not_signed = page.split('id="not-signed"')[1].split("</table>")[0]
    assert invited_name in signed and "Walk In Peserta" in signed and "WIB" in signed
    assert invited_name not in not_signed and "Ir. Bambang Setiawan" in not_signed
    # The commitment page marks the same invitee as signed.
    overview = client.get(f"/admin/commitments/{DEMO}").get_data(as_text=True)
    row = re.search(rf"<td>{re.escape(invited_name)}</td>.*?</tr>", overview, re.S)
    assert row and "sudah" in row.group(0)


def test_withdrawal_through_the_form_shows_in_the_api(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in(app, client, "admin")
    record_id = _signed_record(app, "Penanda Keliru")
    path = f"/admin/signatures/{record_id}"
    token = csrf_token(client, path)
    # The reason is required.
    response = client.post(f"{path}/withdraw", data={"csrf_token": token, "reason": " ", "confirm": "yes"})
    assert response.status_code == 422 and "field-error" in response.get_data(as_text=True)
    assert client.get(f"/api/v1/signatures/{record_id}").get_json()["status"] == "valid"
    reason = "Ditandatangani oleh orang yang salah; lihat berita acara."
    response = client.post(f"{path}/withdraw", data={"csrf_token": token, "reason": reason, "confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == path
    page = client.get(path).get_data(as_text=True)
    assert 'id="withdrawn"' in page and reason in page and f"{path}/withdraw" not in page
    document = client.get(f"/api/v1/signatures/{record_id}").get_json()
    assert document["status"] == "withdrawn" and document["withdrawal"]["reason"] == reason
    with app.app_context():
        assert db.session.get(Withdrawal, record_id).actor == admin_id
        assert db.session.get(SignatureRecord, record_id) is not None  # nothing deleted
    # A second withdrawal is a conflict, shown at the field.
    response = client.post(f"{path}/withdraw", data={"csrf_token": token, "reason": reason, "confirm": "yes"})
    assert response.status_code == 422
    assert f"tanda tangan {record_id} sudah ditarik" in response.get_data(as_text=True)
    progress = client.get(f"{DEMO_V1}/progress").get_data(as_text=True)
    assert 'id="withdrawn">1<' in progress


def test_unknown_things_are_404(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    assert client.get("/admin/commitments/tidak-ada").status_code == 404
    assert client.get(f"/admin/commitments/{DEMO}/versions/9").status_code == 404
    assert client.get("/admin/signatures/" + "a" * 26).status_code == 404


# --- screenshots -----------------------------------------------------------------------------

# The screenshots in docs/ are refreshed with IKRAR_SCREENSHOT_DIR=docs/screenshots (as the kiosk's);
# otherwise they go to a temporary folder, so an ordinary test run leaves the checkout unchanged.


def test_screenshots_of_progress_and_import_report(
    app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from registry.services import accounts

    with app.app_context():
        accounts.create_user("admin-shot", "Admin Diskominfo", "admin", "correct horse battery staple")
        people = db.session.execute(select(Invitee).order_by(Invitee.id)).scalars().all()
        from dataclasses import replace

        for person in people[:3]:
            signing.sign(
                replace(walk_in("x"), signatory=None, invitee_id=person.id), app.extensions["ikrar.signers"]
            )
        signing.sign(walk_in("Hendra Gunawan"), app.extensions["ikrar.signers"])
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login?next=/admin/commitments")
        page.fill("#username", "admin-shot")
        page.fill("#password", "correct horse battery staple")
        page.click("button[type=submit] >> text=Masuk")
        page.wait_for_url("**/admin/commitments")
        page.goto(f"{live_server.url}{DEMO_V1}/progress")
        assert page.locator("#invited-signed").inner_text().startswith("3 /")
        shots = Path(os.environ.get("IKRAR_SCREENSHOT_DIR") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "admin-progress.png"), full_page=True)
        upload = tmp_path / "undangan.csv"
        upload.write_bytes(b"\xef\xbb\xbf" + HOSTILE_CSV.encode("utf-8"))
        page.goto(f"{live_server.url}/admin/commitments/{DEMO}")
        page.set_input_files("#file", str(upload))
        page.click("button >> text=Impor")
        page.wait_for_selector("#summary")
        assert "4 diimpor" in page.locator("#summary").inner_text()
        page.screenshot(path=str(shots / "admin-import-report.png"), full_page=True)
        assert (shots / "admin-import-report.png").stat().st_size > 0
    finally:
        context.close()
