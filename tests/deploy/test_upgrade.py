"""Upgrades (#14, acceptance 6): databases at the oldest supported migration, with realistic rows in every
table, go through the real `elo migrate` (a process, as an operator runs it) and come out intact and usable;
a second `elo migrate` changes nothing.

Oldest supported: events 0001, mailer 0002 (its first tables), subscriptions s001 + n001 (and the platform
tables of each 0001) -- every later migration, the platform's p-revisions included, runs in the test."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from shared import apps as app_registry
from shared.broker import build_broker, use_broker
from shared.db import Database
from shared.migrations import upgrade
from shared.settings import load_settings
from tests.conftest import fresh_postgres_database
from tests.deploy import oldest_rows
from tests.deploy.oldest_rows import NOW, SECRET_KEY

REPO = Path(__file__).resolve().parents[2]
OLDEST = {"subscriptions": ("s001", "n001"), "events": ("0001",), "mailer": ("0002",)}
Snapshot = dict[str, list[dict[str, Any]]]


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Empty databases of this test's own, one per service."""
    if request.param == "sqlite":
        yield {info.name: f"sqlite:///{tmp_path / (info.name + '.db')}" for info in SERVICES}
        return
    server = request.getfixturevalue("postgres_server")
    run = f"elo_upgrade_{os.getpid()}_{secrets.token_hex(3)}"
    with contextlib.ExitStack() as stack:
        yield {info.name: stack.enter_context(fresh_postgres_database(server, f"{run}_{info.name}"))
               for info in SERVICES}


def build_oldest(urls: dict[str, str]) -> None:
    """Each database at its oldest revision, through Alembic, then the rows written then."""
    for info in SERVICES:
        database = Database(info.name, info.module().db.metadatas)
        database.configure(urls[info.name])
        try:
            for revision in OLDEST[info.name]:
                upgrade(database, info.migrations_dir, revision)
        finally:
            database.dispose()
        with _engine(urls[info.name]) as engine, engine.begin() as connection:
            tables = _reflect(connection)
            for name, items in oldest_rows.rows(info.name).items():
                connection.execute(tables[name].insert(), items)
            if connection.dialect.name == "postgresql":
                _advance_sequences(connection, tables)


def _advance_sequences(connection: sa.Connection, tables: dict[str, sa.Table]) -> None:
    """The rows carry their ids; the sequences go past them, as they did when the app wrote the rows."""
    for name, table in tables.items():
        if "id" in table.columns and isinstance(table.columns["id"].type, sa.Integer):
            highest = sa.select(sa.func.max(table.c.id)).scalar_subquery()
            connection.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(name, "id"), highest)))


@contextlib.contextmanager
def _engine(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _reflect(connection: sa.Connection) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return dict(metadata.tables)


def snapshot(url: str) -> Snapshot:
    """Every row of every table (alembic_version too), in key order."""
    with _engine(url) as engine, engine.connect() as connection:
        tables = _reflect(connection)
        return {name: [dict(row._mapping) for row in connection.execute(
                    sa.select(table).order_by(*(table.primary_key.columns or table.columns)))]
                for name, table in sorted(tables.items())}


def schema(url: str) -> dict[str, Any]:
    """The schema as SQLAlchemy reflects it: columns, keys, indexes and constraints of every table."""
    with _engine(url) as engine:
        inspector = sa.inspect(engine)
        return {table: {"columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                                    for c in inspector.get_columns(table)],
                        "primary_key": inspector.get_pk_constraint(table),
                        "foreign_keys": sorted(map(repr, inspector.get_foreign_keys(table))),
                        "indexes": sorted(map(repr, inspector.get_indexes(table))),
                        "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
                        "checks": sorted(map(repr, inspector.get_check_constraints(table)))}
                for table in sorted(inspector.get_table_names())}


def elo_migrate(urls: dict[str, str], data_dir: Path) -> str:
    """`elo migrate` as an operator runs it: its own process, settings from the environment only."""
    return elo(urls, data_dir, "migrate")


def elo(urls: dict[str, str], data_dir: Path, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ELO_")}
    env |= {"ELO_DATA_DIR": str(data_dir), "ELO_SECRET_KEY": SECRET_KEY,
            **{f"ELO_{name.upper()}_DATABASE_URL": url for name, url in urls.items()}}
    done = subprocess.run([str(REPO / ".venv" / "bin" / "elo"), *args], env=env, cwd=data_dir,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def without_networks(snapshots: dict[str, Snapshot]) -> dict[str, Snapshot]:
    return {name: {table: rows for table, rows in tables.items() if table != "networks"}
            for name, tables in snapshots.items()}


def assert_every_old_row_kept(before: dict[str, Snapshot], after: dict[str, Snapshot]) -> None:
    for service, tables in before.items():
        for table, rows in tables.items():
            if table == "alembic_version":
                continue
            columns = set(rows[0]) if rows else set()
            kept = [{key: value for key, value in row.items() if key in columns} for row in after[service][table]]
            assert kept == rows, f"{service}.{table} changed in the upgrade"


def assert_new_columns_have_sensible_values(after: dict[str, Snapshot]) -> None:
    for service, tables in after.items():
        for token in tables["api_tokens"]:  # tokens made before expiry existed work for a year more
            assert token["expires_at"] is not None
            expires = token["expires_at"].replace(tzinfo=dt.UTC) if token["expires_at"].tzinfo is None \
                else token["expires_at"]
            assert expires > NOW + dt.timedelta(days=300), service
        assert tables["user_sessions"] == []
    for registration in after["events"]["registrations"]:
        assert registration["hold_until"] is None
        assert registration["address_confirmed_at"] is None
        assert registration["last_confirmation_at"] is None
    assert after["events"]["calendar_domain"] == []  # the first UID made stores the host of that moment
    assert [row["cause"] for row in after["mailer"]["deliveries"]] == [None, None, None]
    assert [row["last_confirmation_at"] for row in after["subscriptions"]["subscribers"]] == [None, None, None]


@contextlib.contextmanager
def running_apps(urls: dict[str, str], data_dir: Path) -> Iterator[Client]:
    """The three apps and the landing page on the upgraded databases; the service databases go back to
    what they were bound to before (the other tests' backend)."""
    from services import landing
    from services.gateway import compose

    previous: dict[str, str | None] = {}
    for info in SERVICES:
        with contextlib.suppress(RuntimeError):
            previous[info.name] = info.module().db.url
    settings = load_settings({"ELO_DATA_DIR": str(data_dir), "ELO_SECRET_KEY": SECRET_KEY,
                              **{f"ELO_{name.upper()}_DATABASE_URL": url for name, url in urls.items()}})
    stub = build_broker(None)
    use_broker(stub)
    try:
        built: dict[str, Flask] = {info.name: info.module().create_app({"ELO_SETTINGS": settings, "TESTING": True})
                                   for info in SERVICES}
        yield Client(compose(built, landing.create_app({"ELO_SETTINGS": settings, "TESTING": True})))
    finally:
        stub.close()
        app_registry.forget_apps()
        for info in SERVICES:
            database = info.module().db
            if previous.get(info.name):
                database.configure(str(previous[info.name]))
            else:
                database.dispose()


def assert_the_apps_work(client: Client, urls: dict[str, str]) -> None:
    events_page = client.get("/events/")
    assert events_page.status_code == 200
    assert oldest_rows.UPCOMING_TITLE in events_page.get_data(as_text=True)
    archive = client.get("/newsletter/archive/")
    assert archive.status_code == 200
    assert "ELO-uutiskirje 1/2026" in archive.get_data(as_text=True)
    assert client.get("/newsletter/archive/1").status_code == 200
    assert client.get("/events/calendar.ics").status_code == 200
    token = {"Authorization": f"Bearer {oldest_rows.API_TOKEN}"}  # an API token made before the upgrade
    for prefix in ("/newsletter", "/events", "/mailer"):
        assert client.get(f"{prefix}/api/v1/ops/outbox", headers=token).status_code == 200, prefix
    registered = client.post("/events/api/v1/events/1/registrations", json={
        "name": "Uusi Osallistuja", "email": "uusi.osallistuja@example.fi", "organisation": "Oulun kaupunki",
        "participation": "onsite", "language": "fi", "answers": {}})
    assert registered.status_code == 201, registered.get_data(as_text=True)
    assert registered.get_json()["status"] in ("pending", "waitlisted")  # two seats, both taken before


def assert_old_links_work(client: Client, urls: dict[str, str]) -> None:
    cancel_link = oldest_rows.old_registration_link(1)
    page = client.get(cancel_link)
    assert page.status_code == 200
    assert oldest_rows.UPCOMING_TITLE in page.get_data(as_text=True)
    assert client.post(cancel_link).status_code == 200
    unsubscribe_link = oldest_rows.old_unsubscribe_link(oldest_rows.SUBSCRIBERS[0])
    assert client.get(unsubscribe_link).status_code == 200
    assert client.post(unsubscribe_link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with _engine(urls["events"]) as engine, engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT status FROM registrations WHERE id = 1")) == "cancelled"
    with _engine(urls["subscriptions"]) as engine, engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT status FROM subscribers WHERE id = 1")) == "unsubscribed"


def test_elo_migrate_brings_the_oldest_databases_up_intact_and_usable_and_a_second_run_changes_nothing(
        database_urls: dict[str, str], tmp_path: Path) -> None:
    build_oldest(database_urls)
    before = {name: snapshot(url) for name, url in database_urls.items()}
    assert all(rows for tables in before.values() for name, rows in tables.items()), before  # every table has rows

    assert "up to date" in elo_migrate(database_urls, tmp_path)
    after = {name: snapshot(url) for name, url in database_urls.items()}
    assert_every_old_row_kept(before, after)
    assert_new_columns_have_sensible_values(after)
    first_schema = {name: schema(url) for name, url in database_urls.items()}

    assert "up to date" in elo_migrate(database_urls, tmp_path)
    assert {name: schema(url) for name, url in database_urls.items()} == first_schema
    assert {name: snapshot(url) for name, url in database_urls.items()} == after

    # The one network becomes the default of several: adding one changes none of its rows.
    assert "ready" in elo(database_urls, tmp_path, "network", "add", "lappi", "--name-fi", "Lapin ELO-verkosto",
                          "--languages", "fi,sv", "--mail-from", "Lapin ELO <elo@lappi.example>")
    assert without_networks({name: snapshot(url) for name, url in database_urls.items()}) == without_networks(after)

    with running_apps(database_urls, tmp_path) as client:
        assert_old_links_work(client, database_urls)
        assert_the_apps_work(client, database_urls)
        assert oldest_rows.UPCOMING_TITLE in client.get("/pohjois-pohjanmaa/events/").get_data(as_text=True)
        lappi = client.get("/lappi/events/")
        assert lappi.status_code == 200
        assert oldest_rows.UPCOMING_TITLE not in lappi.get_data(as_text=True)
