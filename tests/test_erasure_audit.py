"""Erasure and the two independent auditors: `ikrar audit` (registry/core/audit.py) and
tools/verify_log.py accept a registry that erased signatures (docs/FORMATS.md §7 "To check
erasures") and catch every lie about them — in what the registry serves, and in the log itself.

The registry of every test: four signatures; the third is withdrawn; the second is erased at the
request of its signer and the third (withdrawn before) when its retention period ended.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Connection, create_engine, text

from registry.cli import cli
from registry.services import erasure, signing, withdrawals
from tests.auditor_support import auditor_token
from tests.conftest import ROOT, Env, LiveServer, ikrar
from tests.factories import scribble, walk_in

REASON = "Salah orang: ditandatangani atas nama rekan."
Document = dict[str, Any]


@dataclass(frozen=True)
class World:
    env: Env
    server: LiveServer
    token_file: Path
    key: str  # the log's verifier key
    ids: list[str]  # kept, erased on request, withdrawn then erased on retention, kept
    created: dict[str, int]  # record id → index of its signature:create entry
    erased: dict[str, int]  # record id → index of its signature:erase entry
    withdrawn: int  # index of the signature:withdraw entry
    times: dict[int, str]  # entry index → its time
    before: dict[tuple[str, bool], Document]  # (record id, with token) → document before erasure
    folder: Path


def _get(url: str, token_file: Path | None = None) -> bytes | None:
    request = urllib.request.Request(url)
    if token_file is not None:
        request.add_header("Authorization", "Bearer " + token_file.read_text(encoding="utf-8").strip())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())
    except urllib.error.HTTPError:
        return None


def _document(base: str, rid: str, token_file: Path | None) -> Document:
    body = _get(f"{base}/api/v1/signatures/{rid}", token_file)
    assert body is not None
    document: Document = json.loads(body)
    return document


def _entries(base: str) -> tuple[bytes, bytes]:
    note = _get(base + "/log/checkpoint")
    assert note is not None
    size = int(note.split(b"\n")[1])
    export = _get(f"{base}/log/entries?start=0&end={size}")
    assert export is not None
    return note, export


@pytest.fixture
def world(app: Flask, env: Env, live_server: LiveServer) -> World:
    token_file = env.instance / "auditor-token"
    token_file.write_text(auditor_token(app) + "\n", encoding="utf-8")
    with app.app_context():
        ids = [
            signing.sign(
                walk_in(f"Penanda Tangan {i}", strokes=scribble(200 + i), public_display=i % 2 == 0),
                app.extensions["ikrar.signers"],
            ).record.id
            for i in range(4)
        ]
        withdrawals.withdraw(ids[2], REASON, "admin-test")
    before = {
        (rid, token): _document(live_server.url, rid, token_file if token else None)
        for rid in ids
        for token in (True, False)
    }
    with app.app_context():
        erasure.erase([ids[1]], ground="request", actor="admin-test")
        erasure.erase([ids[2]], ground="retention", actor="admin-test")
    _, export = _entries(live_server.url)
    created, erased, times, withdrawn = {}, {}, {}, -1
    for line in export.splitlines():
        entry = json.loads(line)
        times[entry["index"]] = entry["time"]
        if entry["type"] == "signature:create":
            created[entry["payload"]["record_id"]] = entry["index"]
        elif entry["type"] == "signature:erase":
            erased[entry["payload"]["record_id"]] = entry["index"]
        elif entry["type"] == "signature:withdraw":
            withdrawn = entry["index"]
    assert list(erased) == ids[1:3] and withdrawn > created[ids[3]], export
    key = (_get(live_server.url + "/log/key") or b"").decode().strip()
    folder = env.instance / "downloads"
    folder.mkdir()
    return World(env, live_server, token_file, key, ids, created, erased, withdrawn, times, before, folder)


@pytest.fixture
def raw(app: Flask, env: Env) -> Iterator[Connection]:
    """A connection that bypasses Ikrar, as an attacker with database access would."""
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


# ──────────────────────────────────────── the auditors ────────────────────────────────────────


def _audit(world: World, *, token: bool) -> subprocess.CompletedProcess[str]:
    """`ikrar audit --url`, with the auditor's token (full documents) or without (public ones)."""
    args = ["audit", "--url", world.server.url, "--key", world.key]
    if token:
        args += ["--token-file", str(world.token_file)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False, env={"IKRAR_AUDIT_TOKEN": ""})
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def _download(world: World) -> tuple[Path, list[Document]]:
    """The log and the records file (documents fetched with the auditor token), as the tool reads them."""
    folder = world.folder / f"download-{random.randrange(10**9)}"
    folder.mkdir()
    note, export = _entries(world.server.url)
    (folder / "checkpoint.txt").write_bytes(note)
    (folder / "export.jsonl").write_bytes(export)
    (folder / "jwks.json").write_bytes(_get(world.server.url + "/.well-known/jwks.json") or b"")
    records = [
        _document(world.server.url, json.loads(line)["payload"]["record_id"], world.token_file)
        for line in export.splitlines()
        if json.loads(line)["type"] == "signature:create"
    ]
    return folder, records


def _tool(world: World, folder: Path, records: list[Document] | None) -> subprocess.CompletedProcess[str]:
    """tools/verify_log.py on a download; ``records`` None: the log alone."""
    args = [
        sys.executable,
        str(ROOT / "tools" / "verify_log.py"),
        *("--entries", str(folder / "export.jsonl"), "--checkpoint", str(folder / "checkpoint.txt")),
        *("--key", world.key),
    ]
    if records is not None:
        name = folder / f"records-{random.randrange(10**9)}.jsonl"
        name.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        args += ["--jwks", str(folder / "jwks.json"), "--records", str(name)]
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def _core_audit(world: World, lie: Callable[[str, Document], Document], *, sealed: bool) -> None:
    """registry.core.audit.audit against the live server, each signature document passed through ``lie``."""
    from registry.audit_client import Registry
    from registry.core.audit import audit
    from registry.core.keys import KeyRing
    from registry.core.note import parse_verifier_key

    token = world.token_file.read_text(encoding="utf-8").strip() if sealed else None
    registry_ = Registry(world.server.url, token)
    verifier = parse_verifier_key(world.key)
    note = registry_.text("/log/checkpoint")
    audit(
        note,
        registry_.entries(int(note.split("\n")[1])),
        verifier,
        verifier.name,
        keyring=KeyRing.from_jwks(registry_.json("/.well-known/jwks.json")),
        fetch_record=lambda rid: lie(rid, registry_.signature(rid)),
        fetch_version=registry_.version,
        seals=sealed,
    )


def _failed_at(result: subprocess.CompletedProcess[str], index: int, kind: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"FAILED ({kind}) at index {index}:" in result.stderr, result.stderr


def _passed(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout, result.stdout
    return result.stdout


# ─────────────────────────────────────── an honest registry ───────────────────────────────────────


def test_erased_signatures_pass_every_auditor(world: World) -> None:
    erased_doc = _document(world.server.url, world.ids[2], world.token_file)
    assert erased_doc["status"] == "erased" and erased_doc["record"] is None, erased_doc
    assert (
        erased_doc["withdrawal"]["reason"] is None
        and erased_doc["withdrawal"]["log_index"] == world.withdrawn
    )

    ok = ikrar(world.env, "log", "verify")
    assert ok.returncode == 0, ok.stderr
    sealed = _passed(_audit(world, token=True))
    assert "2 signed records verified against the JWKS" in sealed, sealed
    assert "2 erased records matched their log entries" in sealed, sealed
    assert "1 withdrawals match their log entries; 2 erasures match their signature:erase entries" in sealed
    public = _passed(_audit(world, token=False))
    assert "2 records matched their log entries by record_sha256" in public, public
    assert "2 erased records matched their log entries" in public, public
    assert "2 erasures match their signature:erase entries" in public, public

    folder, records = _download(world)
    assert "2 erased records matched" in _passed(_tool(world, folder, records))
    _passed(_tool(world, folder, None))
    # The public documents of erased records are read as well (they carry no record either).
    public_docs = [_document(world.server.url, rid, None) for rid in world.ids[1:3]]
    _passed(_tool(world, folder, [records[0], *public_docs, records[3]]))


def test_erased_documents_follow_the_openapi_schemas(world: World) -> None:
    """The signature and verify documents of an erased signature are what /openapi.json says."""
    import jsonschema_rs  # schemathesis's JSON Schema validator (the test extra installs it)

    spec = json.loads(_get(world.server.url + "/openapi.json") or b"{}")

    def conforms(name: str, document: Document) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        jsonschema_rs.validator_for(schema, validate_formats=True).validate(document)

    for rid in world.ids:
        full = _document(world.server.url, rid, world.token_file)
        conforms("SignatureFull", full)
        conforms("SignaturePublic", _document(world.server.url, rid, None))
    erased = _document(world.server.url, world.ids[2], world.token_file)
    status = json.loads(_get(f"{world.server.url}/api/v1/verify/{erased['code']}") or b"{}")
    assert status["status"] == "erased" and status["name"] is None, status
    conforms("VerifyStatus", status)
    with pytest.raises(jsonschema_rs.ValidationError):  # the schemas do constrain the erasure
        conforms("SignatureFull", _erasure(erased, ground="whim"))


# ─────────────────────────────────── a registry that lies about it ───────────────────────────────────


def _invented(world: World, document: Document) -> Document:
    """A kept signature served as erased, by an erasure entry that erases another record."""
    at = world.erased[world.ids[1]]
    return {name: value for name, value in document.items() if name != "public"} | {
        "record": None,
        "signature": None,
        "status": "erased",
        "withdrawal": None,
        "erasure": {"at": world.times[at], "ground": "request", "log_index": at},
    }


def _erasure(document: Document, **changes: object) -> Document:
    return document | {"erasure": document["erasure"] | changes}


def _withdrawal(document: Document, **changes: object) -> Document:
    return document | {"withdrawal": document["withdrawal"] | changes}


# name → (which record, the lie, index and kind every auditor must name)
Lie = Callable[[World, Document, bool], Document]
LIES: dict[str, tuple[int, Lie, Callable[[World], tuple[int, str]]]] = {
    "serves an erased record as before, with its personal data": (
        1,
        lambda w, d, token: w.before[(w.ids[1], token)],
        lambda w: (w.erased[w.ids[1]], "erasure"),
    ),
    "another erasure.log_index": (
        1,
        lambda w, d, token: _erasure(d, log_index=w.erased[w.ids[2]]),
        lambda w: (w.erased[w.ids[1]], "erasure"),
    ),
    "another erasure.at": (
        1,
        lambda w, d, token: _erasure(d, at="2025-01-02T03:04:05.678Z"),
        lambda w: (w.erased[w.ids[1]], "erasure"),
    ),
    "another ground": (
        1,
        lambda w, d, token: _erasure(d, ground="retention"),
        lambda w: (w.erased[w.ids[1]], "erasure"),
    ),
    "serves an erased record with its record again": (
        1,
        lambda w, d, token: d | {"record": w.before[(w.ids[1], True)]["record"]},
        lambda w: (w.created[w.ids[1]], "erasure"),
    ),
    "invents an erasure": (0, lambda w, d, token: _invented(w, d), lambda w: (w.erased[w.ids[1]], "erasure")),
    "another record_sha256 for an erased record": (
        1,
        lambda w, d, token: d | {"record_sha256": hashlib.sha256(b"lain").hexdigest()},
        lambda w: (w.created[w.ids[1]], "record"),
    ),
    "hides the withdrawal of an erased record": (
        2,
        lambda w, d, token: d | {"withdrawal": None},
        lambda w: (w.withdrawn, "withdrawal"),
    ),
    "another withdrawal time of an erased record": (
        2,
        lambda w, d, token: _withdrawal(d, at="2025-01-02T03:04:05.678Z"),
        lambda w: (w.withdrawn, "withdrawal"),
    ),
    "keeps the withdrawal reason of an erased record": (
        2,
        lambda w, d, token: _withdrawal(d, reason=REASON),
        lambda w: (w.created[w.ids[2]], "erasure"),
    ),
}


def _lying(world: World, lie: Lie, target: str, token: bool, rid: str, document: Document) -> Document:
    return lie(world, document, token) if rid == target else document


@pytest.mark.parametrize("name", list(LIES))
def test_a_registry_lying_about_an_erasure_is_caught(world: World, name: str) -> None:
    from registry.core.audit import AuditFailure

    which, lie, expected = LIES[name]
    target = world.ids[which]
    index, kind = expected(world)
    for sealed in (True, False):  # with an auditor token, and without one (public documents)
        served = functools.partial(_lying, world, lie, target, sealed)
        with pytest.raises(AuditFailure) as caught:
            _core_audit(world, served, sealed=sealed)
        assert (caught.value.index, caught.value.kind) == (index, kind), (sealed, caught.value)
    folder, records = _download(world)
    told = [lie(world, r, True) if r["id"] == target else r for r in records]
    _failed_at(_tool(world, folder, told), index, kind)


def test_a_records_file_without_the_erasure(world: World) -> None:
    """A records file made before the erasure (or one that drops the erased documents' status)."""
    folder, records = _download(world)
    stale = [world.before[(r["id"], True)] if r["id"] == world.ids[1] else r for r in records]
    _failed_at(_tool(world, folder, stale), world.erased[world.ids[1]], "erasure")
    # The erased document with its status and erasure dropped: no record is left to be valid.
    dropped = [r | {"status": "valid", "erasure": None} if r["id"] == world.ids[1] else r for r in records]
    _failed_at(_tool(world, folder, dropped), world.created[world.ids[1]], "record")
    # Leaving a record out of the file is allowed (the file may be a subset); the log still checks.
    _passed(_tool(world, folder, [r for r in records if r["id"] != world.ids[1]]))


def test_an_erasure_row_deleted_behind_the_registrys_back(world: World, raw: Connection) -> None:
    raw.execute(text("DELETE FROM erasure WHERE record_id = :r"), {"r": world.ids[1]})
    raw.commit()
    assert ikrar(world.env, "log", "verify").returncode == 1
    index = world.created[world.ids[1]]  # the registry now reports the record invalid
    _failed_at(_audit(world, token=True), index, "record")
    _failed_at(_audit(world, token=False), index, "record")
    folder, records = _download(world)
    _failed_at(_tool(world, folder, records), index, "record")


# ────────────────────────────────── a log that lies about erasures ──────────────────────────────────


def _bad_erasure(world: World, name: str) -> dict[str, str]:
    kept, gone = world.before[(world.ids[0], True)], world.before[(world.ids[1], True)]
    return {
        "of a record never signed": {
            "record_id": "a" * 26,
            "record_sha256": kept["record_sha256"],
            "ground": "request",
        },
        "with another record's hash": {
            "record_id": world.ids[0],
            "record_sha256": gone["record_sha256"],
            "ground": "request",
        },
        "a second time": {
            "record_id": world.ids[1],
            "record_sha256": gone["record_sha256"],
            "ground": "request",
        },
        "on no lawful ground": {
            "record_id": world.ids[0],
            "record_sha256": kept["record_sha256"],
            "ground": "whim",
        },
    }[name]


@pytest.mark.parametrize(
    "name", ["of a record never signed", "with another record's hash", "a second time", "on no lawful ground"]
)
def test_a_signed_log_with_a_false_erasure_entry(app: Flask, world: World, name: str) -> None:
    """The registry's own key signs a checkpoint over an erasure entry that breaks the rules."""
    from registry.services import checkpoints, log

    with app.app_context():
        index = log.append_transaction(
            checkpoints.sealer(), lambda writer: writer.append("signature:erase", _bad_erasure(world, name))
        ).index
    assert ikrar(world.env, "log", "verify").returncode == 1
    named = _bad_erasure(world, name)["record_id"]
    # The registry reports a record the log erases against its own state as invalid: the auditors
    # that fetch records name its signature:create entry; the log alone is wrong at the erasure.
    served = (index, "erasure") if named not in world.created else (world.created[named], "record")
    _failed_at(_audit(world, token=True), *served)
    _failed_at(_audit(world, token=False), *served)
    folder, records = _download(world)
    _failed_at(_tool(world, folder, records), *served)
    _failed_at(_tool(world, folder, None), index, "erasure")
    if named == world.ids[0]:
        # A registry hiding its integrity error (serving the record as before): the erasure entry.
        from registry.core.audit import AuditFailure

        for sealed in (True, False):
            hidden = functools.partial(
                _lying, world, lambda w, d, token: w.before[(named, token)], named, sealed
            )
            with pytest.raises(AuditFailure) as caught:
                _core_audit(world, hidden, sealed=sealed)
            assert (caught.value.index, caught.value.kind) == (index, "erasure"), caught.value
        hidden_records = [world.before[(named, True)] if r["id"] == named else r for r in records]
        _failed_at(_tool(world, folder, hidden_records), index, "erasure")
    # `ikrar audit --file`: the log alone, as downloaded.
    args = ["audit", "--file", str(folder / "export.jsonl"), "--checkpoint", str(folder / "checkpoint.txt")]
    result = CliRunner().invoke(cli, [*args, "--key", world.key], catch_exceptions=False)
    _failed_at(
        subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr), index, "erasure"
    )
