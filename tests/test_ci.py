"""The CI script (.ci/run): lint and type checks gate the test suites."""

from __future__ import annotations

import re

from tests.conftest import ROOT

SCRIPT = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return [
        line.strip() for line in SCRIPT.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def _first(pattern: str) -> int:
    lines = _commands()
    return next(i for i, line in enumerate(lines) if re.match(pattern, line))


def test_lint_and_types_run_before_the_tests_and_stop_the_run() -> None:
    assert "set -euo pipefail" in _commands()  # any failing check ends the run with its status
    first_test = _first(r"(\S+=\S+ )*pytest\b")
    for check in (r"ruff check \.$", r"ruff format --check \.$", r"mypy$"):
        assert _first(check) < first_test, check
    install = _first(r"pip install .*-e '\.\[[a-z,]*dev[a-z,]*\]'")
    assert install < _first(r"ruff check")


def test_ci_does_not_look_outside_the_checkout_for_vectors() -> None:
    assert "shared/vectors" not in SCRIPT
    assert "../" not in SCRIPT
