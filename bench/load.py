"""A load run on PostgreSQL: 20,000 subscribers, 500 events and 20,000 registrations (bulk-inserted),
then p50/p95 of the public pages and calendar feeds under wrk on loopback (3 sync gunicorn workers,
8 connections, 5 s per page), each against a bare endpoint on the same gunicorn (the floor of the
stack: routing, middleware, headers). Then NETWORKS networks are added (each with as many events) and
the plain `/events/` list and calendar feed, now national, are measured the same way.
Targets (issue #19): the list within 4x the bare endpoint's p95, an event page and the feed within 3x,
nationally too."""

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
NETWORKS = 2  # added networks for the national list and feed
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


def add_networks(urls: dict[str, str], count: int) -> list[str]:
    """`count` added networks in the events service (PostgreSQL schemas, migrated), each with EVENTS public
    events and REGISTRATIONS // 2 registrations bulk-inserted: the plain `/events/` is then the national view."""
    import sqlalchemy as sa

    from services import SERVICES
    from services.events.models import Event, Participation, Registration, RegistrationStatus, db
    from shared.db import create_network_schema
    from shared.migrations import upgrade
    from shared.network_registry import save_network
    from shared.networks import Network, using_network
    from shared.privacy import email_hash

    info = next(info for info in SERVICES if info.name == "events")
    db.configure(urls["events"])
    slugs = []
    for number in range(count):
        network = Network(slug=f"alue-{number + 1}", names={"fi": f"ELO-verkosto {number + 1}"}, languages=("fi",),
                          mail_from=f"ELO <elo@alue{number + 1}.example>")
        save_network(db, network)
        create_network_schema(db.default_engine, network)
        with using_network(network):
            upgrade(db, info.migrations_dir)
            with db.transaction() as session:
                session.execute(sa.insert(Event), _event_rows([f"alue{number + 1}-{n}" for n in range(EVENTS)]))
                event_ids = session.scalars(sa.select(Event.id).order_by(Event.id)).all()
                session.execute(sa.insert(Registration), [
                    {"event_id": event_ids[n % EVENTS], "email": f"osallistuja{n}@example.fi",
                     "email_hash": email_hash(SECRET_KEY, f"osallistuja{n}@example.fi"), "name": FIRST[n % 10],
                     "organisation": ORGANISATIONS[n % 6], "participation": Participation.ONSITE, "language": "fi",
                     "status": RegistrationStatus.CONFIRMED} for n in range(REGISTRATIONS // 2)])
        slugs.append(network.slug)
    db.dispose()
    return slugs


def _event_rows(slugs: list[str]) -> list[dict[str, Any]]:
    from services.events.models import EventKind, EventMode

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    kinds = list(EventKind)
    return [{"slug": slug, "kind": kinds[n % len(kinds)],
             "title": {"fi": f"{TITLES[n % 4][0]} {n + 1}", "sv": f"{TITLES[n % 4][1]} {n + 1}"},
             "description": {"fi": "Ohjelma, puhujat ja ilmoittautuminen.", "sv": "Program och anmälan."},
             "themes": [], "languages": ["fi", "sv"],
             "starts_at": now + dt.timedelta(days=n % 200, hours=n % 8),
             "ends_at": now + dt.timedelta(days=n % 200, hours=n % 8 + 3),
             "mode": EventMode.ONSITE, "address": "Torikatu 10, 90100 Oulu", "capacity": 100}
            for n, slug in enumerate(slugs)]


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
        # Issue #19: the list p95 within 4x the bare endpoint's, an event page and the 500-event feed within 3x.
        targets: dict[str, float] = {"/events/": 4, f"/events/{slugs[7]}": 3, "/events/calendar.ics": 3}
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
                    figure = _figure(name, path, measured, bare, data)
                    figures.append(figure.target_ratio(targets[path]) if path in targets else figure)
        figures.extend(_national(urls, env, data))
    return figures


def _national(urls: dict[str, str], env: dict[str, str], data: str) -> list[Figure]:
    """With NETWORKS added networks the plain `/events/` list and feed are national: the same targets."""
    added = add_networks(urls, NETWORKS)
    data += f"; {len(added) + 1} networks (PostgreSQL schemas), {EVENTS} events each"
    figures = []
    with Gunicorn('bench.common:with_bare_endpoint("events")', env, workers=WORKERS) as server:
        bare = load(server.url + "/events/bench/bare", seconds=SECONDS, connections=CONNECTIONS)
        for name, path, target in (("national events list", "/events/", 4),
                                   ("national calendar feed", "/events/calendar.ics", 3)):
            if not _answers(server.url + path):
                figures.append(_missing(name, path))
                continue
            measured = load(server.url + path, seconds=SECONDS, connections=CONNECTIONS)
            figures.append(_figure(name, path, measured, bare, data).target_ratio(target))
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
