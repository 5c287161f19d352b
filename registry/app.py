"""The application factory: settings, extensions, blueprints, error handlers, security headers."""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask

from registry import config as settings
from registry import instance_files, proxies
from registry.db import configure_engine
from registry.extensions import babel, csrf, db, limiter, login_manager, migrate
from registry.paths import MIGRATIONS, TEMPLATES
from registry.services import throttle
from registry.services.keyring import ActiveSigners, KeySettings


def create_app(test_config: dict[str, Any] | None = None, *, startup_checks: bool = True) -> Flask:
    """Build the application; with ``startup_checks`` it refuses to start on a key or schema problem."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        instance_relative_config=True,
        instance_path=settings.instance_dir(),
    )
    app.config.from_mapping(settings.load(app.instance_path, test_config))
    instance_files.secure(app)  # before the first connection creates the SQLite files
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    proxies.install(app)
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
    from registry.web import dates, reasons, throttled
    from registry.web.auth import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_locale="id", default_timezone="Asia/Jakarta")
    # Before the limiter: Flask runs after-request hooks last-registered first, and a throttle
    # wait's Retry-After must be set after Flask-Limiter's own (a window reset) is written.
    throttled.register(app)
    limiter.init_app(app)
    throttle.init_app(app)
    app.jinja_env.globals["get_locale"] = flask_babel.get_locale
    dates.register(app)
    reasons.register(app)
    with app.app_context():
        configure_engine(db.engine)
    app.extensions["ikrar.signers"] = ActiveSigners(key_settings(app))


def key_settings(app: Flask) -> KeySettings:
    return KeySettings(
        directory=app.config["IKRAR_KEYS_DIR"],
        passphrase=app.config["IKRAR_KEY_PASSPHRASE"],
        passphrase_file=app.config["IKRAR_KEY_PASSPHRASE_FILE"],
        fast_test_kdf=bool(app.config.get("IKRAR_TEST_FAST_KDF")),
    )


def register_blueprints(app: Flask) -> None:
    from registry.web.converters import RowNumberConverter

    # Before the rules that use it: a version number beyond a row's range matches no route (404).
    app.url_map.converters["row"] = RowNumberConverter

    from registry.api import bp as api
    from registry.api import discovery_bp, log_bp
    from registry.web import live_screen_views, roll_views  # noqa: F401 - add /c pages to the public blueprint
    from registry.web.account_views import account
    from registry.web.admin import admin
    from registry.web.audit import audit
    from registry.web.auth import auth
    from registry.web.branding_views import emblems
    from registry.web.kiosk import kiosk
    from registry.web.operator_views import operator
    from registry.web.privacy import privacy
    from registry.web.public import public
    from registry.web.verify_views import verify
    from registry.web.views import web

    csrf.exempt(api)  # bearer-token API; the kiosk's cookie-authenticated calls check CSRF themselves
    app.register_blueprint(auth)
    app.register_blueprint(api)
    app.register_blueprint(discovery_bp)
    app.register_blueprint(web)
    app.register_blueprint(log_bp)
    app.register_blueprint(audit)
    app.register_blueprint(operator)
    app.register_blueprint(kiosk)
    app.register_blueprint(admin)
    app.register_blueprint(emblems)
    app.register_blueprint(verify)
    app.register_blueprint(privacy)
    app.register_blueprint(account)
    app.register_blueprint(public)


def register_errorhandlers(app: Flask) -> None:
    from registry.api.problems import register

    register(app)


def register_security(app: Flask) -> None:
    from registry import security_log
    from registry.web import auth, security
    from registry.web.body_limit import ChunkedBodyLimit

    # A chunked body is held to MAX_CONTENT_LENGTH as a declared one is (413), not cut at it.
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, lambda: app.config.get("MAX_CONTENT_LENGTH"))  # type: ignore[method-assign]
    security.register(app)
    auth.register(app)
    security_log.register(app)
