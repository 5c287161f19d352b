"""Stale references and dead code the repository must not grow back."""

from __future__ import annotations

import re

from registry import config
from registry.core import merkle
from tests.conftest import ROOT

TEXT = ("*.py", "*.md", "*.html", "*.js", "*.css", "*.cfg", "*.toml")
FOLDERS = ("registry", "docs", "tools", "bench", "templates", "migrations", ".ci")


def _texts() -> list[tuple[str, str]]:
    files = [ROOT / "README.md", ROOT / ".ci" / "run"]
    for folder in FOLDERS:
        for pattern in TEXT:
            files += (ROOT / folder).rglob(pattern)
    return [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in sorted(set(files))]


def test_every_markdown_file_named_exists_in_the_repository() -> None:
    names = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    missing = [
        (path, mention)
        for path, text in _texts()
        for mention in re.findall(r"[\w./-]+\.md\b", text)
        if mention.rsplit("/", 1)[-1] not in names
    ]
    assert missing == []


def test_dead_code_stays_removed() -> None:
    assert not hasattr(config, "SETTINGS")
    assert not hasattr(merkle, "nodes_for_append")
    # The `ikrar` commands that need the app are AppCommands: @with_appcontext would be redundant.
    for path, text in _texts():
        if path.startswith("registry/cli"):
            assert "with_appcontext" not in text, path
