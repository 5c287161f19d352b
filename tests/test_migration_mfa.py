"""Migration 0012 (MFA): on a 0011 database every live staff session ends (it was password-only),
accounts start not enrolled; it downgrades and upgrades again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from registry.app import create_app
from registry.extensions import db
from tests.conftest import Env, ikrar


def test_upgrade_from_0011_ends_live_sessions_and_downgrades(env: Env) -> None:
    app = create_app(env.config(), startup_checks=False)
    directory = app.extensions["migrate"].directory
    now = datetime.now(UTC)
    stamp = now.replace(tzinfo=None) if env.database_url.startswith("sqlite") else now
    with app.app_context():
        upgrade(directory=directory, revision="0011")
        db.session.execute(
            text(
                "INSERT INTO user_account (id, public_id, username, display_name, role, password_hash,"
                " active, created_at) VALUES (1, 'usr_a', 'ani', 'Ani', 'admin', 'x', :t, :now)"
            ),
            {"t": True, "now": stamp},
        )
        db.session.execute(
            text(
                "INSERT INTO staff_session (id_sha256, user_id, created_at, last_seen_at, expires_at)"
                " VALUES (:id, 1, :now, :now, :later)"
            ),
            {"id": "a" * 64, "now": stamp, "later": stamp + timedelta(hours=12)},
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    done = ikrar(env, "init")
    assert done.returncode == 0, done.stderr
    with app.app_context():
        revoked = db.session.execute(text("SELECT revoked_at FROM staff_session")).scalar_one()
        enabled, secret = db.session.execute(text("SELECT mfa_enabled, mfa_secret FROM user_account")).one()
        assert revoked is not None and not enabled and secret is None
        assert "mfa_recovery_code" in inspect(db.engine).get_table_names()
        db.session.remove()
        downgrade(directory=directory, revision="0011")
        columns = {column["name"] for column in inspect(db.engine).get_columns("user_account")}
        assert "mfa_secret" not in columns
        assert "mfa_recovery_code" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
    assert ikrar(env, "init").returncode == 0
