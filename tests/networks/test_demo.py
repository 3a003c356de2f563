"""The demo holds two networks (issue #16): the default Pohjois-Pohjanmaa one, unchanged, and the Swedish-first
Österbotten network with its own subscribers, an issue in the archive and events, in Swedish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from services.cli import load_demo
from services.events.models import Event, EventMode
from services.events.models import db as events_db
from services.mailer.models import CapturedMail
from services.mailer.models import db as mailer_db
from services.network_commands import migrate_network
from services.subscriptions.demo import SWEDISH_REGION
from services.subscriptions.models import db as subscriptions_db
from services.subscriptions.newsletter.models import Issue, IssueStatus
from services.subscriptions.subscribers.models import Subscriber
from shared.network_registry import save_network
from shared.networks import forget_networks, using_network
from shared.settings import Settings
from tests.networks.conftest import empty_tables, forget_network

REGION_ARCHIVE_TITLE = "ELO-nyhetsbrev för Österbotten 1/2026"


@pytest.fixture
def empty_region(apps: dict[str, Flask]) -> Iterator[None]:
    """The demo's second network starts empty (its tables may exist from an earlier test) and is removed after."""
    for info in SERVICES:
        save_network(info.module().db, SWEDISH_REGION)
    migrate_network(SWEDISH_REGION)
    forget_networks()
    with using_network(SWEDISH_REGION):
        for info in SERVICES:
            empty_tables(info.module().db)
    yield
    with using_network(SWEDISH_REGION):
        for info in SERVICES:
            info.module().db.session.remove()
            empty_tables(info.module().db)
    forget_network(SWEDISH_REGION.slug)


@pytest.mark.usefixtures("empty_region")
def test_the_demo_holds_a_swedish_first_network_beside_the_default_one(settings: Settings, client: Client) -> None:
    load_demo(settings)

    with using_network(SWEDISH_REGION):
        with subscriptions_db.transaction() as session:
            languages = set(session.scalars(sa.select(Subscriber.language)))
            sent = session.scalars(sa.select(Issue).where(Issue.status == IssueStatus.SENT)).all()
            assert languages == {"sv", "fi"}
            assert [(issue.language, issue.primary.title) for issue in sent] == [("sv", REGION_ARCHIVE_TITLE)]
            assert sent[0].total > 0
        with events_db.transaction() as session:
            events = session.scalars(sa.select(Event)).all()
            assert {event.mode for event in events} == {EventMode.ONLINE, EventMode.ONSITE, EventMode.HYBRID}
            assert any(event.languages == ["sv", "fi"] for event in events)
            assert any("Vasa" in event.address for event in events if event.mode is EventMode.ONSITE)
            assert all(event.registrations for event in events)
        with mailer_db.transaction() as session:
            assert session.scalars(sa.select(CapturedMail.language)).all() == ["sv"]

    region_events = client.get("/osterbotten/events/")
    assert region_events.status_code == 200
    for swedish in ("Nätverksträff i Vasa", "Vägledning på distans", "Regionalt seminarium om livslång vägledning"):
        assert swedish in region_events.text
    region_archive = client.get("/osterbotten/newsletter/archive/")
    assert region_archive.status_code == 200
    assert "Nyhetsbrevsarkiv" in region_archive.text
    assert REGION_ARCHIVE_TITLE in region_archive.text

    # the default network's demo stays as it was, without the region's content
    default_events = client.get("/pohjois-pohjanmaa/events/?lang=fi").text  # the default network's own list
    assert "Pohjois-Pohjanmaan ELO-foorumi" in default_events
    assert "Verkostotapaaminen Vaasassa" not in default_events
    national = client.get("/events/?lang=fi").text  # the national calendar: both networks, each named
    assert "Pohjois-Pohjanmaan ELO-foorumi" in national
    assert "Verkostotapaaminen Vaasassa" in national
    default_archive = client.get("/newsletter/archive/?lang=sv").text
    assert "ELO-nyhetsbrev 1/2026" in default_archive
    assert REGION_ARCHIVE_TITLE not in default_archive
