"""One login, roles per network: a person who works in two networks logs in once; in a network where
they have no account the workspace does not let them in."""

from __future__ import annotations

from flask import Flask
from werkzeug.test import Client

from shared.accounts import hash_password, save_user
from shared.networks import Network, using_network
from tests.web.conftest import PASSWORD, log_in, make_user

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}


def add_user_in(network: Network, email: str, role: str) -> None:
    from services import SERVICES

    with using_network(network):
        for info in SERVICES:
            with info.module().db.transaction() as session:
                save_user(session, email=email, role=role, password_hash=hash_password(PASSWORD))


def test_one_login_opens_both_networks_with_each_ones_role(apps: dict[str, Flask], client: Client,
                                                            network_b: Network) -> None:
    email = make_user()  # a coordinator of the default network
    add_user_in(network_b, email, "organizer")
    assert log_in(client, "/events", email).status_code == 302
    assert client.get("/newsletter/admin/subscribers", environ_base=ELSEWHERE).status_code == 200
    assert client.get(f"/{network_b.slug}/events/admin/", environ_base=ELSEWHERE).status_code == 200
    # An organizer in network B: the newsletter's subscriber list is not theirs there.
    assert client.get(f"/{network_b.slug}/newsletter/admin/subscribers",
                      environ_base=ELSEWHERE).status_code in (302, 403, 404)


def test_a_login_of_one_network_is_not_a_login_in_another(apps: dict[str, Flask], client: Client,
                                                          network_b: Network) -> None:
    email = make_user()
    assert log_in(client, "/newsletter", email).status_code == 302
    assert client.get("/events/admin/", environ_base=ELSEWHERE).status_code == 200
    for page in (f"/{network_b.slug}/events/admin/", f"/{network_b.slug}/newsletter/admin/"):
        assert client.get(page, environ_base=ELSEWHERE).status_code == 404, page  # nothing of B exists for them
    assert client.get(f"/{network_b.slug}/events/admin/login").status_code == 200  # B's own login stays open


def test_logging_in_inside_a_network_keeps_the_session_there(apps: dict[str, Flask], client: Client,
                                                              network_b: Network) -> None:
    email = "both.networks@example.fi"
    add_user_in(network_b, email, "coordinator")
    assert log_in(client, f"/{network_b.slug}/newsletter", email).status_code == 302
    assert client.get(f"/{network_b.slug}/events/admin/", environ_base=ELSEWHERE).status_code == 200
    assert client.get("/events/admin/", environ_base=ELSEWHERE).status_code == 404  # no account in the default
