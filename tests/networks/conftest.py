"""A second network in the test: its rows in every service's default database, its schemas or files
migrated, its tables emptied before and after, and admin tokens that belong to one network."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from services import SERVICES
from services.network_commands import migrate_network
from shared.auth import new_token, store_token
from shared.db import committing
from shared.models import NetworkRow
from shared.network_registry import save_network
from shared.networks import Network, forget_networks, using_network
from shared.ratelimit import reset_rates

LAPPI = Network(slug="lappi", names={"fi": "Lapin ELO-verkosto", "sv": "ELO-nätverket i Lappland"},
                languages=("fi", "sv"), mail_from="Lapin ELO <elo@lappi.example>",
                postal_addresses={"fi": "Hallituskatu 5, 96100 Rovaniemi"}, list_id="lappi.elo.example")


def empty_tables(database: Any) -> None:
    """Like the root conftest's `_empty_tables`, for the current network's database."""
    tables = [table for metadata in database.metadatas for table in metadata.sorted_tables]
    with database.engine.begin() as connection:
        for table in reversed(tables):
            if table.name != NetworkRow.__tablename__:
                connection.execute(table.delete())


def forget_network(slug: str) -> None:
    """Remove the network's rows from every service's default database (its own tables stay, emptied)."""
    for info in SERVICES:
        database = info.module().db
        with committing(Session(bind=database.default_engine)) as session:
            session.execute(sa.delete(NetworkRow).where(NetworkRow.slug == slug))
    forget_networks()


@pytest.fixture
def network_b(apps: dict[str, Flask]) -> Iterator[Network]:
    """The network `lappi` beside the default one, empty at start; removed again after the test."""
    for info in SERVICES:
        save_network(info.module().db, LAPPI)
    migrate_network(LAPPI)
    forget_networks()
    with using_network(LAPPI):
        for info in SERVICES:
            empty_tables(info.module().db)
    yield LAPPI
    with using_network(LAPPI):
        for info in SERVICES:
            info.module().db.session.remove()
            empty_tables(info.module().db)
    forget_network(LAPPI.slug)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Many public calls from one test client: start and leave every test with no counters."""
    reset_rates()
    yield
    reset_rates()


@pytest.fixture
def network_headers(apps: dict[str, Flask]) -> Callable[[Network | None, str], dict[str, str]]:
    """`network_headers(network, role)`: a fresh token stored in that network, as `elo create-token --network`."""

    def headers(network: Network | None, role: str = "coordinator") -> dict[str, str]:
        token = new_token()
        with using_network(network):
            for info in SERVICES:
                with info.module().db.transaction() as session:
                    store_token(session, token, role)
        return {"Authorization": f"Bearer {token}"}

    return headers
