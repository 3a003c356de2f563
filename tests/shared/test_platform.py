"""Health, languages, tokens, migrations: what every service app has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services import SERVICES
from shared import tokens
from shared.migrations import differences

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("prefix", [info.prefix for info in SERVICES])
def test_health_answers_200_when_database_and_broker_answer(client, prefix):
    response = client.get(f"{prefix}/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_answers_503_when_the_database_does_not(apps, client):
    database = SERVICES[1].module().db
    url = database.url
    database.configure("postgresql+psycopg://nobody@127.0.0.1:1/none" if "postgresql" in url else "sqlite:////dev/null/x.db")
    try:
        response = client.get("/events/healthz")
    finally:
        database.configure(url)
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def test_health_answers_503_when_the_broker_does_not(apps, client):
    apps["mailer"].config["BROKER_URL"] = "amqp://guest:guest@127.0.0.1:1/"
    response = client.get("/mailer/healthz")
    assert response.status_code == 503
    assert response.get_json()["broker"] == "down"


@pytest.mark.parametrize(("headers", "query", "expected"), [
    ({}, "", "fi"),
    ({"Accept-Language": "sv-FI,sv;q=0.9,en;q=0.5"}, "", "sv"),
    ({"Accept-Language": "en-GB"}, "", "en"),
    ({"Accept-Language": "sv"}, "?lang=en", "en"),
    ({"Accept-Language": "de"}, "", "fi"),
])
def test_landing_page_language(client, headers, query, expected):
    response = client.get(f"/{query}", headers=headers)
    assert response.status_code == 200
    assert f'<html lang="{expected}">' in response.get_data(as_text=True)


def test_an_explicit_choice_is_remembered_over_accept_language(client):
    client.get("/?lang=sv", headers={"Accept-Language": "en"})
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Nyhetsbrev" in page


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_landing_page_exists_in_each_language(client, language):
    page = client.get(f"/?lang={language}").get_data(as_text=True)
    assert {"fi": "Uutiskirje", "sv": "Nyhetsbrev", "en": "Newsletter"}[language] in page
    assert 'class="skip-link"' in page


def test_pages_carry_security_headers(client):
    for path in ("/", "/newsletter/", "/events/", "/mailer/healthz"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_tokens_are_purpose_bound_and_expire():
    token = tokens.make_token("k" * 32, "confirm", {"id": 1})
    assert tokens.read_token("k" * 32, "confirm", token, max_age=60) == {"id": 1}
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token("k" * 32, "unsubscribe", token, max_age=60)
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token("k" * 32, "confirm", token[:-2] + "xx", max_age=60)
    with pytest.raises(tokens.TokenExpired):
        tokens.read_token("k" * 32, "confirm", token, max_age=-1)


def test_models_and_migrations_agree(apps):
    for info in SERVICES:
        assert differences(info.module().db) == [], info.name


def test_create_token_prints_a_token_that_works(backend, tmp_path):
    env = {"PATH": "/usr/bin:/bin", **backend.env()}
    result = subprocess.run([sys.executable, "-m", "services.cli", "create-token", "--role", "organizer"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=True)
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("elo_")
    from shared.auth import hash_token
    from shared.models import ApiToken

    for info in SERVICES:
        database = info.module().db
        database.configure(backend.database_urls[info.name])
        with database.transaction() as session:
            row = session.query(ApiToken).filter_by(token_hash=hash_token(token)).one()
            assert row.role == "organizer"
            assert token not in str(vars(row))


def test_a_migration_that_rebuilds_a_table_on_sqlite_keeps_the_rows_that_refer_to_it(tmp_path: Path) -> None:
    """s003 rebuilds `subscribers` (SQLite cannot change a CHECK in place); with foreign keys on,
    dropping the old table used to cascade and delete every consent record and topic."""
    import sqlalchemy as sa

    from services.subscriptions.models import db as subscriptions_db
    from shared.db import Database
    from shared.migrations import upgrade

    database = Database("subscriptions", subscriptions_db.metadatas)
    database.configure(f"sqlite:///{tmp_path / 'subscriptions.db'}")
    migrations_dir = ROOT / "services" / "subscriptions" / "migrations"
    try:
        upgrade(database, migrations_dir, "s002")
        upgrade(database, migrations_dir, "n001")
        with database.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO subscribers (id, email, email_hash, language, status, source, consent_wording_version,"
                " token_key, confirmations_sent, created_at, updated_at) VALUES (1, 'aino@example.fi', 'h', 'fi',"
                " 'confirmed', 'form', 'v1', 'k', 0, '2026-01-01', '2026-01-01')"))
            connection.execute(sa.text(
                "INSERT INTO consent_events (subscriber_id, email_hash, action, source, wording_version, language,"
                " topics, occurred_at) VALUES (1, 'h', 'subscribe', 'form', 'v1', 'fi', 'newsletter', '2026-01-01')"))
            connection.execute(sa.text("INSERT INTO subscriber_topics (subscriber_id, topic) VALUES (1, 'newsletter')"))
        upgrade(database, migrations_dir)
        with database.engine.connect() as connection:
            counts = [connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                      for table in ("subscribers", "consent_events", "subscriber_topics")]
    finally:
        database.dispose()
    assert counts == [1, 1, 1]
