"""Strict parsing of calendar text with two independent parsers (ical and vobject)."""

from __future__ import annotations

from typing import Any

import vobject
from ical.calendar_stream import IcsCalendarStream


def parse_strictly(text: str) -> Any:
    """Parse with `ical` (strict RFC 5545 model) and `vobject` (validate); returns vobject's calendar."""
    assert "\r\n" in text
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75, line
    stream = IcsCalendarStream.calendar_from_ics(text)
    assert stream is not None
    calendar = vobject.readOne(text)
    calendar.validate()
    return calendar


def events_of(text: str) -> list[Any]:
    return list(parse_strictly(text).contents.get("vevent", []))


def prop(vevent: Any, name: str) -> str:
    return str(vevent.contents[name.lower()][0].value)
