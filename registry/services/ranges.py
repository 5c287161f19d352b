"""The ranges numbers and dates from outside must lie in, the same on SQLite and PostgreSQL.

Row ids (``Integer`` primary keys) are 32-bit on PostgreSQL and 64-bit on SQLite; a number beyond
that range cannot name a row, and binding it fails inside the driver (PostgreSQL: integer out of
range; SQLite: OverflowError beyond 2^63) — a 500 instead of an answer. Numbers from a request are
checked against the smaller range first, so both databases answer alike. Years are those with four
digits in UTC and in WIB (UTC+7) and within what ``datetime`` can convert between the two.
"""

from __future__ import annotations

from typing import Any

MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer
YEARS = (1000, 9998)


def is_row_id(value: Any) -> bool:
    """``value`` is an int (not a bool) that a row id can have: 1 ≤ value ≤ MAX_ROW_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW_ID
