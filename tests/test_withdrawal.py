"""Withdrawing a signature made in error: logged, shown, verifiable, nothing deleted."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from registry.core.canonical import canonical_bytes, parse_canonical
from registry.core.records import verify_record
from registry.extensions import db
from registry.models import LogEntry
from registry.services import integrity, keyring, signing
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.services.withdrawals import withdraw
from tests.auditor_support import auditor_headers
from tests.conftest import Env, ikrar
from tests.factories import walk_in

REASON = "Salah orang: ditandatangani oleh staf atas nama pejabat."


def _signed(app: Flask) -> str:
    return signing.sign(walk_in("Keliru Tanda"), app.extensions["ikrar.signers"]).record.id


def test_withdrawal_is_logged_and_shown(ctx: Flask, client: FlaskClient) -> None:
    record_id = _signed(ctx)
    auditor = auditor_headers(ctx)  # the record itself is for auditors (the consent text's contract)
    before = client.get(f"/api/v1/signatures/{record_id}", headers=auditor).get_json()
    row = withdraw(record_id, REASON, "admin-1")
    after = client.get(f"/api/v1/signatures/{record_id}", headers=auditor).get_json()
    assert before["status"] == "valid" and before["withdrawal"] is None
    assert after["status"] == "withdrawn"
    assert after["withdrawal"]["reason"] == REASON
    assert after["withdrawal"]["log_index"] == row.log_index
    # The record and its seal are untouched and still verify.
    assert after["record"] == before["record"]
    verify_record(canonical_bytes(after["record"]), after["signature"], keyring.keyring())
    entry = parse_canonical(bytes(db.session.get(LogEntry, row.log_index).body))
    assert entry["type"] == "signature:withdraw"
    assert entry["payload"]["reason_sha256"] == hashlib.sha256(REASON.encode()).hexdigest()
    assert "Salah" not in bytes(db.session.get(LogEntry, row.log_index).body).decode()
    report = integrity.verify_database()
    assert report.withdrawn == 1 and report.records == 1


def test_withdrawal_refusals(ctx: Flask) -> None:
    record_id = _signed(ctx)
    with pytest.raises(InvalidInput, match="at least"):
        withdraw(record_id, "salah", "admin-1")
    with pytest.raises(NotFound):
        withdraw("a" * 26, REASON, "admin-1")
    withdraw(record_id, REASON, "admin-1")
    with pytest.raises(Conflict, match="already withdrawn"):
        withdraw(record_id, REASON, "admin-1")


def test_a_deleted_or_edited_withdrawal_is_found(ctx: Flask, env: Env) -> None:
    record_id = _signed(ctx)
    row = withdraw(record_id, REASON, "admin-1")
    index = row.log_index
    db.session.execute(text("UPDATE withdrawal SET reason = 'Alasan lain yang dipalsukan'"))
    db.session.commit()
    with pytest.raises(integrity.IntegrityError_) as caught:
        integrity.verify_database()
    assert caught.value.index == index
    db.session.rollback()
    db.session.execute(text("DELETE FROM withdrawal"))
    db.session.commit()
    result = ikrar(env, "log", "verify")
    assert result.returncode == 1
    assert f"FAILED at index {index}" in result.stderr


def test_cli_withdraws_with_one_line_errors(app: Flask, env: Env) -> None:
    with app.app_context():
        record_id = _signed(app)
    ok = ikrar(env, "signatures", "withdraw", record_id, "--reason", REASON)
    assert ok.returncode == 0, ok.stderr
    assert "withdrawn" in ok.stdout
    again = ikrar(env, "signatures", "withdraw", record_id, "--reason", REASON)
    assert again.returncode == 1
    assert "already withdrawn" in again.stderr and "Traceback" not in again.stderr
    verify = ikrar(env, "log", "verify")
    assert verify.returncode == 0 and "1 withdrawn" in verify.stdout
