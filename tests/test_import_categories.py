"""The invitee CSV import as organisers' spreadsheets really are: category spellings, re-imports,
Excel's encodings and separators."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.core.categories import SYNONYMS, category_of, fold, spellings
from registry.demo import CATEGORIES
from registry.extensions import db
from registry.models import Invitee
from registry.services import invitees
from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO

HEADER = "nama;jabatan;instansi;kategori\n"


def _import(client: FlaskClient, data: bytes) -> tuple[int, str]:
    token = csrf_token(client, f"/admin/commitments/{DEMO}")
    response = client.post(
        f"/admin/commitments/{DEMO}/invitees/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), "undangan.csv")},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Pemerintah", "pemerintah"),
        ("PEMDA", "pemerintah"),
        ("OPD", "pemerintah"),
        ("Dinas", "pemerintah"),
        ("Instansi  Pemerintah", "pemerintah"),
        ("Pemerintah / OPD", "pemerintah"),  # the label itself
        ("Swasta", "badan-usaha"),
        ("Badan Usaha", "badan-usaha"),
        ("badan-usaha", "badan-usaha"),
        ("BUMN", "badan-usaha"),
        ("bumd", "badan-usaha"),
        ("Perusahaan", "badan-usaha"),
        ("Perguruan Tinggi", "akademisi"),
        ("perguruan-tinggi", "akademisi"),
        ("Universitas", "akademisi"),
        ("Kampus", "akademisi"),
        ("Akadémisi", "akademisi"),  # accents ignored
        ("Komunitas", "komunitas"),
        ("Masyarakat", "komunitas"),
        ("LSM", "komunitas"),
        ("Ormas", "komunitas"),
        ("Media", "media"),
        ("Pers", "media"),
        (" media ", "media"),
        ("PT", None),  # perguruan tinggi or perseroan terbatas: ambiguous, refused
        ("alien", None),
    ],
)
def test_the_synonym_table(given: str, expected: str | None) -> None:
    assert category_of(given, spellings(CATEGORIES)) == expected


def test_a_synonym_applies_only_to_a_category_the_commitment_has() -> None:
    only_two = [{"id": "pemerintah", "label": "Pemerintah"}, {"id": "warga", "label": "Warga"}]
    table = spellings(only_two)
    assert category_of("OPD", table) == "pemerintah"
    assert category_of("Swasta", table) is None and category_of("warga", table) == "warga"
    assert fold("  Pérguruan--Tinggi ") == "perguruan tinggi"
    assert set(SYNONYMS) == {c["id"] for c in CATEGORIES}  # the README table lists exactly these


def test_synonyms_in_a_semicolon_file_with_a_bom_are_imported(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    rows = [
        "Andi Saputra;Kepala Dinas;Dinas Kominfo;OPD",
        "Budi Hartono;Direktur;PT Maju;Swasta",
        "Citra Ayu;Rektor;Universitas Perwira;Perguruan tinggi",
        "Dewi Lestari;Ketua;LSM Hijau;Lsm",
        "Eko Susilo;Wartawan;Radar Banyumas;Pers",
        "Fajar Nugroho;Ketua;Paguyuban;Perkumpulan",
    ]
    data = b"\xef\xbb\xbf" + (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    status, page = _import(client, data)
    assert status == 200, page
    assert "5 diimpor" in page and "1 ditolak" in page and "BOM UTF-8" in page and "“;”" in page
    assert "Perkumpulan" in page  # the one unknown spelling is named
    with app.app_context():
        got = dict(db.session.execute(select(Invitee.name, Invitee.category)).all())
    assert got["Andi Saputra"] == "pemerintah" and got["Budi Hartono"] == "badan-usaha"
    assert got["Citra Ayu"] == "akademisi" and got["Dewi Lestari"] == "komunitas"
    assert got["Eko Susilo"] == "media" and "Fajar Nugroho" not in got


def test_a_re_import_reports_rows_already_listed_apart_from_errors(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    first = HEADER + "Gita Permata;Staf;Bappeda;Pemda\nHadi Wijaya;Staf;Bappeda;Pemda\n"
    assert "2 diimpor" in _import(client, first.encode())[1]
    again = first + "Indah Sari;Staf;Bappeda;Pemda\nJoko;Staf;Bappeda;antah\n"
    status, page = _import(client, again.encode())
    assert status == 200
    assert "1 diimpor" in page and "1 ditolak" in page and "2 sudah ada dalam daftar" in page
    listed = page[page.index('id="already-listed"') :]
    listed = listed[: listed.index("</table>")]
    assert "Gita Permata" in listed and "Hadi Wijaya" in listed and "Joko" not in listed
    rejected = page[page.index('id="rejected"') :]
    rejected = rejected[: rejected.index("</table>")]
    assert "Joko" in rejected and "Gita" not in rejected
    with app.app_context():
        report = invitees.import_csv(DEMO, again.encode())
    assert [p.name for p in report.already_listed] == ["Gita Permata", "Hadi Wijaya", "Indah Sari"]
    assert [p.name for p in report.rejected] == ["Joko"]


def test_a_windows_1252_file_is_read_with_a_note(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    data = (HEADER + "Sürya Dédé;Staf;Dinas Kesehatan;Pemerintah\n").encode("cp1252")
    status, page = _import(client, data)
    assert status == 200, page
    assert "1 diimpor" in page and 'id="encoding-note"' in page and "Windows-1252" in page
    with app.app_context():
        assert db.session.execute(select(Invitee).where(Invitee.name == "Sürya Dédé")).scalar_one()


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "Sürya;Staf;Dinas;pemerintah\n").encode("utf-16"),  # Excel's "Unicode text"
        HEADER.encode() + b"Nama \x81 Aneh;Staf;Dinas;pemerintah\n",  # undefined in Windows-1252 too
    ],
)
def test_an_unreadable_encoding_is_explained_plainly(app: Flask, client: FlaskClient, data: bytes) -> None:
    sign_in(app, client, "admin")
    status, page = _import(client, data)
    assert status == 422
    fatal = re.sub(r"\s+", " ", page[page.index('id="fatal"') :].split("</p>", 1)[0])
    assert "Berkas bukan UTF-8" in fatal and "CSV UTF-8 (dipisahkan koma)" in fatal
    assert "byte" not in fatal.lower()
