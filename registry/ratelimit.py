"""A thread-safe ``memory://`` storage for Flask-Limiter, registered over the library's own.

limits 5.8's MemoryStorage restarts its expiry timer from whichever request thread notices it
stopped, without a lock: two gunicorn gthread threads can both replace the timer and then both
start the same one, and the second gets ``RuntimeError: threads can only be started once``, a
500 for a verify request. The news-spike load test hit it once in 45,000 requests
(docs/PERFORMANCE.md). Upstream fix: alisaifee/limits pull request 352; remove this module when
the pinned release carries it.
"""

from __future__ import annotations

import threading
from typing import Any

from limits.storage import MemoryStorage


class ThreadSafeMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry-timer restart is serialised; registered as the ``memory`` scheme."""

    STORAGE_SCHEME = ["memory"]  # noqa: RUF012 - the registry reads it at class creation

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        self._timer_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._timer_lock = threading.Lock()
        super().__setstate__(state)

    # The base class calls its private ``__schedule_expiry``; this is that name, mangled.
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._timer_lock:
            if not self.timer.is_alive():
                timer = threading.Timer(0.01, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
                timer.daemon = True  # never keeps a stopping worker alive
                self.timer = timer
                timer.start()
