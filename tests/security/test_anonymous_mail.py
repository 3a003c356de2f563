"""Mail that anyone can cause by typing someone else's address (a subscription, a registration, an
article) reaches that address at most ELO_ANONYMOUS_MAIL_PER_DAY times a day from the whole system, with
no text of the sender's choosing in a Subject; an address that complained gets none of it. The one who
typed the address gets the same answers whatever the mailer does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from shared.settings import Settings, load_settings
from tests.conftest import Backend, SmtpSink
from tests.security import flows

CAP = 3  # the default of ELO_ANONYMOUS_MAIL_PER_DAY


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


def _answer(response: Any) -> tuple[int, bytes]:
    return response.status_code, response.get_data()


def _events(client: Client, headers: dict[str, str], count: int) -> list[int]:
    made = []
    for n in range(count):
        starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30 + n)
        event = flows.create_event(client, headers, starts_at=starts.isoformat(),
                                   ends_at=(starts + dt.timedelta(hours=2)).isoformat())
        assert event is not None
        made.append(event["id"])
    return made


def _mail_to(victim: str, *, client: Client, event_ids: list[int], title: str) -> list[tuple[int, bytes]]:
    """What one anonymous client can make the system mail: 3 subscriptions, 5 articles, 5 registrations."""
    answers = []
    for language in ("fi", "sv", "en"):  # a changed choice each time, so each asks for a fresh confirmation
        answers.append(_answer(flows.subscribe(client, victim, language=language)))
    for n in range(5):
        answers.append(_answer(flows.submit_article(client, email=victim, title=f"{title} {n}")))
    for event_id in event_ids:
        answers.append(_answer(flows.register(client, event_id, victim, name=title)))
    return answers


def test_thirteen_anonymous_requests_bring_at_most_the_cap_and_no_chosen_subject(
        client: Client, admin_headers: Callable[[str], dict[str, str]], smtp_sink: SmtpSink,
        drain: Callable[..., None]) -> None:
    event_ids = _events(client, admin_headers("organizer"), 5)
    title = "BUY CHEAP PILLS at spam.example"
    victim, bystander = flows.address("victim"), flows.address("bystander")
    victim_answers = _mail_to(victim, client=client, event_ids=event_ids, title=title)
    drain()
    assert len(victim_answers) == 13
    assert len(smtp_sink.to(victim)) <= CAP
    assert len(smtp_sink.to(victim)) >= 1
    for message in smtp_sink.messages:
        assert "PILLS" not in str(message["Subject"])
    # A fresh address gets exactly the same answers: the cap is not visible to the sender.
    from shared.ratelimit import reset_rates

    reset_rates()
    assert _mail_to(bystander, client=client, event_ids=event_ids, title=title) == [
        (status, body.replace(victim.encode(), bystander.encode())) for status, body in victim_answers]


def test_the_cap_is_recorded_and_not_retried(client: Client, apps: dict[str, Flask], drain: Callable[..., None],
                                             smtp_sink: SmtpSink) -> None:
    from services.mailer.models import Delivery, DeliveryStatus, db

    victim = flows.address("victim")
    for n in range(5):
        assert flows.submit_article(client, email=victim, title=f"Otsikko {n}").status_code == 202
    drain()
    assert len(smtp_sink.to(victim)) == CAP
    with db.transaction() as session:
        rows = session.execute(sa.select(Delivery.status, Delivery.last_error, Delivery.attempts)
                               .order_by(Delivery.id)).all()
    assert [row.status for row in rows] == [DeliveryStatus.SENT] * CAP + [DeliveryStatus.SUPPRESSED] * 2
    assert all(row.last_error.startswith("capped") and row.attempts == 0 for row in rows[CAP:])


def test_an_address_that_complained_gets_no_mail_caused_by_others(
        client: Client, apps: dict[str, Flask], admin_headers: Callable[[str], dict[str, str]],
        smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    from services.mailer.models import db as mailer_db
    from services.mailer.operations import record_suppression
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus
    from shared.db import utcnow

    person = flows.address("complainer")
    flows.subscribe(client, person)
    drain()
    [confirmation] = smtp_sink.to(person)
    with apps["mailer"].app_context(), mailer_db.transaction() as session:
        record_suppression(session, secret_key=apps["mailer"].config["SECRET_KEY"], email=person,
                           reason="complaint", occurred_at=utcnow(), detail=None)
    drain()
    with db.transaction() as session:
        assert session.scalars(sa.select(Subscriber.status)).one() == SubscriberStatus.COMPLAINED
        consents = session.scalar(sa.select(sa.func.count(ConsentEvent.id)))
    fresh = flows.address("fresh")
    assert _answer(flows.subscribe(client, person))[0] == 202
    assert flows.subscribe(client, person).get_data() == flows.subscribe(client, fresh).get_data()
    assert flows.submit_article(client, email=person).status_code == 202
    [event_id] = _events(client, admin_headers("organizer"), 1)
    assert flows.register(client, event_id, person).status_code in (200, 201, 202)
    drain()
    assert smtp_sink.to(person) == [confirmation]
    assert smtp_sink.to(fresh)
    with db.transaction() as session:
        subscriber = session.scalars(sa.select(Subscriber).where(Subscriber.email == person)).one()
        assert subscriber.status == SubscriberStatus.COMPLAINED
        assert session.scalar(sa.select(sa.func.count(ConsentEvent.id))
                              .where(ConsentEvent.subscriber_id == subscriber.id)) == consents
