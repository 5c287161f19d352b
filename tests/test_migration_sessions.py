"""Migration 0008 (staff sessions): ``ikrar init`` on a fresh database and on a 0006 database."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from registry.app import create_app
from registry.extensions import db
from registry.services import accounts
from tests.conftest import Env, ikrar

PASSWORD = "correct horse battery staple"


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        names = set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()
    return names


def test_ikrar_init_upgrades_a_0006_database_and_sign_in_works(env: Env) -> None:
    app = create_app(env.config(), startup_checks=False)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="0006")
    assert "staff_session" not in _tables(app)
    done = ikrar(env, "init")
    assert done.returncode == 0, done.stderr
    assert "staff_session" in _tables(app)
    with app.app_context():
        accounts.create_user("lestari", "Lestari", "admin", PASSWORD)
        db.session.remove()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "lestari", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert client.get("/admin/commitments").status_code == 200
    with app.app_context():
        downgrade(directory=app.extensions["migrate"].directory, revision="0006")
        db.session.remove()
        db.engine.dispose()
    assert "staff_session" not in _tables(app)
    assert ikrar(env, "init").returncode == 0
    assert "staff_session" in _tables(app)


def test_ikrar_init_on_a_fresh_database(env: Env) -> None:
    done = ikrar(env, "init")
    assert done.returncode == 0, done.stderr
    app = create_app(env.config(), startup_checks=False)
    assert {"staff_session", "user_account"} <= _tables(app)
