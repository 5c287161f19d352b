"""Online guessing: growing waits per account (and per account and address), never a lock-out of others.

The throttle's clock is replaced by one the test moves, so the waits are read from
``Retry-After`` and skipped without sleeping.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from registry.extensions import db
from registry.services import accounts, throttle
from tests.conftest import csrf_token
from tests.test_kiosk import enrol

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(app: Flask) -> Clock:
    fake = Clock()
    app.extensions["ikrar.throttle"].clock = fake
    return fake


@pytest.fixture
def loose(app: Flask) -> None:
    # IKRAR_LOGIN_LIMIT counts in real time; these tests look at the waits alone.
    app.config["IKRAR_LOGIN_LIMIT"] = "1000 per minute"


def _user(app: Flask, username: str) -> None:
    with app.app_context():
        accounts.create_user(username, f"Staf {username}", "auditor", PASSWORD)


def _login(client: FlaskClient, username: str, password: str, address: str = "127.0.0.1") -> Any:
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        environ_base=environ,
    )


def _wait_of(response: Any) -> int:
    assert response.status_code == 429, response.status_code
    return int(response.headers["Retry-After"])


@pytest.mark.usefixtures("loose")
def test_waits_double_up_to_fifteen_minutes_and_never_lock_out(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    _user(app, "staf-a")
    assert [_login(client, "staf-a", WRONG).status_code for _ in range(3)] == [200, 200, 200]
    waits = []
    for _ in range(13):
        refused = _login(client, "staf-a", WRONG)
        waits.append(_wait_of(refused))
        clock.advance(waits[-1])
        assert _login(client, "staf-a", WRONG).status_code == 200  # checked (and wrong) after the wait
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    during = _login(client, "staf-a", PASSWORD)  # even the right password waits: it is not checked
    assert _wait_of(during) == 900
    text = during.get_data(as_text=True)
    assert "Terlalu banyak percobaan masuk yang gagal untuk akun ini" in text and "900 detik" in text
    clock.advance(900)
    assert _login(client, "staf-a", PASSWORD).status_code == 303


@pytest.mark.usefixtures("loose")
def test_the_right_password_after_the_wait_starts_afresh(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    _user(app, "staf-a")
    for _ in range(3):
        _login(client, "staf-a", WRONG)
    assert _wait_of(_login(client, "staf-a", PASSWORD)) == 1
    clock.advance(1)
    assert _login(client, "staf-a", PASSWORD).status_code == 303
    fresh = app.test_client()
    assert [_login(fresh, "staf-a", WRONG).status_code for _ in range(3)] == [200, 200, 200]
    assert _wait_of(_login(fresh, "staf-a", WRONG)) == 1


def test_one_address_cannot_lock_out_the_others(app: Flask, clock: Clock) -> None:
    """Before: 10 failures from one address (a shared NAT) answered 429 to every account there."""
    for name in ("staf-a", "staf-b"):
        _user(app, name)
    nat = "192.0.2.1"
    attacker = app.test_client()
    statuses = [_login(attacker, "staf-a", WRONG, nat).status_code for _ in range(12)]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}
    # A colleague behind the same NAT, on their own account.
    assert _login(app.test_client(), "staf-b", PASSWORD, nat).status_code == 303
    # The attacked staff member, from their own address.
    assert _login(app.test_client(), "staf-a", PASSWORD, "198.51.100.2").status_code == 303


@pytest.mark.usefixtures("loose")
def test_guessing_from_many_addresses_waits_per_account(app: Flask, clock: Clock) -> None:
    _user(app, "staf-a")
    for i in range(throttle.ACCOUNT_FREE):
        assert _login(app.test_client(), "staf-a", WRONG, f"203.0.113.{i}").status_code == 200
    newcomer = app.test_client()
    assert _wait_of(_login(newcomer, "staf-a", WRONG, "203.0.113.200")) == 1
    clock.advance(1)
    assert _login(newcomer, "staf-a", WRONG, "203.0.113.200").status_code == 200
    assert _wait_of(_login(newcomer, "staf-a", PASSWORD, "198.51.100.2")) == 2
    clock.advance(2)
    assert _login(newcomer, "staf-a", PASSWORD, "198.51.100.2").status_code == 303


def test_login_limit_counts_failures_per_account_and_address(app: Flask, clock: Clock) -> None:
    app.config["IKRAR_LOGIN_LIMIT"] = "5 per hour"
    for name in ("staf-a", "staf-b"):
        _user(app, name)
    client = app.test_client()
    statuses = []
    for _ in range(7):
        statuses.append(_login(client, "staf-a", WRONG).status_code)
        clock.advance(throttle.CAP_SECONDS)  # past every wait: only IKRAR_LOGIN_LIMIT can refuse
    assert statuses == [200] * 5 + [429] * 2
    # Successful sign-ins are not counted, and another account from the same address is not blocked.
    assert [_login(app.test_client(), "staf-b", PASSWORD).status_code for _ in range(7)] == [303] * 7


def test_parallel_attempts_get_no_extra_guesses(app: Flask, clock: Clock) -> None:
    checker = app.extensions["ikrar.throttle"]
    # Ten attempts begun before any has been answered: only the free ones may check a password.
    begun = [checker.begin("staf-a", "192.0.2.1") for _ in range(10)]
    attempts = [a for a in begun if isinstance(a, throttle.Attempt)]
    assert len(attempts) == throttle.PAIR_FREE
    assert {a.seconds for a in begun if isinstance(a, throttle.Wait)} == {1}
    for attempt in attempts:
        checker.report(attempt, right_password=False)
    assert checker.begin("staf-a", "192.0.2.1") == throttle.Wait(1)
    clock.advance(1)
    second = [checker.begin("staf-a", "192.0.2.1") for _ in range(5)]
    assert sum(isinstance(a, throttle.Attempt) for a in second) == 1  # one guess per wait


def test_a_failure_reported_while_others_are_in_flight_opens_no_new_place(app: Flask, clock: Clock) -> None:
    # The interleaving that let six of six parallel guesses through under two gunicorn workers:
    # once the first failure was recorded, attempts still in flight no longer counted.
    checker = app.extensions["ikrar.throttle"]
    first = [checker.begin("staf-a", "192.0.2.1") for _ in range(throttle.PAIR_FREE)]
    assert all(isinstance(a, throttle.Attempt) for a in first)
    checked = len(first)
    for attempt in first:
        checker.report(attempt, right_password=False)
        # Each failure frees a place but also uses up a free guess: the two cancel out.
        late = checker.begin("staf-a", "192.0.2.1")
        if isinstance(late, throttle.Attempt):
            checked += 1
            checker.report(late, right_password=False)
    assert checked == throttle.PAIR_FREE
    assert isinstance(checker.begin("staf-a", "192.0.2.1"), throttle.Wait)


@pytest.mark.usefixtures("loose")
def test_a_check_that_breaks_gives_its_place_back_uncounted(app: Flask, clock: Clock) -> None:
    _user(app, "staf-c")
    client = app.test_client()
    # The password check itself fails (its table is gone behind the app's back): an error, not a
    # guess. Without giving its place back the attempt would hold it until the count expires.
    token = csrf_token(client, "/login")
    with app.app_context():
        db.session.execute(text("ALTER TABLE user_account RENAME TO user_account_away"))
        db.session.commit()
    try:
        broken = client.post("/login", data={"username": "staf-c", "password": WRONG, "csrf_token": token})
        assert broken.status_code == 500
    finally:
        with app.app_context():
            db.session.rollback()
            db.session.execute(text("ALTER TABLE user_account_away RENAME TO user_account"))
            db.session.commit()
    statuses = [_login(client, "staf-c", WRONG).status_code for _ in range(throttle.PAIR_FREE + 1)]
    assert statuses == [200] * throttle.PAIR_FREE + [429]


def test_threads_guessing_at_once_check_only_the_free_guesses(app: Flask, clock: Clock) -> None:
    import random
    import threading
    import time

    checker = app.extensions["ikrar.throttle"]
    checked: list[int] = []
    rng = random.Random(7)
    pauses = [rng.random() / 500 for _ in range(64)]

    def guess(index: int) -> None:
        for round_ in range(4):
            attempt = checker.begin("staf-b", "192.0.2.9")
            if isinstance(attempt, throttle.Attempt):
                checked.append(index)
                time.sleep(pauses[index * 4 + round_])  # the password is being checked
                checker.report(attempt, right_password=False)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == throttle.PAIR_FREE  # the clock stands still: no wait ever ends


@pytest.mark.usefixtures("loose")
def test_kiosk_exit_shares_the_protection(app: Flask, client: FlaskClient, clock: Clock) -> None:
    enrol(app, client, username="tablet-opr")
    # Two wrong passwords for the operator on the sign-in page, from the same address …
    for _ in range(2):
        assert _login(app.test_client(), "tablet-opr", WRONG).status_code == 200
    token = csrf_token(client, "/kiosk/leave")

    def leave(password: str) -> Any:
        return client.post(
            "/kiosk/leave", data={"username": "tablet-opr", "password": password, "csrf_token": token}
        )

    # … and one at the tablet: the next attempt anywhere waits.
    assert leave(WRONG).status_code == 403
    refused = leave(PASSWORD)
    assert _wait_of(refused) == 1
    assert "Coba lagi dalam 1 detik" in refused.get_data(as_text=True)
    assert _wait_of(_login(app.test_client(), "tablet-opr", PASSWORD)) == 1
    clock.advance(1)
    assert leave(PASSWORD).status_code == 303
