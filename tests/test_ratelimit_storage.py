"""The memory:// rate-limit storage Ikrar registers is the thread-safe one, and holds under threads."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from registry.ratelimit import ThreadSafeMemoryStorage


def test_memory_scheme_is_the_thread_safe_storage() -> None:
    import registry.extensions  # noqa: F401 - what the application imports

    assert isinstance(storage_from_string("memory://"), ThreadSafeMemoryStorage)


class _SlowTimer(threading.Timer):
    """A timer slow to construct: widens the window in which two threads both see no live timer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.002)
        super().__init__(*args, **kwargs)


def _hammer(storage: Any, seconds: float) -> list[BaseException]:
    limiter = FixedWindowRateLimiter(storage)
    item = RateLimitItemPerSecond(1_000_000, 1)
    errors: list[BaseException] = []
    deadline = time.monotonic() + seconds

    def hit(n: int) -> None:
        try:
            while time.monotonic() < deadline:
                limiter.hit(item, f"client-{n % 4}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_expiry_timer_restarts_from_many_threads_without_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under these conditions limits 5.8's own MemoryStorage fails within a second
    # ("threads can only be started once"): several request threads restart the timer at once.
    # A switch interval of a microsecond lets another thread run between assigning the new
    # timer and starting it, which is where the race lives.
    monkeypatch.setattr(threading, "Timer", _SlowTimer)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        assert _hammer(storage_from_string("memory://"), 1.0) == []
    finally:
        sys.setswitchinterval(interval)
