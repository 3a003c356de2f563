"""One login for the whole workspace: log in once at any service, every service's workspace knows you;
logout ends it everywhere; the navigation and heading follow the role."""

from __future__ import annotations

from flask import Flask
from werkzeug.test import Client

from tests.web.conftest import PASSWORD, csrf_from, log_in, make_user

ENGLISH = {"Accept-Language": "en"}
FINNISH = {"Accept-Language": "fi"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}  # not this machine: the mailbox then needs a coordinator's login


def test_one_login_opens_every_service_and_one_logout_closes_them(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    assert client.get("/newsletter/admin/").status_code == 302
    assert client.get("/mailer/outbox/", environ_base=ELSEWHERE).status_code == 302
    assert log_in(client, "/events", email).status_code == 302
    for page in ("/events/admin/", "/newsletter/admin/", "/newsletter/admin/subscribers"):
        assert client.get(page, environ_base=ELSEWHERE).status_code == 200, page
    assert client.get("/mailer/outbox/", environ_base=ELSEWHERE).status_code == 200
    assert client.get("/mailer/admin/", environ_base=ELSEWHERE).headers["Location"] == "/mailer/outbox/"
    copy = Client(client.application)
    cookie = client.get_cookie("elo_workspace")
    assert cookie is not None
    assert cookie.path == "/"
    copy.set_cookie("elo_workspace", cookie.value)
    assert copy.get("/newsletter/admin/").status_code == 200

    # Logging out at the newsletter ends the login kept by the events service, for every service.
    page = client.get("/newsletter/admin/")
    assert client.post("/newsletter/admin/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert client.get_cookie("elo_workspace") is None
    for someone in (client, copy):
        for page_path in ("/events/admin/", "/newsletter/admin/", "/mailer/admin/"):
            assert someone.get(page_path).status_code == 302, page_path
    assert copy.get("/mailer/outbox/", environ_base=ELSEWHERE).status_code == 302


def test_the_login_page_sends_a_logged_in_person_where_they_asked(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    first = client.get("/newsletter/admin/issues")
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/newsletter/admin/login?next=")
    # Log in at the events service, asking for a newsletter page: you land there.
    page = client.get("/events/admin/login")
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf_from(page), "next": "/newsletter/admin/issues"}
    landed = client.post("/events/admin/login", data=form)
    assert landed.headers["Location"] == "/newsletter/admin/issues"
    again = client.get("/newsletter/admin/login?next=/newsletter/admin/articles")
    assert again.status_code == 302
    assert again.headers["Location"] == "/newsletter/admin/articles"


def test_a_form_token_from_one_service_is_good_in_every_other(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    assert log_in(client, "/newsletter", email).status_code == 302
    token = csrf_from(client.get("/events/admin/"))
    assert csrf_from(client.get("/newsletter/admin/")) == token
    # Logging out at the events service with the token from the newsletter's page works.
    assert client.post("/events/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/newsletter/admin/").status_code == 302
    refused = Client(client.application)
    assert log_in(refused, "/events", email).status_code == 302
    assert refused.post("/events/admin/logout", data={"csrf_token": token}).status_code == 400  # an old login's


def test_an_organizer_sees_only_events(apps: dict[str, Flask], client: Client) -> None:
    organizer = make_user("jarjestaja@example.fi", "organizer")
    assert log_in(client, "/events", organizer).status_code == 302
    page = client.get("/events/admin/", headers=FINNISH).get_data(as_text=True)
    assert "Järjestäjän työtila" in page
    assert "Koordinaattorin työtila" not in page
    assert 'href="/newsletter/admin/' not in page
    assert 'href="/events/admin/events/new"' in page
    swedish = client.get("/events/admin/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Arrangörens arbetsyta" in swedish
    for newsletter_page in ("/newsletter/admin/", "/newsletter/admin/articles", "/newsletter/admin/subscribers"):
        assert client.get(newsletter_page).status_code == 403, newsletter_page
    assert client.get("/mailer/admin/", environ_base=ELSEWHERE).status_code == 403


def test_the_navigation_and_heading_follow_the_role(apps: dict[str, Flask], client: Client) -> None:
    coordinator = make_user()
    assert log_in(client, "/events", coordinator).status_code == 302
    for service_page in ("/events/admin/", "/newsletter/admin/articles"):
        page = client.get(service_page, headers=FINNISH).get_data(as_text=True)
        assert "Koordinaattorin työtila" in page
        for link in ("/newsletter/admin/", "/newsletter/admin/subscribers", "/events/admin/", "/mailer/outbox/"):
            assert f'href="{link}"' in page, (service_page, link)
    current = client.get("/newsletter/admin/articles", headers=ENGLISH).get_data(as_text=True)
    assert '<a href="/newsletter/admin/articles" aria-current="page">Articles</a>' in current

    editor = make_user("toimittaja@example.fi", "editor")
    browser = Client(client.application)
    assert log_in(browser, "/events", editor).status_code == 302  # lands in the newsletter workspace
    page = browser.get("/newsletter/admin/", headers=ENGLISH).get_data(as_text=True)
    assert "Editor&#39;s workspace" in page or "Editor's workspace" in page
    assert 'href="/newsletter/admin/articles"' in page
    assert 'href="/newsletter/admin/subscribers"' not in page
    assert 'href="/events/admin/' not in page
    assert browser.get("/events/admin/").status_code == 403
