"""The tamper matrix: published versions, withdrawals and records edited in the database behind
Ikrar's back, each found by `ikrar log verify`, `ikrar audit --url` (with and without its state)
and tools/verify_log.py on what an auditor downloads — each naming the right log index.

The log of every test: 0–1 keys, 2 commitment:create, 3 commitment:publish (the demo, version 1),
4–6 signature:create, 7 signature:withdraw (of the record at 5).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import JSON, Connection, bindparam, create_engine, text

from registry.cli import cli
from registry.services import signing, withdrawals
from tests.auditor_support import auditor_token
from tests.conftest import ROOT, Env, LiveServer, ikrar
from tests.factories import scribble, walk_in

PUBLISH, FIRST, WITHDRAWN, WITHDRAW = 3, 4, 5, 7
REASON = "Salah orang: ditandatangani atas nama rekan."


@dataclass(frozen=True)
class World:
    env: Env
    server: LiveServer
    state: Path
    records: list[str]  # record ids, in log order (indexes 4, 5, 6)
    token_file: Path  # an auditor token: the full signature documents (records and seals)


@pytest.fixture
def world(app: Flask, env: Env, live_server: LiveServer) -> World:
    with app.app_context():
        ids = [
            # Strokes differ per record (walk_in's default depends on the name's length only).
            signing.sign(
                walk_in(f"Penanda Tangan {i}", strokes=scribble(100 + i)), app.extensions["ikrar.signers"]
            ).record.id
            for i in range(3)
        ]
        withdrawals.withdraw(ids[1], REASON, "admin-test")
    state = env.instance / "audit-state"
    token_file = env.instance / "auditor-token"
    token_file.write_text(auditor_token(app) + "\n", encoding="utf-8")
    first = ikrar(
        env, "audit", "--url", live_server.url, "--state", str(state), "--token-file", str(token_file)
    )
    assert first.returncode == 0, first.stderr
    assert "1 published commitment versions" in first.stdout, first.stdout
    assert "1 withdrawal" in first.stdout, first.stdout
    ok = ikrar(env, "log", "verify")
    assert ok.returncode == 0, ok.stderr
    return World(env, live_server, state, ids, token_file)


@pytest.fixture
def raw(app: Flask, env: Env) -> Iterator[Connection]:
    """A connection that bypasses Ikrar, as an attacker with database access would."""
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


# ───────────────────────────────────────── the tampering ─────────────────────────────────────────


def _version_title(conn: Connection, world: World) -> None:
    conn.execute(text("UPDATE commitment_version SET title = title || ' (diubah)' WHERE version = 1"))


def _version_text_and_hash(conn: Connection, world: World) -> None:
    # The smarter attacker keeps the stored hash column consistent with the new text.
    body = conn.execute(text("SELECT text FROM commitment_version WHERE version = 1")).scalar_one()
    changed = body + "\nKami juga berjanji hal lain."
    conn.execute(
        text("UPDATE commitment_version SET text = :t, text_sha256 = :h WHERE version = 1"),
        {"t": changed, "h": hashlib.sha256(changed.encode()).hexdigest()},
    )


def _version_consent(conn: Connection, world: World) -> None:
    conn.execute(
        text("UPDATE commitment_version SET consent_text = consent_text || ' Tambahan.' WHERE version = 1")
    )


def _version_dimension_label(conn: Connection, world: World) -> None:
    value = conn.execute(text("SELECT dimensions FROM commitment_version WHERE version = 1")).scalar_one()
    dimensions = json.loads(value) if isinstance(value, str) else value
    dimensions[0]["label"] = dimensions[0]["label"] + " (diubah)"
    conn.execute(
        text("UPDATE commitment_version SET dimensions = :d WHERE version = 1").bindparams(
            bindparam("d", type_=JSON)
        ),
        {"d": dimensions},
    )


def _withdrawal_deleted(conn: Connection, world: World) -> None:
    conn.execute(text("DELETE FROM withdrawal WHERE record_id = :r"), {"r": world.records[1]})


def _withdrawal_reason(conn: Connection, world: World) -> None:
    conn.execute(
        text("UPDATE withdrawal SET reason = :x WHERE record_id = :r"),
        {"x": "Alasan lain yang tidak pernah dicatat.", "r": world.records[1]},
    )


def _strokes_swapped(conn: Connection, world: World) -> None:
    a, b = world.records[0], world.records[2]
    strokes = dict(
        conn.execute(
            text("SELECT id, strokes FROM signature_record WHERE id IN (:a, :b)"), {"a": a, "b": b}
        ).all()
    )
    for target, source in ((a, b), (b, a)):
        conn.execute(
            text("UPDATE signature_record SET strokes = :s WHERE id = :r"),
            {"s": bytes(strokes[source]), "r": target},
        )


def _record_name(conn: Connection, world: World) -> None:
    conn.execute(
        text("UPDATE signature_record SET name = 'Orang Lain' WHERE id = :r"), {"r": world.records[0]}
    )


@dataclass(frozen=True)
class Case:
    tamper: Callable[[Connection, World], None]
    log_verify: int  # the index `ikrar log verify` names
    audit: tuple[int, str] | None  # (index, kind) `ikrar audit` and tools/verify_log.py name; None: OK


CASES = {
    # The server refuses to serve the version (integrity error): the auditors name its publish entry.
    "version title": Case(_version_title, PUBLISH, (PUBLISH, "version")),
    "version text and its hash": Case(_version_text_and_hash, PUBLISH, (PUBLISH, "version")),
    "version consent text": Case(_version_consent, PUBLISH, (PUBLISH, "version")),
    "version dimension label": Case(_version_dimension_label, PUBLISH, (PUBLISH, "version")),
    # The server reports the record invalid: the auditors name the record's signature:create entry.
    # (A server that hides it instead is tested in tests/test_audit.py and test_verify_log_tool.py.)
    "withdrawal deleted": Case(_withdrawal_deleted, WITHDRAW, (WITHDRAWN, "record")),
    "withdrawal reason": Case(_withdrawal_reason, WITHDRAW, (WITHDRAWN, "record")),
    "strokes swapped": Case(_strokes_swapped, FIRST, (FIRST, "record")),
    # Surfaces show the signed bytes, but the read path (services/sealed.py) also compares the
    # convenience columns with them: the record is served as invalid, so the auditors see it too.
    "record name column": Case(_record_name, FIRST, (FIRST, "record")),
}


# ───────────────────────────────────────── the auditors ─────────────────────────────────────────


def _audit(world: World, *, state: bool) -> subprocess.CompletedProcess[str]:
    args = ["audit", "--url", world.server.url, "--token-file", str(world.token_file)]
    if state:
        copy = world.state.parent / f"state-copy-{random.randrange(10**9)}"
        shutil.copytree(world.state, copy)
        args += ["--state", str(copy)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def _get(url: str, token_file: Path | None = None) -> bytes | None:
    request = urllib.request.Request(url)
    if token_file is not None:
        request.add_header("Authorization", "Bearer " + token_file.read_text(encoding="utf-8").strip())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())
    except urllib.error.HTTPError:
        return None


def _download(world: World) -> Path:
    """Everything an auditor downloads now, as tools/verify_log.py inputs, with a copy of the state."""
    base = world.server.url
    folder = world.state.parent / f"download-{random.randrange(10**9)}"
    shutil.copytree(world.state, folder / "state")
    note = _get(base + "/log/checkpoint")
    assert note is not None
    size = int(note.split(b"\n")[1])
    export = _get(f"{base}/log/entries?start=0&end={size}")
    assert export is not None
    records, versions = [], []
    for line in export.splitlines():
        entry = json.loads(line)
        payload = entry["payload"]
        if entry["type"] == "signature:create":
            # The records file comes from an auditor with a token (docs/FORMATS.md §8).
            document = _get(f"{base}/api/v1/signatures/{payload['record_id']}", world.token_file)
            assert document is not None
            records.append(document.decode())
        elif entry["type"] == "commitment:publish":
            # A version the server refuses to serve (integrity error) cannot be exported.
            served = _get(f"{base}/api/v1/commitments/{payload['commitment']}?version={payload['version']}")
            if served is not None:
                versions.append(json.loads(served))
    (folder / "checkpoint.txt").write_bytes(note)
    (folder / "export.jsonl").write_bytes(export)
    (folder / "jwks.json").write_bytes(_get(base + "/.well-known/jwks.json") or b"")
    (folder / "records.jsonl").write_text("".join(r.rstrip("\n") + "\n" for r in records))
    (folder / "versions.json").write_text(json.dumps(versions))
    return folder


def _tool(world: World, folder: Path | None = None) -> subprocess.CompletedProcess[str]:
    """tools/verify_log.py on a download, with the auditor's state."""
    folder = folder or _download(world)
    key = (world.state / "verifier-key").read_text().strip()
    args = [
        sys.executable,
        str(ROOT / "tools" / "verify_log.py"),
        *("--entries", str(folder / "export.jsonl"), "--checkpoint", str(folder / "checkpoint.txt")),
        *("--key", key, "--state", str(folder / "state"), "--jwks", str(folder / "jwks.json")),
        *("--records", str(folder / "records.jsonl"), "--versions", str(folder / "versions.json")),
    ]
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def _failed_at(result: subprocess.CompletedProcess[str], index: int, kind: str | None = None) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    prefix = f"FAILED ({kind}) at index {index}:" if kind else f"FAILED at index {index}:"
    assert prefix in result.stderr, result.stderr


def _passed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


@pytest.mark.parametrize("name", list(CASES))
def test_tampering_is_found_at_the_right_index(world: World, raw: Connection, name: str) -> None:
    case = CASES[name]
    case.tamper(raw, world)
    raw.commit()
    _failed_at(ikrar(world.env, "log", "verify"), case.log_verify)
    for result in (_audit(world, state=False), _audit(world, state=True), _tool(world)):
        if case.audit is None:
            _passed(result)
        else:
            _failed_at(result, *case.audit)


def test_the_untouched_world_passes_every_auditor(world: World) -> None:
    _passed(_audit(world, state=False))
    _passed(_audit(world, state=True))
    tool = _tool(world)
    _passed(tool)
    assert "1 commitment versions verified" in tool.stdout, tool.stdout


# ─────────────────────────── a registry that lies about what it holds ───────────────────────────


def _served_files(world: World) -> tuple[Path, list[dict[str, object]], list[dict[str, object]]]:
    """The genuine download (tools/verify_log.py inputs) and its records and versions, parsed."""
    folder = _download(world)
    _passed(_tool(world, folder))
    records = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
    versions = json.loads((folder / "versions.json").read_text())
    return folder, records, versions


def _tool_on(
    world: World, folder: Path, records: list[dict[str, object]], versions: object
) -> subprocess.CompletedProcess[str]:
    name = random.randrange(10**9)
    (folder / f"records-{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    if isinstance(versions, bytes):
        (folder / f"versions-{name}.json").write_bytes(versions)
    else:
        (folder / f"versions-{name}.json").write_text(json.dumps(versions))
    key = (world.state / "verifier-key").read_text().strip()
    args = [
        sys.executable,
        str(ROOT / "tools" / "verify_log.py"),
        *("--entries", str(folder / "export.jsonl"), "--checkpoint", str(folder / "checkpoint.txt")),
        *("--key", key, "--jwks", str(folder / "jwks.json")),
        *("--records", str(folder / f"records-{name}.jsonl")),
        *("--versions", str(folder / f"versions-{name}.json")),
    ]
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def _core_audit(
    world: World, lie: Callable[[str, dict[str, object]], dict[str, object]], *, sealed: bool = True
) -> None:
    """registry.core.audit.audit against the live server, its answers passed through ``lie``.

    ``sealed=False``: without an auditor token, as anyone may audit (the public documents).
    """
    from registry.audit_client import Registry
    from registry.core.audit import audit
    from registry.core.keys import KeyRing
    from registry.core.note import parse_verifier_key

    token = world.token_file.read_text(encoding="utf-8").strip() if sealed else None
    registry_ = Registry(world.server.url, token)
    verifier = parse_verifier_key((world.state / "verifier-key").read_text().strip())
    note = registry_.text("/log/checkpoint")
    size = int(note.split("\n")[1])
    audit(
        note,
        registry_.entries(size),
        verifier,
        verifier.name,
        keyring=KeyRing.from_jwks(registry_.json("/.well-known/jwks.json")),
        fetch_record=lambda rid: lie(rid, registry_.signature(rid)),
        fetch_version=lambda slug, n: lie(slug, registry_.version(slug, n)),
        seals=sealed,
    )


def _hidden(document: dict[str, object]) -> dict[str, object]:
    return document | {"status": "valid", "withdrawal": None}


def _reasoned(document: dict[str, object]) -> dict[str, object]:
    withdrawal = dict(document["withdrawal"])  # type: ignore[call-overload]
    return document | {"withdrawal": withdrawal | {"reason": "Alasan yang dikarang server."}}


def _invented(document: dict[str, object]) -> dict[str, object]:
    at = "2024-09-12T03:00:00.000Z"
    return document | {
        "status": "withdrawn",
        "withdrawal": {"at": at, "reason": "Karangan.", "log_index": WITHDRAW},
    }


def _retitled(document: dict[str, object]) -> dict[str, object]:
    from registry.core.versions import document_from_json, version_sha256

    changed = document | {"title": "Judul yang dikarang server"}
    return changed | {"version_sha256": version_sha256(document_from_json(changed))}


LIES: dict[str, tuple[Callable[[World, str, dict[str, object]], dict[str, object]], int, str]] = {
    # what the server does to its answer, the index and the kind both auditors must name
    "hides a withdrawal": (lambda w, k, d: _hidden(d) if k == w.records[1] else d, WITHDRAW, "withdrawal"),
    "serves another reason": (
        lambda w, k, d: _reasoned(d) if k == w.records[1] else d,
        WITHDRAW,
        "withdrawal",
    ),
    "invents a withdrawal": (
        lambda w, k, d: _invented(d) if k == w.records[2] else d,
        WITHDRAW,
        "withdrawal",
    ),
    "moves a record": (lambda w, k, d: d | {"log_index": 100} if k == w.records[0] else d, FIRST, "record"),
    "serves another title": (
        lambda w, k, d: _retitled(d) if "version" in d and "text" in d else d,
        PUBLISH,
        "version",
    ),
}


def test_a_lying_registry_is_caught(world: World) -> None:
    from registry.core.audit import AuditFailure

    folder, records, versions = _served_files(world)
    for name, (lie, index, kind) in LIES.items():
        for sealed in (True, False):  # with an auditor token, and without one (public documents)
            with pytest.raises(AuditFailure) as caught:
                _core_audit(world, lambda key, document, lie=lie: lie(world, key, document), sealed=sealed)  # type: ignore[misc]
            assert (caught.value.index, caught.value.kind) == (index, kind), (name, sealed, caught.value)
        told = [lie(world, str(r["id"]), r) for r in records]
        shown = [lie(world, "", v) for v in versions]
        _failed_at(_tool_on(world, folder, told, shown), index, kind)


def test_the_tool_reads_versions_as_json_lines_and_needs_every_publish(world: World) -> None:
    folder, records, versions = _served_files(world)
    lines = "".join(json.dumps(v) + "\n" for v in versions).encode()
    _passed(_tool_on(world, folder, records, lines))
    _failed_at(_tool_on(world, folder, records, []), PUBLISH, "version")
    extra = dict(versions[0]) | {"version": 2}
    extra_result = _tool_on(world, folder, records, [*versions, extra])
    assert extra_result.returncode == 1 and "FAILED (version): " in extra_result.stderr, extra_result.stderr
    twice = _tool_on(world, folder, records, [*versions, versions[0]])
    assert twice.returncode == 1 and "supplied twice" in twice.stderr, twice.stderr
