"""Metrics are per network: `/<slug>/<prefix>/metrics` gives that network's figures, named in a `network`
label; the plain path gives the default network's."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from werkzeug.test import Client

from shared.networks import Network
from tests.security.flows import address, event_body
from tests.shared.test_metrics import scrape, value


def test_each_networks_metrics_count_its_own_rows(apps: dict[str, Flask], client: Client, network_b: Network,
                                                   network_headers: Callable[..., dict[str, str]]) -> None:
    prefix = f"/{network_b.slug}"
    made = client.post(f"{prefix}/events/api/v1/events", json=event_body(), headers=network_headers(network_b))
    assert made.status_code == 201, made.get_data(as_text=True)
    for n in range(2):
        registered = client.post(f"{prefix}/events/api/v1/events/{made.get_json()['id']}/registrations", json={
            "name": "Aino Aaltonen", "email": address(f"metrics{n}"), "organisation": "Lapin yliopisto",
            "participation": "onsite", "language": "fi"})
        assert registered.status_code == 201, registered.get_data(as_text=True)

    in_b = scrape(client, f"{prefix}/events")
    in_default = scrape(client, "/events")
    pending = 'elo_event_registrations{{network="{}",service="events",status="pending"}}'
    assert value(in_b, pending.format(network_b.slug)) == 2
    assert value(in_default, pending.format("pohjois-pohjanmaa")) == 0
    assert f'network="{network_b.slug}"' not in in_default
    assert 'network="pohjois-pohjanmaa"' not in in_b
