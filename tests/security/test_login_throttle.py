"""Login slow-down per account and client: a stranger's wrong guesses cannot lock the owner out of
their own browser, and brute force stays slow per client and, from unknown clients, per account."""

from __future__ import annotations

from flask import Flask
from werkzeug.test import Client, TestResponse

from shared.accounts import FREE_FAILURES
from tests.web.conftest import PASSWORD, csrf_from, make_user

OWNER_IP = "198.51.100.7"
STRANGER_IPS = [f"203.0.113.{n}" for n in range(10, 30)]
LOGIN = "/events/admin/login"


def attempt(client: Client, ip: str, email: str, password: str) -> TestResponse:
    environ = {"REMOTE_ADDR": ip}
    page = client.get(LOGIN, headers={"Accept-Language": "en"}, environ_base=environ)
    return client.post(LOGIN, data={"email": email, "password": password, "csrf_token": csrf_from(page)},
                       headers={"Accept-Language": "en"}, environ_base=environ)


def owners_browser(app: Client, email: str) -> Client:
    """The owner's own browser: it logged in once (and out again), so the account knows it."""
    browser = Client(app.application)
    assert attempt(browser, OWNER_IP, email, PASSWORD).status_code == 302
    dashboard = browser.get("/events/admin/", environ_base={"REMOTE_ADDR": OWNER_IP})
    assert browser.post("/events/admin/logout", data={"csrf_token": csrf_from(dashboard)},
                        environ_base={"REMOTE_ADDR": OWNER_IP}).status_code == 302
    return browser


def test_a_strangers_guesses_do_not_lock_the_owner_out_of_their_own_browser(apps: dict[str, Flask],
                                                                            client: Client) -> None:
    email = make_user()
    browser = owners_browser(client, email)

    # Strangers spread over many clients, one guess each: the account locks for every client it does
    # not know, even with the right password ...
    for ip in STRANGER_IPS[:FREE_FAILURES]:
        assert attempt(Client(client.application), ip, email, f"guess from {ip}").status_code == 200
    locked = attempt(Client(client.application), STRANGER_IPS[-1], email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    # ... and one stranger who keeps on guessing waits longer and longer.
    stranger = Client(client.application)
    assert [attempt(stranger, STRANGER_IPS[0], email, f"guess {n}").status_code for n in range(3)] == [429] * 3

    # ... but the owner's own browser logs in at once, with the right password.
    response = attempt(browser, OWNER_IP, email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert browser.get("/events/admin/", environ_base={"REMOTE_ADDR": OWNER_IP}).status_code == 200


def test_the_owners_browser_is_slowed_down_by_its_own_wrong_passwords(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    browser = owners_browser(client, email)
    answers = [attempt(browser, OWNER_IP, email, "typo in it").status_code for _ in range(FREE_FAILURES + 1)]
    assert answers == [200] * FREE_FAILURES + [429]
    assert attempt(browser, OWNER_IP, email, PASSWORD).status_code == 429
    # Its own mistakes do not lock the account for others, nor do they count against the account.
    assert attempt(Client(client.application), STRANGER_IPS[0], email, PASSWORD).status_code == 302


def test_one_client_guessing_many_accounts_is_slowed_down(apps: dict[str, Flask], client: Client) -> None:
    owner = make_user()
    other = make_user("toinen@example.fi")
    guesser = Client(client.application)
    addresses = [f"person{n}@example.fi" for n in range(FREE_FAILURES - 1)] + [owner]
    assert [attempt(guesser, STRANGER_IPS[0], address, "wrong password").status_code
            for address in addresses] == [200] * FREE_FAILURES
    # The client is locked now, whichever account it tries, even with a right password ...
    assert attempt(guesser, STRANGER_IPS[0], other, PASSWORD).status_code == 429
    assert attempt(Client(client.application), STRANGER_IPS[0], other, PASSWORD).status_code == 429
    # ... while the accounts themselves still open from other clients.
    assert attempt(Client(client.application), STRANGER_IPS[1], other, PASSWORD).status_code == 302


def test_a_forged_or_borrowed_device_cookie_does_not_make_a_client_known(apps: dict[str, Flask],
                                                                         client: Client) -> None:
    email = make_user()
    other = make_user("toinen@example.fi")
    borrowed = owners_browser(client, other)  # knows `other`, not `email`
    cookie = borrowed.get_cookie("elo_events_device", path="/events/admin")
    assert cookie is not None
    assert cookie.http_only
    forged = Client(client.application)
    forged.set_cookie("elo_events_device", cookie.value[:-4] + "AAAA", path="/events/admin")
    for ip in STRANGER_IPS[:2]:
        for _ in range(FREE_FAILURES - 2):
            attempt(Client(client.application), ip, email, "a wrong guess")
    # The account is locked for unknown clients; neither cookie makes a client known to it.
    assert attempt(borrowed, OWNER_IP, email, PASSWORD).status_code == 429
    assert attempt(forged, STRANGER_IPS[5], email, PASSWORD).status_code == 429
