"""URL converters for numbers that name rows: out of the database's range is 404, never a 500."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from registry.services.ranges import MAX_ROW_ID


class RowNumberConverter(IntegerConverter):
    """``<id:version>``: a positive integer a database row can hold (1 … 2^31−1, registry/services/ranges.py).

    Werkzeug's plain ``int`` takes any number of digits, and ``2147483648`` then fails in the
    driver on PostgreSQL (``2^63`` on SQLite) instead of matching nothing.
    """

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)
