"""Two networks in one deployment keep apart (issue #16): admin tokens of one network open nothing of the
other, public pages, mail and consent belong to the network they were made in, the default network's old
links keep working, and `elo network add` refuses what it cannot add.

Network A is the default one (plain prefixes); network B is `lappi` (`/lappi/…`), added per test."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from services.mailer.models import Delivery
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from shared.networks import Network, using_network
from shared.settings import Settings
from tests.conftest import Backend, SmtpSink
from tests.networks.conftest import empty_tables, forget_network
from tests.security.flows import address, article_body, event_body

Headers = Callable[[Network | None, str], dict[str, str]]


def prefix_of(network: Network | None) -> str:
    return f"/{network.slug}" if network else ""


# --- what each network holds -------------------------------------------------------------------------

@dataclass(frozen=True)
class Holdings:
    """Ids of rows one network holds, made through its own admin and public APIs."""

    event_id: int
    registration_id: int
    article_id: int
    issue_id: int
    subscriber_email: str
    delivery_key: str


def populate(client: Client, network: Network | None, headers: dict[str, str],
             drain: Callable[..., None]) -> Holdings:
    prefix = prefix_of(network)
    event = client.post(f"{prefix}/events/api/v1/events", json=event_body(), headers=headers)
    assert event.status_code == 201, event.get_data(as_text=True)
    event_id = event.get_json()["id"]
    registration = client.post(f"{prefix}/events/api/v1/events/{event_id}/registrations", json={
        "name": "Matti Virtanen", "email": address("registrant"), "organisation": "Oulun kaupunki",
        "participation": "onsite", "language": "fi"})
    assert registration.status_code == 201, registration.get_data(as_text=True)
    [registered] = client.get(f"{prefix}/events/api/v1/events/{event_id}/registrations", headers=headers).get_json()
    subscriber_email = address("subscriber")
    subscribed = client.post(f"{prefix}/newsletter/api/v1/subscriptions",
                             json={"email": subscriber_email, "language": "fi", "topics": ["newsletter"]})
    assert subscribed.status_code == 202, subscribed.get_data(as_text=True)
    submitted = client.post(f"{prefix}/newsletter/api/v1/articles", json=article_body())
    assert submitted.status_code == 202, submitted.get_data(as_text=True)
    [article] = client.get(f"{prefix}/newsletter/api/v1/articles", headers=headers).get_json()
    issue = client.post(f"{prefix}/newsletter/api/v1/issues", headers=headers,
                        json={"language": "fi", "title": "Uutiskirje 1/2027", "introduction": "Hyvää vuotta!"})
    assert issue.status_code == 201, issue.get_data(as_text=True)
    drain()  # the mailer logs the registration's and the subscription's mail in this network
    with using_network(network), SERVICES_BY_NAME["mailer"].module().db.transaction() as session:
        keys = session.scalars(sa.select(Delivery.idempotency_key).order_by(Delivery.id)).all()
    assert keys, f"no delivery logged in network {network.slug if network else 'default'}"
    return Holdings(event_id, registered["id"], article["id"], issue.get_json()["id"],
                    subscriber_email, keys[0])


SERVICES_BY_NAME = {info.name: info for info in SERVICES}


def snapshot(network: Network | None) -> dict[str, list[str]]:
    """Every row of every table of every service in `network`."""
    rows: dict[str, list[str]] = {}
    with using_network(network):
        for info in SERVICES:
            database = info.module().db
            with database.engine.connect() as connection:
                for metadata in database.metadatas:
                    for table in metadata.sorted_tables:
                        found = connection.execute(sa.select(table)).all()
                        rows[f"{info.name}.{table.name}"] = sorted(repr(tuple(row)) for row in found)
    return rows


def admin_calls(held: Holdings) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, body) of every admin API the other tests use, aimed at `held`'s rows."""
    event, registration = held.event_id, held.registration_id
    article, issue = held.article_id, held.issue_id
    return [
        ("POST", "/events/api/v1/events", event_body()),
        ("GET", f"/events/api/v1/events/{event}", None),
        ("PATCH", f"/events/api/v1/events/{event}", {"capacity": 7}),
        ("POST", f"/events/api/v1/events/{event}/cancel", None),
        ("GET", f"/events/api/v1/events/{event}/registrations", None),
        ("GET", f"/events/api/v1/events/{event}/registrations.csv", None),
        ("GET", f"/events/api/v1/events/{event}/counts", None),
        ("GET", f"/events/api/v1/events/{event}/feedback.csv", None),
        ("PATCH", f"/events/api/v1/registrations/{registration}", {"checked_in": True}),
        ("POST", f"/events/api/v1/registrations/{registration}/cancel", None),
        ("POST", "/events/api/v1/personal-data/export", {"email": held.subscriber_email}),
        ("GET", "/newsletter/api/v1/subscribers", None),
        ("GET", "/newsletter/api/v1/subscribers/export.csv", None),
        ("GET", "/newsletter/api/v1/articles", None),
        ("GET", f"/newsletter/api/v1/articles/{article}", None),
        ("POST", f"/newsletter/api/v1/articles/{article}/decision", {"decision": "accepted", "comment": "Hyvä"}),
        ("GET", "/newsletter/api/v1/issues", None),
        ("POST", "/newsletter/api/v1/issues", {"language": "fi", "title": "Vieras", "introduction": "Hei"}),
        ("GET", f"/newsletter/api/v1/issues/{issue}", None),
        ("PATCH", f"/newsletter/api/v1/issues/{issue}", {"title": "Muutettu"}),
        ("GET", f"/newsletter/api/v1/issues/{issue}/recipients", None),
        ("POST", f"/newsletter/api/v1/issues/{issue}/send", {"confirm": True}),
        ("POST", f"/newsletter/api/v1/issues/{issue}/cancel", None),
        ("GET", "/newsletter/api/v1/ops/outbox", None),
        ("GET", f"/mailer/api/v1/deliveries?key={held.delivery_key}", None),
        ("POST", "/mailer/api/v1/personal-data/export", {"email": held.subscriber_email}),
    ]


# A token of another network: the asked network's things do not exist for its holder (404), and nothing
# of them is looked up (shared.network_access).
REFUSED = {404}


def cross_calls(client: Client, token_network: Network | None, headers: dict[str, str],
                target_prefixes: list[str], held: Holdings) -> list[str]:
    """Each admin call with one network's token on the other network's URLs; the answers that were not refused."""
    problems = []
    for prefix in target_prefixes:
        for method, path, body in admin_calls(held):
            response = client.open(prefix + path, method=method, json=body, headers=headers)
            if response.status_code not in REFUSED:
                owner = token_network.slug if token_network else "default"
                problems.append(f"{owner} token: {method} {prefix + path} answered {response.status_code}: "
                                f"{response.get_data(as_text=True)[:200]}")
    return problems


def test_a_token_of_one_network_opens_and_changes_nothing_in_the_other(
        client: Client, network_b: Network, network_headers: Headers, settings: Settings,
        drain: Callable[..., None]) -> None:
    headers_a, headers_b = network_headers(None, "coordinator"), network_headers(network_b, "coordinator")
    held_a = populate(client, None, headers_a, drain)
    held_b = populate(client, network_b, headers_b, drain)
    before = snapshot(None), snapshot(network_b)

    problems = cross_calls(client, None, headers_a, [prefix_of(network_b)], held_b)
    problems += cross_calls(client, network_b, headers_b, ["", f"/{settings.network_slug}"], held_a)
    drain()

    assert not problems, "\n".join(problems)
    after = snapshot(None), snapshot(network_b)
    for network_name, old, new in (("default", before[0], after[0]), ("lappi", before[1], after[1])):
        changed = [table for table in old if old[table] != new[table]]
        assert not changed, f"the {network_name} network's tables changed: {changed}"


def test_each_token_works_in_its_own_network(client: Client, network_b: Network, network_headers: Headers,
                                             drain: Callable[..., None]) -> None:
    """The control of the matrix: the same reads with the right token succeed, so the refusals mean something."""
    for network in (None, network_b):
        headers = network_headers(network, "coordinator")
        held = populate(client, network, headers, drain)
        prefix = prefix_of(network)
        for method, path, _body in admin_calls(held):
            if method != "GET":
                continue
            response = client.open(prefix + path, method=method, headers=headers)
            assert response.status_code == 200, f"{method} {prefix + path}: {response.status_code}"


def test_a_plain_path_token_answer_lists_only_its_own_networks_rows(
        client: Client, network_b: Network, network_headers: Headers, drain: Callable[..., None]) -> None:
    headers_a, headers_b = network_headers(None, "coordinator"), network_headers(network_b, "coordinator")
    held_a = populate(client, None, headers_a, drain)
    held_b = populate(client, network_b, headers_b, drain)
    listed_a = client.get("/newsletter/api/v1/subscribers", headers=headers_a).get_data(as_text=True)
    listed_b = client.get("/lappi/newsletter/api/v1/subscribers", headers=headers_b).get_data(as_text=True)
    assert held_a.subscriber_email in listed_a
    assert held_b.subscriber_email not in listed_a
    assert held_b.subscriber_email in listed_b
    assert held_a.subscriber_email not in listed_b


# --- public pages, mail and consent ------------------------------------------------------------------

def test_an_event_of_network_b_is_on_its_pages_and_the_national_view_only(
        client: Client, network_b: Network, network_headers: Headers, settings: Settings) -> None:
    """`/events/` is the national view across networks (DESIGN.md); the default network's own calendar is
    `/<its slug>/events/`."""
    title = {"fi": "Lapin ohjaajien talvitapaaminen", "sv": "Vinterträff i Lappland", "en": "Lapland winter meeting"}
    created = client.post("/lappi/events/api/v1/events", json=event_body(title=title),
                          headers=network_headers(network_b, "coordinator"))
    assert created.status_code == 201, created.get_data(as_text=True)
    slug, url = created.get_json()["slug"], created.get_json()["url"]

    assert url.endswith(f"/lappi/events/{slug}"), url
    assert title["fi"] in client.get("/lappi/events/").get_data(as_text=True)
    assert client.get(f"/lappi/events/{slug}").status_code == 200
    assert title["fi"] not in client.get(f"/{settings.network_slug}/events/").get_data(as_text=True)
    assert title["fi"] not in client.get("/events/api/v1/events").get_data(as_text=True)
    assert client.get(f"/events/{slug}").status_code == 404
    assert client.get(f"/{settings.network_slug}/events/{slug}").status_code == 404
    national = client.get("/events/").get_data(as_text=True)
    assert title["fi"] in national
    assert f"/lappi/events/{slug}" in national
    assert network_b.names["fi"] in national


@pytest.fixture
def mail_to_sink(apps: dict[str, Flask], smtp_sink: SmtpSink) -> SmtpSink:
    """The mailer sends through SMTP to the sink (both networks), instead of capturing."""
    import dataclasses

    mailer = apps["mailer"]
    mailer.config["ELO_SETTINGS"] = dataclasses.replace(mailer.config["ELO_SETTINGS"], smtp_url=smtp_sink.url)
    mailer.extensions.pop("elo_mailer_config", None)
    return smtp_sink


def wait_for_mail(sink: SmtpSink, drain: Callable[..., None], email: str, count: int) -> list[EmailMessage]:
    for _ in range(50):
        if len(sink.to(email)) >= count:
            break
        drain()
    return sink.to(email)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def local_path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def subscriber_in(network: Network | None, email: str) -> Subscriber | None:
    database = SERVICES_BY_NAME["subscriptions"].module().db
    with using_network(network), database.transaction() as session:
        found: Subscriber | None = session.scalar(sa.select(Subscriber).where(Subscriber.email == email))
        if found is not None:
            found.topic_names  # noqa: B018 - load before the session closes
        return found


def join(client: Client, sink: SmtpSink, drain: Callable[..., None], network: Network | None,
         email: str) -> tuple[EmailMessage, EmailMessage]:
    """Subscribe in `network` and confirm through the mail; (confirmation, welcome)."""
    already = len(sink.to(email))
    answer = client.post(f"{prefix_of(network)}/newsletter/api/v1/subscriptions",
                         json={"email": email, "language": "fi", "topics": ["newsletter"]})
    assert answer.status_code == 202
    confirmation = wait_for_mail(sink, drain, email, already + 1)[already]
    confirm_url = re.search(r"https?://\S+/newsletter/confirm/\S+", text_of(confirmation))
    assert confirm_url is not None, text_of(confirmation)
    assert client.post(local_path(confirm_url.group(0))).status_code == 200
    welcome = wait_for_mail(sink, drain, email, already + 2)[already + 1]
    return confirmation, welcome


def test_subscribing_in_network_b_mails_from_b_with_b_links_and_subscribes_in_b_only(
        client: Client, network_b: Network, mail_to_sink: SmtpSink, settings: Settings,
        drain: Callable[..., None]) -> None:
    email = address("lappi")
    confirmation, welcome = join(client, mail_to_sink, drain, network_b, email)

    links = [url for message in (confirmation, welcome)
             for url in re.findall(r"https?://[^\s<>\"]+", text_of(message)) if url.startswith(settings.base_url)]
    assert links
    assert all(url.startswith(f"{settings.base_url}/lappi/") for url in links), links
    assert any(url.startswith(f"{settings.base_url}/lappi/newsletter/") for url in links), links
    for message in (confirmation, welcome):
        assert "elo@lappi.example" in str(message["From"]), message["From"]
    unsubscribe = re.findall(r"<(https?://[^>]+)>", str(welcome["List-Unsubscribe"]))
    assert unsubscribe, welcome["List-Unsubscribe"]
    assert unsubscribe[0].startswith(f"{settings.base_url}/lappi/newsletter/"), unsubscribe

    found = subscriber_in(network_b, email)
    assert found is not None
    assert found.status == SubscriberStatus.CONFIRMED
    assert subscriber_in(None, email) is None


def test_one_address_in_two_networks_has_two_consents(
        client: Client, network_b: Network, mail_to_sink: SmtpSink, drain: Callable[..., None]) -> None:
    """The default network mails first: the mailer must not keep the first network's From for the next."""
    email = address("both")
    welcome_a = join(client, mail_to_sink, drain, None, email)[1]
    welcome_b = join(client, mail_to_sink, drain, network_b, email)[1]
    assert "elo@lappi.example" not in str(welcome_a["From"])  # each network's mail has its own From
    assert "elo@lappi.example" in str(welcome_b["From"])
    [url] = [link for link in re.findall(r"<([^>]+)>", str(welcome_b["List-Unsubscribe"])) if link.startswith("http")]

    response = Client(client.application).post(local_path(url), data="List-Unsubscribe=One-Click",
                                               content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    in_b, in_a = subscriber_in(network_b, email), subscriber_in(None, email)
    assert in_b is not None
    assert in_b.status == SubscriberStatus.UNSUBSCRIBED
    assert in_a is not None
    assert in_a.status == SubscriberStatus.CONFIRMED


# --- the default network's old links ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/newsletter/", "/events/", "/newsletter/archive/"])
def test_the_default_network_answers_at_the_plain_and_its_own_prefix(
        client: Client, network_b: Network, settings: Settings, path: str) -> None:
    plain = client.get(path)
    named = client.get(f"/{settings.network_slug}{path}")
    assert plain.status_code == 200
    assert named.status_code == 200
    assert client.get(f"/lappi{path}").status_code == 200


def test_a_default_network_confirmation_link_works_at_both_prefixes(
        client: Client, network_b: Network, mail_to_sink: SmtpSink, settings: Settings,
        drain: Callable[..., None]) -> None:
    email = address("old-link")
    assert client.post("/newsletter/api/v1/subscriptions",
                       json={"email": email, "language": "fi", "topics": ["newsletter"]}).status_code == 202
    [confirmation] = wait_for_mail(mail_to_sink, drain, email, 1)
    found = re.search(r"https?://\S+(/newsletter/confirm/\S+)", text_of(confirmation))
    assert found is not None
    assert found.group(0).startswith(f"{settings.base_url}/newsletter/confirm/")  # no network in its links
    assert client.get(found.group(1)).status_code == 200
    assert client.post(f"/{settings.network_slug}{found.group(1)}").status_code == 200
    confirmed = subscriber_in(None, email)
    assert confirmed is not None
    assert confirmed.status == SubscriberStatus.CONFIRMED
    assert client.get(f"/lappi{found.group(1)}").status_code == 404  # another network's token is unknown there


# --- elo network add ----------------------------------------------------------------------------------

@pytest.fixture
def elo(apps: dict[str, Flask], backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    from services.cli import main

    for name, value in backend.env().items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return run


MAIL_FROM = "ELO Kainuu <elo@kainuu.example>"


@pytest.mark.parametrize(("arguments", "says"), [
    (["Kainuu_1"], "slug 'Kainuu_1'"),
    (["events"], "is a path of the site"),
    (["newsletter"], "is a path of the site"),
    (["pohjois-pohjanmaa"], "the default network's"),
    (["kainuu", "--languages", "fi,de"], "languages 'fi,de'"),
])
def test_network_add_refuses_in_one_line(elo: Callable[..., Result], arguments: list[str], says: str) -> None:
    result = elo("network", "add", *arguments, "--name-fi", "Kainuun ELO", "--mail-from", MAIL_FROM)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("elo: data in")]
    assert len(lines) == 1, result.stderr
    assert says in lines[0]
    assert "kainuu" not in elo("network", "list").stdout


def test_network_add_then_list_and_a_token_for_it(elo: Callable[..., Result], client: Client) -> None:
    try:
        added = elo("network", "add", "kainuu", "--name-fi", "Kainuun ELO-verkosto", "--mail-from", MAIL_FROM)
        assert added.exit_code == 0, added.output
        listed = elo("network", "list")
        assert listed.exit_code == 0, listed.output
        [line] = [line for line in listed.stdout.splitlines() if line.startswith("kainuu ")]
        assert "Kainuun ELO-verkosto" in line
        assert "/kainuu/" in line

        made = elo("create-token", "--role", "coordinator", "--network", "kainuu")
        assert made.exit_code == 0, made.output
        headers = {"Authorization": f"Bearer {made.stdout.strip()}"}
        assert client.get("/kainuu/newsletter/api/v1/subscribers", headers=headers).status_code == 200
        assert client.get("/newsletter/api/v1/subscribers", headers=headers).status_code == 404

        unknown = elo("create-token", "--role", "coordinator", "--network", "nosuch")
        assert unknown.exit_code == 2
        assert "nosuch" in unknown.stderr
    finally:
        kainuu = Network(slug="kainuu", names={"fi": "Kainuun ELO-verkosto"}, languages=("fi",), mail_from=MAIL_FROM)
        with using_network(kainuu):
            for info in SERVICES:
                empty_tables(info.module().db)
        forget_network("kainuu")
