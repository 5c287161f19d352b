"""Start-up checks: refuse to serve on a missing schema or a missing, undecryptable or wrong key."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import inspect, text

from registry.core.errors import IkrarError
from registry.extensions import db


class StartupError(IkrarError):
    """The registry must not start; the message says what an operator should do."""


def schema_problem(app: Flask) -> str | None:
    """Why the database is not at the current schema, or None when it is."""
    engine = db.engine
    if not inspect(engine).has_table("log_head"):
        return "the database has no Ikrar tables: run `ikrar init`"
    migrate: Migrate = app.extensions["migrate"].migrate
    script = ScriptDirectory.from_config(migrate.get_config())
    with engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if set(current) != set(script.get_heads()):
        return "the database schema is not current: run `ikrar db upgrade`"
    return None


def check(app: Flask) -> None:
    """Raise StartupError, naming the fix, unless schema and active keys are all in order."""
    problem = schema_problem(app)
    if problem:
        raise StartupError(problem)
    signers = app.extensions["ikrar.signers"]
    for purpose in ("record", "log"):
        try:
            signers.for_purpose(purpose)
        except IkrarError as exc:
            raise StartupError(f"refusing to start: {exc}") from exc
    _warn_about_key_files(app)
    from registry.services.checkpoints import witness_problem

    problem = witness_problem()
    if problem:
        raise StartupError(f"refusing to start: {problem}")
    db.session.remove()


def _warn_about_key_files(app: Flask) -> None:
    """Legacy or weak key files still load (an upgrade never locks anyone out) but are named."""
    from registry.app import key_settings
    from registry.services.key_upgrade import stale_files

    settings = key_settings(app)
    if settings.fast_test_kdf:
        app.logger.warning(
            "IKRAR_TEST_FAST_KDF is set: new key files get no passphrase protection (test suite only)"
        )
    for line in stale_files(settings):
        app.logger.warning("%s", line)
