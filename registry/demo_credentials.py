"""``<instance>/demo-credentials``: the demo accounts' random passwords, one section per database.

One instance folder can serve several databases (``IKRAR_DATABASE_URL`` pointing elsewhere, a
fresh database after a test): passwords created for one must never be printed for another,
where those accounts do not exist. Each section starts with ``database <id>``, the id being the
hash of the database's first log entry (unique per database: it holds the key generation time
and keys). Lines before any section come from releases that kept one unlabelled list; they are
shown only for accounts that exist in the database being served.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from registry.extensions import db
from registry.models import LogEntry
from registry.services import accounts

Row = tuple[str, str, str]  # role, username, password
LEGACY = ""


def database_id() -> str:
    first = db.session.execute(select(LogEntry.hash).where(LogEntry.index == 0)).scalar_one_or_none()
    return str(first)[:32] if first is not None else "empty-log"


def read(path: Path) -> dict[str, list[Row]]:
    sections: dict[str, list[Row]] = {}
    current = LEGACY
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return sections
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) == 2 and parts[0] == "database":
            current = parts[1]
            sections.setdefault(current, [])
        elif len(parts) == 3:
            sections.setdefault(current, []).append((parts[0], parts[1], parts[2]))
    return sections


def for_this_database(path: Path, create: Callable[[], list[Row]]) -> tuple[list[Row], bool]:
    """This database's demo accounts, created by ``create`` if it has no account yet.

    Returns the rows whose accounts exist here and whether they were created now (so printed
    once). ``create`` is called only when the database has no user at all.
    """
    ident = database_id()
    sections = read(path)
    created = False
    if ident not in sections and accounts.count_users() == 0:
        rows = create()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"database {ident}\n" + "".join(f"{r} {u} {p}\n" for r, u, p in rows))
        sections[ident] = rows
        created = True
    rows = sections.get(ident, sections.get(LEGACY, []))
    return [row for row in rows if accounts.by_username(row[1]) is not None], created
