"""Copy a fixture's SQLite database into a fresh PostgreSQL database (run with instance_env set).

The schema comes from the project's own migrations; rows go through SQLAlchemy's type
processing (so instants, JSON and booleans arrive as PostgreSQL expects) and PostgreSQL's COPY.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Json
from sqlalchemy import JSON, create_engine, select, text


def copy(directory: Path, database: str) -> None:
    from flask_migrate import upgrade

    from registry import create_app
    from registry.extensions import db

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    app = create_app(startup_checks=False)
    source = create_engine(f"sqlite:///{directory / 'ikrar.sqlite3'}")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        dialect = db.engine.dialect
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            tables = list(db.metadata.sorted_tables)
            # The migrations seed rows (the log head); the copy replaces every table whole.
            cursor.execute("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE")
            for table in tables:
                started = time.perf_counter()
                columns = list(table.columns)
                processors = [
                    Json if isinstance(c.type, JSON) else c.type.bind_processor(dialect) for c in columns
                ]
                names = ", ".join(f'"{c.name}"' for c in columns)
                count = 0
                with (
                    source.connect() as src,
                    cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as sink,
                ):
                    result = src.execution_options(yield_per=20_000).execute(select(table))
                    for row in result:
                        sink.write_row(
                            [p(v) if p is not None else v for p, v in zip(processors, row, strict=True)]
                        )
                        count += 1
                if count:
                    print(
                        f"  {table.name}: {count:,} rows in {time.perf_counter() - started:.1f} s", flush=True
                    )
            raw.commit()
            for table in tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (
                        column.autoincrement == "auto"
                        and column.type.python_type is int
                        and len(table.primary_key.columns) == 1
                    ):
                        cursor.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                            ).text
                        )
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()


if __name__ == "__main__":
    copy(Path(sys.argv[1]), sys.argv[2])
