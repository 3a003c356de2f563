"""The public "my data" page and its fresh single-use link (issue 13, AC4), on both backends.

Anyone who registered for an event, subscribed or not, can ask for a link; the answer never tells whether the
address is known; the link goes only where some service holds the address; a link scanner's HEAD or GET
changes nothing; the link opens once, and erasure clears the organisation of registrations too.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from services.events.models import Registration
from services.events.models import db as events_db
from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Subscriber
from shared.models import ProcessedMessage
from tests.subscriptions.conftest import emails_to, subscription_outbox
from tests.subscriptions.test_preferences_gdpr import (
    ADDRESS,
    NAME,
    clear_text_hits,
    erase,
    export,
    my_data_page,
    register_for_an_event,
)

UNKNOWN = "ei.koskaan.kuultu@example.fi"
ORGANISATION = "Oulun yliopisto"


def registration_row() -> Registration:
    with events_db.transaction() as session:
        row = session.scalars(sa.select(Registration)).one()
        session.expunge(row)
        return row


def used_links() -> int:
    with db.transaction() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(ProcessedMessage)
                                  .where(ProcessedMessage.key.like("my-data-%"))) or 0)


def test_a_registrant_who_never_subscribed_exports_and_erases_once(client, admin_headers, drain):
    title = register_for_an_event(client, admin_headers)
    drain()
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0

    assert client.post("/newsletter/my-data", data={"email": ADDRESS}).status_code == 303
    [mail] = emails_to(ADDRESS, "my-data-link")
    assert mail["cause"] == "anonymous"
    link = str(mail["context"]["my_data_url"]).removeprefix("http://127.0.0.1:8000")

    # A link scanner: HEAD and GET show a button, change nothing and show no data.
    assert client.head(link).status_code == 200
    page = client.get(link)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert title not in page.get_data(as_text=True)
    assert used_links() == 0

    opened = client.post(link)
    assert opened.status_code == 200
    shown = opened.get_data(as_text=True)
    assert title in shown
    assert ORGANISATION in shown
    page_token = re.search(r'name="token" value="([^"]+)"', shown).group(1)  # type: ignore[union-attr]

    exported = export(client, page_token)
    assert exported["subscriptions"] is None
    [registration] = exported["events"]["data"]["registrations"]
    assert registration["name"] == NAME
    assert registration["organisation"] == ORGANISATION
    assert title in json.dumps(exported["events"], ensure_ascii=False)

    erase(client, page_token)
    drain()
    row = registration_row()
    assert (row.name, row.email, row.organisation) == ("", "", "")
    assert row.erased_at is not None
    assert clear_text_hits([ADDRESS, NAME, ORGANISATION]) == []

    # The link and the page's buttons work no more.
    assert client.get(link).status_code == 410
    assert client.post(link).status_code == 410
    assert client.post("/newsletter/my-data/download", data={"token": page_token}).status_code == 410
    assert client.post("/newsletter/my-data/erase", data={"token": page_token, "confirm": "yes"}).status_code == 410


def test_the_mailed_link_opens_only_once(client, admin_headers):
    register_for_an_event(client, admin_headers)
    link, _ = my_data_page(client)
    assert client.get(link).status_code == 410
    assert client.post(link).status_code == 410


def test_the_request_page_answers_the_same_for_known_and_unknown_addresses(client, admin_headers):
    register_for_an_event(client, admin_headers)
    answers = []
    for address in (ADDRESS, UNKNOWN, "EI.KOSKAAN@example.fi"):
        response = client.post("/newsletter/my-data", data={"email": address})
        followed = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], response.get_data(),
                        followed.status_code, followed.get_data()))
    assert answers[0] == answers[1] == answers[2]
    assert len(emails_to(ADDRESS, "my-data-link")) == 1
    assert emails_to(UNKNOWN) == []
    assert [p["template"] for p in subscription_outbox()] == ["my-data-link"]


def test_a_subject_holds_no_text_of_the_requester(client, admin_headers):
    """The subject is the template's fixed line: the requester types only the address."""
    register_for_an_event(client, admin_headers)
    client.post("/newsletter/my-data", data={"email": ADDRESS})
    [mail] = emails_to(ADDRESS, "my-data-link")
    assert set(mail["context"]) == {"my_data_url", "valid_minutes"}
    assert mail["recipient"]["name"] is None


def test_links_to_one_address_are_capped(client, admin_headers):
    register_for_an_event(client, admin_headers)
    for _ in range(5):
        assert client.post("/newsletter/my-data", data={"email": ADDRESS}).status_code == 303
    assert len(emails_to(ADDRESS, "my-data-link")) == 3


def test_a_bad_address_gets_a_message_next_to_the_field(client):
    response = client.post("/newsletter/my-data", data={"email": "not an address"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert subscription_outbox() == []


def test_a_tampered_or_foreign_token_is_refused(client, admin_headers):
    register_for_an_event(client, admin_headers)
    link, page_token = my_data_page(client)
    assert client.get(link[:-3] + "abc").status_code == 404
    # The page's token is not a mailed link, and the mailed link is not a page token.
    assert client.get(f"/newsletter/my-data/{page_token}").status_code == 404
    mailed = link.rsplit("/", 1)[1]
    assert client.post("/newsletter/my-data/download", data={"token": mailed}).status_code == 404
    assert client.post("/newsletter/my-data/erase", data={}).status_code == 404
    assert registration_row().name == NAME


def test_the_pages_link_to_the_request_page(client):
    for path in ("/newsletter/", "/events/"):
        assert "/newsletter/my-data" in client.get(path).get_data(as_text=True), path
    for language in ("fi", "sv", "en"):
        assert client.get(f"/newsletter/my-data?lang={language}").status_code == 200
