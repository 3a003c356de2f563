"""One person in two networks (issue #16, point 4), on both backends: consent, preferences and unsubscribe are
separate per network; the "my data" export, from either network's link, lists both networks, each part named
by its network; erasure takes this network only (the other keeps everything) or all networks (nothing left in
any service of either). The coordinator's export stays per network.

The default network is one network; `kainuu` (`/kainuu/…`) is added per test and dropped after it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import Client

from services import SERVICES
from services.network_commands import migrate_network
from services.subscriptions.models import db
from services.subscriptions.subscribers.models import ConsentEvent, Subscriber, Suppression, SuppressionReason
from shared.auth import new_token, store_token
from shared.db import Database, committing, network_sqlite_url
from shared.models import NetworkRow
from shared.network_registry import save_network
from shared.networks import Network, forget_networks, set_network, using_network
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY
from tests.events.factories import event_data
from tests.subscriptions.conftest import emails_to
from tests.subscriptions.test_preferences_gdpr import ADDRESS, NAME, clear_text_hits

KAINUU = Network(slug="kainuu", names={"fi": "Kainuun ELO-verkosto", "sv": "ELO-nätverket i Kajanaland",
                                       "en": "Kainuu ELO network"},
                 languages=("fi", "sv"), mail_from="Kainuun ELO <elo@kainuu.example>",
                 postal_addresses={"fi": "Kauppakatu 1, 87100 Kajaani"}, list_id="kainuu.elo.example")
DEFAULT_NAMES = {"fi": "Pohjois-Pohjanmaan ELO-verkosto", "en": "North Ostrobothnia ELO network"}
ORGANISATION = "Kajaanin ammattikorkeakoulu"
HOST = "http://127.0.0.1:8000"


@pytest.fixture
def kainuu(apps: dict[str, Flask]) -> Iterator[Network]:
    """The network `kainuu` beside the default one, migrated and empty; its schemas or files dropped after."""
    for info in SERVICES:
        save_network(info.module().db, KAINUU)
    migrate_network(KAINUU)
    forget_networks()
    yield KAINUU
    set_network(None)
    for info in SERVICES:
        database = info.module().db
        database.session.remove()
        with committing(Session(bind=database.default_engine)) as session:
            session.execute(sa.delete(NetworkRow).where(NetworkRow.slug == KAINUU.slug))
        _drop_network_data(database)
    forget_networks()


def _drop_network_data(database: Database) -> None:
    if database.default_engine.dialect.name == "postgresql":
        with database.default_engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{KAINUU.schema}" CASCADE')
    else:
        database.engine_for(KAINUU).dispose()
        path = Path(network_sqlite_url(database.url, KAINUU).removeprefix("sqlite:///"))
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            file.unlink(missing_ok=True)  # the folder stays: the database's cached engine made it


def prefix_of(network: Network | None) -> str:
    return f"/{network.slug}" if network else ""


def path_of(url: str) -> str:
    return url.removeprefix(HOST)


def mails_to(network: Network | None, template: str) -> list[dict[str, Any]]:
    with using_network(network):
        return emails_to(ADDRESS, template)


def subscribe_and_confirm(client: Client, network: Network | None, topics: list[str]) -> str:
    """Subscribes ADDRESS in `network`; returns the path of that network's preference centre."""
    answer = client.post(f"{prefix_of(network)}/newsletter/api/v1/subscriptions",
                         json={"email": ADDRESS, "name": NAME, "language": "fi", "topics": topics})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    confirm_url = mails_to(network, "confirm-subscription")[-1]["context"]["confirm_url"]
    assert path_of(confirm_url).startswith(f"{prefix_of(network)}/newsletter/confirm/")
    assert client.post(path_of(confirm_url)).status_code == 200
    welcome = mails_to(network, "welcome")[-1]
    return path_of(str(welcome["context"]["personal"]["preferences_url"]))


def headers_in(network: Network | None, role: str = "coordinator") -> dict[str, str]:
    token = new_token()
    with using_network(network):
        for info in SERVICES:
            with info.module().db.transaction() as session:
                store_token(session, token, role)
    return {"Authorization": f"Bearer {token}"}


def register_in(client: Client, network: Network | None) -> str:
    data = event_data()
    prefix = prefix_of(network)
    created = client.post(f"{prefix}/events/api/v1/events", json=data, headers=headers_in(network, "organizer"))
    assert created.status_code == 201, created.get_data(as_text=True)
    registered = client.post(f"{prefix}/events/api/v1/events/{created.get_json()['id']}/registrations",
                             json={"name": NAME, "email": ADDRESS, "organisation": ORGANISATION,
                                   "participation": "remote", "language": "fi", "answers": {}})
    assert registered.status_code == 201, registered.get_data(as_text=True)
    return str(data["title"]["fi"])


def my_data_page(client: Client, network: Network | None, language: str = "fi") -> tuple[str, str]:
    """Ask for the link in `network` and open it; returns (the page's HTML, the page's token)."""
    asked = client.post(f"{prefix_of(network)}/newsletter/my-data?lang={language}", data={"email": ADDRESS})
    assert asked.status_code == 303, asked.get_data(as_text=True)
    link = path_of(str(mails_to(network, "my-data-link")[-1]["context"]["my_data_url"]))
    assert link.startswith(f"{prefix_of(network)}/newsletter/my-data/")
    opened = client.post(f"{link}?lang={language}")
    assert opened.status_code == 200, opened.get_data(as_text=True)
    page = opened.get_data(as_text=True)
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found
    return page, found.group(1)


def download(client: Client, network: Network | None, page_token: str, language: str = "fi") -> dict[str, Any]:
    response = client.post(f"{prefix_of(network)}/newsletter/my-data/download?lang={language}",
                           data={"token": page_token})
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def erase(client: Client, network: Network | None, page_token: str, scope: str, language: str = "fi") -> str:
    """Asks first (the confirmation page, returned), then confirms."""
    path = f"{prefix_of(network)}/newsletter/my-data/erase?lang={language}"
    asked = client.post(path, data={"token": page_token, "scope": scope})
    assert asked.status_code == 200, asked.get_data(as_text=True)
    assert f'name="scope" value="{scope}"' in asked.get_data(as_text=True)
    done = client.post(path, data={"token": page_token, "scope": scope, "confirm": "yes"})
    assert done.status_code == 200, done.get_data(as_text=True)
    return asked.get_data(as_text=True)


def subscriber_in(network: Network | None) -> Subscriber | None:
    with using_network(network), db.transaction() as session:
        subscriber = session.scalars(sa.select(Subscriber)).one_or_none()
        if subscriber is not None:
            subscriber.topic_names  # noqa: B018 - loaded before the session closes
            session.expunge(subscriber)
        return subscriber


def consent_actions(network: Network | None) -> list[str]:
    with using_network(network), db.transaction() as session:
        return [event.action.value for event in session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.id))]


def hits_in(network: Network | None) -> list[str]:
    with using_network(network):
        return clear_text_hits([ADDRESS, NAME, ORGANISATION])


def suppression_in(network: Network | None) -> Suppression | None:
    with using_network(network), db.transaction() as session:
        return session.get(Suppression, email_hash(TEST_SECRET_KEY, ADDRESS))


# --- consent, preferences and unsubscribe -------------------------------------------------------------------

def test_consent_preferences_and_unsubscribe_are_separate_per_network(client: Client, kainuu: Network) -> None:
    preferences_default = subscribe_and_confirm(client, None, ["newsletter"])
    preferences_kainuu = subscribe_and_confirm(client, kainuu, ["events", "trainings"])
    assert preferences_kainuu.startswith("/kainuu/newsletter/preferences/")
    assert consent_actions(None) == consent_actions(kainuu) == ["subscribe", "confirm"]
    assert subscriber_in(None).topic_names == ["newsletter"]  # type: ignore[union-attr]
    assert subscriber_in(kainuu).topic_names == ["events", "trainings"]  # type: ignore[union-attr]

    saved = client.post(preferences_default, data={"action": "save", "language": "sv", "topics": ["events"]})
    assert saved.status_code == 200
    assert (subscriber_in(None).language, subscriber_in(None).topic_names) == ("sv", ["events"])  # type: ignore[union-attr]
    assert (subscriber_in(kainuu).language, subscriber_in(kainuu).topic_names) == (  # type: ignore[union-attr]
        "fi", ["events", "trainings"])

    assert client.post(preferences_kainuu, data={"action": "unsubscribe"}).status_code == 200
    assert subscriber_in(kainuu).status.value == "unsubscribed"  # type: ignore[union-attr]
    assert subscriber_in(None).status.value == "confirmed"  # type: ignore[union-attr]
    assert consent_actions(kainuu)[-1] == "unsubscribe"
    assert "unsubscribe" not in consent_actions(None)
    # The default network's link does not open the other network's subscriber.
    token = preferences_default.rsplit("/", 1)[1]
    assert client.get(f"/kainuu/newsletter/preferences/{token}").status_code == 404


# --- the export ----------------------------------------------------------------------------------------------

def test_the_export_from_either_networks_link_lists_both(client: Client, kainuu: Network,
                                                         drain: Callable[..., None]) -> None:
    subscribe_and_confirm(client, None, ["newsletter"])
    title = register_in(client, kainuu)
    drain()

    page, page_token = my_data_page(client, None, "en")
    assert DEFAULT_NAMES["en"] in page
    assert KAINUU.names["en"] in page
    assert title in page
    assert "Erase from this network" in page
    assert "Erase from all networks" in page
    exported = download(client, None, page_token, "en")
    assert exported["network"] == {"slug": "pohjois-pohjanmaa", "name": DEFAULT_NAMES["en"]}
    assert exported["subscriptions"]["email"] == ADDRESS
    assert exported["events"]["data"]["registrations"] == []
    [other] = exported["other_networks"]
    assert other["network"] == {"slug": "kainuu", "name": KAINUU.names["en"]}
    assert other["subscriptions"] is None
    [registration] = other["events"]["data"]["registrations"]
    assert (registration["event"], registration["organisation"]) == (title, ORGANISATION)
    assert other["mailer"]["data"]["deliveries"], other["mailer"]

    page, page_token = my_data_page(client, kainuu, "fi")
    assert DEFAULT_NAMES["fi"] in page
    assert KAINUU.names["fi"] in page
    exported = download(client, kainuu, page_token, "sv")
    assert exported["network"] == {"slug": "kainuu", "name": KAINUU.names["sv"]}
    assert exported["events"]["data"]["registrations"][0]["event"] == title
    [other] = exported["other_networks"]
    assert other["network"]["slug"] == "pohjois-pohjanmaa"
    assert other["subscriptions"]["email"] == ADDRESS


def test_a_person_in_one_network_sees_one_network(client: Client, kainuu: Network) -> None:
    subscribe_and_confirm(client, kainuu, ["newsletter"])
    page, page_token = my_data_page(client, kainuu)
    assert KAINUU.names["fi"] in page
    assert DEFAULT_NAMES["fi"] not in page
    assert "Erase from all networks" not in page
    assert download(client, kainuu, page_token)["other_networks"] == []


def test_a_link_asked_in_a_network_that_holds_nothing_still_comes(client: Client, kainuu: Network) -> None:
    """The link goes where any network holds the address; its page shows the network that does."""
    subscribe_and_confirm(client, kainuu, ["newsletter"])
    page, page_token = my_data_page(client, None, "en")
    assert "You have no subscription." in page
    exported = download(client, None, page_token)
    assert exported["subscriptions"] is None
    assert exported["other_networks"][0]["subscriptions"]["email"] == ADDRESS


def test_the_coordinators_export_stays_per_network(client: Client, kainuu: Network) -> None:
    subscribe_and_confirm(client, None, ["newsletter"])
    exported = client.get("/kainuu/newsletter/api/v1/subscribers/export.csv", headers=headers_in(kainuu))
    assert exported.status_code == 200
    assert ADDRESS not in exported.get_data(as_text=True)
    assert ADDRESS in client.get("/newsletter/api/v1/subscribers/export.csv",
                                 headers=headers_in(None)).get_data(as_text=True)


# --- erasure -------------------------------------------------------------------------------------------------

def test_erase_from_this_network_leaves_the_other(client: Client, kainuu: Network,
                                                 drain: Callable[..., None]) -> None:
    subscribe_and_confirm(client, None, ["newsletter"])
    subscribe_and_confirm(client, kainuu, ["newsletter"])
    register_in(client, kainuu)
    register_in(client, None)
    drain()
    assert hits_in(None)
    assert hits_in(kainuu)

    _, page_token = my_data_page(client, kainuu, "en")
    asked = erase(client, kainuu, page_token, "this", "en")
    which = asked[asked.index("We erase your data from these networks:"):asked.index("This is what happens:")]
    erased, kept = which.split("Your data stays in these networks:")
    assert KAINUU.names["en"] in erased
    assert DEFAULT_NAMES["en"] not in erased
    assert DEFAULT_NAMES["en"] in kept
    drain()

    assert hits_in(kainuu) == []
    assert suppression_in(kainuu).reason == SuppressionReason.ERASED  # type: ignore[union-attr]
    assert subscriber_in(None).status.value == "confirmed"  # type: ignore[union-attr]
    assert suppression_in(None) is None
    assert {hit.split(".")[0] for hit in hits_in(None)} == {"events", "mailer", "subscriptions"}
    assert client.post("/kainuu/newsletter/my-data/download", data={"token": page_token}).status_code == 410


def test_erase_from_all_networks_removes_both(client: Client, kainuu: Network, drain: Callable[..., None]) -> None:
    subscribe_and_confirm(client, None, ["newsletter"])
    subscribe_and_confirm(client, kainuu, ["newsletter"])
    register_in(client, kainuu)
    register_in(client, None)
    drain()

    _, page_token = my_data_page(client, None)
    asked = erase(client, None, page_token, "all")
    which = asked[asked.index("Poistamme tietosi näistä verkostoista:"):asked.index("Tämä tapahtuu:")]
    assert DEFAULT_NAMES["fi"] in which
    assert KAINUU.names["fi"] in which
    assert "Tietosi säilyvät näissä verkostoissa:" not in which
    drain()

    for network in (None, kainuu):
        assert hits_in(network) == [], network
        assert subscriber_in(network) is None
        assert suppression_in(network).reason == SuppressionReason.ERASED  # type: ignore[union-attr]
        assert consent_actions(network) == ["erase"]


def test_an_unknown_erase_scope_is_refused(client: Client, kainuu: Network) -> None:
    subscribe_and_confirm(client, kainuu, ["newsletter"])
    _, page_token = my_data_page(client, kainuu)
    refused = client.post("/kainuu/newsletter/my-data/erase", data={"token": page_token, "scope": "everything",
                                                                    "confirm": "yes"})
    assert refused.status_code == 400
    assert subscriber_in(kainuu) is not None
