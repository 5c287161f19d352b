"""Keep ``pytest -m "not slow"`` fast: a test that starts another process must be marked ``slow``.

Starting a Python process costs ~0.5–1 s here, more than a hundred ordinary tests; a few
unmarked ones would double the inner loop. So every process a test starts (``subprocess``,
``multiprocessing``) is noted while it runs, and a test that started one without the ``slow``
marker fails at teardown, naming what it started. Tests with a live server or a browser are
marked automatically (tests/conftest.py); CLI behaviour that needs no process of its own runs
in process through ``tests.conftest.ikrar``.
"""

from __future__ import annotations

import multiprocessing.process
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

_started: list[str] | None = None  # what the running test started; None between tests

_execute_child = subprocess.Popen._execute_child  # type: ignore[attr-defined]
_process_start = multiprocessing.process.BaseProcess.start


def _noting_execute_child(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> Any:
    if _started is not None:
        _started.append(" ".join(map(str, args))[:120] if isinstance(args, list | tuple) else str(args)[:120])
    return _execute_child(self, args, *rest, **kwargs)


def _noting_start(self: multiprocessing.process.BaseProcess) -> None:
    if _started is not None:
        _started.append(f"multiprocessing {self.name}")
    _process_start(self)


subprocess.Popen._execute_child = _noting_execute_child  # type: ignore[attr-defined]
multiprocessing.process.BaseProcess.start = _noting_start  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _slow_if_it_starts_processes(request: pytest.FixtureRequest) -> Iterator[None]:
    global _started
    _started = started = []
    try:
        yield
    finally:
        _started = None
    if started and request.node.get_closest_marker("slow") is None:
        pytest.fail(
            f"this test started {len(started)} process(es), first: {started[0]!r}; mark it "
            "@pytest.mark.slow or run the command in process (tests.conftest.ikrar)",
            pytrace=False,
        )
