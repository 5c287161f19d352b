"""``ikrar users`` and ``ikrar tokens`` through the real command, and the demo accounts."""

from __future__ import annotations

import json
import os
import stat
import uuid

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from registry.cli import cli
from tests.conftest import Env, Ran, ikrar
from tests.factories import DEMO, scribble


def _with_stdin(runner: FlaskCliRunner, text: str, *args: str) -> Ran:
    # In process on the test app (flaskr's runner), the password read from standard input.
    result = runner.invoke(cli, list(args), input=text)
    return Ran(result.exit_code, result.stdout, result.stderr)


def test_users_create_list_disable(app: Flask, env: Env, client: FlaskClient, runner: FlaskCliRunner) -> None:
    done = _with_stdin(
        runner, "a long enough password\n", "users", "create", "siti", "--role", "admin", "--password-stdin"
    )
    assert done.returncode == 0, done.stderr
    assert "created admin siti (usr_" in done.stdout
    again = _with_stdin(
        runner, "a long enough password\n", "users", "create", "siti", "--role", "admin", "--password-stdin"
    )
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    weak = _with_stdin(runner, "short\n", "users", "create", "budi", "--role", "operator", "--password-stdin")
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr
    bad_role = ikrar(env, "users", "create", "budi", "--role", "king", "--generate")
    assert bad_role.returncode == 2
    generated = ikrar(env, "users", "create", "budi", "--role", "operator", "--generate")
    assert generated.returncode == 0 and "password: " in generated.stdout
    listing = ikrar(env, "users", "list")
    assert "siti" in listing.stdout and "budi" in listing.stdout and "operator" in listing.stdout
    assert ikrar(env, "users", "disable", "budi").returncode == 0
    assert "disabled" in ikrar(env, "users", "list").stdout


def test_token_alone_on_the_last_line_signs_through_the_api(
    app: Flask, env: Env, client: FlaskClient
) -> None:
    created = ikrar(env, "tokens", "create", "--commitment", DEMO, "--label", "skrip impor")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ikr_dev_")
    response = client.post(
        f"/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps(
            {
                "signatory": {
                    "name": "Hana Skrip",
                    "position": "Staf",
                    "institution": "Dinas X",
                    "category": "pemerintah",
                },
                "dimensions": ["smart-living"],
                "consent": {"accepted": True, "public_display": False},
                "strokes": scribble(3),
            }
        ),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        content_type="application/json",
    )
    assert response.status_code == 201, response.get_json()
    credential_id = "_".join(token.split("_")[1:3])
    listing = ikrar(env, "tokens", "list")
    assert credential_id in listing.stdout and "live" in listing.stdout and token not in listing.stdout
    assert ikrar(env, "tokens", "revoke", credential_id).returncode == 0
    assert "revoked" in ikrar(env, "tokens", "list").stdout
    twice = ikrar(env, "tokens", "revoke", credential_id)
    assert twice.returncode == 1 and "already revoked" in twice.stderr
    unknown = ikrar(env, "tokens", "create", "--commitment", "nope")
    assert unknown.returncode == 1 and "no commitment" in unknown.stderr
    neither = ikrar(env, "tokens", "create")
    assert neither.returncode == 2


def test_demo_accounts_are_random_private_and_stable(app: Flask, env: Env) -> None:
    from registry.cli.accounts import demo_accounts

    app.instance_path = str(env.instance / "inst")
    with app.app_context():
        first = demo_accounts()
        second = demo_accounts()
    assert [(r, u) for r, u, _ in first] == [
        ("admin", "admin"),
        ("operator", "operator"),
        ("auditor", "auditor"),
    ]
    assert first == second
    assert len({p for _, _, p in first}) == 3 and all(len(p) >= 16 for _, _, p in first)
    path = env.instance / "inst" / "demo-credentials"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
