"""Backups (issue 14, AC7): `elo backup` / `elo restore` round trips on SQLite and on PostgreSQL.

Each test builds installations of its own (a data directory and three empty databases, never the
session's), fills one through the real apps (subscribe and confirm, an event with registrations,
mail captured by the mailer), backs it up, wipes it (SQLite: the data directory goes, secret key and
all; PostgreSQL: the databases are dropped and made again), restores, and checks that every row is
back, that the unsubscribe link mailed before the backup still works and that no id is given twice.

The tests here are parametrized by `kind`, not by the session `backend` (which this folder's conftest
keeps to PostgreSQL): the SQLite round trip is the embedded run's, and it runs too.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import shutil
import stat
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from dramatiq import Worker
from werkzeug.test import Client

from services import SERVICES
from services.backup import tables_of
from services.cli import main, migrate_all
from shared import apps as app_registry
from shared.auth import new_token, store_token
from shared.broker import build_broker, use_broker
from shared.ratelimit import reset_rates
from shared.settings import Settings, load_settings
from tests.conftest import TEST_SECRET_KEY, fresh_postgres_database
from tests.events.factories import event_data

KINDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]
AINO = "aino.backup@example.fi"


@dataclass
class Site:
    """One ELO installation: a data directory and the three databases. With `keeps_key` the operator
    sets ELO_SECRET_KEY; without, the key is the one generated into the data directory."""

    kind: str
    data_dir: Path
    urls: dict[str, str]
    keeps_key: bool
    server_url: str | None = None

    def env(self) -> dict[str, str | None]:
        return {"ELO_DATA_DIR": str(self.data_dir), "ELO_SECRET_KEY": TEST_SECRET_KEY if self.keeps_key else None,
                "ELO_BROKER_URL": None, "ELO_SMTP_URL": None,
                **{f"ELO_{service.upper()}_DATABASE_URL": url for service, url in self.urls.items()}}

    def settings(self) -> Settings:
        return load_settings({name: value for name, value in self.env().items() if value is not None})

    def elo(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env())

    def wipe(self) -> None:
        """A lost machine: every database empty, the data directory gone."""
        _dispose()
        if self.server_url is not None:
            admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in (sa.make_url(url).database for url in self.urls.values()):
                    connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
        shutil.rmtree(self.data_dir, ignore_errors=True)  # with ELO_SECRET_KEY set it may never have been made


def _dispose() -> None:
    for info in SERVICES:
        info.module().db.dispose()


@pytest.fixture
def make_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Site]]:
    numbers = itertools.count(1)
    with contextlib.ExitStack() as stack:
        stack.callback(_dispose)

        def make(kind: str, *, keeps_key: bool | None = None) -> Site:
            data_dir = tmp_path / f"site-{next(numbers)}"
            if kind == "sqlite":
                urls = {info.name: f"sqlite:///{data_dir / (info.name + '.db')}" for info in SERVICES}
                return Site(kind, data_dir, urls, keeps_key=bool(keeps_key))
            server = request.getfixturevalue("postgres_server")
            prefix = f"elo_backup_{os.getpid()}_{data_dir.name.replace('-', '')}_{secrets.token_hex(2)}"
            urls = {info.name: stack.enter_context(fresh_postgres_database(server, f"{prefix}_{info.name}"))
                    for info in SERVICES}
            return Site(kind, data_dir, urls, keeps_key=keeps_key is not False, server_url=server)

        yield make


@dataclass
class Running:
    client: Client
    broker: Any
    worker: Worker
    admin: dict[str, str]

    def drain(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for queue_name in list(self.broker.get_declared_queues()):
                self.broker.join(queue_name, timeout=int(max(1, deadline - time.monotonic()) * 1000),
                                 fail_fast=False)
            self.worker.join()
            if all(queue.unfinished_tasks == 0 for queue in self.broker.queues.values()):
                return
        raise TimeoutError("queues did not drain in time")


@contextlib.contextmanager
def running(site: Site) -> Iterator[Running]:
    """The whole URL space on this site, with a worker in threads and mail captured by the mailer."""
    import services.worker  # noqa: F401 - declares every actor
    from services.gateway import create_gateway

    settings = site.settings()
    migrate_all(settings)
    broker = use_broker(build_broker(None))
    wsgi, _apps = create_gateway({"ELO_SETTINGS": settings, "TESTING": True})
    reset_rates()
    token = new_token()
    for info in SERVICES:
        with info.module().db.transaction() as session:
            store_token(session, token, "coordinator")
    worker = Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        yield Running(Client(wsgi), broker, worker, {"Authorization": f"Bearer {token}"})
    finally:
        worker.stop(timeout=10_000)
        broker.close()
        app_registry.forget_apps()
        _dispose()


# --- filling a site through the real apps ------------------------------------------------------------------

def mails_to(address: str, template: str) -> list[Any]:
    from services.mailer.models import CapturedMail
    from services.mailer.models import db as mailer_db

    with mailer_db.transaction() as session:
        rows = session.scalars(sa.select(CapturedMail).where(CapturedMail.recipient == address,
                                                             CapturedMail.template == template)
                               .order_by(CapturedMail.id)).all()
        return [message_from_bytes(row.raw, policy=policy.default) for row in rows]


def local(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def subscribe(system: Running, address: str) -> str:
    """Subscribe and confirm through the mailed link; returns the unsubscribe link of the welcome mail."""
    answer = system.client.post("/newsletter/api/v1/subscriptions",
                                json={"email": address, "language": "fi", "topics": ["newsletter"]})
    assert answer.status_code == 202
    system.drain()
    [confirmation] = mails_to(address, "confirm-subscription")
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    confirm = re.search(r"https?://\S+/newsletter/confirm/\S+", text)
    assert confirm is not None
    assert system.client.post(local(confirm.group(0))).status_code == 200
    system.drain()
    [welcome] = mails_to(address, "welcome")
    [link] = [url for url in re.findall(r"<([^>]+)>", str(welcome["List-Unsubscribe"])) if url.startswith("http")]
    return local(link)


def fill(system: Running) -> dict[str, Any]:
    """Subscribers, an event with two registrations and their mail; a second event made and deleted, so
    the events table has given a higher id than any row it keeps."""
    link = subscribe(system, AINO)
    assert system.client.post("/newsletter/api/v1/subscriptions", json={
        "email": "ben.backup@example.fi", "language": "sv", "topics": ["events"]}).status_code == 202
    event = system.client.post("/events/api/v1/events", json=event_data(), headers=system.admin)
    assert event.status_code == 201, event.get_data(as_text=True)
    for person in ("carita", "daniel"):
        registration = system.client.post(f"/events/api/v1/events/{event.get_json()['id']}/registrations", json={
            "name": person.title(), "email": f"{person}@example.fi", "organisation": "Oulun kaupunki",
            "participation": "onsite", "language": "fi"})
        assert registration.status_code == 201, registration.get_data(as_text=True)
    deleted = system.client.post("/events/api/v1/events", json=event_data(), headers=system.admin).get_json()["id"]
    from services.events.models import db as events_db

    with events_db.transaction() as session:
        session.execute(sa.text("DELETE FROM events WHERE id = :id"), {"id": deleted})
    system.drain()
    return {"unsubscribe": link, "deleted_event": deleted}


def row_counts(site: Site) -> dict[str, int]:
    counts = {}
    for info in SERVICES:
        engine = sa.create_engine(site.urls[info.name])
        with engine.connect() as connection:
            for table in tables_of(connection):
                counts[f"{info.name}.{table.name}"] = connection.scalar(sa.select(sa.func.count()).select_from(table))
        engine.dispose()
    return counts


def subscriber_status(address: str) -> str:
    from services.subscriptions.models import db as subscriptions_db
    from services.subscriptions.subscribers.models import Subscriber

    with subscriptions_db.transaction() as session:
        return str(session.scalars(sa.select(Subscriber.status).where(Subscriber.email == address)).one())


def highest(site: Site, service: str, table: str) -> int:
    engine = sa.create_engine(site.urls[service])
    with engine.connect() as connection:
        found = int(connection.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0)  # noqa: S608 - a test's own names
    engine.dispose()
    return found


def unsubscribes_with_the_old_link(system: Running, link: str) -> None:
    page = system.client.get(link)
    assert page.status_code == 200
    assert "<form" in page.get_data(as_text=True)
    assert subscriber_status(AINO) == "confirmed"
    one_click = system.client.post(link, data="List-Unsubscribe=One-Click",
                                   content_type="application/x-www-form-urlencoded")
    assert one_click.status_code == 200
    assert subscriber_status(AINO) == "unsubscribed"


# --- the tests ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_backup_wipe_restore_keeps_every_row_the_mailed_links_and_never_reuses_an_id(kind, make_site, tmp_path):
    site = make_site(kind)
    with running(site) as system:
        facts = fill(system)
    before = row_counts(site)
    assert before["mailer.captured_mail"] >= 5  # confirmation, welcome, Ben's confirmation, two registrations
    assert before["events.registrations"] == 2
    assert before["subscriptions.subscribers"] == 2
    key_before = site.settings().secret_key
    highest_subscriber = highest(site, "subscriptions", "subscribers")

    backup = tmp_path / "elo.backup"
    made = site.elo("backup", str(backup))
    assert made.exit_code == 0, made.output
    assert f"Backup written: 3 databases, {len(before)} tables, {sum(before.values())} rows" in made.output
    assert f"{backup} ({backup.stat().st_size} bytes)" in made.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds personal data
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".elo.backup")]  # no temporary left

    refused = site.elo("restore", str(backup))  # the databases hold data: nothing happens without --force
    assert refused.exit_code == 2
    assert re.search(r"restore would replace the data these databases hold: subscriptions \d+ rows in \d+ tables "
                     r"\(.*subscribers.*\); events \d+ rows", refused.output)
    assert "Nothing was changed. Run `elo restore --force FILE`" in refused.output
    assert row_counts(site) == before

    site.wipe()
    restored = site.elo("restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert f"Restored 3 databases, {len(before)} tables, {sum(before.values())} rows" in restored.output
    assert row_counts(site) == before
    assert site.settings().secret_key == key_before  # SQLite: back from the backup; PostgreSQL: kept by the operator

    with running(site) as system:
        unsubscribes_with_the_old_link(system, facts["unsubscribe"])
        new_event = system.client.post("/events/api/v1/events", json=event_data(), headers=system.admin)
        assert new_event.get_json()["id"] > facts["deleted_event"]  # the deleted event's id is not given again
        assert system.client.post("/newsletter/api/v1/subscriptions", json={
            "email": "eino.new@example.fi", "language": "fi", "topics": ["newsletter"]}).status_code == 202
        system.drain()
    assert highest(site, "subscriptions", "subscribers") > highest_subscriber


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql(make_site, tmp_path):
    """The move from the embedded run to PostgreSQL: the key comes along in the backup."""
    embedded = make_site("sqlite")
    with running(embedded) as system:
        link = subscribe(system, AINO)
    before = row_counts(embedded)
    backup = tmp_path / "move.zip"
    assert embedded.elo("backup", str(backup)).exit_code == 0

    production = make_site("postgres", keeps_key=False)
    restored = production.elo("restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "and the secret key" in restored.output
    assert row_counts(production) == before
    assert production.settings().secret_key == embedded.settings().secret_key
    with running(production) as system:
        unsubscribes_with_the_old_link(system, link)


def test_restore_refuses_a_backup_newer_than_the_code_and_replaces_data_only_with_force(make_site, tmp_path):
    site = make_site("sqlite")
    with running(site) as system:
        subscribe(system, AINO)
    at_backup = row_counts(site)
    backup = tmp_path / "elo.backup"
    assert site.elo("backup", str(backup)).exit_code == 0
    with running(site) as system:
        subscribe(system, "later@example.fi")
    now = row_counts(site)

    newer = tmp_path / "newer.backup"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(newer, "w") as target:
        for entry in source.namelist():
            content = source.read(entry)
            if entry == "manifest.json":
                manifest = json.loads(content)
                manifest["databases"]["events"]["revisions"].append("e999_from_the_future")
                content = json.dumps(manifest).encode()
            target.writestr(entry, content)
    refused = site.elo("restore", "--force", str(newer))
    assert refused.exit_code == 2
    assert "revision 'e999_from_the_future', which this version of ELO does not know: the backup is newer" \
        in refused.output
    assert row_counts(site) == now

    forced = site.elo("restore", "--force", str(backup))
    assert forced.exit_code == 0, forced.output
    assert row_counts(site) == at_backup


def test_a_backup_of_an_older_schema_is_migrated_after_its_rows_are_back(make_site, tmp_path):
    from alembic.script import ScriptDirectory

    from shared.migrations import alembic_config, differences, upgrade

    old = make_site("sqlite")
    settings = old.settings()
    for info in SERVICES:
        database = info.module().db
        database.configure(settings.database_url(info.name))
        for base in ScriptDirectory.from_config(alembic_config(database, info.migrations_dir)).get_bases():
            upgrade(database, info.migrations_dir, base)
    backup = tmp_path / "old.backup"
    assert old.elo("backup", str(backup)).exit_code == 0

    new = make_site("sqlite")
    restored = new.elo("restore", str(backup))
    assert restored.exit_code == 0, restored.output
    settings = new.settings()
    for info in SERVICES:
        database = info.module().db
        database.configure(settings.database_url(info.name))
        assert differences(database) == []  # at the newest schema: the models and the tables agree
