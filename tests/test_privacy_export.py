"""`ikrar privacy export`: a data subject's own data as JSON (UU 27/2022 Pasal 7, 13, 32)."""

from __future__ import annotations

import hashlib
import json
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result
from flask import Flask
from sqlalchemy import text

from registry.cli.privacy import privacy_group
from registry.core.canonical import canonical_bytes
from registry.core.codes import display_code
from registry.core.records import verify_record
from registry.extensions import db
from registry.services import invitees, keyring, signing
from registry.services.signing import Signatory
from registry.services.withdrawals import withdraw
from tests.conftest import Env, ikrar
from tests.factories import DEMO, walk_in

REASON = "Salah orang: ditandatangani oleh staf atas nama pejabat."


def _export(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(privacy_group, ["export", *args, "--controller", "Diskominfo Uji"])


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, (result.output, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@dataclass(frozen=True)
class Signed:
    id: str
    code: str
    kid: str


def _sign(app: Flask, name: str, institution: str = "Dinas Uji Coba") -> Signed:
    request = walk_in(
        name,
        signatory=Signatory(
            name=name, position="Kepala Bidang", institution=institution, category="pemerintah"
        ),
    )
    with app.app_context():
        row = signing.sign(request, app.extensions["ikrar.signers"]).record
        return Signed(row.id, row.code, row.kid)


def _assert_verified_and_logged(signature: dict[str, Any]) -> None:
    """The exported bytes are the signed bytes: they hash to what the log committed to, and verify."""
    body = signature["record_jcs"].encode("utf-8")
    create = signature["processing_trail"][0]
    assert create["entry"]["type"] == "signature:create" and create["index"] == signature["log_index"]
    assert hashlib.sha256(body).hexdigest() == create["entry"]["payload"]["record_sha256"]
    assert signature["record_sha256"] == create["entry"]["payload"]["record_sha256"]
    assert canonical_bytes(signature["record"]) == body
    assert create["entry"]["time"] == signature["record"]["signed_at"]
    strokes = canonical_bytes(signature["handwriting"]["strokes"])
    assert hashlib.sha256(strokes).hexdigest() == signature["record"]["handwriting"]["strokes_sha256"]


def test_export_by_record_id_gives_the_signed_record_its_seal_and_its_trail(app: Flask) -> None:
    row = _sign(app, "Ratna Ekspor")
    export = _json(_export(app, "--record", row.id))
    assert export["controller"]["name"] == "Diskominfo Uji"
    assert export["generated_at"].endswith("Z") and export["ambiguous"] is False
    assert export["invitees_without_signature"] == []
    [signature] = export["signatures"]
    assert signature["status"] == "valid" and signature["problem"] is None and signature["withdrawal"] is None
    assert signature["record"]["signatory"]["name"] == "Ratna Ekspor"
    assert (signature["record_id"], signature["code"], signature["kid"]) == (row.id, row.code, row.kid)
    _assert_verified_and_logged(signature)
    with app.app_context():
        signed, _key = verify_record(
            signature["record_jcs"].encode(), signature["signature"], keyring.keyring()
        )
        assert signed.record == signature["record"]
    assert signature["invitee"]["name"] == "Ratna Ekspor" and signature["invitee"]["walk_in"] is True
    assert set(signature["invitee"]) == {
        "id", "name", "position", "institution", "category", "walk_in", "created_at"
    }  # fmt: skip
    assert signature["commitment"]["id"] == DEMO and signature["commitment"]["version"] == 1
    assert signature["commitment"]["title"] and len(signature["commitment"]["text_sha256"]) == 64
    assert [e["entry"]["type"] for e in signature["processing_trail"]] == ["signature:create"]


def test_export_is_stable_sorted_indented_utf8(app: Flask) -> None:
    row = _sign(app, "Dédé Stabil")
    first = _export(app, "--record", row.id)
    assert first.exit_code == 0
    keys = list(json.loads(first.stdout))
    assert keys == sorted(keys)
    assert "Dédé Stabil" in first.stdout  # UTF-8, not \u escapes
    assert '\n  "controller": {' in first.stdout


def test_export_by_code_as_printed_on_the_certificate(app: Flask) -> None:
    row = _sign(app, "Sekar Kode")
    export = _json(_export(app, "--code", display_code(row.code).lower()))
    assert [s["record_id"] for s in export["signatures"]] == [row.id]
    assert export["request"]["code"] == display_code(row.code).lower()


def test_export_by_name_ignores_case_and_unicode_normal_form(app: Flask) -> None:
    row = _sign(app, "Dédé Kurniawati Ekspor")
    _sign(app, "Dede Kurniawati Ekspor")  # no accent: another name, not matched
    query = unicodedata.normalize("NFD", "DÉDÉ KURNIAWATI EKSPOR")
    assert query.encode() != "DÉDÉ KURNIAWATI EKSPOR".encode()
    export = _json(_export(app, "--signatory", query))
    assert [s["record_id"] for s in export["signatures"]] == [row.id]
    assert export["ambiguous"] is False
    _assert_verified_and_logged(export["signatures"][0])


def test_export_by_name_lists_invitees_who_have_not_signed(app: Flask) -> None:
    with app.app_context():
        report = invitees.import_csv(
            DEMO, b"nama,jabatan,instansi,kategori\nBelum Tanda Ekspor,Staf,Dinas,pemerintah\n"
        )
        assert report.imported == 1
    export = _json(_export(app, "--signatory", "belum tanda ekspor", "--commitment", DEMO))
    assert export["signatures"] == []
    [invitee] = export["invitees_without_signature"]
    assert invitee["name"] == "Belum Tanda Ekspor" and invitee["commitment"] == DEMO
    assert invitee["walk_in"] is False


def test_an_ambiguous_name_lists_every_match(app: Flask) -> None:
    one = _sign(app, "Agus Kembar", "Dinas Pendidikan")
    two = _sign(app, "agus kembar", "Kecamatan Bukateja")
    result = _export(app, "--signatory", "Agus Kembar")
    export = _json(result)
    assert export["ambiguous"] is True
    assert {s["record_id"] for s in export["signatures"]} == {one.id, two.id}
    assert {p["institution"] for p in export["people"]} == {"Dinas Pendidikan", "Kecamatan Bukateja"}
    assert "matches 2 people" in result.stderr
    assert (
        "Agus Kembar (Dinas Pendidikan)" in result.stderr
        and "agus kembar (Kecamatan Bukateja)" in result.stderr
    )


def test_nothing_found_is_a_clear_error(app: Flask) -> None:
    result = _export(app, "--signatory", "Tidak Pernah Ada")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no signature or invitee is named 'Tidak Pernah Ada'" in result.stderr
    assert "Traceback" not in result.output
    result = _export(app, "--record", "a" * 26)
    assert result.exit_code == 1 and "there is no signature" in result.stderr
    result = _export(app, "--code", "ABCD")
    assert result.exit_code == 1 and "11 letters and digits" in result.stderr
    result = _export(app, "--signatory", "Siapa", "--commitment", "tidak-ada")
    assert result.exit_code == 1 and "there is no commitment 'tidak-ada'" in result.stderr


def test_exactly_one_selector(app: Flask) -> None:
    assert _export(app).exit_code == 2
    assert _export(app, "--record", "x", "--code", "y").exit_code == 2
    assert _export(app, "--record", "x", "--commitment", DEMO).exit_code == 2


def test_a_withdrawn_record_shows_its_withdrawal_in_data_and_trail(app: Flask) -> None:
    row = _sign(app, "Keliru Ekspor")
    with app.app_context():
        withdrawal = withdraw(row.id, REASON, "admin-1")
        withdraw_index = withdrawal.log_index
    [signature] = _json(_export(app, "--record", row.id))["signatures"]
    assert signature["status"] == "withdrawn"
    assert (
        signature["withdrawal"]["reason"] == REASON and signature["withdrawal"]["log_index"] == withdraw_index
    )
    _create, withdrawn = signature["processing_trail"]
    assert withdrawn["index"] == withdraw_index and withdrawn["entry"]["type"] == "signature:withdraw"
    assert withdrawn["entry"]["time"] == signature["withdrawal"]["at"]
    assert withdrawn["entry"]["payload"]["record_sha256"] == signature["record_sha256"]
    reason_sha = hashlib.sha256(REASON.encode()).hexdigest()
    assert withdrawn["entry"]["payload"]["reason_sha256"] == reason_sha
    assert "admin-1" not in json.dumps(signature)  # the staff member is not the subject's data
    _assert_verified_and_logged(signature)


def test_a_tampered_row_is_exported_as_invalid_never_valid(app: Flask) -> None:
    row = _sign(app, "Ubah Diam Diam")
    with app.app_context():
        db.session.execute(
            text("UPDATE signature_record SET position = 'Bupati' WHERE id = :id"), {"id": row.id}
        )
        db.session.commit()
    result = _export(app, "--record", row.id)
    [signature] = _json(result)["signatures"]
    assert signature["status"] == "invalid" and signature["record"] is None
    assert "differ from the signed record" in signature["problem"]
    assert f"signature {row.id} does not verify" in result.stderr
    # The stored bytes are still the subject's data, given as stored, never vouched for.
    assert "Ubah Diam Diam" in signature["record_jcs"]


def test_a_log_entry_that_does_not_commit_to_the_bytes_makes_the_record_invalid(app: Flask) -> None:
    # The read path (sealed.check) and the export both refuse to call a record valid whose log
    # entry is not its own signature:create entry.
    row = _sign(app, "Geser Log")
    with app.app_context():
        # Entry 0 is the first key's key:generate, which no record may claim.
        db.session.execute(text("UPDATE signature_record SET log_index = 0 WHERE id = :id"), {"id": row.id})
        db.session.commit()
    [signature] = _json(_export(app, "--record", row.id))["signatures"]
    assert signature["status"] == "invalid" and signature["record"] is None
    assert signature["problem"].startswith("log entry 0 is not this record's signature:create")


def test_output_file_is_private(app: Flask, tmp_path: Path) -> None:
    row = _sign(app, "Berkas Pribadi")
    target = tmp_path / "ekspor.json"
    result = _export(app, "--record", row.id, "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert "wrote" in result.stderr and "1 signature(s)" in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    export = json.loads(target.read_text(encoding="utf-8"))
    assert export["signatures"][0]["record"]["signatory"]["name"] == "Berkas Pribadi"


def test_the_real_command(app: Flask, env: Env) -> None:
    row = _sign(app, "Proses Nyata")
    done = ikrar(env, "privacy", "export", "--code", row.code)
    assert done.returncode == 0, done.stderr
    export = json.loads(done.stdout)
    assert export["signatures"][0]["status"] == "valid"
    _assert_verified_and_logged(export["signatures"][0])
    # The controller named on /privasi (IKRAR_CONTROLLER_NAME, the demo's Diskominfo by default).
    assert export["controller"]["name"] == "Dinas Komunikasi dan Informatika Kabupaten Purbalingga"
    missing = ikrar(env, "privacy", "export", "--signatory", "Tidak Ada Orangnya")
    assert missing.returncode == 1 and "Error: no signature or invitee is named" in missing.stderr
