"""Announcements of new public events (issue #18): a mail per event or a weekly digest, in the subscriber's
language, sent once, with a one-click link that stops announcements only.

The events service, the subscriptions service and the mailer are the real ones (in-process worker), and
the mail goes to a real SMTP server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import Client

import services.subscriptions.jobs  # noqa: F401 - registers the weekly digest's job handler, as the scheduler does
from services.events.models import db as events_db
from services.subscriptions.announcements.models import Announcement, AnnouncementDelivery, MailingStatus
from services.subscriptions.announcements.operations import choices, content, receiving, sending
from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from shared import scheduler
from shared.auth import new_token, store_token
from shared.contract import EVENT_ANNOUNCED
from shared.models import OutboxMessage
from shared.networks import using_network
from shared.settings import Settings, load_settings
from tests.conftest import Backend, SmtpSink
from tests.events.factories import event_data
from tests.networks.conftest import LAPPI, network_b  # noqa: F401 - the second network's fixture
from tests.subscriptions.conftest import make_subscriber

EVENTS_API = "/events/api/v1/events"
API = "/newsletter/api/v1/announcements"
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


@pytest.fixture
def coordinator(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("coordinator")


def _reader(email: str, language: str = "fi", choice: str | None = None,
            topics: tuple[str, ...] = ("newsletter", "events"), status: str = "confirmed") -> int:
    subscriber_id = make_subscriber(email, name=None, language=language, topics=topics, status=status)
    if choice is not None:
        with db.transaction() as session:
            subscriber = session.get(Subscriber, subscriber_id)
            assert subscriber is not None
            choices.set_choice(session, subscriber, choice)
    return subscriber_id


def _readers() -> None:
    _reader("aino@example.fi", "fi")
    _reader("britta@example.fi", "sv", choice="each")
    _reader("emma@example.fi", "en")
    _reader("viikko@example.fi", "fi", choice="weekly")
    _reader("ei@example.fi", "fi", choice="none")
    _reader("uutiset@example.fi", "fi", topics=("newsletter",))
    _reader("odottaa@example.fi", "fi", status="pending")


def _publish(client: Client, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(EVENTS_API, json=event_data(**overrides), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    event: dict[str, Any] = response.get_json()
    return event


def _announced_messages() -> list[dict[str, Any]]:
    with events_db.transaction() as session:
        return [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.actor_name == EVENT_ANNOUNCED.actor).order_by(OutboxMessage.id))]


def _recipients(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(message["To"]).rsplit("<", 1)[-1].rstrip(">") for message in messages)


def _by_recipient(messages: list[EmailMessage], address: str) -> EmailMessage:
    [found] = [message for message in messages if address in str(message["To"])]
    return found


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _stop_link(message: EmailMessage) -> str:
    header = str(message["List-Unsubscribe"])
    return header.split("<", 1)[1].split(">", 1)[0].removeprefix(BASE)


def _choice(email: str) -> str:
    with db.transaction() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert subscriber is not None
        return choices.choice_of(session, subscriber.id)


# --- a mail per event -----------------------------------------------------------------------------------

def test_a_new_public_event_goes_once_to_each_subscriber_who_wants_it_in_their_language(
        client: Client, coordinator: dict[str, str], smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    _readers()
    event = _publish(client, coordinator)
    drain()
    messages = smtp_sink.wait_for(3)
    assert _recipients(messages) == ["aino@example.fi", "britta@example.fi", "emma@example.fi"]
    finnish, swedish, english = (_by_recipient(messages, address)
                                 for address in ("aino@", "britta@", "emma@"))
    assert str(finnish["Subject"]) == f"Uusi tapahtuma: {event['title']['fi']}"
    assert str(swedish["Subject"]) == f"Nytt evenemang: {event['title']['sv']}"
    assert str(english["Subject"]) == f"New event: {event['title']['en']}"
    assert f"/events/{event['slug']}?lang=sv" in _text(swedish)
    assert "Plats: Kauppurienkatu 8, 90100 Oulu · På plats eller på distans" in _text(swedish)
    assert "/newsletter/announcements/stop/" in str(swedish["List-Unsubscribe"])
    assert str(swedish["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(swedish["List-Id"]).startswith("<events.")

    with db.transaction() as session:
        announcement = session.scalar(select(Announcement))
        assert announcement is not None
        assert announcement.mailing is not None
        assert (announcement.mailing.status, announcement.mailing.total) == (MailingStatus.SENT, 3)
    state = client.get(f"{API}/{announcement.id}", headers=coordinator).get_json()
    assert state == {"id": announcement.id, "event_id": event["id"], "slug": event["slug"], "status": "sent",
                     "total": 3}


def test_editing_the_event_sends_nothing_new(client: Client, coordinator: dict[str, str], smtp_sink: SmtpSink,
                                             drain: Callable[..., None]) -> None:
    _readers()
    event = _publish(client, coordinator)
    drain()
    smtp_sink.wait_for(3)
    later = dt.datetime.fromisoformat(event["starts_at"]) + dt.timedelta(days=1)
    changes = {"title": {"fi": "Uusi nimi", "sv": "Nytt namn"}, "starts_at": later.isoformat(),
               "ends_at": (later + dt.timedelta(hours=2)).isoformat(), "visibility": "public"}
    response = client.patch(f"{EVENTS_API}/{event['id']}", json=changes, headers=coordinator)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert client.post(f"{EVENTS_API}/{event['id']}/cancel", headers=coordinator).status_code == 200
    drain()
    assert len(_announced_messages()) == 1
    assert len(smtp_sink.messages) == 3


def test_an_unlisted_event_is_announced_when_it_is_made_public(
        client: Client, coordinator: dict[str, str], smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    _reader("aino@example.fi")
    event = _publish(client, coordinator, visibility="unlisted")
    drain()
    assert _announced_messages() == []
    response = client.patch(f"{EVENTS_API}/{event['id']}", json={"visibility": "public"}, headers=coordinator)
    assert response.status_code == 200, response.get_data(as_text=True)
    drain()
    assert _recipients(smtp_sink.wait_for(1)) == ["aino@example.fi"]
    client.patch(f"{EVENTS_API}/{event['id']}", json={"visibility": "unlisted"}, headers=coordinator)
    client.patch(f"{EVENTS_API}/{event['id']}", json={"visibility": "public"}, headers=coordinator)
    drain()
    assert len(_announced_messages()) == 1
    assert len(smtp_sink.messages) == 1


def test_a_message_delivered_again_sends_nothing_twice(client: Client, coordinator: dict[str, str],
                                                      apps: dict[str, Flask], smtp_sink: SmtpSink,
                                                      drain: Callable[..., None]) -> None:
    from services.subscriptions.announcements import actors

    _readers()
    _publish(client, coordinator)
    drain()
    smtp_sink.wait_for(3)
    [payload] = _announced_messages()
    actors.event_announced.send(payload)
    actors.event_announced.send(payload)
    drain()
    assert len(smtp_sink.messages) == 3
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Announcement)) == 1
        assert session.scalar(select(func.count()).select_from(AnnouncementDelivery)) == 3
    with apps["subscriptions"].app_context(), db.transaction() as session:
        [step] = [row.payload for row in session.scalars(select(OutboxMessage).where(
            OutboxMessage.actor_name == sending.EXPAND_STEP.actor))]
        assert sending.expand_step(session, step["mailing_id"], step["after_id"]) is False  # a stale step


# --- the one-click link ------------------------------------------------------------------------------------

def test_the_one_click_link_stops_announcements_only_and_only_on_post(
        client: Client, coordinator: dict[str, str], smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    _reader("britta@example.fi", "sv")
    _publish(client, coordinator)
    drain()
    [message] = smtp_sink.wait_for(1)
    link = _stop_link(message)
    for method in ("HEAD", "GET", "OPTIONS"):
        response = client.open(link, method=method)
        assert response.status_code == 200, method
        assert _choice("britta@example.fi") == "each", method
    page = client.get(f"{link}?lang=sv")
    assert "Avsluta meddelanden om evenemang" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store, private"

    response = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert _choice("britta@example.fi") == "none"
    with db.transaction() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email == "britta@example.fi"))
        assert subscriber is not None
        assert subscriber.status is SubscriberStatus.CONFIRMED
        assert subscriber.topic_names == ["events", "newsletter"]

    _publish(client, coordinator)
    drain()
    assert len(smtp_sink.messages) == 1, "no more announcements after the link"


def test_a_broken_or_foreign_link_changes_nothing(client: Client, coordinator: dict[str, str],
                                                 smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    _reader("aino@example.fi")
    _publish(client, coordinator)
    drain()
    [message] = smtp_sink.wait_for(1)
    newsletter_unsubscribe = _stop_link(message).replace("/announcements/stop/", "/unsubscribe/")
    assert client.post(newsletter_unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.post("/newsletter/announcements/stop/nonsense", data={}).status_code == 404
    assert _choice("aino@example.fi") == "each"


def test_the_mail_links_open_in_the_subscribers_language(
        client: Client, coordinator: dict[str, str], smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    _reader("britta@example.fi", "sv")
    event = _publish(client, coordinator)
    drain()
    [message] = smtp_sink.wait_for(1)
    text = _text(message)
    event_link = next(word for word in text.split() if f"/events/{event['slug']}" in word)
    page = client.get(event_link.removeprefix(BASE))
    assert page.status_code == 200
    assert '<html lang="sv"' in page.get_data(as_text=True)
    stop = next(word for word in text.split() if "/announcements/stop/" in word)
    assert stop.endswith("?lang=sv")
    assert '<html lang="sv"' in client.get(stop.removeprefix(BASE)).get_data(as_text=True)


# --- the preference -----------------------------------------------------------------------------------------

def test_the_preferences_page_offers_the_three_choices_and_saves_one(client: Client, apps: dict[str, Flask]) -> None:
    from services.subscriptions.subscribers.operations.links import preferences_url

    subscriber_id = _reader("aino@example.fi")
    with apps["subscriptions"].app_context(), db.transaction() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        assert subscriber is not None
        path = preferences_url(subscriber).removeprefix(BASE)
    html = client.get(f"{path}?lang=fi").get_data(as_text=True)
    assert "<legend>Tiedotteet tapahtumista" in html
    assert 'type="radio" name="announcements" value="each"' in html
    assert "Kooste kerran viikossa" in html
    form = {"action": "save", "language": "fi", "topics": ["newsletter", "events"], "announcements": "weekly"}
    assert client.post(path, data=form).status_code == 200
    assert _choice("aino@example.fi") == "weekly"
    form["announcements"] = "sometimes"
    assert client.post(path, data=form).status_code == 422
    assert _choice("aino@example.fi") == "weekly"
    plain = client.get(f"{path}?plain=1&lang=sv").get_data(as_text=True)
    assert "Hur ofta vill du ha nyheter om evenemang?" in plain


# --- the weekly digest ---------------------------------------------------------------------------------------

def test_the_weekly_digest_lists_the_weeks_events_once(client: Client, coordinator: dict[str, str],
                                                       apps: dict[str, Flask], smtp_sink: SmtpSink,
                                                       drain: Callable[..., None]) -> None:
    _reader("viikko@example.fi", "fi", choice="weekly")
    _reader("vecka@example.fi", "sv", choice="weekly")
    _reader("aino@example.fi", "fi")
    first = _publish(client, coordinator)
    second = _publish(client, coordinator, mode="online", address="")
    drain()
    assert _recipients(smtp_sink.wait_for(2)) == ["aino@example.fi", "aino@example.fi"]

    week = content.digest_week(dt.datetime.now(dt.UTC))
    assert week.weekday() == 0
    due = content.digest_due(week)
    with apps["subscriptions"].app_context():
        assert scheduler.tick(db, now=due - dt.timedelta(minutes=1)) == 0
        assert scheduler.tick(db, now=due + dt.timedelta(minutes=1)) == 1
    drain()
    messages = smtp_sink.wait_for(4)
    digests = [message for message in messages if "aino@" not in str(message["To"])]
    assert _recipients(digests) == ["vecka@example.fi", "viikko@example.fi"]
    finnish = _by_recipient(digests, "viikko@")
    assert str(finnish["Subject"]) == "Viikon uudet tapahtumat"
    text = _text(finnish)
    assert text.count(first["title"]["fi"]) == 1
    assert text.count(second["title"]["fi"]) == 1
    assert "Paikka: Etänä verkossa" in text
    assert second["title"]["sv"] in _text(_by_recipient(digests, "vecka@"))

    with apps["subscriptions"].app_context():
        with db.transaction() as session:
            from services.subscriptions.announcements.operations import digest

            assert digest.send_digest(session, week) is None  # the week's digest went already
        assert scheduler.tick(db, now=due + dt.timedelta(hours=1)) == 0
    drain()
    assert len(smtp_sink.messages) == 4


def test_a_week_without_announcements_sends_no_digest(apps: dict[str, Flask]) -> None:
    _reader("viikko@example.fi", "fi", choice="weekly")
    from services.subscriptions.announcements.operations import digest

    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert digest.send_digest(session, content.digest_week(dt.datetime.now(dt.UTC))) is None


def test_the_digest_goes_out_on_monday_at_eight_helsinki_time() -> None:
    sunday_evening = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)
    assert content.digest_week(sunday_evening) == dt.date(2026, 12, 7)
    assert content.digest_due(dt.date(2026, 12, 7)) == dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)
    monday_after_eight = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)
    assert content.digest_week(monday_after_eight) == dt.date(2026, 12, 14)
    summer = content.digest_due(dt.date(2026, 6, 1))
    assert summer == dt.datetime(2026, 6, 1, 5, 0, tzinfo=dt.UTC)


# --- pause, resume, cancel ---------------------------------------------------------------------------------

def _announce_directly(app: Flask, event_id: int = 7) -> int:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    event = {"event_id": event_id, "slug": f"tapahtuma-{event_id}", "title": {"fi": "Tapahtuma"},
             "url": {"fi": f"http://127.0.0.1:8000/events/tapahtuma-{event_id}?lang=fi"},
             "starts_at": start, "ends_at": start + dt.timedelta(hours=2), "mode": "onsite", "place": "Oulu",
             "kind": "seminar", "themes": []}
    with app.app_context(), db.transaction() as session:
        announcement = receiving.receive(session, event)
        assert announcement is not None
        return announcement.id


def _mailing(announcement_id: int) -> tuple[int, int, MailingStatus]:
    """(mailing id, cursor, status)."""
    with db.transaction() as session:
        mailing = sending.mailing_of(session, announcement_id)
        return mailing.id, mailing.last_subscriber_id, mailing.status


def _deliveries() -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(AnnouncementDelivery)) or 0


def test_pause_stops_further_batches_and_resume_goes_on(client: Client, coordinator: dict[str, str],
                                                        apps: dict[str, Flask]) -> None:
    for number in range(3):
        _reader(f"lukija{number}@example.fi")
    announcement_id = _announce_directly(apps["subscriptions"])
    mailing_id, cursor, _status = _mailing(announcement_id)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert sending.expand_step(session, mailing_id, cursor, batch_size=1) is True
    assert _deliveries() == 1

    response = client.post(f"{API}/{announcement_id}/pause", headers=coordinator)
    assert response.status_code == 200
    assert response.get_json()["status"] == "paused"
    _mailing_id, cursor, status = _mailing(announcement_id)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert sending.expand_step(session, mailing_id, cursor, batch_size=1) is False
    assert (_deliveries(), status) == (1, MailingStatus.PAUSED)
    assert client.post(f"{API}/{announcement_id}/pause", headers=coordinator).status_code == 409

    assert client.post(f"{API}/{announcement_id}/resume", headers=coordinator).get_json()["status"] == "sending"
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert sending.expand_step(session, mailing_id, cursor, batch_size=1) is True
    assert _deliveries() == 2

    cancelled = client.post(f"{API}/{announcement_id}/cancel", headers=coordinator)
    assert cancelled.get_json() | {"id": 0} == {"id": 0, "event_id": 7, "slug": "tapahtuma-7", "status": "cancelled",
                                                "total": 2}
    _mailing_id, cursor, _status = _mailing(announcement_id)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert sending.expand_step(session, mailing_id, cursor, batch_size=1) is False
    assert _deliveries() == 2


def test_pausing_needs_a_coordinator_and_an_announcement(client: Client, admin_headers: Callable[[str], dict[str, str]],
                                                         apps: dict[str, Flask]) -> None:
    announcement_id = _announce_directly(apps["subscriptions"])
    assert client.post(f"{API}/{announcement_id}/pause").status_code == 401
    assert client.post(f"{API}/{announcement_id}/pause", headers=admin_headers("editor")).status_code == 403
    missing = client.post(f"{API}/{announcement_id + 100}/pause", headers=admin_headers("coordinator"))
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


# --- several networks ---------------------------------------------------------------------------------------

@pytest.mark.usefixtures("network_b")
def test_an_event_of_one_network_is_announced_to_that_networks_subscribers_only(
        client: Client, smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    _reader("oulu@example.fi")
    token = new_token()
    with using_network(LAPPI):
        _reader("rovaniemi@example.fi")
        with events_db.transaction() as session:
            store_token(session, token, "coordinator")
    response = client.post(f"/{LAPPI.slug}{EVENTS_API}", json=event_data(),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    drain()
    [message] = smtp_sink.wait_for(1)
    assert _recipients([message]) == ["rovaniemi@example.fi"]
    assert "elo@lappi.example" in str(message["From"])
    assert str(message["List-Id"]).endswith("<events.lappi.elo.example>")
    assert f"{BASE}/{LAPPI.slug}/events/{response.get_json()['slug']}?lang=fi" in _text(message)
    assert f"{BASE}/{LAPPI.slug}/newsletter/announcements/stop/" in str(message["List-Unsubscribe"])
    with using_network(LAPPI), db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Announcement)) == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Announcement)) == 0
