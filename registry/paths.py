"""Where the application's own files are, in a checkout and in an installed wheel.

A checkout keeps ``templates/`` and ``migrations/`` at its top, beside ``registry/``. A wheel has no
checkout around it: setup.py ships the same folders as ``registry/_templates`` and
``registry/_migrations``, and copies the files /audit offers for download (tools/verify_log.py,
docs/FORMATS.md) into ``registry/_downloads``. The packaged copy, when present, wins; an editable
install has none.
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


def _download(checkout_path: str) -> Path:
    """A file the /audit page offers: setup.py copies it into ``registry/_downloads`` for a wheel."""
    packaged = PACKAGE / "_downloads" / Path(checkout_path).name
    return packaged if packaged.is_file() else CHECKOUT / checkout_path


TEMPLATES = _shipped("templates")
MIGRATIONS = _shipped("migrations")
# The independent log checker and the byte formats, downloadable from /audit (registry/web/audit.py).
DOWNLOADS = {"verify_log.py": _download("tools/verify_log.py"), "FORMATS.md": _download("docs/FORMATS.md")}
