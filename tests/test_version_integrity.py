"""`ikrar log verify` on commitment versions: status, deleted or added rows, records moved to another
version, and logs written before ``version_sha256`` existed (legacy entries, docs/FORMATS.md §7)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, create_engine, text

from registry import demo
from registry.app import create_app
from registry.core.audit import AuditFailure, audit
from registry.core.canonical import parse_canonical
from registry.core.keys import KeyRing
from registry.core.note import parse_verifier_key
from registry.extensions import db
from registry.services import commitments, integrity, signing
from tests.auditor_support import auditor_headers
from tests.conftest import ROOT, Env, initialise
from tests.factories import DEMO, scribble, walk_in

PUBLISH = 3


def _sign(app: Flask, n: int, **overrides: Any) -> list[str]:
    with app.app_context():
        return [
            signing.sign(
                walk_in(f"Penanda {i}", strokes=scribble(50 + i), **overrides),
                app.extensions["ikrar.signers"],
            ).record.id
            for i in range(n)
        ]


def _raw(env: Env) -> Iterator[Connection]:
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


@pytest.fixture
def raw(app: Flask, env: Env) -> Iterator[Connection]:
    yield from _raw(env)


def _failure(app: Flask) -> tuple[int, str]:
    with app.app_context():
        db.session.remove()
        with pytest.raises(integrity.IntegrityError_) as caught:
            integrity.verify_database()
        db.session.remove()
    return caught.value.index, caught.value.reason


def _verifies(app: Flask) -> integrity.IntegrityReport:
    with app.app_context():
        db.session.remove()
        report = integrity.verify_database()
        db.session.remove()
    return report


def test_a_published_version_restored_to_draft_or_closed_is_found(app: Flask, raw: Connection) -> None:
    _sign(app, 2)
    assert _verifies(app).published == 1
    for status in ("closed", "draft"):
        raw.execute(text("UPDATE commitment_version SET status = :s WHERE version = 1"), {"s": status})
        raw.commit()
        index, reason = _failure(app)
        assert index == PUBLISH, reason
    raw.execute(text("UPDATE commitment_version SET status = 'open' WHERE version = 1"))
    raw.commit()
    _verifies(app)


def test_a_deleted_or_added_version_row_is_found(app: Flask, raw: Connection) -> None:
    _sign(app, 1)
    size = _verifies(app).entries
    columns = (
        "commitment_id, title, text, text_sha256, place, event_date, dimensions, categories, "
        "consent_text, consent_sha256, status, created_at, opened_at, closed_at"
    )
    raw.execute(
        text(
            f"INSERT INTO commitment_version (version, {columns}) "
            f"SELECT 2, {columns} FROM commitment_version WHERE version = 1"
        )
    )
    raw.commit()
    index, reason = _failure(app)
    assert index == size and "no commitment:publish entry" in reason, reason  # no entry names it
    raw.execute(text("DELETE FROM commitment_version WHERE version = 2"))
    raw.commit()
    _verifies(app)
    raw.execute(text("DELETE FROM commitment_version WHERE version = 1"))
    raw.commit()
    index, reason = _failure(app)
    assert index == PUBLISH and "no such version is stored" in reason, reason


def test_a_record_moved_to_another_version_is_found(app: Flask, raw: Connection) -> None:
    _sign(app, 1)
    with app.app_context():
        draft = dataclasses.replace(demo.draft(), text=demo.draft().text + "\nVersi kedua.")
        commitments.revise(DEMO, draft)
        commitments.publish(DEMO, 2)
    (moved,) = _sign(app, 1)
    assert _verifies(app).published == 2
    index = raw.execute(
        text("SELECT log_index FROM signature_record WHERE id = :r"), {"r": moved}
    ).scalar_one()
    raw.execute(
        text(
            "UPDATE signature_record SET commitment_version_id = "
            "(SELECT id FROM commitment_version WHERE version = 1) WHERE id = :r"
        ),
        {"r": moved},
    )
    raw.commit()
    found, reason = _failure(app)
    assert found == index and "another commitment version" in reason, reason


# ─────────────────────── legacy logs: entries without version_sha256 ───────────────────────


def _legacy_payload(version: Any, slug: str) -> dict[str, Any]:
    return {
        "commitment": slug,
        "version": version.version,
        "text_sha256": version.text_sha256,
        "consent_sha256": version.consent_sha256,
    }


@pytest.fixture
def legacy(env: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A registry whose commitment entries were written by a version before version_sha256."""
    application = create_app(env.config(), startup_checks=False)
    initialise(application, demo=False)
    with monkeypatch.context() as patch:
        patch.setattr(commitments, "_entry_payload", _legacy_payload)
        with application.app_context():
            demo.load()
    _sign(application, 2)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _download(app: Flask, folder: Any) -> dict[str, Any]:
    client = app.test_client()
    note = client.get("/log/checkpoint").get_data()
    size = int(note.split(b"\n")[1])
    export = client.get(f"/log/entries?start=0&end={size}").get_data()
    records, versions = [], []
    auditor = auditor_headers(app)  # records are for auditors; the public document has none
    for line in export.splitlines():
        entry = json.loads(line)
        if entry["type"] == "signature:create":
            records.append(
                client.get(f"/api/v1/signatures/{entry['payload']['record_id']}", headers=auditor).get_json()
            )
        elif entry["type"] == "commitment:publish":
            answer = client.get(f"/api/v1/commitments/{DEMO}?version={entry['payload']['version']}")
            if answer.status_code == 200:
                versions.append(answer.get_json())
    folder.mkdir(exist_ok=True)
    (folder / "checkpoint.txt").write_bytes(note)
    (folder / "export.jsonl").write_bytes(export)
    (folder / "jwks.json").write_bytes(client.get("/.well-known/jwks.json").get_data())
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "versions.json").write_text(json.dumps(versions))
    return {
        "note": note.decode(),
        "lines": export.splitlines(),
        "key": client.get("/log/key").get_data(as_text=True).strip(),
        "jwks": client.get("/.well-known/jwks.json").get_json(),
        "records": {r["id"]: r for r in records},
        "versions": {v["version"]: v for v in versions},
    }


def _tool(folder: Any, key: str) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable,
        str(ROOT / "tools" / "verify_log.py"),
        *("--entries", str(folder / "export.jsonl"), "--checkpoint", str(folder / "checkpoint.txt")),
        *("--key", key, "--jwks", str(folder / "jwks.json")),
        *("--records", str(folder / "records.jsonl"), "--versions", str(folder / "versions.json")),
    ]
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def _core_audit(served: dict[str, Any]) -> None:
    verifier = parse_verifier_key(served["key"])
    audit(
        served["note"],
        served["lines"],
        verifier,
        verifier.name,
        keyring=KeyRing.from_jwks(served["jwks"]),
        fetch_record=lambda rid: served["records"][rid],
        fetch_version=lambda slug, n: served["versions"][n],
    )


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_a_legacy_log_verifies_and_binds_the_texts_only(legacy: Flask, env: Env, tmp_path: Any) -> None:
    with legacy.app_context():
        assert (
            "version_sha256"
            not in parse_canonical(
                bytes(db.session.execute(text('SELECT body FROM log_entry WHERE "index" = 3')).scalar_one())
            )["payload"]
        )
    assert _verifies(legacy).published == 1
    served = _download(legacy, tmp_path / "genuine")
    _core_audit(served)
    genuine = _tool(tmp_path / "genuine", served["key"])
    assert genuine.returncode == 0 and "1 commitment versions verified" in genuine.stdout, genuine.stderr
    for conn in _raw(env):
        # A legacy entry does not bind the title: nobody can tell it changed (FORMATS.md §7).
        conn.execute(text("UPDATE commitment_version SET title = 'Judul Lain' WHERE version = 1"))
        conn.commit()
        _verifies(legacy)
        retitled = _download(legacy, tmp_path / "retitled")
        assert retitled["versions"][1]["title"] == "Judul Lain"
        _core_audit(retitled)
        assert _tool(tmp_path / "retitled", served["key"]).returncode == 0
        # It binds the text, even with the stored hash recomputed.
        changed = "Teks lain."
        conn.execute(
            text("UPDATE commitment_version SET text = :t, text_sha256 = :h WHERE version = 1"),
            {"t": changed, "h": hashlib.sha256(changed.encode()).hexdigest()},
        )
        conn.commit()
    index, reason = _failure(legacy)
    assert index == PUBLISH, reason
    forged = {"text": "Teks lain.", "text_sha256": hashlib.sha256(b"Teks lain.").hexdigest()}
    rewritten = served | {"versions": {1: served["versions"][1] | forged}}
    with pytest.raises(AuditFailure) as caught:
        _core_audit(rewritten)
    assert (caught.value.index, caught.value.kind) == (PUBLISH, "version")
    folder = tmp_path / "genuine"
    (folder / "versions.json").write_text(json.dumps(list(rewritten["versions"].values())))
    tool = _tool(folder, served["key"])
    assert tool.returncode == 1 and f"FAILED (version) at index {PUBLISH}:" in tool.stderr, tool.stderr
