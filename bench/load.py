"""A load run on PostgreSQL: 20,000 subscribers, 500 events and 20,000 registrations (bulk-inserted),
then p50/p95 of the public pages and calendar feeds under wrk on loopback (3 sync gunicorn workers,
8 connections, 5 s per page), each against a bare endpoint on the same gunicorn (the floor of the
stack: routing, middleware, headers)."""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import (
    SECRET_KEY,
    Figure,
    Gunicorn,
    load,
    main,
    postgres_databases,
    service_env,
    stopwatch,
)

SUBSCRIBERS = 20_000
EVENTS = 500
REGISTRATIONS = 20_000
SECONDS = 5
CONNECTIONS = 8
WORKERS = 3
FIRST = ["Aino", "Eino", "Helmi", "Väinö", "Elsa", "Johan", "Saara", "Matti", "Linnea", "Oskari"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Lindqvist", "Heikkinen", "Koskinen", "Järvinen"]
ORGANISATIONS = ["Oulun yliopisto", "Oulun seudun ammattiopisto", "Pohjois-Pohjanmaan TE-toimisto",
                 "Ammattiopisto Luovi", "Raahen koulutuskuntayhtymä", "Oulun kaupunki"]
TITLES = [("Ohjauksen verkostopäivä", "Nätverksdag för vägledning"),
          ("Jatkuvan oppimisen webinaari", "Webbinarium om kontinuerligt lärande"),
          ("Uraohjauksen koulutus", "Utbildning i karriärvägledning"),
          ("ELO-ryhmän tapaaminen", "Möte för ELO-gruppen")]


def fill(urls: dict[str, str]) -> tuple[float, list[str]]:
    """Bulk-insert the data; returns (seconds, event slugs)."""
    import sqlalchemy as sa

    from services.events.models import Event, EventKind, EventMode, Participation, Registration, RegistrationStatus
    from services.subscriptions.subscribers.models import (
        ConsentSource,
        Subscriber,
        SubscriberStatus,
        SubscriberTopic,
    )
    from shared.privacy import email_hash

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with stopwatch() as watch:
        engine = sa.create_engine(urls["subscriptions"])
        with engine.begin() as connection:
            connection.execute(sa.insert(Subscriber), [
                {"email": f"tilaaja{n}@example.fi", "email_hash": email_hash(SECRET_KEY, f"tilaaja{n}@example.fi"),
                 "name": f"{FIRST[n % 10]} {LAST[n % 8]}", "organisation": ORGANISATIONS[n % 6],
                 "language": "sv" if n % 6 == 0 else "fi", "status": SubscriberStatus.CONFIRMED,
                 "source": ConsentSource.IMPORT, "token_key": secrets.token_hex(8), "confirmed_at": now}
                for n in range(SUBSCRIBERS)])
            ids = connection.execute(sa.select(Subscriber.id)).scalars().all()
            connection.execute(sa.insert(SubscriberTopic), [{"subscriber_id": i, "topic": "newsletter"} for i in ids])
        engine.dispose()
        kinds = list(EventKind)
        slugs = [f"tapahtuma-{n}" for n in range(EVENTS)]
        engine = sa.create_engine(urls["events"])
        with engine.begin() as connection:
            connection.execute(sa.insert(Event), [
                {"slug": slugs[n], "kind": kinds[n % len(kinds)],
                 "title": {"fi": f"{TITLES[n % 4][0]} {n + 1}", "sv": f"{TITLES[n % 4][1]} {n + 1}"},
                 "description": {"fi": "Ohjelma, puhujat ja ilmoittautuminen.", "sv": "Program och anmälan."},
                 "themes": [], "languages": ["fi", "sv"],
                 "starts_at": now + dt.timedelta(days=n % 200, hours=n % 8),
                 "ends_at": now + dt.timedelta(days=n % 200, hours=n % 8 + 3),
                 "mode": EventMode.ONSITE, "address": "Torikatu 10, 90100 Oulu", "capacity": 100,
                 "onsite_capacity": None, "remote_capacity": None, "registration_opens_at": None,
                 "registration_closes_at": None, "rrule": None, "cancelled_at": None}
                for n in range(EVENTS)])
            event_ids = connection.execute(sa.select(Event.id).order_by(Event.id)).scalars().all()
            connection.execute(sa.insert(Registration), [
                {"event_id": event_ids[n % EVENTS], "email": f"osallistuja{n}@example.fi",
                 "email_hash": email_hash(SECRET_KEY, f"osallistuja{n}@example.fi"),
                 "name": f"{FIRST[n % 10]} {LAST[n % 8]}", "organisation": ORGANISATIONS[n % 6],
                 "participation": Participation.ONSITE, "language": "fi", "status": RegistrationStatus.CONFIRMED,
                 "promoted_at": None, "cancelled_at": None, "erased_at": None}
                for n in range(REGISTRATIONS)])
        engine.dispose()
    return watch.seconds, slugs


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


def run() -> list[Figure]:
    """p50/p95 of public pages and feeds with 20,000 subscribers, 500 events, 20,000 registrations (PostgreSQL)."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as directory, postgres_databases("load") as urls:
        seconds, slugs = fill(urls)
        env = service_env(urls, Path(directory))
        data = f"data bulk-loaded in {seconds:.1f} s"
        pages: list[tuple[str, str, str]] = [
            ("events", "events list page", "/events/"),
            ("events", "event page", f"/events/{slugs[7]}"),
            ("events", "calendar feed, 500 events", "/events/calendar.ics"),
            ("events", "one event's .ics", f"/events/{slugs[7]}.ics"),
            ("subscriptions", "subscribe page", "/newsletter/"),
            ("subscriptions", "newsletter archive page", "/newsletter/archive/"),
            ("subscriptions", "newsletter Atom feed", "/newsletter/archive/feed.atom"),
        ]
        for service, prefix in (("events", "/events"), ("subscriptions", "/newsletter")):
            with Gunicorn(f'bench.common:with_bare_endpoint("{service}")', env, workers=WORKERS) as server:
                bare = load(server.url + f"{prefix}/bench/bare", seconds=SECONDS, connections=CONNECTIONS)
                for owner, name, path in pages:
                    if owner != service:
                        continue
                    if not _answers(server.url + path):
                        figures.append(_missing(name, path))
                        continue
                    measured = load(server.url + path, seconds=SECONDS, connections=CONNECTIONS)
                    figures.append(_figure(name, path, measured, bare, data))
    return figures


def _figure(name: str, path: str, measured: Any, bare: Any, data: str) -> Figure:
    shown = path.replace("tapahtuma-7", "<slug>")
    return Figure(f"{name} p95 (`{shown}`)", measured.p95_ms, "ms", "bare endpoint p95, same gunicorn", bare.p95_ms,
                  higher_is_better=False,
                  note=f"p50 {measured.p50_ms:.1f} ms, {measured.rps:.0f} req/s, {measured.bad_status} non-2xx "
                       f"(bare: p50 {bare.p50_ms:.1f} ms, {bare.rps:.0f} req/s); {data}",
                  extra={"p50_ms": measured.p50_ms, "rps": measured.rps})


def _missing(name: str, path: str) -> Figure:
    return Figure(f"{name} (`{path}`)", float("nan"), "ms", "not measured", float("nan"),
                  note="the page did not answer 200 in this build")


if __name__ == "__main__":
    main(run)
