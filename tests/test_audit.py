"""`ikrar audit` against a real server whose database is edited behind its back."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Connection, create_engine, text

from registry.app import create_app
from registry.cli import cli
from registry.extensions import db
from registry.services import signing
from tests.auditor_support import auditor_token
from tests.conftest import ROOT, Env, LiveServer, ikrar
from tests.factories import walk_in

SIGNATURES = 12


@pytest.fixture(autouse=True)
def auditor_token_file(app: Flask, env: Env) -> Path:
    """The auditor's token: with it ``ikrar audit --url`` checks every record's seal."""
    path = env.instance / "auditor-token"
    path.write_text(auditor_token(app) + "\n", encoding="utf-8")
    return path


def _token(env: Env) -> list[str]:
    return ["--token-file", str(env.instance / "auditor-token")]


def _sign(app: Flask, n: int, prefix: str) -> None:
    with app.app_context():
        for i in range(n):
            signing.sign(walk_in(f"{prefix} {i}"), app.extensions["ikrar.signers"])


@pytest.fixture
def audited(app: Flask, env: Env, live_server: LiveServer) -> tuple[LiveServer, Path]:
    """A registry with signatures, audited once: the auditor's state folder remembers it."""
    _sign(app, SIGNATURES, "Penanda")
    state = env.instance / "audit-state"
    first = ikrar(env, "audit", *_token(env), "--url", live_server.url, "--state", str(state))
    assert first.returncode == 0, first.stderr
    assert f"{SIGNATURES} signed records verified" in first.stdout
    return live_server, state


@pytest.fixture
def raw(app: Flask, env: Env) -> Iterator[Connection]:
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


def _audit(env: Env, server: LiveServer, state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`ikrar audit` in this process (Click's runner), from a copy of the auditor's state."""
    copy = state.parent / f"state-copy-{random.randrange(10**9)}"
    shutil.copytree(state, copy)  # each check starts from what the auditor saw last time
    args = ["audit", *_token(env), "--url", server.url, "--state", str(copy), *extra]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def _tool(server: LiveServer, state: Path) -> subprocess.CompletedProcess[str]:
    """The independent verifier (tools/verify_log.py) on a fresh download, from a copy of the state."""
    import urllib.request

    copy = state.parent / f"tool-state-{random.randrange(10**9)}"
    shutil.copytree(state, copy)
    note = urllib.request.urlopen(server.url + "/log/checkpoint").read()
    size = int(note.split(b"\n")[1])
    export = bytearray()
    for start in range(0, size, 1000):
        export += urllib.request.urlopen(
            f"{server.url}/log/entries?start={start}&end={min(size, start + 1000)}"
        ).read()
    (copy / "download.checkpoint").write_bytes(note)
    (copy / "download.jsonl").write_bytes(bytes(export))
    key = (state / "verifier-key").read_text().strip()
    args = [
        sys.executable,
        str(ROOT / "tools" / "verify_log.py"),
        "--entries",
        str(copy / "download.jsonl"),
        "--checkpoint",
        str(copy / "download.checkpoint"),
        "--key",
        key,
        "--state",
        str(copy),
    ]
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def _both_fail_at(
    env: Env, server: LiveServer, state: Path, index: int, kinds: tuple[str, ...], *extra: str
) -> None:
    """`ikrar audit` and the independent verifier both name ``index``."""
    _failed_at(_audit(env, server, state, *extra), index, kinds)
    _failed_at(_tool(server, state), index, kinds)


def _failed_at(result: subprocess.CompletedProcess[str], index: int, kinds: tuple[str, ...]) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"at index {index}:" in result.stderr, result.stderr
    assert any(f"FAILED ({kind})" in result.stderr for kind in kinds), result.stderr


def _size(conn: Connection) -> int:
    return int(conn.execute(text("SELECT size FROM log_head")).scalar_one())


def test_an_untouched_log_audits_again_consistently(
    app: Flask, env: Env, audited: tuple[LiveServer, Path]
) -> None:
    server, state = audited
    _sign(app, 3, "Susulan")
    again = ikrar(env, "audit", *_token(env), "--url", server.url, "--state", str(state))
    assert again.returncode == 0, again.stderr
    assert "consistent with the checkpoint verified before" in again.stdout


def test_a_changed_byte_in_any_entry(env: Env, audited: tuple[LiveServer, Path], raw: Connection) -> None:
    server, state = audited
    rng = random.Random(11)
    for index, body in list(raw.execute(text('SELECT "index", body FROM log_entry ORDER BY "index"'))):
        original = bytes(body)
        changed = bytearray(original)
        changed[rng.randrange(len(changed))] ^= 1 << rng.randrange(7)
        raw.execute(
            text('UPDATE log_entry SET body = :b WHERE "index" = :i'), {"b": bytes(changed), "i": index}
        )
        raw.commit()
        _both_fail_at(env, server, state, index, ("fork", "chain"), "--no-records")
        raw.execute(text('UPDATE log_entry SET body = :b WHERE "index" = :i'), {"b": original, "i": index})
        raw.commit()


def test_a_changed_byte_in_a_record(env: Env, audited: tuple[LiveServer, Path], raw: Connection) -> None:
    server, state = audited
    record_id, index, body = raw.execute(
        text("SELECT id, log_index, body FROM signature_record ORDER BY log_index LIMIT 1 OFFSET 5")
    ).one()
    altered = bytes(body).replace(b"Penanda 5", b"Penanda 6")
    assert altered != bytes(body)
    raw.execute(text("UPDATE signature_record SET body = :b WHERE id = :id"), {"b": altered, "id": record_id})
    raw.commit()
    _failed_at(_audit(env, server, state), index, ("record",))


def test_a_deleted_entry(env: Env, audited: tuple[LiveServer, Path], raw: Connection) -> None:
    server, state = audited
    raw.execute(text('DELETE FROM log_entry WHERE "index" = 7'))
    raw.commit()
    _both_fail_at(env, server, state, 7, ("fork", "chain"), "--no-records")


def test_two_swapped_entries(env: Env, audited: tuple[LiveServer, Path], raw: Connection) -> None:
    server, state = audited
    a, b = 5, 9
    bodies = dict(raw.execute(text(f'SELECT "index", body FROM log_entry WHERE "index" IN ({a}, {b})')).all())
    raw.execute(text('UPDATE log_entry SET body = :x WHERE "index" = :i'), {"x": bodies[b], "i": a})
    raw.execute(text('UPDATE log_entry SET body = :x WHERE "index" = :i'), {"x": bodies[a], "i": b})
    raw.commit()
    _both_fail_at(env, server, state, a, ("fork", "chain"), "--no-records")


def test_the_last_k_entries_removed(env: Env, audited: tuple[LiveServer, Path], raw: Connection) -> None:
    server, state = audited
    size = _size(raw)
    for k in range(1, 11):  # removing one more entry each time: k = 1 … 10
        raw.execute(text('DELETE FROM log_entry WHERE "index" = :n'), {"n": size - k})
        raw.commit()
        _both_fail_at(env, server, state, size - k, ("truncation",), "--no-records")


def _rewound_to(app: Flask, size: int, raw: Connection, saved: tuple) -> None:  # type: ignore[type-arg]
    """What restoring a database backup taken at ``size`` does to the log."""
    raw.execute(text("DELETE FROM signature_record WHERE log_index >= :n"), {"n": size})
    raw.execute(text('DELETE FROM log_entry WHERE "index" >= :n'), {"n": size})
    for level in range(64):
        raw.execute(
            text('DELETE FROM merkle_node WHERE level = :l AND "index" >= :n'),
            {"l": level, "n": size >> level},
        )
    raw.execute(
        text(
            "UPDATE log_head SET size = :s, head_hash = :h, frontier = :f, checkpoint_size = :cs, "
            "checkpoint = :c"
        ),
        dict(zip(("s", "h", "f", "cs", "c"), saved, strict=True)),
    )
    raw.commit()


def _head(raw: Connection) -> tuple:  # type: ignore[type-arg]
    row = raw.execute(
        text("SELECT size, head_hash, frontier, checkpoint_size, checkpoint FROM log_head")
    ).one()
    return row[0], row[1], bytes(row[2]), row[3], row[4]


def test_the_database_replaced_by_an_older_backup(
    app: Flask, env: Env, live_server: LiveServer, raw: Connection
) -> None:
    _sign(app, 4, "Awal")
    backup = _head(raw)
    _sign(app, 4, "Akhir")
    state = env.instance / "audit-state"
    assert ikrar(env, "audit", *_token(env), "--url", live_server.url, "--state", str(state)).returncode == 0
    _rewound_to(app, backup[0], raw, backup)
    _both_fail_at(env, live_server, state, backup[0], ("rollback",))


def test_a_second_server_signing_from_a_forked_database(
    app: Flask, env: Env, live_server: LiveServer, raw: Connection
) -> None:
    _sign(app, 3, "Awal")
    fork_point = _head(raw)
    _sign(app, 3, "Asli")
    state = env.instance / "audit-state"
    assert ikrar(env, "audit", *_token(env), "--url", live_server.url, "--state", str(state)).returncode == 0
    _rewound_to(app, fork_point[0], raw, fork_point)
    # Another instance of the server, with the same keys but its own witness, signs another history.
    other = create_app(
        env.config() | {"IKRAR_WITNESS_FILE": env.instance / "other.witness"}, startup_checks=False
    )
    with other.app_context():  # its operator accepts the (rewound) database, as a new server must
        from registry.services.checkpoints import accept_database

        accept_database()
    _sign(other, 5, "Cabang")
    with other.app_context():
        db.engine.dispose()
    assert _head(raw)[0] > fork_point[0] + 3
    _both_fail_at(env, live_server, state, fork_point[0], ("fork",))


def test_an_audit_of_a_downloaded_export(app: Flask, env: Env, live_server: LiveServer) -> None:
    import urllib.request

    _sign(app, 3, "Unduh")
    note = urllib.request.urlopen(live_server.url + "/log/checkpoint").read()
    size = int(note.split(b"\n")[1])
    export = urllib.request.urlopen(f"{live_server.url}/log/entries?start=0&end={size}").read()
    key = urllib.request.urlopen(live_server.url + "/log/key").read().decode().strip()
    (env.instance / "checkpoint.txt").write_bytes(note)
    (env.instance / "export.jsonl").write_bytes(export)
    good = ikrar(
        env,
        "audit",
        "--file",
        str(env.instance / "export.jsonl"),
        "--checkpoint",
        str(env.instance / "checkpoint.txt"),
        "--key",
        key,
    )
    assert good.returncode == 0, good.stderr
    lines = export.split(b"\n")
    lines[2] = lines[2].replace(b'"type"', b'"typf"')
    (env.instance / "export.jsonl").write_bytes(b"\n".join(lines))
    bad = ikrar(
        env,
        "audit",
        "--file",
        str(env.instance / "export.jsonl"),
        "--checkpoint",
        str(env.instance / "checkpoint.txt"),
        "--key",
        key,
    )
    _failed_at(bad, 2, ("chain",))
    wrong_key = ikrar(
        env,
        "audit",
        "--file",
        str(env.instance / "export.jsonl"),
        "--checkpoint",
        str(env.instance / "checkpoint.txt"),
        "--key",
        "x+00000000+AQ==",
    )
    assert wrong_key.returncode == 1 and "Traceback" not in wrong_key.stderr


def test_audit_reports_bad_usage_in_one_line(env: Env) -> None:
    for args in (["audit"], ["audit", "--url", "ftp://x"], ["audit", "--url", "http://127.0.0.1:9"]):
        result = ikrar(env, *args)
        assert result.returncode in (1, 2), result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") <= 3
