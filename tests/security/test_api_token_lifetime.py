"""API tokens carry an expiry (`elo create-token --days N`), and `elo tokens list` / `elo tokens revoke ID`
list and revoke them in every service's database at once; an expired or revoked token is a 401."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select, update
from werkzeug.test import Client

from services import SERVICES
from shared.auth import DEFAULT_TOKEN_DAYS, hash_token
from shared.db import utcnow
from shared.models import ApiToken
from tests.conftest import Backend

# One admin GET per service; an accepted token gets past the guard (404/200), a refused one is 401.
GUARDED = ["/events/api/v1/events/999999", "/newsletter/api/v1/articles/999999", "/mailer/api/v1/campaigns/none"]


@pytest.fixture
def elo(apps: dict[str, Flask], backend: Backend, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from services.cli import main

    for name, value in backend.env().items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return run


def answers(client: Client, token: str) -> list[int]:
    return [client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code for path in GUARDED]


def rows_of(token: str) -> list[ApiToken]:
    found = []
    for info in SERVICES:
        with info.module().db.transaction() as session:
            found += list(session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))))
    return found


def test_a_token_expires_after_its_days(elo, client: Client) -> None:  # type: ignore[no-untyped-def]
    created = elo("create-token", "--role", "coordinator", "--label", "reporting", "--days", "30")
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    rows = rows_of(token)
    assert len(rows) == len(SERVICES)
    for row in rows:
        assert dt.timedelta(days=29, hours=23) < row.expires_at - utcnow() <= dt.timedelta(days=30)
    assert 401 not in answers(client, token)

    for info in SERVICES:  # a month later
        with info.module().db.transaction() as session:
            session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(token))
                            .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert answers(client, token) == [401] * len(GUARDED)
    listed = elo("tokens", "list")
    assert "expired" in listed.output


def test_tokens_last_a_year_unless_told_and_never_forever(elo) -> None:  # type: ignore[no-untyped-def]
    created = elo("create-token", "--role", "editor")
    assert created.exit_code == 0, created.output
    for row in rows_of(created.output.strip().splitlines()[-1]):
        assert row.expires_at - row.created_at == dt.timedelta(days=DEFAULT_TOKEN_DAYS)
    for days in ("0", "-5", "100000", "forever"):
        refused = elo("create-token", "--role", "editor", "--days", days)
        assert refused.exit_code == 2, (days, refused.output)


def test_tokens_are_listed_and_revoked_in_every_service(elo, client: Client) -> None:  # type: ignore[no-untyped-def]
    kept = elo("create-token", "--role", "organizer", "--label", "calendar sync").output.strip().splitlines()[-1]
    leaked = elo("create-token", "--role", "coordinator", "--label", "laptop").output.strip().splitlines()[-1]
    listed = elo("tokens", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()  # stderr has "elo: data in …"
    assert len(lines) == 2, "one line per token, not one per service database"
    assert kept not in listed.output
    assert leaked not in listed.output  # only a short id of the hash, never the token
    [laptop] = [line for line in lines if "laptop" in line]
    assert "coordinator" in laptop
    assert "active" in laptop
    token_id = laptop.split()[0]

    revoked = elo("tokens", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    assert token_id in revoked.output
    assert answers(client, leaked) == [401] * len(GUARDED)
    assert all(row.revoked_at is not None for row in rows_of(leaked))
    assert 401 not in answers(client, kept)
    assert all(row.revoked_at is None for row in rows_of(kept))
    after = elo("tokens", "list").output
    assert next(line for line in after.splitlines() if "laptop" in line).split()[2] == "revoked"


def test_revoking_an_unknown_or_too_short_id_changes_nothing(elo) -> None:  # type: ignore[no-untyped-def]
    token = elo("create-token", "--role", "editor").output.strip().splitlines()[-1]
    for given in ("000000000000", "abc", ""):
        refused = elo("tokens", "revoke", given)
        assert refused.exit_code == 2, (given, refused.output)
    assert all(row.revoked_at is None for row in rows_of(token))


def test_a_token_in_an_old_database_gets_an_expiry_on_upgrade(tmp_path: Path) -> None:
    """p002 gives tokens made before tokens expired a year from the upgrade, and on SQLite rebuilds the
    platform tables with AUTOINCREMENT so that a deleted row's id is never reused."""
    import sqlalchemy as sa

    from services.events.models import db as events_db
    from shared.db import Database
    from shared.migrations import upgrade

    database = Database("events", events_db.metadatas)
    database.configure(f"sqlite:///{tmp_path / 'events.db'}")
    migrations_dir = next(info for info in SERVICES if info.name == "events").migrations_dir
    try:
        upgrade(database, migrations_dir, "0001")
        with database.engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO api_tokens (id, token_hash, role, label, created_at) "
                                       "VALUES (3, 'old', 'editor', '', '2026-01-01 00:00:00')"))
        upgrade(database, migrations_dir)
        with database.transaction() as session:
            [row] = session.scalars(select(ApiToken))
            assert dt.timedelta(days=364) < row.expires_at - utcnow() <= dt.timedelta(days=365)
            session.delete(row)
            session.flush()
            session.add(ApiToken(token_hash="new", role="editor", label="", expires_at=utcnow()))
            session.flush()
            # AUTOINCREMENT: the deleted row's id 3 is never handed out again (without it, 1 would be)
            assert session.scalar(select(ApiToken.id).where(ApiToken.token_hash == "new")) == 4
    finally:
        database.dispose()
