"""Password hashing cost: production argon2id parameters, and the tests-only cheaper setting."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from flask import Flask

from registry.app import create_app
from registry.config import PRODUCTION_ARGON2, Argon2Cost, ConfigError
from registry.extensions import db
from registry.services import accounts
from tests.conftest import TEST_ARGON2, Env


def test_production_hashes_with_rfc9106_parameters(app: Flask, env: Env) -> None:
    config = env.config()
    del config["IKRAR_ARGON2"]
    config["TESTING"] = False  # what `ikrar serve` builds: no override of the cost
    production = create_app(config, startup_checks=False)
    assert production.config["IKRAR_ARGON2"] == PRODUCTION_ARGON2 == (3, 64 * 1024, 4)
    with production.app_context():
        user = accounts.create_user("ratna", "Ratna", "operator", "a long enough password")
        parameters = extract_parameters(user.password_hash)
        assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)
        assert accounts.authenticate("ratna", "a long enough password") is not None
        assert accounts.authenticate("ratna", "a wrong password, long") is None
        # Close this second app's pooled connections now, not at garbage collection.
        db.session.remove()
        db.engine.dispose()


def test_tests_hash_cheaply(app: Flask) -> None:
    with app.app_context():
        user = accounts.create_user("bayu", "Bayu", "operator", "a long enough password")
        parameters = extract_parameters(user.password_hash)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == TEST_ARGON2


@pytest.mark.parametrize("cost", [(2, 64 * 1024, 4), (3, 19 * 1024, 4), (3, 64 * 1024, 1)])
def test_a_lower_cost_is_refused_outside_tests(env: Env, cost: tuple[int, int, int]) -> None:
    config = env.config() | {"TESTING": False, "IKRAR_ARGON2": Argon2Cost(*cost)}
    with pytest.raises(ConfigError, match="tests only"):
        create_app(config, startup_checks=False)


def test_a_higher_cost_is_allowed(env: Env) -> None:
    config = env.config() | {"TESTING": False, "IKRAR_ARGON2": (4, 128 * 1024, 4)}
    assert create_app(config, startup_checks=False).config["IKRAR_ARGON2"] == (4, 128 * 1024, 4)
