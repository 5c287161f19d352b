"""Data minimisation (UU 27/2022): invitees' contact details are neither collected nor kept.

A CSV with a contact column still imports (organisers' spreadsheets carry one), the report says
once that the column was ignored, and the contact values end up nowhere: not in any table, and on
SQLite not even in the bytes of the database file. Migration 0005 erases contacts stored before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, inspect, select, text

from registry.app import create_app
from registry.extensions import db
from registry.models import Invitee
from tests.conftest import Env, initialise, sign_in
from tests.test_admin import _english, _import

PHONE = "0812-7777-3141"
EMAIL = "kontak.rahasia@example.id"


def _database_holds(needle: str) -> list[str]:
    """Every table.column whose stored value contains ``needle`` (text or bytes), read row by row."""
    found = []
    engine = db.engine
    inspector = inspect(engine)
    with engine.connect() as conn:
        for table in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(table)]
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in conn.execute(text(f'SELECT {quoted} FROM "{table}"')):
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    if value is not None and needle in str(value):
                        found.append(f"{table}.{column}")
    return found


def _sqlite_file_bytes(env: Env) -> bytes | None:
    """The database file and its WAL, as raw bytes (None on PostgreSQL)."""
    if not env.database_url.startswith("sqlite:///"):
        return None
    path = Path(env.database_url.removeprefix("sqlite:///"))
    data = b""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if candidate.exists():
            data += candidate.read_bytes()
    return data


def test_import_with_a_contact_column_imports_the_people_and_stores_no_contact(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "admin")
    data = (
        "nama;jabatan;instansi;kategori;kontak\n"
        f"Wulan Kontakuji;Kepala Seksi;Dinas Kominfo;pemerintah;{PHONE}\n"
        f"Bayu Kontakuji;Ketua;Karang Taruna;komunitas;{EMAIL}\n"
        "Sari Kontakuji;Staf;Karang Taruna;komunitas;\n"
    ).encode()
    status, page = _import(app, client, data)
    assert status == 200, page
    assert "3 diimpor" in page and "0 ditolak" in page
    # One notice for the file, in Indonesian by default, however many rows had a contact.
    assert page.count("Kolom kontak diabaikan: Ikrar tidak menyimpan kontak") == 1
    assert "(minimalisasi data, UU 27/2022)" in page
    assert PHONE not in page and EMAIL not in page
    with app.app_context():
        names = set(db.session.execute(select(Invitee.name).where(Invitee.name.like("%Kontakuji"))).scalars())
        assert names == {"Wulan Kontakuji", "Bayu Kontakuji", "Sari Kontakuji"}
        assert "contact" not in {c["name"] for c in inspect(db.engine).get_columns("invitee")}
        for needle in (PHONE, EMAIL, "0812-7777"):
            assert _database_holds(needle) == [], needle


def test_the_notice_is_in_english_for_an_english_reader(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    _english(client)
    data = f"name,position,institution,category,contact\nAdi Kontakuji,Staf,Dinas,pemerintah,{PHONE}\n"
    status, page = _import(app, client, data.encode())
    assert status == 200, page
    assert "1 imported" in page
    assert "the contact column was ignored: Ikrar does not store contacts" in page


def test_a_bad_contact_cell_does_not_reject_the_row(app: Flask, client: FlaskClient) -> None:
    # The cells are never read: a control character or an overlong contact is not the signer's problem.
    sign_in(app, client, "admin")
    data = (
        "nama,jabatan,instansi,kategori,kontak\n"
        + "Eka Kontakuji,Staf,Dinas,pemerintah,"
        + "9\x07" * 300
        + "\n"
    )
    status, page = _import(app, client, data.encode())
    assert status == 200, page
    assert "1 diimpor" in page and "0 ditolak" in page


def test_migration_0005_erases_contacts_stored_before(env: Env) -> None:
    app = create_app(env.config(), startup_checks=False)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # Debian builds SQLite with secure_delete on by default, others do not: start from
            # off, so the test shows the migration itself zeroes what it frees.
            event.listen(
                db.engine, "connect", lambda conn, _record: conn.execute("PRAGMA secure_delete = OFF")
            )
        upgrade(directory=app.extensions["migrate"].directory, revision="0004")
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO commitment (slug, created_at) VALUES ('lama', '2024-09-01 00:00:00')")
            )
            commitment_id = conn.execute(text("SELECT id FROM commitment WHERE slug = 'lama'")).scalar_one()
            # Enough rows to fill many pages: the rebuilt table's index reuses one freed page.
            contacts = [PHONE, EMAIL, None] + [f"{PHONE}/{n}" for n in range(300)]
            for n, contact in enumerate(contacts):
                conn.execute(
                    text(
                        "INSERT INTO invitee (commitment_id, name, position, institution, category,"
                        " contact, walk_in, created_at) VALUES (:c, :name, 'Staf', 'Dinas', 'pemerintah',"
                        " :contact, false, '2024-09-01 00:00:00')"
                    ),
                    {"c": commitment_id, "name": f"Orang Lama {n}", "contact": contact},
                )
        assert _database_holds(PHONE) == ["invitee.contact"] * 301
        db.session.remove()
        db.engine.dispose()
    raw = _sqlite_file_bytes(env)
    assert raw is None or PHONE.encode() in raw  # the scan below can find what is there

    initialise(app, demo=False, fresh=True)  # the upgrade path every deployment takes
    with app.app_context():
        assert "contact" not in {c["name"] for c in inspect(db.engine).get_columns("invitee")}
        names = set(
            db.session.execute(select(Invitee.name).where(Invitee.name.like("Orang Lama%"))).scalars()
        )
        assert len(names) == len(contacts) and "Orang Lama 0" in names
        for needle in (PHONE, EMAIL):
            assert _database_holds(needle) == [], needle
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    raw = _sqlite_file_bytes(env)
    if raw is not None:
        # Not only unreachable: the freed pages were zeroed (secure_delete), so a copy of the
        # file does not hold them either.
        assert PHONE.encode() not in raw and EMAIL.encode() not in raw


@pytest.mark.parametrize("header", ["contact", "kontak", "KONTAK", " Contact "])
def test_every_spelling_of_the_contact_header_is_ignored(app: Flask, header: str) -> None:
    from registry.services import invitees

    with app.app_context():
        report = invitees.import_csv(
            "purbalingga-smart-city-2024",
            f"name,position,institution,category,{header}\nFajar Kontakuji,Staf,Dinas,pemerintah,{PHONE}\n".encode(),
        )
        assert report.fatal is None and report.imported == 1
        assert [n.template for n in report.notices] == [invitees.CONTACT_IGNORED]
        assert report.ignored_columns == []
        assert _database_holds(PHONE) == []
