"""The `networks` table of a service's default database, read as `shared.networks.Network`s."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from shared.db import Database, committing
from shared.models import NetworkRow
from shared.networks import Network, Registry, check_network, make_registry

REGISTRY_KEY = "elo_networks"


def to_network(row: NetworkRow) -> Network:
    return Network(slug=row.slug, names=dict(row.names), languages=tuple(row.languages.split(",")),
                   mail_from=row.mail_from, postal_addresses=dict(row.postal_addresses or {}),
                   list_id=row.list_id, colour=row.colour, logo_url=row.logo_url, dkim_domain=row.dkim_domain)


def read_networks(database: Database) -> list[Network]:
    """Every network but the default one, in the order they were added."""
    try:
        with committing(Session(bind=_reading_engine(database))) as session:
            rows = session.scalars(select(NetworkRow).order_by(NetworkRow.created_at, NetworkRow.slug)).all()
            return [to_network(row) for row in rows]
    except (OperationalError, ProgrammingError):
        return []  # not migrated yet: only the default network


def _reading_engine(database: Database) -> Engine:
    """On SQLite an engine whose reads take no write lock: the list is read again in the middle of a
    request whose own transaction (BEGIN IMMEDIATE) holds the same file, and must not wait for it."""
    engine = database.default_engine
    return _plain_sqlite_engine(database.url) if engine.dialect.name == "sqlite" else engine


@functools.lru_cache(maxsize=16)
def _plain_sqlite_engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool, connect_args={"timeout": 10, "check_same_thread": False})


def registry_of(database: Database) -> Registry:
    return make_registry(lambda: read_networks(database))


def save_network(database: Database, network: Network) -> None:
    """Write (or update) the network's row in `database`'s default network."""
    check_network(network)
    with committing(Session(bind=database.default_engine)) as session:
        row = session.get(NetworkRow, network.slug) or NetworkRow(slug=network.slug)
        row.names = dict(network.names)
        row.languages = ",".join(network.languages)
        row.mail_from = network.mail_from
        row.postal_addresses = dict(network.postal_addresses)
        row.list_id = network.list_id
        row.colour = network.colour
        row.logo_url = network.logo_url
        row.dkim_domain = network.dkim_domain
        session.add(row)


def app_networks() -> Sequence[Network]:
    """The networks besides the default one, as the current app knows them."""
    registry: Registry | None = current_app.extensions.get(REGISTRY_KEY)
    return list(registry.networks().values()) if registry is not None else []


def app_network(slug: str) -> Network | None:
    registry: Registry | None = current_app.extensions.get(REGISTRY_KEY)
    return registry.by_slug(slug) if registry is not None else None
