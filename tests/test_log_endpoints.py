"""The auditors' endpoints, checked with verifiers written here from the specifications alone."""

from __future__ import annotations

import base64
import hashlib
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient

from registry.app import create_app
from registry.services import signing
from registry.startup import StartupError
from tests.auditor_support import auditor_headers
from tests.conftest import Env, ikrar
from tests.factories import walk_in


def _sign_some(app: Flask, n: int, prefix: str = "Penanda") -> list[str]:
    with app.app_context():
        return [
            signing.sign(walk_in(f"{prefix} {i}"), app.extensions["ikrar.signers"]).record.id
            for i in range(n)
        ]


# --- a signed-note verifier written from c2sp.org/signed-note, nothing imported from Ikrar ---


def open_note_by_spec(note: str, vkey: str) -> str:
    name, key_hex, key_b64 = vkey.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1 and len(raw) == 33
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert key_id.hex() == key_hex
    text, sep, sigs = note.rpartition("\n\n")
    assert sep
    text += "\n"
    for line in sigs.splitlines():
        prefix = f"— {name} "
        if line.startswith(prefix):
            blob = base64.b64decode(line[len(prefix) :])
            if blob[:4] == key_id:
                Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], text.encode())
                return text
    raise AssertionError("no signature by the pinned key")


# --- RFC 9162 §2.1.3.2 inclusion verification, written from the RFC ---


def verify_inclusion_by_rfc(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def test_checkpoint_verifies_by_spec_and_matches_the_entries(app: Flask, client: FlaskClient) -> None:
    _sign_some(app, 5)
    note = client.get("/log/checkpoint").get_data(as_text=True)
    vkey = client.get("/log/key").get_data(as_text=True).strip()
    origin, size, root_b64 = open_note_by_spec(note, vkey).splitlines()
    assert origin == "test.ikrar.localhost/log"
    entries = client.get(f"/log/entries?start=0&end={size}").get_data().split(b"\n")[:-1]
    assert len(entries) == int(size)
    for i in range(int(size)):
        leaf = hashlib.sha256(b"\x00" + entries[i]).digest()
        body = client.get(f"/log/proof/inclusion?index={i}&size={size}").get_json()
        proof = [base64.b64decode(h) for h in body["proof"]]
        assert base64.b64decode(body["leaf_hash"]) == leaf
        assert verify_inclusion_by_rfc(leaf, i, int(size), proof, base64.b64decode(root_b64))
        assert (
            not verify_inclusion_by_rfc(leaf, i, int(size), proof[:-1], base64.b64decode(root_b64))
            or not proof
        )


def test_jwks_and_log_key_name_the_same_key(client: FlaskClient) -> None:
    vkey = client.get("/log/key").get_data(as_text=True).strip()
    raw = base64.b64decode(vkey.split("+", 2)[2])[1:]
    [log_key] = [k for k in client.get("/.well-known/jwks.json").get_json()["keys"] if k["purpose"] == "log"]
    assert base64.urlsafe_b64decode(log_key["x"] + "=") == raw


def test_every_signing_advances_the_checkpoint(app: Flask, client: FlaskClient) -> None:
    sizes = []
    for i in range(3):
        _sign_some(app, 1, prefix=f"Maju {i}")
        sizes.append(int(client.get("/log/checkpoint").get_data(as_text=True).splitlines()[1]))
    assert sizes == [sizes[0], sizes[0] + 1, sizes[0] + 2]


def test_consistency_proofs_link_old_and_new_checkpoints(app: Flask, client: FlaskClient) -> None:
    from registry.core.merkle import verify_consistency

    old = client.get("/log/checkpoint").get_data(as_text=True).splitlines()
    _sign_some(app, 7)
    new = client.get("/log/checkpoint").get_data(as_text=True).splitlines()
    body = client.get(f"/log/proof/consistency?old={old[1]}&new={new[1]}").get_json()
    assert body["old_root"] == old[2] and body["new_root"] == new[2]
    verify_consistency(
        int(old[1]),
        int(new[1]),
        base64.b64decode(old[2]),
        base64.b64decode(new[2]),
        [base64.b64decode(h) for h in body["proof"]],
    )


def test_receipt_is_a_verifiable_stable_tlog_proof(app: Flask, client: FlaskClient) -> None:
    from registry.core.canonical import canonical_bytes, parse_canonical, sha256_hex
    from registry.core.note import parse_verifier_key
    from registry.core.tlog import TlogProof, verify_tlog_proof

    [record_id] = _sign_some(app, 1)
    first = client.get(f"/api/v1/signatures/{record_id}/receipt").get_data(as_text=True)
    _sign_some(app, 3, prefix="Sesudah")
    assert client.get(f"/api/v1/signatures/{record_id}/receipt").get_data(as_text=True) == first
    proof = TlogProof.parse(first)
    verifier = parse_verifier_key(client.get("/log/key").get_data(as_text=True).strip())
    checkpoint = verify_tlog_proof(proof, proof.extra, verifier, verifier.name)
    doc = client.get(f"/api/v1/signatures/{record_id}", headers=auditor_headers(app)).get_json()
    assert checkpoint.size == doc["log_index"] + 1 == proof.index + 1
    entry = parse_canonical(proof.extra)
    assert entry["payload"]["record_sha256"] == sha256_hex(canonical_bytes(doc["record"]))
    open_note_by_spec(proof.checkpoint_note, verifier.verifier_key())


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/log/entries?start=99999", "start"),
        ("/log/entries?start=0&end=99999", "end"),
        ("/log/entries?start=3&end=2", "start"),
        ("/log/entries?start=-1", "start"),
        ("/log/entries?start=abc", "start"),
        ("/log/proof/inclusion?index=99&size=3", "index"),
        ("/log/proof/inclusion?size=3", "index"),
        ("/log/proof/inclusion?index=0&size=0", "size"),
        ("/log/proof/inclusion?index=0&size=99999", "size"),
        ("/log/proof/consistency?old=0&new=3", "old"),
        ("/log/proof/consistency?old=4&new=3", "old"),
        ("/log/proof/consistency?old=1&new=99999", "new"),
        ("/log/proof/consistency?old=1&new=0", "new"),
    ],
)
def test_bad_ranges_are_precise_422s(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(query)
    assert response.status_code == 422, response.data
    problem = response.get_json()
    assert problem["field"] == field
    # The message names the parameter that is wrong, never another one.
    assert field in problem["detail"], problem
    others = {"start", "end", "index", "size", "old", "new"} - {field}
    assert not any(f"{other} must" in problem["detail"] for other in others), problem


def test_entries_are_paged_at_1000(app: Flask, client: FlaskClient) -> None:
    response = client.get("/log/entries?start=1&end=3")
    lines = response.get_data().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3
    assert response.headers["Ikrar-Range"] == "1-3"


def test_audit_page_shows_checkpoint_and_key(client: FlaskClient) -> None:
    page = client.get("/audit").get_data(as_text=True)
    note = client.get("/log/checkpoint").get_data(as_text=True)
    assert note.splitlines()[2] in page
    assert client.get("/log/key").get_data(as_text=True).strip() in page
    assert "tools/verify_log.py" in page and "tidak tersertifikasi" in page


# --- the witness file: a restored backup or a forked database is refused at start-up ---


def test_start_up_refuses_a_database_behind_the_witness(app: Flask, env: Env) -> None:
    if not env.database_url.startswith("sqlite"):
        pytest.skip(
            "copies the SQLite file; the PostgreSQL variant is test_start_up_refuses_a_rewound_database"
        )
    database = env.instance / "ikrar.sqlite3"
    _sign_some(app, 2)
    with app.app_context():
        from registry.extensions import db

        db.session.remove()
        db.engine.dispose()
    backup = env.instance / "backup.sqlite3"
    shutil.copy(database, backup)
    _sign_some(app, 2, prefix="Setelah Cadangan")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        (env.instance / f"ikrar.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, database)
    with pytest.raises(StartupError, match="restored old backup"):
        create_app(env.config())
    refused = ikrar(env, "log", "accept-database")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    accepted = ikrar(env, "log", "accept-database", "--yes")
    assert accepted.returncode == 0, accepted.stderr
    create_app(env.config())


def _rewind(app: Flask, size: int, saved: tuple) -> None:  # type: ignore[type-arg]
    """What restoring an older backup does to the log tables."""
    from sqlalchemy import delete

    from registry.extensions import db
    from registry.models import LogEntry, LogHead, MerkleNode, SignatureRecord

    with app.app_context():
        db.session.execute(delete(SignatureRecord).where(SignatureRecord.log_index >= size))
        db.session.execute(delete(LogEntry).where(LogEntry.index >= size))
        for level in range(64):
            db.session.execute(
                delete(MerkleNode).where(MerkleNode.level == level, MerkleNode.index >= size >> level)
            )
        head = db.session.get(LogHead, 1)
        head.size, head.head_hash, head.frontier, head.checkpoint_size, head.checkpoint = saved
        db.session.commit()


def _head(app: Flask) -> tuple:  # type: ignore[type-arg]
    from registry.extensions import db
    from registry.models import LogHead

    with app.app_context():
        head = db.session.get(LogHead, 1)
        return head.size, head.head_hash, bytes(head.frontier), head.checkpoint_size, head.checkpoint


def test_start_up_refuses_a_rewound_database(app: Flask, env: Env) -> None:
    _sign_some(app, 2)
    saved = _head(app)
    _sign_some(app, 2, prefix="Setelah Cadangan")
    _rewind(app, saved[0], saved)
    with pytest.raises(StartupError, match="restored old backup"):
        create_app(env.config())


def test_a_running_server_refuses_to_sign_over_a_rewound_database(app: Flask) -> None:
    from registry.services.checkpoints import CheckpointConflict

    saved = _head(app)
    _sign_some(app, 2)
    _rewind(app, saved[0], saved)
    with pytest.raises(CheckpointConflict, match="rewound"):
        _sign_some(app, 1, prefix="Lain")
    _sign_some(app, 0)


def test_start_up_refuses_a_forked_database(app: Flask, env: Env) -> None:
    saved = _head(app)
    _sign_some(app, 2)
    _rewind(app, saved[0], saved)
    # A second instance, on another machine (its own witness), signs another history.
    other = create_app(
        env.config() | {"IKRAR_WITNESS_FILE": env.instance / "other.witness"}, startup_checks=False
    )
    with other.app_context():  # its operator accepts the (rewound) database, as a new server must
        from registry.services.checkpoints import accept_database

        accept_database()
    _sign_some(other, 3, prefix="Cabang")
    with other.app_context():
        from registry.extensions import db

        db.engine.dispose()
    with pytest.raises(StartupError, match="forked or altered"):
        create_app(env.config())
    # And the original server, running, refuses to sign on top of the fork.
    from registry.services.checkpoints import CheckpointConflict

    with pytest.raises(CheckpointConflict, match="forked"):
        _sign_some(app, 1, prefix="Lagi")
