"""The subscribe API's direct intake (production's path) keeps each network's requests in that network:
the thread's held connection follows the network of the request, on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Subscriber
from shared.networks import Network, using_network

BODY = {"name": "Aino Virtanen", "language": "fi", "topics": ["newsletter"]}


def _addresses(network: Network | None) -> set[str]:
    with using_network(network), db.transaction() as session:
        return set(session.scalars(sa.select(Subscriber.email)))


def test_each_networks_subscriptions_land_in_that_network(client: Client, apps: dict[str, Flask],
                                                          network_b: Network, drain: Callable[..., None]) -> None:
    apps["subscriptions"].config.update(SUBSCRIBE_IN_WORKER=True, SUBSCRIBE_DIRECT_INTAKE=True)
    try:
        for n, prefix in enumerate(["", f"/{network_b.slug}", "", f"/{network_b.slug}", f"/{network_b.slug}"]):
            address = f"{'lappi' if prefix else 'oulu'}{n}@example.fi"
            response = client.post(f"{prefix}/newsletter/api/v1/subscriptions", json={**BODY, "email": address})
            assert response.status_code == 202
        drain()
    finally:
        apps["subscriptions"].config.update(SUBSCRIBE_IN_WORKER=False, SUBSCRIBE_DIRECT_INTAKE=False)
    assert _addresses(None) == {"oulu0@example.fi", "oulu2@example.fi"}
    assert _addresses(network_b) == {"lappi1@example.fi", "lappi3@example.fi", "lappi4@example.fi"}
