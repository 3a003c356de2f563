"""Numbers for the workspace's bar charts (drawn as SVG by `admin/_charts.html`, always with a data table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BAR_AREA_WIDTH = 420


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: int  # pixels of BAR_AREA_WIDTH


def bars(rows: Iterable[tuple[str, int]]) -> list[Bar]:
    """Scale values to the bar area; the largest fills it, a non-zero value is at least 2 px."""
    items = list(rows)
    largest = max((value for _label, value in items), default=0)
    return [Bar(label, value, 0 if not value else max(2, round(BAR_AREA_WIDTH * value / largest)))
            for label, value in items]


def month_starts(last: dt.date, count: int) -> list[dt.date]:
    """The first days of `count` months ending with the month of `last`, oldest first."""
    year, month = last.year, last.month
    months: list[dt.date] = []
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def cumulative_by_month(dates: Sequence[dt.date], months: Sequence[dt.date]) -> list[int]:
    """How many of `dates` fall on or before the end of each month."""
    ordered = sorted(dates)
    totals: list[int] = []
    for index, start in enumerate(months):
        end = months[index + 1] if index + 1 < len(months) else _next_month(start)
        totals.append(sum(1 for day in ordered if day < end))
    return totals


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, 1, 1) if day.month == 12 else dt.date(day.year, day.month + 1, 1)
