"""Ids are never given twice (issue 13, AC9): on both backends, in every service, every table with an
integer key gives a new, higher id after its highest row is deleted (SQLite: AUTOINCREMENT, from
`shared.db.autoincrement_ids` and the migrations; PostgreSQL: sequences). And no link or email key
depends on a reusable id alone: the issue's article-status link after an erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Enum, Integer, Table, TypeDecorator

from services import SERVICES
from services.subscriptions.models import db as subscriptions_db
from services.subscriptions.newsletter import privacy as newsletter_privacy
from services.subscriptions.newsletter.models import Article
from tests.subscriptions.conftest import emails_to
from tests.subscriptions.newsletter_factories import article_body

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _integer_key_tables() -> list[tuple[str, Any, Table]]:
    found = []
    for info in SERVICES:
        database = info.module().db
        for metadata in database.metadatas:
            for table in metadata.sorted_tables:
                key = list(table.primary_key.columns)
                # A key that is also a foreign key (one row per subscriber, say) is not handed out.
                if len(key) == 1 and isinstance(key[0].type, Integer) and not key[0].foreign_keys:
                    found.append((info.name, database, table))
    return found


TABLES = _integer_key_tables()


def _value(column: sa.Column[Any], n: int, position: int) -> Any:  # noqa: PLR0911 - one answer per type
    """A value column `column` accepts in row `n` (distinct per row, for unique columns)."""
    kind = column.type
    if column.name == "language":
        return "fi"
    if isinstance(kind, Enum):
        members: list[Any] = list(kind.enum_class) if kind.enum_class else list(kind.enums)
        return members[0]
    python_type = kind.impl_instance.python_type if isinstance(kind, TypeDecorator) else kind.python_type
    if python_type is bool:
        return False
    if python_type is int:
        return n
    if python_type is float:
        return float(n)
    if python_type is dt.datetime:
        return BASE + dt.timedelta(days=n, seconds=position)  # later columns later (ends_at after starts_at)
    if python_type is dt.date:
        return (BASE + dt.timedelta(days=n)).date()
    if python_type in (dict, list):
        return python_type()
    if python_type is bytes:
        return b"x"
    length = getattr(kind, "length", None) or 40
    return f"v{n}-{column.name}"[-length:] if length < 12 else f"v{n}-{column.name}"[:length]


def _row(table: Table, n: int) -> dict[str, Any]:
    """The columns a row needs, and its references too (a check may ask for one, e.g. a mailing of one
    announcement; they point nowhere, as foreign keys are off)."""
    return {column.name: _value(column, n, position) for position, column in enumerate(table.columns)
            if not column.primary_key and (not column.nullable or column.foreign_keys)}


def _insert(connection: sa.Connection, table: Table, n: int) -> int:
    key = next(iter(table.primary_key.columns))
    return int(connection.execute(table.insert().values(_row(table, n)).returning(key)).scalar_one())


@pytest.mark.parametrize(("service", "database", "table"), TABLES,
                         ids=[f"{service}.{table.name}" for service, _db, table in TABLES])
def test_an_id_is_never_given_twice(apps, backend, service, database, table):
    """Insert two rows, delete the highest, insert again: the new id is higher than the deleted one.
    Foreign keys are off for the test (the rows point nowhere); everything else is the real table."""
    key = next(iter(table.primary_key.columns))
    with database.engine.connect() as connection:
        if not backend.is_postgres:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            if backend.is_postgres:
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no foreign key checks
            first = _insert(connection, table, 1)
            highest = _insert(connection, table, 2)
            assert highest > first
            connection.execute(table.delete().where(key == highest))
            again = _insert(connection, table, 3)
            connection.execute(table.delete())
        if not backend.is_postgres:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    assert again > highest, f"{service}.{table.name} gave id {again} again after deleting {highest}"


def test_every_service_has_its_integer_key_tables_covered():
    names = {(service, table.name) for service, _db, table in TABLES}
    assert {("events", "registrations"), ("events", "events"), ("subscriptions", "subscribers"),
            ("subscriptions", "articles"), ("mailer", "deliveries")} <= names


def _status_path(address: str) -> str:
    receipt = emails_to(address, "article-received")[-1]
    return str(receipt["context"]["personal"]["status_url"]).removeprefix("http://127.0.0.1:8000")


def test_an_erased_authors_old_status_link_never_opens_the_next_authors_draft(client):
    """The issue: after an author erased their data, their old article-status link opened the next
    author's draft (and could withdraw it), and the next author's receipt was dropped as a duplicate."""
    assert client.post("/newsletter/api/v1/articles", json=article_body(
        email="first.author@example.fi", title="Ensimmäisen kirjoittajan juttu")).status_code == 202
    old_link = _status_path("first.author@example.fi")
    first_key = emails_to("first.author@example.fi", "article-received")[-1]["idempotency_key"]
    with subscriptions_db.transaction() as session:
        old_id = session.scalar(sa.select(Article.id))
        assert newsletter_privacy.erase_author(session, "first.author@example.fi") == 1

    assert client.post("/newsletter/api/v1/articles", json=article_body(
        email="next.author@example.fi", author_name="Seuraava", title="Toisen kirjoittajan luonnos")).status_code == 202
    with subscriptions_db.transaction() as session:
        next_id = session.scalar(sa.select(Article.id))
    assert next_id > old_id  # a new id, on both backends
    next_key = emails_to("next.author@example.fi", "article-received")[-1]["idempotency_key"]
    assert next_key != first_key
    answer = client.get(old_link)
    assert answer.status_code in (404, 410)
    assert "Toisen kirjoittajan luonnos" not in answer.get_data(as_text=True)

    # Even where the old id is given again (a database rebuilt from a dump, say), the old link and
    # the old key stay the first author's: they carry the article's creation time too.
    with subscriptions_db.transaction() as session:
        session.execute(sa.update(Article).values(id=old_id))
    reused = client.get(old_link)
    assert reused.status_code in (404, 410)
    assert "Toisen kirjoittajan luonnos" not in reused.get_data(as_text=True)
    assert client.post(old_link, data={"action": "withdraw"}).status_code in (400, 404, 410)
    with subscriptions_db.transaction() as session:
        article = session.get_one(Article, old_id)
        assert article.status.value == "submitted"  # not withdrawn through the stranger's link
    assert client.get(_status_path("next.author@example.fi")).status_code == 404  # its link named the id it had


def test_an_erased_registrants_links_never_open_the_next_registration(client, apps):
    from services.events.models import Registration
    from services.events.models import db as events_db
    from services.events.privacy import erase_person
    from shared.privacy import email_hash
    from tests.conftest import TEST_SECRET_KEY
    from tests.events.factories import make_event, register

    event = make_event(apps["events"], capacity=5)
    first = register(apps["events"], event.id, "first@example.fi")
    with apps["events"].app_context():
        from services.events import links

        old_link = links.registration_url(first).removeprefix("http://127.0.0.1:8000")
    with events_db.transaction() as session:
        erase_person(session, email_hash(TEST_SECRET_KEY, "first@example.fi"))
        session.execute(sa.delete(Registration).where(Registration.id == first.id))
    second = register(apps["events"], event.id, "second@example.fi")
    assert second.id > first.id
    with events_db.transaction() as session:  # the old id given again (a rebuilt database)
        session.execute(sa.update(Registration).where(Registration.id == second.id).values(id=first.id))
    answer = client.get(old_link)
    assert answer.status_code == 404
    assert "second@example.fi" not in answer.get_data(as_text=True)
