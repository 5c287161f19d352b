"""Ikrar: a registry for signed public commitments.

Importing this package loads nothing else, so ``registry.core`` stays free of Flask and the
database for the offline verifiers; the application lives in ``registry.app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, *, startup_checks: bool = True) -> Flask:
    """The application factory (see ``registry.app.create_app``)."""
    from registry.app import create_app as factory

    return factory(test_config, startup_checks=startup_checks)
