"""Where the application's own files are, in a checkout and in an installed wheel.

A checkout keeps ``templates/`` and ``migrations/`` at its top, beside ``registry/``. A wheel has no
checkout around it: setup.py ships the same folders as ``registry/_templates`` and
``registry/_migrations``. The packaged copy, when present, wins; an editable install has none.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def _shipped(name: str) -> Path:
    packaged = PACKAGE / f"_{name}"
    return packaged if packaged.is_dir() else CHECKOUT / name


def installed() -> bool:
    """True in a wheel install (no checkout around the package)."""
    return (PACKAGE / "_templates").is_dir()


TEMPLATES = _shipped("templates")
MIGRATIONS = _shipped("migrations")
