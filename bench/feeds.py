"""Serving the public calendar feed with 1,000 events (GET /events/calendar.ics under gunicorn, SQLite,
database query and HTTP included) against the time icalendar alone takes to serialise the same
calendar (Calendar.to_ical() of the served feed, parsed once beforehand). Target: ratio <= 2.

Two figures: right after an event changed (the feed is rendered anew: the main figure), and
unchanged (served from the copy rendered for that version, as when calendar apps poll).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import Figure, Gunicorn, main, service_env, sqlite_databases

EVENTS = 1000
ROUNDS = 15


def _seed(urls: dict[str, str], data_dir: Path) -> None:
    """1,000 public events: a mix of kinds, modes, languages, themes, some recurring, some cancelled."""
    from services.events import create_app
    from services.events.models import db
    from services.events.operations import events as operations
    from services.events.schemas import EventInput
    from shared.settings import load_settings

    settings = load_settings(service_env(urls, data_dir))
    app = create_app({"ELO_SETTINGS": settings})
    kinds = ("seminar", "training", "network-meeting", "group-meeting")
    themes = ("accessible", "digital", "quality", "equitable", "coordinated", "knowledge")
    start = dt.datetime.now(dt.UTC).replace(microsecond=0, second=0, minute=0) + dt.timedelta(days=1)
    with app.app_context(), db.transaction() as session:
        for n in range(EVENTS):
            begins = start + dt.timedelta(days=n % 365, hours=n % 8)
            data = EventInput().load({
                "kind": kinds[n % 4],
                "title": {"fi": f"Ohjauksen ajankohtaispäivä {n}: jatkuva oppiminen ja työllisyys",
                          "sv": f"Aktuellt om vägledning {n}", "en": f"Guidance update {n}"},
                "description": {"fi": "Tervetuloa kuulemaan ajankohtaisia asioita elinikäisestä ohjauksesta, "
                                      "verkostoitumaan ja jakamaan hyviä käytäntöjä; mukana myös etäyhteys.\n\n"
                                      "Ohjelma tarkentuu syksyn aikana."},
                "themes": [themes[n % 6], themes[(n + 2) % 6]],
                "languages": ["fi", "sv"] if n % 5 == 0 else ["fi"],
                "starts_at": begins.isoformat(), "ends_at": (begins + dt.timedelta(hours=3)).isoformat(),
                "mode": ("onsite", "online", "hybrid")[n % 3],
                "address": "" if n % 3 == 1 else "Kauppurienkatu 8, 90100 Oulu",
                "online_url": "https://meet.example.fi/elo",
                "capacity": 50, "organiser_name": "Pohjois-Pohjanmaan ELY-keskus",
                "organiser_email": "elo@example.fi",
                "rrule": "FREQ=MONTHLY;BYDAY=2TU;COUNT=6" if n % 25 == 0 else None,
            })
            event = operations.create_event(session, data)
            if n % 40 == 0:
                session.flush()
                operations.cancel_event(session, event.id)


def _get(url: str) -> tuple[float, bytes]:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - our own server
        body = response.read()
    return time.perf_counter() - began, body


def run() -> list[Figure]:
    """Time to serve a 1,000-event calendar feed vs icalendar's to_ical() of the same calendar."""
    from icalendar import Calendar

    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as directory, \
            sqlite_databases(Path(directory)) as urls:
        _seed(urls, Path(directory))
        env = service_env(urls, Path(directory))
        with Gunicorn('services.wsgi:create("events")', env, workers=1) as server:
            url = server.url + "/events/calendar.ics"
            _get(url)  # warm-up: imports, VTIMEZONE cache, connection
            served = []
            for _ in range(ROUNDS):
                _touch_an_event(urls["events"])
                served.append(_get(url))
            unchanged = [_get(url)[0] for _ in range(ROUNDS)]
    body = served[-1][1]
    calendar = Calendar.from_ical(body)
    assert len(calendar.walk("VEVENT")) == EVENTS
    calendar.to_ical()  # warm-up
    serialise = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        calendar.to_ical()
        serialise.append(time.perf_counter() - began)
    serve_ms = statistics.median(t for t, _ in served) * 1000
    unchanged_ms = statistics.median(unchanged) * 1000
    icalendar_ms = statistics.median(serialise) * 1000
    return [Figure("serve 1,000-event feed after an event changed (GET /events/calendar.ics)", round(serve_ms, 1),
                   "ms", baseline_name="icalendar to_ical() of the same calendar",
                   baseline_value=round(icalendar_ms, 1), higher_is_better=False,
                   note=f"median of {ROUNDS}; {len(body) // 1024} KiB; target ratio <= 2"),
            Figure("serve the same feed unchanged (rendered copy)", round(unchanged_ms, 1), "ms",
                   baseline_name="icalendar to_ical() of the same calendar", baseline_value=round(icalendar_ms, 1),
                   higher_is_better=False, note=f"median of {ROUNDS}")]


def _touch_an_event(url: str) -> None:
    """Change the feed's version the way an edit does, so the next request renders it anew."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE events SET updated_at = ? WHERE id = 1",
                           (dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),))


if __name__ == "__main__":
    main(run)
