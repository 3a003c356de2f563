"""Data subject rights across the three services, on both backends, through the fresh single-use "my data"
link: the export gathers the subscription, the event registration and the delivery records; erase leaves no
address, name or organisation in clear in any text column of any table of any of the three databases, and only
a hashed suppression entry in the subscriptions database. The long-lived preferences link can do neither."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from werkzeug.test import Client

from services import SERVICES
from services.subscriptions.models import db
from services.subscriptions.subscribers.models import ConsentEvent, Subscriber, Suppression, SuppressionReason
from shared.contract import ERASE_PERSON_IN
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY
from tests.events.factories import event_data
from tests.subscriptions.conftest import emails_to, subscription_outbox
from tests.subscriptions.newsletter_factories import article_body

ADDRESS = "aino.poistettava@example.fi"
NAME = "Aino Poistettava"


def subscribe_and_confirm(client: Client) -> str:
    """Returns the path of the preference centre."""
    client.post("/newsletter/api/v1/subscriptions",
                json={"email": ADDRESS, "name": NAME, "language": "fi", "topics": ["newsletter", "events"]})
    confirm_url = emails_to(ADDRESS, "confirm-subscription")[-1]["context"]["confirm_url"]
    assert client.post(confirm_url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    welcome = emails_to(ADDRESS, "welcome")[-1]
    return str(welcome["context"]["personal"]["preferences_url"]).removeprefix("http://127.0.0.1:8000")


def register_for_an_event(client: Client, admin_headers) -> str:
    data = event_data()
    created = client.post("/events/api/v1/events", json=data, headers=admin_headers("organizer"))
    assert created.status_code == 201, created.get_data(as_text=True)
    registered = client.post(f"/events/api/v1/events/{created.get_json()['id']}/registrations",
                             json={"name": NAME, "email": ADDRESS, "organisation": "Oulun yliopisto",
                                   "participation": "remote", "language": "fi", "answers": {}})
    assert registered.status_code == 201, registered.get_data(as_text=True)
    return str(data["title"]["fi"])


def submit_an_article(client: Client) -> str:
    body = article_body(email=ADDRESS, author_name=NAME, title="Ohjausta kaikille")
    assert client.post("/newsletter/api/v1/articles", json=body).status_code == 202
    return str(body["title"])


def clear_text_hits(needles: list[str]) -> list[str]:
    """`service.table.column` of every text-like column that still holds one of `needles` (any case)."""
    hits = []
    for info in SERVICES:
        database = info.module().db
        with database.engine.connect() as connection:
            for table in [t for metadata in database.metadatas for t in metadata.sorted_tables]:
                for column in table.columns:
                    if not isinstance(column.type, (sa.String, sa.Text, sa.JSON)):
                        continue
                    text = sa.func.lower(sa.cast(column, sa.Text))
                    found = connection.execute(sa.select(sa.func.count()).select_from(table).where(
                        sa.or_(*(text.contains(needle.lower()) for needle in needles)))).scalar()
                    if found:
                        hits.append(f"{info.name}.{table.name}.{column.name}")
    return hits


def my_data_page(client: Client, address: str = ADDRESS) -> tuple[str, str]:
    """Ask for the link, open it with the page's POST; returns (the mailed link's path, the page's token)."""
    asked = client.post("/newsletter/my-data", data={"email": address})
    assert asked.status_code == 303, asked.get_data(as_text=True)
    url = str(emails_to(address, "my-data-link")[-1]["context"]["my_data_url"])
    link = url.removeprefix("http://127.0.0.1:8000")
    opened = client.post(link)
    assert opened.status_code == 200, opened.get_data(as_text=True)
    found = re.search(r'name="token" value="([^"]+)"', opened.get_data(as_text=True))
    assert found
    return link, found.group(1)


def export(client: Client, page_token: str) -> dict:
    response = client.post("/newsletter/my-data/download", data={"token": page_token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    return dict(response.get_json())


def erase(client: Client, page_token: str) -> None:
    response = client.post("/newsletter/my-data/erase", data={"token": page_token, "confirm": "yes"})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_export_contains_the_subscription_the_registration_and_the_deliveries(client, admin_headers, drain):
    subscribe_and_confirm(client)
    title = register_for_an_event(client, admin_headers)
    article_title = submit_an_article(client)
    drain()
    _, page_token = my_data_page(client)
    exported = export(client, page_token)
    assert exported["subscriptions"]["email"] == ADDRESS
    assert exported["subscriptions"]["status"] == "confirmed"
    assert [e["action"] for e in exported["subscriptions"]["consent_log"]] == ["subscribe", "confirm"]
    events_part = json.dumps(exported["events"], ensure_ascii=False)
    assert "unavailable" not in exported["events"], events_part
    assert title in events_part
    assert NAME in events_part
    assert "unavailable" not in exported["mailer"], exported["mailer"]
    assert "welcome" in json.dumps(exported["mailer"])
    assert [article["title"] for article in exported["articles"]] == [article_title]


def test_export_says_so_when_a_service_does_not_answer(client, apps, monkeypatch):
    subscribe_and_confirm(client)
    _, page_token = my_data_page(client)
    from shared import apps as registry

    original = registry.get_app

    def broken(service: str):
        if service == "events":
            raise RuntimeError("events is down")
        return original(service)

    monkeypatch.setattr(registry, "get_app", broken)
    exported = export(client, page_token)
    assert "unavailable" in exported["events"]
    assert exported["subscriptions"]["email"] == ADDRESS


def test_erase_first_says_what_will_happen(client):
    subscribe_and_confirm(client)
    _, page_token = my_data_page(client)
    response = client.post("/newsletter/my-data/erase", data={"token": page_token})
    assert response.status_code == 200
    assert 'name="confirm" value="yes"' in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count(Subscriber.id))) == 1


def test_erase_removes_the_person_from_all_three_databases(client, admin_headers, drain):
    preferences = subscribe_and_confirm(client)
    register_for_an_event(client, admin_headers)
    submit_an_article(client)
    drain()
    assert clear_text_hits([ADDRESS, NAME, "Oulun yliopisto"])  # the search finds them before the erase

    link, page_token = my_data_page(client)
    erase(client, page_token)
    erase_messages = {p["request_id"] for name, _ in ERASE_PERSON_IN.values() for p in subscription_outbox(name)}
    assert len(erase_messages) == 1
    drain()
    assert clear_text_hits([ADDRESS, NAME, "Oulun yliopisto"]) == []
    hashed = email_hash(TEST_SECRET_KEY, ADDRESS)
    with db.transaction() as session:
        assert session.get(Suppression, hashed).reason == SuppressionReason.ERASED
        assert [e.action.value for e in session.scalars(sa.select(ConsentEvent))] == ["erase"]
    assert client.get(preferences).status_code == 404  # the old link no longer finds anyone
    assert client.get(link).status_code == 410  # nor the "my data" link


def test_an_erased_address_can_subscribe_again_and_the_suppression_goes(client, drain):
    subscribe_and_confirm(client)
    erase(client, my_data_page(client)[1])
    subscribe_and_confirm(client)
    with db.transaction() as session:
        assert session.get(Suppression, email_hash(TEST_SECRET_KEY, ADDRESS)) is None
        assert session.scalar(sa.select(Subscriber.status)).value == "confirmed"


def test_an_erased_address_is_not_imported_again(client, admin_headers):
    subscribe_and_confirm(client)
    erase(client, my_data_page(client)[1])
    report = client.post("/newsletter/api/v1/subscribers/import", data=f"email,consent_at\n{ADDRESS},2025-01-01\n",
                         headers={**admin_headers("coordinator"), "Content-Type": "text/csv"}).get_json()
    assert report["created"] == 0
    assert [e["row"] for e in report["errors"]] == [2]


def test_a_forwarded_list_mails_preferences_link_cannot_export_or_erase(client):
    preferences = subscribe_and_confirm(client)
    page = client.get(preferences).get_data(as_text=True)
    assert "/export" not in page
    assert "/erase" not in page
    assert "/newsletter/my-data" in page  # it says where to ask for a link instead
    assert client.get(f"{preferences}/export").status_code in (404, 405)
    assert client.post(f"{preferences}/erase", data={"confirm": "yes"}).status_code in (404, 405)
    token = preferences.rsplit("/", 1)[1]
    for path in (f"/newsletter/my-data/{token}", "/newsletter/my-data/download", "/newsletter/my-data/erase"):
        assert client.post(path, data={"token": token, "confirm": "yes"}).status_code == 404, path
    with db.transaction() as session:
        assert session.scalar(sa.select(Subscriber.status)).value == "confirmed"
