"""Dates, times and numbers as people read them in fi, sv and en (shown in Europe/Helsinki).

Finnish and Swedish: `22.11.2026 klo 9.00` / `22.11.2026 kl. 9.00`, decimal comma (`4,5`).
English: `22 November 2026 at 9.00`, decimal point. Stored times are aware UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
_TIME_WORD = {"fi": "klo", "sv": "kl.", "en": "at"}


def parse_moment(value: dt.datetime | str | None) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO-8601 string (naive means UTC); None when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def local(moment: dt.datetime, zone: str | None = None) -> dt.datetime:
    """The moment in the given zone (Europe/Helsinki by default)."""
    return moment.astimezone(ZoneInfo(zone) if zone else HELSINKI)


def format_date(day: dt.date | dt.datetime, language: str, zone: str | None = None) -> str:
    if isinstance(day, dt.datetime):
        day = local(day, zone)
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}.{day.month}.{day.year}"


def format_time(moment: dt.datetime, zone: str | None = None) -> str:
    moment = local(moment, zone)
    return f"{moment.hour}.{moment.minute:02d}"


def format_datetime(value: dt.datetime | str | None, language: str, zone: str | None = None) -> str:
    """`22.11.2026 klo 9.00` (fi), `22.11.2026 kl. 9.00` (sv), `22 November 2026 at 9.00` (en); '' for None."""
    moment = parse_moment(value)
    if moment is None:
        return "" if value is None else str(value)
    word = _TIME_WORD.get(language, _TIME_WORD["en"])
    return f"{format_date(moment, language, zone)} {word} {format_time(moment, zone)}"


def format_number(value: float, language: str, decimals: int = 0) -> str:
    """`1 234,5` in fi and sv (no-break space between thousands), `1,234.5` in en."""
    text = f"{value:,.{decimals}f}"
    if language in ("fi", "sv"):
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def helsinki_year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where a calendar year starts and ends in Helsinki (daylight saving included)."""
    start = dt.datetime(year, 1, 1, tzinfo=HELSINKI).astimezone(dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=HELSINKI).astimezone(dt.UTC)
    return start, end
