"""The password policy (OWASP ASVS 5.0 §6.2) and password change, on the web and from the CLI."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Env, Ran, csrf_token, ikrar, sign_in

WEAK = ("password1234", "aaaaaaaaaaaa", "123456789012")
PASSWORD = "correct horse battery staple"
NEW = "bunga kenanga di tepi kali"


def _stdin(env: Env, text: str, *args: str) -> Ran:
    """``ikrar ARGS`` with ``text`` on its standard input, in this process (tests.conftest.ikrar)."""
    return ikrar(env, *args, input=text)


@pytest.mark.parametrize("weak", WEAK)
def test_v5_0_0_6_2_4_weak_passwords_are_refused_by_the_policy(weak: str) -> None:
    from registry.services import passwords

    assert passwords.problem(weak) is not None


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("qwertyuiop12", "on a list of common passwords"),
        ("Password1234!", "only digits or symbols added"),
        ("Administrator2024", "only digits or symbols added"),
        ("zyxwvutsrqpo", "run like 123456"),
        ("0987654321098", "run like 123456"),
        ("ikrar-event-tablet", "name of this registry"),
        ("sekar-purbalingga-9", "name of this registry"),
        ("short one", "at least 12 characters"),
        ("x" * 1025, "at most 1024 characters"),
    ],
)
def test_policy_refusals_say_why(password: str, why: str) -> None:
    from registry.services import passwords

    with pytest.raises(Exception, match=why):
        passwords.check(password)


def test_v5_0_0_6_2_5_no_composition_rules_and_6_2_9_long_passwords() -> None:
    from registry.services import passwords

    for good in (
        "bunga kenanga di tepi kali",  # lower case and spaces only
        "Sup3r-L0ng-Un1que?",
        "garuda 🦅 terbang tinggi",  # any Unicode
        "merapi " * 18 + "!",  # 128 characters
        "c" + "a" * 63,  # 64 characters, not one repeated character
    ):
        assert passwords.problem(good) is None, good
    assert passwords.problem("a" * 64) is not None
    assert passwords.problem("tono.secret.words", "tono") is not None
    assert passwords.problem("tono.secret.words", "siti") is None


def test_the_common_list_ships_with_the_package() -> None:
    from registry.services import passwords

    listed = passwords.common_passwords()
    assert len(listed) == 30000 and "password" in listed and "password1234" in listed
    assert (passwords.COMMON_LIST.parent / "README.md").exists()


def test_weak_passwords_are_refused_by_the_cli(app: Flask, env: Env) -> None:
    for weak in WEAK:
        done = _stdin(env, weak + "\n", "users", "create", "budi", "--role", "operator", "--password-stdin")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "password" in done.stderr
    created = _stdin(
        env, PASSWORD + "\n", "users", "create", "budi", "--role", "operator", "--password-stdin"
    )
    assert created.returncode == 0, created.stderr
    for weak in WEAK:
        done = _stdin(env, weak + "\n", "users", "password", "budi", "--password-stdin")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    same_as_user = _stdin(env, "budi budi budi budi\n", "users", "password", "budi", "--password-stdin")
    assert same_as_user.returncode == 1 and "username" in same_as_user.stderr


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> tuple[int, str]:
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"current": current, "password": new, "confirm": new if confirm is None else confirm,
              "csrf_token": token},
    )  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def _hash(app: Flask, username: str) -> str:
    from registry.services import accounts

    with app.app_context():
        user = accounts.by_username(username)
        assert user is not None
        return str(user.password_hash)


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/home")
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def _login(client: FlaskClient, username: str, password: str) -> int:
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    ).status_code


def test_v5_0_0_6_2_2_web_password_change_ends_the_other_sessions(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "operator", username="hana")
    other = app.test_client()
    assert _login(other, "hana", PASSWORD) == 303
    before = _hash(app, "hana")
    copied = client.get_cookie("ikrar_session")
    assert copied is not None

    for weak in WEAK:
        status, page = _change(client, PASSWORD, weak)
        assert status == 400 and 'id="password-error"' in page, weak
    status, page = _change(client, "wrong current password", NEW)
    assert status == 400 and "sekarang salah" in page  # ASVS 6.2.3
    status, page = _change(client, PASSWORD, NEW, confirm=NEW + "x")
    assert status == 400
    assert _hash(app, "hana") == before and _signed_in(other)
    no_csrf = client.post("/account/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert no_csrf.status_code == 400 and _hash(app, "hana") == before

    status, page = _change(client, PASSWORD, NEW)
    assert status == 303
    assert _hash(app, "hana") != before
    assert _signed_in(client)  # this browser carries on, on a new session id
    assert not _signed_in(other)  # the other browser's session ended
    thief = app.test_client()
    thief.set_cookie("ikrar_session", copied.value)
    assert not _signed_in(thief)  # so did any copy of this browser's old cookie
    fresh = app.test_client()
    assert _login(fresh, "hana", PASSWORD) == 200  # the old password no longer works
    assert _login(fresh, "hana", NEW) == 303


def test_password_change_page_needs_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cli_password_reset_ends_every_session(app: Flask, env: Env, client: FlaskClient) -> None:
    sign_in(app, client, "auditor", username="indra")
    done = _stdin(env, NEW + "\n", "users", "password", "indra", "--password-stdin")
    assert done.returncode == 0, done.stderr
    assert not _signed_in(client)
    assert _login(client, "indra", NEW) == 303
    generated = _stdin(env, "", "users", "password", "indra", "--generate")
    assert generated.returncode == 0 and "password: " in generated.stdout
    assert not _signed_in(client)
    new = generated.stdout.strip().splitlines()[-1].removeprefix("password: ")
    assert _login(client, "indra", new) == 303
    missing = _stdin(env, NEW + "\n", "users", "password", "nobody-here", "--password-stdin")
    assert missing.returncode == 1 and "no user" in missing.stderr and "Traceback" not in missing.stderr


def test_demo_passwords_pass_the_policy(app: Flask) -> None:
    from registry.cli.accounts import demo_accounts
    from registry.services import passwords

    with app.app_context():
        accounts = demo_accounts()
    assert accounts
    for _role, username, password in accounts:
        assert passwords.problem(password, username) is None
