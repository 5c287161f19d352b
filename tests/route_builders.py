"""Werkzeug's URL builders, compiled once per rule shape in a test process instead of once per app.

Each ``create_app`` adds ~290 rules, and werkzeug compiles two small Python functions per rule from
an AST (``Rule._compile_builder``): cProfile put that at 0.3-0.5 s of CPU per application built,
the largest cost left in a test's set-up. The compiled function depends only on the rule's parsed
parts and whether unknown arguments are appended; it reaches the rule and its converters through
its ``self`` argument. So a rule with the same parts reuses the same function, bound to its own
rule as werkzeug binds it. Rules with defaults (which werkzeug folds into the code through a
converter) are compiled as usual. Only the tests do this; the application is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_compiled: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def install() -> None:
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "_ikrar_cached", False):
        return  # another werkzeug: build as it does

    def compile_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        if self.defaults:
            return original(self, append_unknown)  # type: ignore[no-any-return]
        key = (self.rule, tuple(self._trace), append_unknown)
        builder = _compiled.get(key)
        if builder is None:
            builder = _compiled[key] = original(self, append_unknown)
        return builder

    compile_builder._ikrar_cached = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]
