"""`/<prefix>/metrics` (shared.metrics): the families each service shows, counts by URL rule, the figures
read from the database, and who may read them (allow-list after the trusted proxies, or the token)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from flask import Flask
from werkzeug.test import Client

from services import landing
from services.events.models import db as events_db
from services.gateway import compose
from services.wsgi import behind_proxies
from shared.db import utcnow
from shared.metrics import may_read_metrics
from shared.models import Job, OutboxMessage
from shared.settings import Settings, SettingsError, load_settings

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}  # werkzeug's test client sends no client address of its own
PUBLIC = {"REMOTE_ADDR": "203.0.113.7"}
TOKEN = "metrics-token-" + "m" * 24

DEFAULT = 'network="pohjois-pohjanmaa"'  # the database figures name their network (the default one here)


def scrape(client: Client, prefix: str, **options: object) -> str:
    response = client.get(f"{prefix}/metrics", environ_overrides=options.pop("environ", LOCAL), **options)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")  # the Prometheus text format
    return response.get_data(as_text=True)


def value(text: str, sample: str) -> float:
    """The value of one sample line, `name{labels}` exactly as exposed (0 when absent)."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_each_service_shows_its_families_and_only_its_own_samples(client: Client, apps: dict[str, Flask]) -> None:
    for path in ("/newsletter/", "/events/", "/mailer/healthz"):
        client.get(path)
    families = {
        "/newsletter": [f'elo_subscribers{{{DEFAULT},service="subscriptions",status="confirmed"}}'],
        "/events": [f'elo_event_registrations{{{DEFAULT},service="events",status="waitlisted"}}'],
        "/mailer": [f'elo_mail_deliveries{{{DEFAULT},service="mailer",status="{status}"}}'
                    for status in ("sent", "failed", "suppressed")],
    }
    for prefix, own in families.items():
        text = scrape(client, prefix)
        service = {"/newsletter": "subscriptions", "/events": "events", "/mailer": "mailer"}[prefix]
        for name in ["elo_http_requests_total", "elo_http_request_duration_seconds_bucket", "elo_outbox_pending",
                     "elo_outbox_oldest_pending_age_seconds", "elo_jobs_due", "elo_jobs_failed", *own]:
            assert name.split("{")[0] in text, (prefix, name)
        for line in own:
            assert re.search(rf"^{re.escape(line)} ", text, re.MULTILINE), line
        assert value(text, f'elo_metrics_database_up{{{DEFAULT},service="{service}"}}') == 1.0
        labels = set(re.findall(r'service="([a-z]+)"', text))
        assert labels == {service}, (prefix, labels)


def test_requests_are_counted_by_url_rule_and_status_never_by_path(client: Client, apps: dict[str, Flask]) -> None:
    token = "eyJpZCI6NDJ9.Zx3abc.Kq9s8dJ2kQnLmP0aaZZyy_xk"
    counted = 'elo_http_requests_total{method="GET",route="/registrations/<token>",service="events",status="%s"}'
    before = scrape(client, "/events")
    statuses = {client.get(f"/events/registrations/{token}{n}").status_code for n in range(3)}
    after = scrape(client, "/events")
    assert len(statuses) == 1
    status = statuses.pop()
    assert value(after, counted % status) - value(before, counted % status) == 3
    assert token not in after
    latency = 'elo_http_request_duration_seconds_count{method="GET",route="/registrations/<token>",service="events"}'
    assert value(after, latency) - value(before, latency) == 3
    client.get("/events/no/such/page/here")
    unmatched = 'elo_http_requests_total{method="GET",route="(no route)",service="events",status="404"}'
    assert value(scrape(client, "/events"), unmatched) >= 1


def test_outbox_and_jobs_are_read_from_the_database_at_scrape_time(client: Client, apps: dict[str, Flask]) -> None:
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    with events_db.transaction() as session:
        session.add(OutboxMessage(actor_name="mailer.send_email", queue_name="mail", payload={},
                                  created_at=an_hour_ago))
        session.add(Job(kind="events.remind", key="metrics-test", due_at=an_hour_ago, payload={}))
        session.add(Job(kind="events.remind", key="metrics-later", due_at=utcnow() + dt.timedelta(days=1)))
    text = scrape(client, "/events")
    assert value(text, f'elo_outbox_pending{{{DEFAULT},service="events"}}') == 1
    assert value(text, f'elo_outbox_unrelayed{{{DEFAULT},service="events"}}') == 1
    assert 3500 < value(text, f'elo_outbox_oldest_pending_age_seconds{{{DEFAULT},service="events"}}') < 4000
    assert value(text, f'elo_jobs_due{{{DEFAULT},service="events"}}') == 1
    assert 3500 < value(text, f'elo_jobs_oldest_due_age_seconds{{{DEFAULT},service="events"}}') < 4000
    assert value(scrape(client, "/mailer"), f'elo_outbox_pending{{{DEFAULT},service="mailer"}}') == 0


def test_a_client_outside_the_allow_list_gets_the_404_of_a_missing_page(client: Client, apps: dict[str, Flask]) -> None:
    for prefix in ("/newsletter", "/events", "/mailer"):
        refused = client.get(f"{prefix}/metrics", environ_overrides=PUBLIC)
        missing = client.get(f"{prefix}/no-such-page/at-all", environ_overrides=PUBLIC)
        assert refused.status_code == missing.status_code == 404
        assert refused.content_type == missing.content_type
        assert "elo_" not in refused.get_data(as_text=True)


def test_behind_the_proxy_the_client_address_decides(apps: dict[str, Flask], settings: Settings) -> None:
    through_nginx = Client(behind_proxies(compose(apps, landing.create_app({"ELO_SETTINGS": settings,
                                                                               "TESTING": True})), 1))
    nginx = {"REMOTE_ADDR": "172.18.0.5"}

    def status(forwarded_for: str) -> int:
        return through_nginx.get("/mailer/metrics", environ_overrides=nginx,
                                 headers={"X-Forwarded-For": forwarded_for}).status_code

    assert status("203.0.113.7") == 404  # a public client, as nginx reports it
    assert status("10.0.0.1, 203.0.113.7") == 404  # a forged first entry: only nginx's own entry counts
    assert status("192.168.10.20") == 200  # a scraper in the private network
    assert through_nginx.get("/mailer/metrics", environ_overrides=nginx).status_code == 200  # straight to gunicorn


def test_the_token_opens_metrics_to_any_address(client: Client, apps: dict[str, Flask], settings: Settings) -> None:
    apps["mailer"].config["ELO_SETTINGS"] = dataclasses.replace(settings, metrics_allow=(), metrics_token=TOKEN)
    assert client.get("/mailer/metrics", environ_overrides=LOCAL).status_code == 404
    wrong = {"Authorization": "Bearer " + "x" * len(TOKEN)}
    assert client.get("/mailer/metrics", environ_overrides=PUBLIC, headers=wrong).status_code == 404
    text = scrape(client, "/mailer", environ=PUBLIC, headers={"Authorization": f"Bearer {TOKEN}"})
    assert "elo_mail_deliveries" in text


def test_who_may_read_metrics(tmp_path: object) -> None:
    default = load_settings({"ELO_DATA_DIR": str(tmp_path)})
    assert default.metrics_token is None
    assert [may_read_metrics(default, address, None) for address in
            ("127.0.0.1", "::1", "10.2.3.4", "172.20.0.3", "192.168.1.1", "fd00::5", "::ffff:10.0.0.9")] == [True] * 7
    assert [may_read_metrics(default, address, None) for address in
            ("203.0.113.7", "172.32.0.1", "2001:db8::1", "", None, "not-an-address")] == [False] * 6
    assert not may_read_metrics(default, "203.0.113.7", "Bearer ")  # no token set: no header opens it
    narrowed = load_settings({"ELO_DATA_DIR": str(tmp_path), "ELO_METRICS_ALLOW": "10.9.0.0/16",
                              "ELO_METRICS_TOKEN": TOKEN})
    assert may_read_metrics(narrowed, "10.9.8.7", None)
    assert not may_read_metrics(narrowed, "127.0.0.1", None)
    assert may_read_metrics(narrowed, "203.0.113.7", f"Bearer {TOKEN}")
    assert not may_read_metrics(narrowed, "203.0.113.7", f"Bearer {TOKEN}x")


@pytest.mark.parametrize(("variable", "given", "message"), [
    ("ELO_METRICS_ALLOW", "10.0.0.0/8, intranet", "comma-separated"),
    ("ELO_METRICS_ALLOW", "10.0.0.1/8", "has host bits set"),
    ("ELO_METRICS_TOKEN", "short", "at least 16"),
])
def test_wrong_metrics_settings_name_the_variable(tmp_path: object, variable: str, given: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"ELO_DATA_DIR": str(tmp_path), variable: given})
    assert str(raised.value).startswith(f"{variable}: ")
    assert message in str(raised.value)
