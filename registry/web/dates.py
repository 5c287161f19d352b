"""Dates and instants as people read them: ``Kamis, 12 September 2024 pukul 10.15 WIB``.

One place for every human-facing page (templates use the Jinja filters registered here). Babel's
``id`` locale supplies the Indonesian day and month names; instants are shown in WIB (UTC+7, no
daylight saving, README "Time") with the label written out, never as ISO ``2024-09-12``.
Machine formats (JSON, the log, signed bytes) keep ISO 8601: this module is only for reading.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from babel.dates import format_date
from flask import Flask
from flask_babel import get_locale

from registry.core.canonical import parse_instant

WIB = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta: UTC+7 all year

# (date, date with weekday, time) patterns per interface language (CLDR skeletons).
_PATTERNS = {
    "id": ("d MMMM y", "EEEE, d MMMM y", "{day} pukul {hour:02d}.{minute:02d} WIB"),
    "en": ("d MMMM y", "EEEE, d MMMM y", "{day} at {hour:02d}:{minute:02d} WIB"),
}


def _language(locale: str | None) -> str:
    if locale is None:
        try:
            locale = str(get_locale() or "id")
        except RuntimeError:  # outside a request (CLI, tests of this module)
            locale = "id"
    return "en" if locale.startswith("en") else "id"


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(WIB).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _as_instant(value: datetime | str) -> datetime:
    if isinstance(value, str):
        return parse_instant(value)
    # Naive datetimes from the database are UTC (README "Time": instants are stored in UTC).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def long_date(value: date | str | None, locale: str | None = None) -> str:
    """``12 September 2024`` (a date, or the date part of an ISO string)."""
    if value is None:
        return "—"
    language = _language(locale)
    return str(format_date(_as_date(value), _PATTERNS[language][0], locale=language))


def long_day(value: date | str | None, locale: str | None = None) -> str:
    """``Kamis, 12 September 2024``."""
    if value is None:
        return "—"
    language = _language(locale)
    return str(format_date(_as_date(value), _PATTERNS[language][1], locale=language))


def long_wib(value: datetime | str | None, locale: str | None = None) -> str:
    """An instant in WIB: ``Kamis, 12 September 2024 pukul 10.15 WIB``."""
    if value is None:
        return "—"
    language = _language(locale)
    local = _as_instant(value).astimezone(WIB)
    day = format_date(local.date(), _PATTERNS[language][1], locale=language)
    return _PATTERNS[language][2].format(day=day, hour=local.hour, minute=local.minute)


def register(app: Flask) -> None:
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(long_day, "long_day")
    app.add_template_filter(long_wib, "long_wib")
