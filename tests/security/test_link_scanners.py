"""Mail security gateways fetch every link of every email (HEAD, GET, OPTIONS) before the person
reads it. None of those requests may change anything: only a POST from the page the link opens (or
the RFC 8058 one-click POST) does. The journeys below produce every kind of mail the public and the
workspace cause, plus the demo content's; every link in every part and header of every captured email
is then fetched as a scanner would, and every row of every service's tables is compared."""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from tests.security import flows

URL = re.compile(r"https?://[^\s\"'<>\\]+")
SCANNER_METHODS = ("HEAD", "GET", "OPTIONS")
# Tables a fetch may touch without changing any person's state: delivery bookkeeping of messages.
BOOKKEEPING = {"outbox_messages", "outbox_claims", "scheduled_jobs", "rate_buckets", "schema_version"}


def captured_mail() -> list[EmailMessage]:
    from services.mailer.models import CapturedMail, db

    with db.transaction() as session:
        raws = session.scalars(sa.select(CapturedMail.raw).order_by(CapturedMail.id)).all()
    return [message_from_bytes(raw, policy=policy.default) for raw in raws]  # type: ignore[misc, unused-ignore]


def links_in(message: EmailMessage) -> set[str]:
    found: set[str] = set()
    for header in ("List-Unsubscribe", "List-Post", "List-Help", "List-Archive"):
        found.update(URL.findall(str(message.get(header) or "")))
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html", "text/calendar"):
            content = part.get_content()
            text = content if isinstance(content, str) else content.decode("utf-8", "replace")
            found.update(match.replace("&amp;", "&") for match in URL.findall(text))
    return found


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in every service (bookkeeping of messages aside)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for info in SERVICES:
        database = info.module().db
        with database.engine.connect() as connection:
            for metadata in database.metadatas:
                for table in metadata.sorted_tables:
                    if table.name in BOOKKEEPING:
                        continue
                    found = connection.execute(sa.select(table)).all()
                    rows[f"{info.name}.{table.name}"] = sorted((tuple(row) for row in found), key=repr)
    return rows


def produce_every_mail(client: Client, apps: dict[str, Flask], headers: Callable[[str], dict[str, str]],
                       drain: Callable[..., None]) -> None:
    editor, organizer = headers("editor"), headers("organizer")
    pending, confirmed = flows.address("pending"), flows.address("confirmed")
    for person in (pending, confirmed):
        assert flows.subscribe(client, person).status_code == 202
    drain()
    for message in captured_mail():
        if confirmed in str(message["To"]):
            [confirm] = [link for link in links_in(message) if "/confirm/" in link]
            assert client.post(urlsplit(confirm).path).status_code == 200
    flows.subscribe(client, confirmed)  # "already subscribed"
    assert flows.submit_article(client).status_code in (201, 202)
    event = flows.create_event(client, organizer)
    assert event is not None
    registrant = flows.address("registrant")
    assert flows.register(client, event["id"], registrant).status_code in (200, 201, 202)
    drain()
    issue = client.post("/newsletter/api/v1/issues", headers=editor, json={
        "title": "ELO-uutiskirje 1/2027", "language": "fi", "introduction": "Hyvä lukija!", "article_ids": []})
    if issue.status_code == 201:
        client.post(f"/newsletter/api/v1/issues/{issue.get_json()['id']}/send", json={"confirm": True}, headers=editor)
    drain()
    for info in SERVICES:  # the demo content and whatever mail it causes
        with apps[info.name].app_context(), info.module().db.transaction() as session:
            info.module("demo").seed(session)
    drain()


def test_head_get_and_options_on_every_link_in_every_email_change_nothing(
        client: Client, apps: dict[str, Flask], admin_headers: Callable[[str], dict[str, str]],
        drain: Callable[..., None]) -> None:
    produce_every_mail(client, apps, admin_headers, drain)
    messages = captured_mail()
    templates = {str(message["X-Elo-Template"] or "") for message in messages}
    links = {link for message in messages for link in links_in(message)}
    own = sorted(link for link in links if urlsplit(link).path.startswith(("/newsletter", "/events", "/mailer")))
    assert len(messages) >= 6, templates
    assert any("/confirm/" in link for link in own)
    assert any("/unsubscribe/" in link for link in own)
    assert any("/preferences/" in link for link in own)
    assert any("/articles/" in link for link in own)
    assert any("/registrations/" in link for link in own)
    before = snapshot()
    answers: dict[str, int] = {}
    for link in own:
        parts = urlsplit(link)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for method in SCANNER_METHODS:
            response = client.open(target, method=method, headers={"User-Agent": "Link-Scanner/1.0"})
            answers[f"{method} {parts.path}"] = response.status_code
            response.close()
    drain()
    after = snapshot()
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert changed == set(), f"a scanner's fetch changed {sorted(changed)}"
    assert not [answer for answer, status in answers.items() if status >= 500], answers


def test_head_get_and_options_on_the_confirm_and_unsubscribe_links_change_nothing(
        client: Client, apps: dict[str, Flask]) -> None:
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
    from services.subscriptions.subscribers.operations import links

    person = flows.address("head")
    flows.subscribe(client, person)
    with apps["subscriptions"].test_request_context(), db.transaction() as session:
        subscriber = session.scalars(sa.select(Subscriber)).one()
        confirm, unsubscribe = links.confirm_url(subscriber), links.unsubscribe_url(subscriber)
    for method in SCANNER_METHODS:
        assert client.open(urlsplit(confirm).path, method=method).status_code == 200
    with db.transaction() as session:
        assert session.scalars(sa.select(Subscriber.status)).one() == SubscriberStatus.PENDING
    assert client.post(urlsplit(confirm).path).status_code == 200
    for method in SCANNER_METHODS:
        assert client.open(urlsplit(unsubscribe).path, method=method).status_code == 200
    with db.transaction() as session:
        assert session.scalars(sa.select(Subscriber.status)).one() == SubscriberStatus.CONFIRMED
    response = client.post(urlsplit(unsubscribe).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with db.transaction() as session:
        assert session.scalars(sa.select(Subscriber.status)).one() == SubscriberStatus.UNSUBSCRIBED
