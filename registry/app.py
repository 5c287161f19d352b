"""The application factory: settings, extensions, blueprints, error handlers, security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from registry import config as settings
from registry.db import configure_engine
from registry.extensions import db, migrate
from registry.services.keyring import ActiveSigners, KeySettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = PROJECT_ROOT / "migrations"


def create_app(test_config: dict[str, Any] | None = None, *, startup_checks: bool = True) -> Flask:
    """Build the application; with ``startup_checks`` it refuses to start on a key or schema problem."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"), instance_relative_config=True)
    app.config.from_mapping(settings.load(app.instance_path, test_config))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    if startup_checks:
        from registry.startup import check

        with app.app_context():
            try:
                check(app)
            finally:
                # Whatever the verdict, hold no connection opened for the check (workers fork later).
                db.session.remove()
                db.engine.dispose()
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    with app.app_context():
        configure_engine(db.engine)
    app.extensions["ikrar.signers"] = ActiveSigners(key_settings(app))


def key_settings(app: Flask) -> KeySettings:
    return KeySettings(
        directory=app.config["IKRAR_KEYS_DIR"],
        passphrase=app.config["IKRAR_KEY_PASSPHRASE"],
        passphrase_file=app.config["IKRAR_KEY_PASSPHRASE_FILE"],
    )


def register_blueprints(app: Flask) -> None:
    from registry.api.views import api
    from registry.web.log_views import log
    from registry.web.views import web

    app.register_blueprint(api)
    app.register_blueprint(web)
    app.register_blueprint(log)


def register_errorhandlers(app: Flask) -> None:
    from registry.api.problems import register

    register(app)


def register_security(app: Flask) -> None:
    from registry.web.security import register

    register(app)
