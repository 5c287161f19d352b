"""Erasure without breaking the log (UU 27/2022): the personal data go, the proofs stay.

Erasing a signer removes their name fields, handwriting and invitee row from every table (the
database is scanned for the name, on SQLite also the raw file and its WAL), appends one
``signature:erase`` entry, and leaves ``ikrar log verify`` passing. Every surface then shows the
erased state; the certificate the signer kept still verifies offline and on upload.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from registry.cli.privacy import privacy_group
from registry.core.canonical import parse_canonical
from registry.extensions import db
from registry.models import Commitment, Erasure, Invitee, LogEntry, SignatureRecord
from registry.services import certificates, erasure, integrity, invitees, signing
from registry.services.errors import Erased
from registry.services.signing import Signatory
from registry.services.withdrawals import withdraw
from tests.auditor_support import auditor_headers
from tests.conftest import Env, ikrar, sign_in
from tests.factories import DEMO, walk_in

NAME = "Zulaikha Prameswari-Wuryaningsih"
POSITION = "Kepala Seksi Kearsipan Terpadu"
INSTITUTION = "Lembaga Uji Penghapusan Purbalingga"
OTHER = "Bagus Tetap Tersimpan"


def _sign(app: Flask, name: str, institution: str = INSTITUTION, **overrides: Any) -> SignatureRecord:
    request = walk_in(
        name,
        signatory=Signatory(name=name, position=POSITION, institution=institution, category="pemerintah"),
        **overrides,
    )
    return signing.sign(request, app.extensions["ikrar.signers"]).record


def _cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(privacy_group, list(args))


def _forms(value: str) -> list[bytes]:
    """The ways a text may sit in a database: UTF-8 in NFC and NFD, and case-folded."""
    found = set()
    for form in ("NFC", "NFD"):
        normal = unicodedata.normalize(form, value)
        for variant in (normal, normal.casefold(), normal.upper()):
            found.add(variant.encode("utf-8"))
    return sorted(found)


def _scan_tables(needles: list[bytes]) -> list[str]:
    """Every table, every column, every row (as the database returns it): where a needle occurs."""
    hits = []
    engine = db.engine
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    if any(n in raw for n in needles):
                        hits.append(f"{table}.{column}")
    return hits


def _scan_files(env: Env, needles: list[bytes]) -> list[str]:
    if not env.database_url.startswith("sqlite"):
        return []
    path = Path(env.database_url.removeprefix("sqlite:///"))
    hits = []
    for suffix in ("", "-wal", "-journal"):
        file = path.with_name(path.name + suffix)
        if file.exists():
            data = file.read_bytes()
            hits += [f"{file.name}:{n!r}" for n in needles if n in data]
    return hits


def test_erasing_a_signer_leaves_no_personal_data_and_every_proof(app: Flask, env: Env) -> None:
    with app.app_context():
        kept_id = _sign(app, OTHER, "Dinas Lain").id
        row = _sign(app, NAME)
        record_id, code = row.id, row.code
        body = bytes(row.body)
        pdf = certificates.certificate_pdf(row)
        create_index = row.log_index
    needles = _forms(NAME) + _forms(INSTITUTION)
    with app.app_context():
        assert _scan_tables(_forms(NAME)), "the name must be found before the erasure (the scan works)"

    dry = _cli(app, "erase", "--signatory", NAME.upper())
    assert dry.exit_code == 2 and "will be erased" in dry.output and "Nothing was erased" in dry.output
    done = _cli(app, "erase", "--signatory", NAME.upper(), "--yes")
    assert done.exit_code == 0, done.output
    assert f"erased signature {record_id}" in done.output

    with app.app_context():
        assert _scan_tables(needles) == []
        assert _scan_files(env, needles) == []
        erased = db.session.get(SignatureRecord, record_id)
        assert erased is not None and erased.erasure is not None
        assert erased.erasure.ground == "request"
        entry = parse_canonical(bytes(db.session.get(LogEntry, erased.erasure.log_index).body))
        create = parse_canonical(bytes(db.session.get(LogEntry, create_index).body))
        assert entry["type"] == "signature:erase"
        assert entry["payload"] == {
            "record_id": record_id,
            "record_sha256": create["payload"]["record_sha256"],
            "ground": "request",
        }
        assert erased.erasure.record_sha256 == create["payload"]["record_sha256"]
        assert body and bytes(erased.body) == b""
        report = integrity.verify_database()
        assert report.erased == 1 and report.records == 2
        # The other signer is untouched.
        other = db.session.get(SignatureRecord, kept_id)
        assert other is not None and other.name == OTHER and other.erasure is None
    again = _cli(app, "erase", "--code", code, "--yes")
    assert again.exit_code == 0 and "1 already erased" in again.output
    verified = ikrar(env, "log", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "1 erased" in verified.stdout

    (env.instance / "kept.pdf").write_bytes(pdf)


def test_every_surface_shows_the_erased_state(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        row = _sign(app, NAME)
        record_id, code = row.id, row.code
        pdf = certificates.certificate_pdf(row)
        link = certificates.certificate_url(row)
        erasure.erase([record_id], ground="request", actor="test")

    status = client.get(f"/api/v1/verify/{code}")
    document = status.get_json()
    assert status.status_code == 200 and document["status"] == "erased"
    assert document["name"] is None and document["institution"] is None
    assert document["erasure"]["log_index"] > document["log_index"]

    page = client.get(f"/v/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-status="erased"' in html and "data pribadi dihapus" in html.lower()
    assert NAME not in html and INSTITUTION not in html

    anonymous = client.get(f"/api/v1/signatures/{record_id}").get_json()
    assert anonymous["status"] == "erased" and "public" not in anonymous
    assert anonymous["erasure"]["log_index"] == document["erasure"]["log_index"]
    full = client.get(f"/api/v1/signatures/{record_id}", headers=auditor_headers(app)).get_json()
    assert full["status"] == "erased" and full["record"] is None and full["signature"] is None
    assert full["record_sha256"] == anonymous["record_sha256"]

    # The certificate link no longer prints anything: the data it would print are gone.
    gone = client.get(link.removeprefix("http://localhost"))
    assert gone.status_code == 410
    assert NAME not in gone.get_data(as_text=True)

    # The certificate the signer kept: its seal and record still check against the log.
    token = (
        client.get("/verify/upload")
        .get_data(as_text=True)
        .split('name="csrf_token" value="')[1]
        .split('"')[0]
    )
    upload = client.post(
        "/verify/upload",
        data={"csrf_token": token, "certificate": (__import__("io").BytesIO(pdf), "sertifikat.pdf")},
        content_type="multipart/form-data",
    )
    answer = upload.get_data(as_text=True)
    assert 'data-status="erased"' in answer, answer[:3000]
    # A record edited inside the kept file is still caught.
    forged = pdf.replace(NAME.encode(), ("X" * len(NAME)).encode())
    upload = client.post(
        "/verify/upload",
        data={"csrf_token": token, "certificate": (__import__("io").BytesIO(forged), "palsu.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-status="erased"' not in upload.get_data(as_text=True)

    public = client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert NAME not in public
    sign_in(app, client, "admin")
    progress = client.get(f"/admin/commitments/{DEMO}/versions/1/progress")
    assert progress.status_code == 200
    assert NAME not in progress.get_data(as_text=True) and "Data pribadi dihapus" in progress.get_data(
        as_text=True
    )
    detail = client.get(f"/admin/signatures/{record_id}")
    assert detail.status_code == 200 and 'id="erased"' in detail.get_data(as_text=True)
    # The signed roll and the certificate archive leave the erased signature out.
    roll = client.get(f"/admin/commitments/{DEMO}/v1/roll.pdf")
    assert roll.status_code == 200 and roll.data.startswith(b"%PDF")
    archive = client.get(f"/admin/commitments/{DEMO}/certificates.zip")
    assert archive.status_code == 200
    import zipfile as _zipfile

    names = _zipfile.ZipFile(__import__("io").BytesIO(archive.data)).namelist()
    assert not any(code.lower() in n.lower() for n in names)
    assert 'id="erase-form"' not in detail.get_data(as_text=True)


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_an_admin_erases_a_signature_from_its_page(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        row = _sign(app, NAME)
        record_id, code = row.id, row.code
    sign_in(app, client, "admin")
    page = client.get(f"/admin/signatures/{record_id}").get_data(as_text=True)
    assert 'id="erase-form"' in page and NAME in page
    wrong = client.post(
        f"/admin/signatures/{record_id}/erase",
        data={"csrf_token": _csrf(page), "ground": "request", "confirm": "AAAA-BBBB-CCC"},
    )
    assert wrong.status_code == 422 and 'id="erase-error"' in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SignatureRecord, record_id).erasure is None  # type: ignore[union-attr]
    done = client.post(
        f"/admin/signatures/{record_id}/erase",
        data={"csrf_token": _csrf(page), "ground": "request", "confirm": code.lower()},
    )
    assert done.status_code == 303
    after = client.get(f"/admin/signatures/{record_id}").get_data(as_text=True)
    assert 'id="erased"' in after and NAME not in after
    with app.app_context():
        assert _scan_tables(_forms(NAME)) == []
    # The retention page: set, refused before the event, shown.
    page = client.get(f"/admin/commitments/{DEMO}/retention").get_data(as_text=True)
    refused = client.post(
        f"/admin/commitments/{DEMO}/retention", data={"csrf_token": _csrf(page), "retain_until": "2001-01-01"}
    )
    assert refused.status_code == 422 and 'id="retention-error"' in refused.get_data(as_text=True)
    saved = client.post(
        f"/admin/commitments/{DEMO}/retention", data={"csrf_token": _csrf(page), "retain_until": "2031-09-12"}
    )
    assert saved.status_code == 303
    assert "2031-09-12" in client.get(f"/admin/commitments/{DEMO}/retention").get_data(as_text=True)
    operator = app.test_client()
    sign_in(app, operator, "operator")
    assert operator.post(f"/admin/signatures/{record_id}/erase", data={}).status_code in (400, 403)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_the_kept_certificate_verifies_offline_with_the_pinned_keys(app: Flask, env: Env) -> None:
    from tests.test_verify import ikrar_offline

    with app.app_context():
        row = _sign(app, NAME)
        pdf = certificates.certificate_pdf(row)
        erasure.erase([row.id], ground="request", actor="test")
    client = app.test_client()
    jwks = client.get("/.well-known/jwks.json").get_data()
    (env.instance / "kept.pdf").write_bytes(pdf)
    (env.instance / "jwks.json").write_bytes(jwks)
    offline = {"IKRAR_DATABASE_URL": "sqlite:////nonexistent/none.sqlite3"}
    result = ikrar_offline(
        env, offline, "verify", str(env.instance / "kept.pdf"), "--jwks", str(env.instance / "jwks.json")
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_withdrawn_signature_can_be_erased_and_its_reason_goes_too(app: Flask) -> None:
    reason = f"Salah orang: {NAME} menandatangani atas nama atasan."
    with app.app_context():
        row = _sign(app, NAME)
        withdraw(row.id, reason, "admin-1")
        erasure.erase([row.id], ground="request", actor="test")
        assert _scan_tables(_forms(NAME)) == []
        report = integrity.verify_database()
        assert report.erased == 1 and report.withdrawn == 1
    document = app.test_client().get(f"/api/v1/verify/{row.code}").get_json()
    assert document["status"] == "erased" and document["withdrawal"]["reason"] is None


def test_a_queued_signing_replayed_after_the_erasure_does_not_bring_it_back(app: Flask) -> None:
    request = walk_in(NAME, client_id="tablet-1", idempotency_key="key-erasure-1")
    with app.app_context():
        first = signing.sign(request, app.extensions["ikrar.signers"]).record
        erasure.erase([first.id], ground="request", actor="test")
        with pytest.raises(Erased):
            signing.sign(request, app.extensions["ikrar.signers"])
        count = db.session.execute(select(SignatureRecord.id)).scalars().all()
        assert count == [first.id] or first.id in count
        assert _scan_tables(_forms(NAME)) == []


def test_an_invitee_is_erased_with_their_signature_and_unsigned_ones_by_name(app: Flask) -> None:
    with app.app_context():
        version_id = db.session.execute(select(Commitment.id).where(Commitment.slug == DEMO)).scalar_one()
        person = Invitee(
            commitment_id=version_id,
            name=NAME,
            position=POSITION,
            institution=INSTITUTION,
            category="pemerintah",
            walk_in=False,
        )
        db.session.add(person)
        db.session.commit()
        done = _cli(app, "erase", "--signatory", NAME, "--commitment", DEMO, "--yes")
        assert done.exit_code == 0, done.output
        assert "deleted 1 invitee row(s)" in done.output
        assert _scan_tables(_forms(NAME)) == []
        assert invitees is not None


def test_an_ambiguous_name_erases_nobody(app: Flask) -> None:
    with app.app_context():
        _sign(app, NAME)
        other = walk_in(
            NAME,
            signatory=Signatory(
                name=NAME, position="Guru", institution="SMA Negeri 9", category="pemerintah"
            ),
            commitment=DEMO,
        )
        signing.sign(other, app.extensions["ikrar.signers"])
    result = _cli(app, "erase", "--signatory", NAME, "--yes")
    assert result.exit_code == 1 and "matches 2 people" in result.output
    with app.app_context():
        assert db.session.execute(select(Erasure)).first() is None


def test_bad_selectors_are_clear_errors(app: Flask) -> None:
    assert _cli(app, "erase").exit_code == 2
    assert "no signature" in _cli(app, "erase", "--record", "A" * 26, "--yes").output
    assert _cli(app, "erase", "--code", "not-a-code", "--yes").exit_code == 1
    assert _cli(app, "erase", "--record", "x", "--ground", "whim", "--yes").exit_code == 2


def test_retention_and_the_scheduled_purge(app: Flask) -> None:
    with app.app_context():
        row_id = _sign(app, NAME).id
    shown = _cli(app, "retention", DEMO)
    assert shown.exit_code == 0 and "no retention end set" in shown.output
    assert _cli(app, "purge", "--due").output.strip() == "nothing is due"
    early = _cli(app, "retention", DEMO, "--until", "2020-01-01")
    assert early.exit_code == 1 and "before the event" in early.output
    assert _cli(app, "retention", DEMO, "--until", "2025-09-12").exit_code == 0
    dry = _cli(app, "purge", "--due", "--dry-run")
    assert dry.exit_code == 0 and "kept until 2025-09-12" in dry.output
    with app.app_context():
        assert db.session.get(SignatureRecord, row_id).erasure is None  # type: ignore[union-attr]
    done = _cli(app, "purge", "--due")
    assert done.exit_code == 0, done.output
    with app.app_context():
        erased = db.session.get(SignatureRecord, row_id)
        assert erased is not None and erased.erasure is not None and erased.erasure.ground == "retention"
        assert db.session.execute(select(Invitee).where(Invitee.commitment_id.is_not(None))).first() is None
        assert _scan_tables(_forms(NAME)) == []
        assert integrity.verify_database().erased >= 1
        later = db.session.execute(select(Commitment).where(Commitment.slug == DEMO)).scalar_one()
        assert later.retain_until == date(2025, 9, 12)
    assert _cli(app, "purge", "--due").output.strip() == "nothing is due"


def test_tampering_with_an_erasure_is_caught(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        row = _sign(app, NAME)
        record_id, code = row.id, row.code
        erasure.erase([record_id], ground="request", actor="test")
        # Behind the app's back: put a name back into the erased row.
        db.session.execute(
            text("UPDATE signature_record SET name = :n WHERE id = :i"), {"n": "Nama Palsu", "i": record_id}
        )
        db.session.commit()
        with pytest.raises(integrity.IntegrityError_, match="personal data are still stored"):
            integrity.verify_database()
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "invalid"
    with app.app_context():
        db.session.execute(text("UPDATE signature_record SET name = '' WHERE id = :i"), {"i": record_id})
        db.session.execute(text("DELETE FROM erasure WHERE record_id = :i"), {"i": record_id})
        db.session.commit()
        with pytest.raises(integrity.IntegrityError_, match="no erasure is stored"):
            integrity.verify_database()
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "invalid"


def test_privacy_export_of_an_erased_signature_holds_nothing_personal(app: Flask) -> None:
    with app.app_context():
        row = _sign(app, NAME)
        code = row.code
        erasure.erase([row.id], ground="request", actor="test")
    result = app.test_cli_runner().invoke(privacy_group, ["export", "--code", code, "--controller", "X"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    signature = data["signatures"][0]
    assert signature["status"] == "erased" and signature["erasure"]["ground"] == "request"
    assert NAME not in result.stdout


def test_an_erased_signature_cannot_be_withdrawn(app: Flask) -> None:
    from registry.services.errors import Conflict

    with app.app_context():
        row = _sign(app, NAME)
        erasure.erase([row.id], ground="request", actor="test")
        with pytest.raises(Conflict, match="were erased"):
            withdraw(row.id, "Alasan penarikan setelah penghapusan data.", "admin-1")
        assert integrity.verify_database().erased == 1


def test_erasing_a_tampered_row_names_the_hash_the_log_committed_to(app: Flask) -> None:
    with app.app_context():
        row = _sign(app, NAME)
        record_id, create_index = row.id, row.log_index
        db.session.execute(
            text("UPDATE signature_record SET body = :b WHERE id = :i"),
            {"b": b'{"forged":1}', "i": record_id},
        )
        db.session.commit()
        erasure.erase([record_id], ground="request", actor="test")
        create = parse_canonical(bytes(db.session.get(LogEntry, create_index).body))
        erased = db.session.get(SignatureRecord, record_id)
        assert erased is not None and erased.erasure is not None
        assert erased.erasure.record_sha256 == create["payload"]["record_sha256"]
        assert integrity.verify_database().erased == 1
