"""Editing the database behind Ikrar's back: every change is found, at the right index."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, create_engine, text

from registry.extensions import db
from registry.services import integrity, signing
from tests.conftest import Env, ikrar
from tests.factories import walk_in

SIGNATURES = 4


@pytest.fixture
def signed(app: Flask) -> Flask:
    with app.app_context():
        for i in range(SIGNATURES):
            signing.sign(walk_in(f"Penanda Tangan {i}"), app.extensions["ikrar.signers"])
    return app


@pytest.fixture
def raw(signed: Flask, env: Env) -> Iterator[Connection]:
    """A connection that bypasses Ikrar, as an attacker with database access would."""
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # Let the attacker ignore foreign keys too.
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


def _failure_index(app: Flask) -> int:
    with app.app_context():
        db.session.remove()
        with pytest.raises(integrity.IntegrityError_) as caught:
            integrity.verify_database()
        db.session.remove()
    return caught.value.index


def _rows(conn: Connection, sql: str) -> list[Any]:
    return list(conn.execute(text(sql)))


def _flip(data: bytes, rng: random.Random) -> bytes:
    position = rng.randrange(len(data))
    changed = bytearray(data)
    changed[position] ^= 1 << rng.randrange(8)
    return bytes(changed)


def test_every_entry_with_one_changed_byte_is_found(signed: Flask, raw: Connection) -> None:
    rng = random.Random(7)
    entries = _rows(raw, 'SELECT "index", body FROM log_entry ORDER BY "index"')
    assert len(entries) > SIGNATURES
    for index, body in entries:
        original = bytes(body)
        raw.execute(
            text('UPDATE log_entry SET body = :b WHERE "index" = :i'), {"b": _flip(original, rng), "i": index}
        )
        raw.commit()
        assert _failure_index(signed) == index
        raw.execute(text('UPDATE log_entry SET body = :b WHERE "index" = :i'), {"b": original, "i": index})
        raw.commit()
    with signed.app_context():
        assert integrity.verify_database().records == SIGNATURES


@pytest.mark.parametrize("column", ["body", "signature", "strokes", "name", "institution", "code"])
def test_every_record_with_one_changed_byte_is_found(signed: Flask, raw: Connection, column: str) -> None:
    rng = random.Random(column)
    records = _rows(raw, f"SELECT id, log_index, {column} FROM signature_record ORDER BY log_index")
    for record_id, log_index, value in records:
        if isinstance(value, str):
            position = rng.randrange(len(value))
            changed: Any = value[:position] + ("A" if value[position] != "A" else "B") + value[position + 1 :]
        else:
            changed = _flip(bytes(value), rng)
        raw.execute(
            text(f"UPDATE signature_record SET {column} = :v WHERE id = :id"), {"v": changed, "id": record_id}
        )
        raw.commit()
        assert _failure_index(signed) == log_index
        raw.execute(
            text(f"UPDATE signature_record SET {column} = :v WHERE id = :id"), {"v": value, "id": record_id}
        )
        raw.commit()


def test_changed_hash_prev_type_or_time_column_is_found(signed: Flask, raw: Connection) -> None:
    for column, value in [("hash", "f" * 64), ("prev", "e" * 64), ("type", "signature:forged")]:
        original = raw.execute(text(f'SELECT {column} FROM log_entry WHERE "index" = 3')).scalar_one()
        raw.execute(text(f'UPDATE log_entry SET {column} = :v WHERE "index" = 3'), {"v": value})
        raw.commit()
        assert _failure_index(signed) == 3
        raw.execute(text(f'UPDATE log_entry SET {column} = :v WHERE "index" = 3'), {"v": original})
        raw.commit()


def test_deleted_entry_is_found(signed: Flask, raw: Connection) -> None:
    raw.execute(text('DELETE FROM log_entry WHERE "index" = 2'))
    raw.commit()
    assert _failure_index(signed) == 2


def test_deleted_last_entry_is_found(signed: Flask, raw: Connection) -> None:
    last = raw.execute(text('SELECT max("index") FROM log_entry')).scalar_one()
    raw.execute(text("DELETE FROM signature_record WHERE log_index = :i"), {"i": last})
    raw.execute(text('DELETE FROM log_entry WHERE "index" = :i'), {"i": last})
    raw.commit()
    assert _failure_index(signed) == last


def test_deleted_record_is_found(signed: Flask, raw: Connection) -> None:
    index = raw.execute(text("SELECT min(log_index) FROM signature_record")).scalar_one()
    raw.execute(text("DELETE FROM signature_record WHERE log_index = :i"), {"i": index})
    raw.commit()
    assert _failure_index(signed) == index


def test_swapped_entries_are_found(signed: Flask, raw: Connection) -> None:
    a, b = 3, 6
    rows = {
        r[0]: r
        for r in _rows(
            raw, f'SELECT "index", body, hash, prev, type, time FROM log_entry WHERE "index" IN ({a}, {b})'
        )
    }
    raw.execute(text('DELETE FROM log_entry WHERE "index" IN (:a, :b)'), {"a": a, "b": b})
    for target, source in ((a, b), (b, a)):
        _, body, hash_, prev, type_, time_ = rows[source]
        raw.execute(
            text(
                'INSERT INTO log_entry ("index", body, hash, prev, type, time) VALUES (:i, :body, :h, :p, :t, :tm)'
            ),
            {"i": target, "body": body, "h": hash_, "p": prev, "t": type_, "tm": time_},
        )
    raw.commit()
    assert _failure_index(signed) == a


def test_cli_names_the_index_and_exits_non_zero(signed: Flask, raw: Connection, env: Env) -> None:
    ok = ikrar(env, "log", "verify")
    assert ok.returncode == 0, ok.stderr
    assert f"{SIGNATURES} signed records verified" in ok.stdout
    body = bytes(raw.execute(text('SELECT body FROM log_entry WHERE "index" = 4')).scalar_one())
    raw.execute(
        text('UPDATE log_entry SET body = :b WHERE "index" = 4'),
        {"b": body.replace(b'"index":4', b'"index":5')},
    )
    raw.commit()
    bad = ikrar(env, "log", "verify")
    assert bad.returncode == 1
    assert "FAILED at index 4" in bad.stderr
    assert "Traceback" not in bad.stderr
