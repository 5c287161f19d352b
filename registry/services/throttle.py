"""Online guessing: growing waits per account after failed sign-ins, never a permanent lock-out.

Two counters per attempt, both in the rate-limit store (``IKRAR_RATELIMIT_STORAGE``), so every
worker and every server sees the same counts:

- per account and client address: after ``PAIR_FREE`` failures each further attempt from that
  address must wait 1 s, 2 s, 4 s … up to ``CAP_SECONDS``; other addresses are not affected, so
  one client behind a shared NAT cannot lock its colleagues out;
- per account from anywhere: the same waits after ``ACCOUNT_FREE`` failures, so guessing from
  many addresses is slowed down too.

A wait is answered 429 with ``Retry-After`` and the password is not even checked; the wait is
never longer than ``CAP_SECONDS`` and a right password after it clears both counters. Usernames
are only ever stored hashed. At most the allowed number of attempts per account are checked at
once: each counter keeps the number of attempts in flight (taken in ``begin``, given back only
after ``failed`` or ``succeeded`` has recorded the outcome), so a burst of parallel requests gets
no more guesses than a patient client. The clock is injectable for tests
(``app.extensions["ikrar.throttle"].clock``).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from limits.storage import Storage, storage_from_string

PAIR_FREE = 3
ACCOUNT_FREE = 10
BASE_SECONDS = 1  # IKRAR_LOGIN_DELAY
CAP_SECONDS = 15 * 60
# Failures are forgotten this long after the first one of a series (or at a right password).
WINDOW_SECONDS = 24 * 60 * 60
# An attempt that never reports back (its worker died) holds its place in flight no longer than
# this: the in-flight count expires this long after it was first taken, and restarts from zero.
FLIGHT_SECONDS = 60
PREFIX = "ikrar-throttle"


@dataclass(frozen=True)
class Wait:
    """Refused: come back after ``seconds``."""

    seconds: int


@dataclass(frozen=True)
class Attempt:
    """Allowed: report the outcome with ``failed`` or ``succeeded``."""

    scopes: tuple[tuple[str, int], ...]  # (counter key, free failures)


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def account_name(username: str | None) -> str:
    # The same normalisation as accounts.authenticate, so "Admin " and "admin" share a counter.
    return (username or "").strip().lower()


class Throttle:
    def __init__(
        self, storage: Storage, clock: Callable[[], float] = time.time, base_seconds: int = BASE_SECONDS
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.base_seconds = base_seconds

    def _scopes(self, username: str | None, address: str, kind: str) -> tuple[tuple[str, int], ...]:
        account = account_name(username)
        prefix = PREFIX if kind == "password" else f"{PREFIX}:{kind}"
        return (
            (f"{prefix}:pair:{digest(account, address)}", PAIR_FREE),
            (f"{prefix}:account:{digest(account)}", ACCOUNT_FREE),
        )

    def begin(self, username: str | None, address: str, kind: str = "password") -> Attempt | Wait:
        """May this address try a password (``kind="mfa"``: a second-factor code) for this account now?

        Codes count apart from passwords: a right password must not clear the failures of the code
        step, or knowing the password would allow unlimited guessing of codes, three at a time."""
        now_ms = int(self.clock() * 1000)
        scopes = self._scopes(username, address, kind)
        waits = [self.storage.get(f"{key}:until") - now_ms for key, _ in scopes]
        if any(wait > 0 for wait in waits):  # the cheap refusal, before taking a place in flight
            return Wait(min(CAP_SECONDS, math.ceil(max(waits) / 1000)))
        taken: list[str] = []
        for key, free in scopes:
            in_flight = self.storage.incr(f"{key}:flight", FLIGHT_SECONDS)
            taken.append(key)
            # Read the counts only after taking the place: an attempt that reported its failure
            # before this read is counted in ``failures``; one that had not is still in flight.
            # (``failed`` records the failure and the wait before it gives its place back.)
            failures = self.storage.get(f"{key}:fail")
            until = self.storage.get(f"{key}:until")
            # Before the first wait, the free failures left; afterwards one attempt per wait.
            if until > now_ms or in_flight > max(free - failures, 1):
                self._release(taken)
                if until > now_ms:
                    return Wait(min(CAP_SECONDS, math.ceil((until - now_ms) / 1000)))
                return Wait(1)  # other attempts on this account are being checked right now
        return Attempt(scopes)

    def _release(self, keys: list[str]) -> None:
        for key in keys:
            if self.storage.incr(f"{key}:flight", FLIGHT_SECONDS, amount=-1) < 0:
                # The count expired while attempts were in flight (see FLIGHT_SECONDS): they
                # gave back places they no longer held.
                self.storage.clear(f"{key}:flight")

    def failed(self, attempt: Attempt) -> None:
        """A wrong password (or unknown account): count it, start the next wait, then give back the
        attempt's place in flight (in that order: see ``begin``)."""
        for key, free in attempt.scopes:
            failures = self.storage.incr(f"{key}:fail", WINDOW_SECONDS)
            if failures >= free:
                delay = min(self.base_seconds * 2 ** min(failures - free, 20), CAP_SECONDS)
                until_ms = int(self.clock() * 1000) + delay * 1000
                self.storage.clear(f"{key}:until")
                # The value is the end of the wait on the (injectable) clock; the store's own
                # expiry only removes the key once it can no longer matter.
                self.storage.incr(f"{key}:until", delay + FLIGHT_SECONDS, amount=until_ms)
            self._release([key])

    def report(self, attempt: Attempt, *, right_password: bool) -> None:
        if right_password:
            self.succeeded(attempt)
        else:
            self.failed(attempt)

    def abandon(self, attempt: Attempt) -> None:
        """The check itself failed (an error, not a wrong password): give the place back uncounted."""
        self._release([key for key, _ in attempt.scopes])

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: forget the failures of this account (and address)."""
        for key, _ in attempt.scopes:
            self.storage.clear(f"{key}:fail")
            self.storage.clear(f"{key}:until")
            self._release([key])


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    assert isinstance(storage, Storage)  # the configured schemes are all synchronous
    app.extensions["ikrar.throttle"] = Throttle(
        storage, base_seconds=int(app.config.get("IKRAR_LOGIN_DELAY", 1))
    )


def current() -> Throttle:
    throttle: Throttle = current_app.extensions["ikrar.throttle"]
    return throttle
