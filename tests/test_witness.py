"""The witness (issue 13, Faults): no signing over a non-empty log without one, one entry per log,
demo passwords per database."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from flask import Flask

from registry.app import create_app
from registry.startup import StartupError
from tests.conftest import Env, ikrar, initialise
from tests.test_signing_api import body, device_token, post


def _sign(app: Flask, token: str, name: str) -> tuple[int, dict, dict]:  # type: ignore[type-arg]
    response = post(app.test_client(), token, body(name))
    return response.status_code, response.get_json(), dict(response.headers)


def _log_size(app: Flask) -> int:
    with app.app_context():
        from registry.services.checkpoints import log_size

        return log_size()


def test_a_deleted_witness_refuses_signing_until_the_database_is_accepted(app: Flask, env: Env) -> None:
    token = device_token(app)
    assert _sign(app, token, "Ayu Lestari")[0] == 201
    witness = env.instance / "checkpoint.witness"
    witness.unlink()
    size = _log_size(app)

    status, problem, headers = _sign(app, token, "Budi Santoso")
    assert status == 503, problem
    assert problem["type"] == "urn:ikrar:problem:witness-missing"
    assert "accept-database" in problem["detail"]
    assert int(headers["Retry-After"]) > 0
    assert _log_size(app) == size  # nothing was committed
    with pytest.raises(StartupError, match="no checkpoint of this log"):
        create_app(env.config())

    refused = ikrar(env, "log", "accept-database")
    assert refused.returncode == 1 and "--yes" in refused.stderr, refused.stderr
    assert "no checkpoint of this log" in refused.stdout
    accepted = ikrar(env, "log", "accept-database", "--yes")
    assert accepted.returncode == 0, accepted.stderr
    create_app(env.config())
    assert _sign(app, token, "Budi Santoso")[0] == 201


def test_a_restored_backup_without_its_witness_does_not_start(app: Flask, env: Env) -> None:
    """The attack of the issue: restore an older SQLite file and delete the witness beside it."""
    if not env.database_url.startswith("sqlite"):
        pytest.skip("copies the SQLite file; test_a_deleted_witness_… covers PostgreSQL")
    token = device_token(app)
    database = env.instance / "ikrar.sqlite3"
    with app.app_context():
        from registry.extensions import db

        db.session.remove()
        db.engine.dispose()
    backup = env.instance / "backup.sqlite3"
    shutil.copy(database, backup)
    assert _sign(app, token, "Ayu Lestari")[0] == 201
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        (env.instance / f"ikrar.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, database)
    (env.instance / "checkpoint.witness").unlink()
    with pytest.raises(StartupError, match="restored old backup cannot be ruled out"):
        create_app(env.config())


def test_each_database_served_from_one_instance_keeps_its_own_witness(
    app: Flask, env: Env, tmp_path: Path
) -> None:
    token = device_token(app)
    assert _sign(app, token, "Ayu Lestari")[0] == 201
    # A second, new database with new keys, served from the same instance folder and witness file.
    other_config = env.config() | {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        "IKRAR_KEYS_DIR": tmp_path / "other-keys",
    }
    other = create_app(other_config, startup_checks=False)
    initialise(other)
    create_app(other_config)  # start-up accepts it: it is not "rewound" against the first log
    assert _sign(other, device_token(other), "Citra Dewi")[0] == 201
    entries = json.loads((env.instance / "checkpoint.witness").read_text())["logs"]
    assert len(entries) == 2
    # And the first database is still protected by its own entry.
    create_app(env.config())
    assert _sign(app, token, "Budi Santoso")[0] == 201
    with other.app_context():
        from registry.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_a_witness_file_of_the_previous_release_is_read_as_this_logs_entry(app: Flask, env: Env) -> None:
    token = device_token(app)
    assert _sign(app, token, "Ayu Lestari")[0] == 201
    with app.app_context():
        from registry.services.checkpoints import latest

        _size, note = latest()
    witness = env.instance / "checkpoint.witness"
    witness.write_text(note, encoding="utf-8")  # one bare note, as earlier releases wrote it
    os.chmod(witness, 0o600)
    create_app(env.config())
    assert _sign(app, token, "Budi Santoso")[0] == 201
    assert json.loads(witness.read_text())["format"] == "ikrar-witness/1"


def test_demo_passwords_are_kept_per_database(app: Flask, env: Env, tmp_path: Path) -> None:
    from registry.cli.accounts import demo_accounts
    from registry.services import accounts

    app.instance_path = str(env.instance / "inst")
    with app.app_context():
        first = demo_accounts()
        assert len(first) == 3
    other = create_app(
        env.config()
        | {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
            "IKRAR_WITNESS_FILE": tmp_path / "other.witness",  # only the demo file is under test here
        },
        startup_checks=False,
    )
    initialise(other, demo=False)
    other.instance_path = app.instance_path
    with other.app_context():
        second = demo_accounts()  # a database without users gets its own accounts and passwords
        assert len(second) == 3 and {p for *_, p in second}.isdisjoint({p for *_, p in first})
        for _role, username, _password in second:
            assert accounts.by_username(username) is not None, username
    third = create_app(
        env.config()
        | {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'third.sqlite3'}",
            "IKRAR_WITNESS_FILE": tmp_path / "third.witness",
        },
        startup_checks=False,
    )
    initialise(third, demo=False)
    third.instance_path = app.instance_path
    with third.app_context():
        accounts.create_user("kepala", "Kepala", "admin", "correct horse battery staple")
        assert demo_accounts() == []  # its accounts are not the demo's: no password to print
    with app.app_context():
        assert demo_accounts() == first
    for application in (other, third):
        with application.app_context():
            from registry.extensions import db

            db.engine.dispose()
