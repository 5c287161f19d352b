"""Reopening a closed commitment version: admin only, with a bounded, clean reason, written to the
log as ``commitment:reopen`` (docs/FORMATS.md §7); auditors accept it, and a signature is judged
by whether its version was open when it was made."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.core import audit
from registry.core.canonical import parse_canonical
from registry.extensions import db
from registry.models import LogEntry
from registry.services import commitments, sealed, signing
from registry.services.bound_versions import closed_at_index
from registry.services.errors import Conflict, InvalidInput, NotOpen
from registry.services.version_integrity import VersionEntries
from tests.auditor_support import auditor_token
from tests.conftest import Env, LiveServer, csrf_token, ikrar, sign_in
from tests.factories import DEMO, walk_in
from tests.test_audit import _token, _tool

BASE = f"/admin/commitments/{DEMO}/versions/1"
REASON = "Dua kepala OPD datang terlambat karena rapat DPRD."


def _log(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.execute(select(LogEntry.body).order_by(LogEntry.index)).scalars()
        return [parse_canonical(bytes(body)) for body in rows]


def _size(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one())


def _close(app: Flask) -> None:
    with app.app_context():
        commitments.close(DEMO, 1)


def _reopen(client: FlaskClient, reason: str, confirm: str = "yes") -> Any:
    token = csrf_token(client, f"{BASE}/confirm/reopen")
    return client.post(f"{BASE}/reopen", data={"csrf_token": token, "reason": reason, "confirm": confirm})


def test_reopen_with_a_reason_is_logged_and_shown_in_the_history(app: Flask, client: FlaskClient) -> None:
    admin_id = sign_in(app, client, "admin")
    _close(app)
    page = client.get(BASE).get_data(as_text=True)
    assert f'href="{BASE}/confirm/reopen"' in page
    confirm = client.get(f"{BASE}/confirm/reopen").get_data(as_text=True)
    assert 'name="reason"' in confirm and "log publik" in confirm
    response = _reopen(client, REASON)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with app.app_context():
        version = commitments.get_version(DEMO, 1)
        assert version.status == "open" and version.closed_at is None
    entry = _log(app)[-1]
    assert entry["type"] == "commitment:reopen"
    payload = entry["payload"]
    assert payload["reason"] == REASON and payload["user"] == admin_id
    assert set(payload) == {
        "commitment",
        "version",
        "text_sha256",
        "consent_sha256",
        "version_sha256",
        "reason",
        "user",
    }
    page = client.get(BASE).get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert history.index("diterbitkan") < history.index("ditutup") < history.index("dibuka kembali")
    assert REASON in history and "Test admin" in history and "WIB" in history
    # A signature after the reopening is made and valid.
    with app.app_context():
        record = signing.sign(walk_in("Penanda Susulan"), app.extensions["ikrar.signers"]).record
        assert sealed.check(record).status == "valid"
        code = record.code
    document = client.get(f"/api/v1/signatures/{record.id}").get_json()
    assert document["status"] == "valid"
    assert 'data-status="valid"' in client.get(f"/v/{code}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("", "kurang"),
        ("   ", "kurang"),
        ("Terlambat", "kurang"),  # 9 characters
        ("Peserta\x07 datang terlambat", "kendali"),
        ("Peserta datang \u202eterlambat sekali", "bidirectional"),
        ("<script>alert(1)</script> terlambat", "markup"),
        ("x" * 501, "500"),
    ],
)
def test_a_missing_short_or_hostile_reason_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, reason: str, words: str
) -> None:
    sign_in(app, client, "admin")
    _close(app)
    size = _size(app)
    response = _reopen(client, reason)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="confirm-error"' in page
    assert _size(app) == size
    with app.app_context():
        assert commitments.get_version(DEMO, 1).status == "closed"


def test_reopen_rules_in_the_service(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(Conflict, match="open, not closed"):
            commitments.reopen(DEMO, 1, REASON, "usr_test")
        commitments.close(DEMO, 1)
        with pytest.raises(InvalidInput):
            commitments.reopen(DEMO, 1, "x" * 501, "usr_test")
        # Signing while closed is refused.
        with pytest.raises(NotOpen):
            signing.sign(walk_in("Penanda Tertutup"), app.extensions["ikrar.signers"])
        # A newer published version: the old one stays closed.
        from registry import demo

        commitments.revise(DEMO, demo.draft())
        commitments.publish(DEMO, 2)
        commitments.close(DEMO, 2)
        with pytest.raises(Conflict, match="newest version"):
            commitments.reopen(DEMO, 1, REASON, "usr_test")
        commitments.reopen(DEMO, 2, REASON, "usr_test")
        assert commitments.get_version(DEMO, 2).status == "open"


def test_operators_cannot_reopen(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "operator")
    _close(app)
    token = csrf_token(client, "/login")
    response = client.post(f"{BASE}/reopen", data={"csrf_token": token, "reason": REASON, "confirm": "yes"})
    assert response.status_code == 403
    assert client.get(f"{BASE}/confirm/reopen").status_code == 403


def test_the_log_verifies_and_audits_after_a_reopening(app: Flask, env: Env, live_server: LiveServer) -> None:
    (env.instance / "auditor-token").write_text(auditor_token(app) + "\n", encoding="utf-8")
    with app.app_context():
        signing.sign(walk_in("Penanda Pertama"), app.extensions["ikrar.signers"])
        commitments.close(DEMO, 1)
        commitments.reopen(DEMO, 1, REASON, "usr_test")
        signing.sign(walk_in("Penanda Kedua"), app.extensions["ikrar.signers"])
        commitments.close(DEMO, 1)
        commitments.reopen(DEMO, 1, "Dibuka lagi untuk tamu undangan susulan.", "usr_test")
        signing.sign(walk_in("Penanda Ketiga"), app.extensions["ikrar.signers"])
    verified = ikrar(env, "log", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    state = env.instance / "audit-state"
    audited = ikrar(env, "audit", *_token(env), "--url", live_server.url, "--state", str(state))
    assert audited.returncode == 0, audited.stderr
    assert "3 signed records verified" in audited.stdout
    tool = _tool(live_server, state)
    assert tool.returncode == 0, tool.stdout + tool.stderr


def test_a_signature_made_while_closed_is_judged_invalid(app: Flask) -> None:
    """The registry refuses to sign a closed version, so such a signature:create entry can only be
    forged; every judge of the log (verify page, `ikrar log verify`, `ikrar audit`) refuses it."""
    with app.app_context():
        closed_from = _size(app)
        commitments.close(DEMO, 1)
        after_close = _size(app)
        # The verify page's rule: the status in force at a record's log index.
        assert closed_at_index(DEMO, 1, after_close) == closed_from
        assert closed_at_index(DEMO, 1, closed_from) is None  # before the close: open
        commitments.reopen(DEMO, 1, REASON, "usr_test")
        assert closed_at_index(DEMO, 1, _size(app)) is None
    entries = _log(app)
    publish = next(e for e in entries if e["type"] == "commitment:publish")
    close = next(e for e in entries if e["type"] == "commitment:close")
    reopen = next(e for e in entries if e["type"] == "commitment:reopen")
    forged = {"record_id": "0" * 26, "record_sha256": "0" * 64, "commitment": DEMO, "version": 1, "kid": "k"}

    def failures(kinds: list[dict[str, Any]]) -> list[str]:
        served = audit.Served(100, records=False)
        for index, entry in enumerate(kinds):
            served.entry(index, entry["type"], entry["payload"], "2024-09-12T03:00:00Z")
        found: list[str] = []
        versions = VersionEntries()

        def fail(index: int, reason: str) -> Exception:
            found.append(f"log verify {index}: {reason}")
            return RuntimeError(reason)

        try:
            for index, entry in enumerate(kinds):
                if entry["type"] == "signature:create":
                    versions.signed(index, entry["payload"], fail)
                else:
                    versions.add(index, entry["type"], entry["payload"], fail)
        except RuntimeError:
            pass
        return ([f"audit {served.first.index}: {served.first}"] if served.first else []) + found

    signature = {"type": "signature:create", "payload": forged}
    assert failures([publish, signature, close, reopen, signature]) == []
    closed = failures([publish, close, signature])
    assert len(closed) == 2 and all("while" in f and "closed" in f for f in closed), closed
    assert all(f.split(":")[0].endswith(" 2") for f in closed)
    # A reopening of a version that is not closed, and a malformed reopening, are refused too.
    assert len(failures([publish, reopen])) == 2
    bad = json.loads(json.dumps(reopen))
    bad["payload"]["reason"] = "a\x07b"
    assert any("control character" in f for f in failures([publish, close, bad]))
