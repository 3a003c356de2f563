"""The national calendar (issue #16, point 5): `/events/` and `/events/calendar.ics` show every network's public
events with the organising network named; filters by network, kind, theme, language and mode; remote events
are open nationwide; the feed takes the same filters across networks; `/<slug>/events/…` stays one network's.

Beside the default network, two networks (`kainuu`, `lappi-etela`) are added once for this module (as
tests/networks/ does) and removed at its end: PostgreSQL schemas dropped, SQLite files deleted."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import Client

from services import SERVICES
from services.events.models import Event, db
from services.events.pages.feeds import rendered_feeds
from services.network_commands import migrate_network
from shared.db import committing, network_sqlite_url, utcnow
from shared.models import NetworkRow
from shared.network_registry import save_network
from shared.networks import Network, forget_networks, set_network, using_network
from shared.settings import Settings
from tests.conftest import Backend
from tests.events.factories import make_event
from tests.events.ics import events_of, prop

KAINUU = Network(slug="kainuu", names={"fi": "Kainuun ELO-verkosto", "sv": "ELO-nätverket i Kajanaland"},
                 languages=("fi", "sv"), mail_from="Kainuun ELO <elo@kainuu.example>")
ETELA = Network(slug="lappi-etela", names={"fi": "Etelä-Lapin ELO-verkosto", "sv": "ELO-nätverket i södra Lappland"},
                languages=("fi",), mail_from="Etelä-Lapin ELO <elo@lappi.example>")
ADDED = (KAINUU, ETELA)


def _remove(network: Network, backend: Backend) -> None:
    for info in SERVICES:
        database = info.module().db
        with committing(Session(bind=database.default_engine)) as session:
            session.execute(sa.delete(NetworkRow).where(NetworkRow.slug == network.slug))
        if backend.is_postgres:
            with database.default_engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{network.schema}" CASCADE')
        else:
            path = Path(network_sqlite_url(database.url, network).removeprefix("sqlite:///"))
            shutil.rmtree(path.parent, ignore_errors=True)
    forget_networks()


@pytest.fixture(scope="module")
def added_networks(backend: Backend) -> Iterator[tuple[Network, ...]]:
    """The networks' schemas or files, migrated once for the module."""
    for network in ADDED:
        migrate_network(network)
    yield ADDED
    for network in ADDED:
        _remove(network, backend)


@pytest.fixture
def networks(added_networks: tuple[Network, ...], apps: dict[str, Flask]) -> Iterator[tuple[Network, ...]]:
    """The added networks, listed (the `apps` fixture empties the default network's tables, their list
    included) and with empty events tables."""
    set_network(None)
    for network in added_networks:
        for info in SERVICES:
            save_network(info.module().db, network)
        _empty_events(network)
    forget_networks()
    yield added_networks
    set_network(None)  # the test client leaves the network of its last request in this thread
    for network in added_networks:
        _empty_events(network)


def _empty_events(network: Network) -> None:
    with using_network(network):
        db.session.remove()
        tables = [table for metadata in db.metadatas for table in metadata.sorted_tables]
        with db.engine.begin() as connection:
            for table in reversed(tables):
                if table.name != NetworkRow.__tablename__:
                    connection.execute(table.delete())


def event_in(app: Flask, network: Network | None, **overrides: Any) -> Event:
    with using_network(network):
        return make_event(app, **overrides)


def _title(event: Event) -> str:
    return str(event.title["fi"])


def test_the_list_shows_every_networks_events_each_with_its_network(client: Client, networks: Any,
                                                                    events_app: Flask, settings: Settings) -> None:
    home = event_in(events_app, None, mode="onsite", online_url="")
    kainuu = event_in(events_app, KAINUU, mode="online", address="")
    etela = event_in(events_app, ETELA, mode="hybrid")
    unlisted = event_in(events_app, KAINUU, visibility="unlisted")

    page = client.get("/events/?lang=fi").get_data(as_text=True)

    for event in (home, kainuu, etela):
        assert _title(event) in page
    assert _title(unlisted) not in page
    assert f'href="{settings.base_url}/kainuu/events/{kainuu.slug}"' in page
    assert f'href="{settings.base_url}/lappi-etela/events/{etela.slug}"' in page
    assert f'href="{settings.base_url}/events/{home.slug}"' in page
    assert "Järjestäjä: Kainuun ELO-verkosto" in page
    assert "Järjestäjä: Etelä-Lapin ELO-verkosto" in page
    assert f"Järjestäjä: {settings.network_name_in('fi')}" in page
    assert page.count("avoin koko maalle") == 2  # the online and the hybrid event; not the one on site

    swedish = client.get("/events/?lang=sv").get_data(as_text=True)
    assert "Arrangör: ELO-nätverket i Kajanaland" in swedish
    assert "öppet för hela landet" in swedish
    assert "open nationwide" in client.get("/events/?lang=en").get_data(as_text=True)


def test_a_networks_own_pages_stay_its_own(client: Client, networks: Any, events_app: Flask,
                                          settings: Settings) -> None:
    home = event_in(events_app, None)
    kainuu = event_in(events_app, KAINUU)

    own = client.get("/kainuu/events/").get_data(as_text=True)
    assert _title(kainuu) in own
    assert _title(home) not in own
    assert "Järjestäjä" not in own
    default_own = client.get(f"/{settings.network_slug}/events/").get_data(as_text=True)
    assert _title(home) in default_own
    assert _title(kainuu) not in default_own

    feed = client.get("/kainuu/events/calendar.ics").get_data(as_text=True)
    assert [prop(vevent, "url") for vevent in events_of(feed)] == [f"{settings.base_url}/kainuu/events/{kainuu.slug}"]
    default_feed = client.get(f"/{settings.network_slug}/events/calendar.ics").get_data(as_text=True)
    assert [prop(vevent, "url") for vevent in events_of(default_feed)] == [f"{settings.base_url}/events/{home.slug}"]


def test_the_list_filters_by_network_kind_theme_language_and_mode(client: Client, networks: Any,
                                                                  events_app: Flask) -> None:
    seminar = event_in(events_app, KAINUU, kind="seminar", themes=["coordinated"], languages=["sv"], mode="online",
                       address="")
    training = event_in(events_app, ETELA, kind="training", themes=["digital"], languages=["fi"], mode="onsite")
    home = event_in(events_app, None, kind="training", themes=["digital"], languages=["fi"], mode="hybrid")

    def shown(query: str) -> set[str]:
        page = client.get(f"/events/?lang=fi&{query}").get_data(as_text=True)
        return {_title(event) for event in (seminar, training, home) if _title(event) in page}

    assert shown("network=kainuu") == {_title(seminar)}
    assert shown("kind=training") == {_title(training), _title(home)}
    assert shown("theme=coordinated") == {_title(seminar)}
    assert shown("in=sv") == {_title(seminar)}
    assert shown("mode=onsite") == {_title(training)}
    assert shown("network=lappi-etela&kind=seminar") == set()
    assert shown("network=nowhere&mode=teleport") == {_title(seminar), _title(training), _title(home)}

    page = client.get("/events/?lang=fi&network=kainuu&mode=online").get_data(as_text=True)
    assert "/events/calendar.ics?network=kainuu&amp;mode=online" in page  # the feed of this choice


def test_the_national_feed_has_every_networks_events_with_its_network(client: Client, networks: Any,
                                                                      events_app: Flask, settings: Settings) -> None:
    home = event_in(events_app, None, mode="onsite", online_url="")
    kainuu = event_in(events_app, KAINUU, mode="online", address="", online_url="https://meet.example.fi/secret",
                      languages=["fi", "sv"])
    etela = event_in(events_app, ETELA)

    response = client.get("/events/calendar.ics")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "secret" not in text
    vevents = {prop(vevent, "url"): vevent for vevent in events_of(text)}
    assert set(vevents) == {f"{settings.base_url}/events/{home.slug}",
                            f"{settings.base_url}/kainuu/events/{kainuu.slug}",
                            f"{settings.base_url}/lappi-etela/events/{etela.slug}"}
    kainuu_description = prop(vevents[f"{settings.base_url}/kainuu/events/{kainuu.slug}"], "description")
    assert "Järjestäjä: Kainuun ELO-verkosto (avoin koko maalle)" in kainuu_description
    home_description = prop(vevents[f"{settings.base_url}/events/{home.slug}"], "description")
    assert f"Järjestäjä: {settings.network_name_in('fi')}" in home_description
    assert "avoin koko maalle" not in home_description
    assert "ELO-verkostojen tapahtumat koko maassa" in text

    # each event keeps the UID of its own network's feed
    kainuu_feed = client.get("/kainuu/events/calendar.ics").get_data(as_text=True)
    [kainuu_alone] = events_of(kainuu_feed)
    assert prop(kainuu_alone, "uid") == prop(vevents[f"{settings.base_url}/kainuu/events/{kainuu.slug}"], "uid")

    swedish = client.get("/events/calendar.ics?lang=sv&network=kainuu").get_data(as_text=True)
    [only] = events_of(swedish)
    assert "Arrangör: ELO-nätverket i Kajanaland (öppet för hela landet)" in prop(only, "description")


def test_a_feed_of_ones_own_choice_spans_networks(client: Client, networks: Any, events_app: Flask) -> None:
    event_in(events_app, None, themes=["digital"])
    kainuu = event_in(events_app, KAINUU, themes=["digital"], mode="online", address="")
    etela = event_in(events_app, ETELA, themes=["digital"], kind="seminar")
    event_in(events_app, ETELA, themes=["quality"])

    def titles(query: str) -> set[str]:
        text = client.get(f"/events/calendar.ics?{query}").get_data(as_text=True)
        return {prop(vevent, "summary") for vevent in events_of(text)}

    assert titles("network=kainuu,lappi-etela&theme=digital") == {_title(kainuu), _title(etela)}
    assert titles("network=kainuu&network=lappi-etela&theme=digital") == {_title(kainuu), _title(etela)}
    assert titles("mode=online") == {_title(kainuu)}
    assert titles("kind=seminar&lang=fi") == {_title(etela)}


def test_wrong_filters_of_the_feed_get_a_problem_naming_them(client: Client, networks: Any) -> None:
    response = client.get("/events/calendar.ics?network=kainuu,atlantis&mode=teleport&kind=party")

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    errors = response.get_json()["errors"]
    assert set(errors) == {"network", "mode", "kind"}
    assert "atlantis" in errors["network"][0]


def test_the_national_feed_is_served_from_its_copy_until_a_network_changes(client: Client, networks: Any,
                                                                           events_app: Flask) -> None:
    event_in(events_app, None)
    changing = event_in(events_app, ETELA)

    first = client.get("/events/calendar.ics")
    etag = first.headers["ETag"].strip('"')
    assert rendered_feeds.get(etag) == first.get_data(as_text=True)
    assert client.get("/events/calendar.ics").headers["ETag"] == first.headers["ETag"]
    unchanged = client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    assert first.headers["Last-Modified"]

    with using_network(ETELA), db.transaction() as session:
        event = session.get(Event, changing.id)
        assert event is not None
        event.title = {**event.title, "fi": "Uusi nimi Etelä-Lapissa"}
        event.updated_at = utcnow()
    changed = client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert "Uusi nimi Etelä-Lapissa" in changed.get_data(as_text=True)

    added = event_in(events_app, KAINUU)
    assert _title(added) in client.get("/events/calendar.ics").get_data(as_text=True)


def test_the_national_list_shows_a_seat_taken_or_an_event_added_in_any_network_at_once(
        client: Client, networks: Any, events_app: Flask) -> None:
    from tests.events.factories import register
    from tests.events.test_availability import page_text

    event = event_in(events_app, KAINUU, capacity=3)
    assert "3 paikkaa jäljellä" in page_text(client, "/events/?lang=fi")
    with using_network(KAINUU):
        register(events_app, event.id, "a@example.fi", confirm=False)
    assert "2 paikkaa jäljellä" in page_text(client, "/events/?lang=fi")
    added = event_in(events_app, ETELA, title={"fi": "Lisätty tapahtuma", "sv": "Tillagt evenemang"})
    assert _title(added) in page_text(client, "/events/?lang=fi")
