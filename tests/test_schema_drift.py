"""The migrations build exactly the schema the models describe (on SQLite and on PostgreSQL).

A model changed without a migration, or a migration edited so that it no longer builds what the
models say, shows up here as a difference found by Alembic's autogenerate comparison."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from registry.extensions import db


def _known_on_sqlite(difference: Any) -> bool:
    # SQLite cannot add a foreign key to an existing table: migration 0015 adds the emblem hash
    # column without it there (and says why); PostgreSQL gets the constraint.
    if not (isinstance(difference, tuple) and difference[0] == "add_fk"):
        return False
    constraint = difference[1]
    return constraint.table.name == "commitment_version" and [c.name for c in constraint.columns] == [
        "emblem_sha256"
    ]


def test_the_migrated_database_has_the_models_schema(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
        if connection.dialect.name == "sqlite":
            differences = [d for d in differences if not _known_on_sqlite(d)]
    assert differences == [], "\n".join(map(str, differences))
