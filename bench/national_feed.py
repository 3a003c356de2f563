"""The national calendar feed of 15 networks x 200 events (GET /events/calendar.ics under gunicorn, SQLite:
one events file per network) against the one-network feed of 3,000 events (a deployment without added
networks), measured in the same run. Target (issue #16): ratio <= 2. Then, on the national server under wrk,
the p95 of the national list (`/events/`) and feed against a bare endpoint of the same gunicorn (issue #19:
within 4x and 3x, as one network's list and feed).

Two figures: unchanged (both served from their rendered copy, as when calendar apps poll: the national
feed reads one marker row per network, the one-network feed its events' light rows), and right after an
event changed (both rendered anew). To stay quick, 200 events are made once through the use-case; each
network's SQLite file is a copy of that database (with UIDs of its own), and the one-network database
holds 15 copies of the 200 (new slugs and UIDs): no 15 migrations, no 6,000 use-case calls.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import Figure, Gunicorn, LoadResult, load, main, service_env, sqlite_databases

NETWORKS = 15
EVENTS_PER_NETWORK = 200
ROUNDS = 5
UNCHANGED_ROUNDS = 15
# Under load (issue #19), as bench/load.py: the national list and feed p95 against the bare endpoint.
LOADED_PATHS = ("/events/bench/bare", "/events/", "/events/calendar.ics")
LOAD_WORKERS = 3
LOAD_CONNECTIONS = 8
LOAD_SECONDS = 5


def _event_body(n: int, start: dt.datetime) -> dict[str, object]:
    """A mix of kinds, modes, languages and themes, some recurring (as bench/feeds.py)."""
    themes = ("accessible", "digital", "quality", "equitable", "coordinated", "knowledge")
    begins = start + dt.timedelta(days=n % 365, hours=n % 8)
    return {
        "kind": ("seminar", "training", "network-meeting", "group-meeting")[n % 4],
        "title": {"fi": f"Ohjauksen ajankohtaispäivä {n}: jatkuva oppiminen ja työllisyys",
                  "sv": f"Aktuellt om vägledning {n}", "en": f"Guidance update {n}"},
        "description": {"fi": "Tervetuloa kuulemaan ajankohtaisia asioita elinikäisestä ohjauksesta, "
                              "verkostoitumaan ja jakamaan hyviä käytäntöjä; mukana myös etäyhteys."},
        "themes": [themes[n % 6], themes[(n + 2) % 6]],
        "languages": ["fi", "sv"] if n % 5 == 0 else ["fi"],
        "starts_at": begins.isoformat(), "ends_at": (begins + dt.timedelta(hours=3)).isoformat(),
        "mode": ("onsite", "online", "hybrid")[n % 3],
        "address": "" if n % 3 == 1 else "Kauppurienkatu 8, 90100 Oulu",
        "online_url": "https://meet.example.fi/elo", "capacity": 50,
        "organiser_name": "ELY-keskus", "organiser_email": "elo@example.fi",
        "rrule": "FREQ=MONTHLY;BYDAY=2TU;COUNT=6" if n % 25 == 0 else None,
    }


def _seed(urls: dict[str, str], data_dir: Path) -> None:
    """EVENTS_PER_NETWORK events in the default network, through the use-case."""
    from services.events import create_app
    from services.events.models import db
    from services.events.operations import events as operations
    from services.events.schemas import EventInput
    from shared.settings import load_settings

    app = create_app({"ELO_SETTINGS": load_settings(service_env(urls, data_dir))})
    start = dt.datetime.now(dt.UTC).replace(microsecond=0, second=0, minute=0) + dt.timedelta(days=1)
    schema = EventInput()
    with app.app_context(), db.transaction() as session:
        for n in range(EVENTS_PER_NETWORK):
            operations.create_event(session, schema.load(_event_body(n, start)))
    db.dispose()


def _add_networks(urls: dict[str, str], template: Path) -> list[str]:
    """NETWORKS networks in the events service: rows in its default database, and each a copy of
    `template` (200 events) as its own database, with UIDs of its own."""
    from services.events.models import db
    from shared.db import network_sqlite_url
    from shared.network_registry import save_network
    from shared.networks import Network

    slugs = [f"alue-{number:02d}" for number in range(1, NETWORKS + 1)]
    db.configure(urls["events"])
    for slug in slugs:
        network = Network(slug=slug, names={"fi": f"ELO-verkosto {slug}"}, languages=("fi",),
                          mail_from=f"ELO <elo@{slug}.example>")
        target = Path(network_sqlite_url(urls["events"], network).removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        with sqlite3.connect(target) as connection:
            connection.execute("UPDATE events SET uid = lower(hex(randomblob(18)))")
        save_network(db, network)
    db.dispose()
    return slugs


def _multiply(database_file: Path, times: int) -> None:
    """`times` copies of the events in `database_file` (the first kept as is), each with new slugs and UIDs."""
    with sqlite3.connect(database_file) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(events)") if row[1] != "id"]
        for copy in range(1, times):
            chosen = ", ".join(f"slug || '-{copy}'" if column == "slug" else
                               "lower(hex(randomblob(18)))" if column == "uid" else column for column in columns)
            connection.execute(f"INSERT INTO events ({', '.join(columns)}) "  # noqa: S608 - our own column names
                               f"SELECT {chosen} FROM events WHERE id <= ?", (EVENTS_PER_NETWORK,))


def _get(url: str) -> tuple[float, bytes]:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - our own server
        body = response.read()
    return time.perf_counter() - began, body


def _touch(database_file: Path) -> None:
    """Change the feed's version the way an edit does, so the next request renders it anew."""
    with sqlite3.connect(database_file) as connection:
        connection.execute("UPDATE events SET updated_at = ? WHERE id = 1",
                           (dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),))


def _measure(env: dict[str, str], changing_file: Path,
             loaded: list[LoadResult] | None = None) -> tuple[float, float, int]:
    """Median ms after a change, median ms unchanged, and the feed's number of events; with `loaded`, then
    the p95 under load of LOADED_PATHS (bare endpoint first) is appended to it."""
    with Gunicorn('bench.common:with_bare_endpoint("events")', env, workers=LOAD_WORKERS) as server:
        url = server.url + "/events/calendar.ics"
        _get(url)  # warm-up: imports, VTIMEZONE cache, connections
        changed = []
        for _ in range(ROUNDS):
            _touch(changing_file)
            changed.append(_get(url))
        unchanged = [_get(url)[0] for _ in range(UNCHANGED_ROUNDS)]
        if loaded is not None:
            for _path in LOADED_PATHS:  # every worker renders its copy once
                for _ in range(LOAD_WORKERS * 2):
                    _get(server.url + _path)
            loaded.extend(load(server.url + path, seconds=LOAD_SECONDS, connections=LOAD_CONNECTIONS)
                          for path in LOADED_PATHS)
    body = changed[-1][1]
    return statistics.median(t for t, _ in changed) * 1000, statistics.median(unchanged) * 1000, \
        body.count(b"BEGIN:VEVENT")


def run() -> list[Figure]:
    """National feed of 15 networks x 200 events vs the one-network feed of 3,000 events (SQLite files)."""
    total = NETWORKS * EVENTS_PER_NETWORK
    with tempfile.TemporaryDirectory(prefix="bench-national-") as directory:
        template_dir, national_dir, single_dir = (Path(directory) / name for name in ("template", "national", "single"))
        for made in (template_dir, national_dir, single_dir):
            made.mkdir()
        with sqlite_databases(template_dir) as urls:
            _seed(urls, template_dir)
            template = Path(urls["events"].removeprefix("sqlite:///"))
        with sqlite_databases(single_dir) as urls:
            shutil.copyfile(template, urls["events"].removeprefix("sqlite:///"))
            _multiply(Path(urls["events"].removeprefix("sqlite:///")), NETWORKS)
            single_changed, single_unchanged, single_count = _measure(
                service_env(urls, single_dir), Path(urls["events"].removeprefix("sqlite:///")))
        with sqlite_databases(national_dir) as urls:
            slugs = _add_networks(urls, template)
            changing = national_dir / "networks" / slugs[6] / "events.db"
            loaded: list[LoadResult] = []
            national_changed, national_unchanged, national_count = _measure(service_env(urls, national_dir), changing,
                                                                            loaded)
    assert single_count == national_count == total, (single_count, national_count)
    note = f"{NETWORKS} SQLite files; target ratio <= 2"
    bare, national_list, national_feed = loaded
    under_load = (f"{LOAD_WORKERS} sync workers, {LOAD_CONNECTIONS} connections, {LOAD_SECONDS} s; "
                  f"{NETWORKS} networks x {EVENTS_PER_NETWORK} events (SQLite files); bare: p50 {bare.p50_ms:.1f} ms")
    return [
        Figure("national events list p95 (`/events/`, several networks)", national_list.p95_ms, "ms",
               "bare endpoint p95, same gunicorn", bare.p95_ms, higher_is_better=False,
               note=f"p50 {national_list.p50_ms:.1f} ms, {national_list.rps:.0f} req/s, "
                    f"{national_list.bad_status} non-2xx; {under_load}").target_ratio(4),
        Figure("national calendar feed p95 (`/events/calendar.ics`, several networks)", national_feed.p95_ms, "ms",
               "bare endpoint p95, same gunicorn", bare.p95_ms, higher_is_better=False,
               note=f"p50 {national_feed.p50_ms:.1f} ms, {national_feed.rps:.0f} req/s, "
                    f"{national_feed.bad_status} non-2xx; {under_load}").target_ratio(3),
        Figure(f"national feed, {NETWORKS} networks x {EVENTS_PER_NETWORK} events, unchanged (rendered copy)",
               round(national_unchanged, 1), "ms", baseline_name=f"one-network feed of {total:,} events, unchanged",
               baseline_value=round(single_unchanged, 1), higher_is_better=False,
               note=f"median of {UNCHANGED_ROUNDS}; {note}").target_ratio(2),
        Figure(f"national feed, {NETWORKS} networks x {EVENTS_PER_NETWORK} events, after one event changed",
               round(national_changed, 1), "ms",
               baseline_name=f"one-network feed of {total:,} events after one event changed",
               baseline_value=round(single_changed, 1), higher_is_better=False,
               note=f"median of {ROUNDS}; {note}").target_ratio(2),
    ]

if __name__ == "__main__":
    main(run)
