"""axe-core (WCAG 2.1 A and AA) on every page, in Finnish, Swedish and English.

The pages are found, not listed: starting from the front page and both workspaces (logged in
as the coordinator, with the demo content loaded), every same-site link to an HTML page is
followed. Pages behind personal links (confirm, preferences, registration) are checked by the
journeys in test_journeys.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from services import SERVICES
from tests.e2e.conftest import LANGUAGES
from tests.e2e.helpers import log_in_browser, make_user
from tests.web.conftest import PASSWORD

CRAWL_LIMIT = 60
LINKS_JS = "links => links.map(a => a.getAttribute('href'))"
SKIP_SUFFIXES = (".ics", ".csv", ".xlsx", ".json", ".xml", ".atom", ".css", ".js", ".png", ".svg", ".pdf")
SKIP_PARTS = ("/api/", "/healthz", "/static/", "/logout", "/export", "/attachments/", "/raw")


def load_demo(apps: dict[str, Flask]) -> None:
    for info in SERVICES:
        with apps[info.name].app_context(), info.module().db.transaction() as session:
            info.module("demo").seed(session)


def crawlable(path: str) -> bool:
    return not path.endswith(SKIP_SUFFIXES) and not any(part in path for part in SKIP_PARTS)


def shape(path: str) -> str:
    """Pages of one kind share a shape: /events/year/2026 and /events/year/2027 are both /events/year/#."""
    return re.sub(r"/[^/]*\d[^/]*", "/#", urlsplit(path).path)


def crawl(page: Any, starts: list[str], visit: Callable[[str], None] = lambda _path: None) -> list[str]:
    """Same-site HTML pages reachable from `starts`: one page of each shape (query strings dropped).
    `visit(path)` runs on each page while the browser is on it."""
    seen: list[str] = []
    shapes: set[str] = set()
    queue = list(starts)
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in seen or shape(path) in shapes:
            continue
        response = page.goto(path)
        assert response is not None
        assert response.status < 500, f"{path} answered {response.status}"
        if response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen.append(path)
        shapes.add(shape(path))
        visit(path)
        for href in page.eval_on_selector_all("a[href]:not([download])", LINKS_JS):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or not crawlable(parts.path):
                continue
            target = parts.path
            if target not in seen and target not in queue and shape(target) not in shapes:
                queue.append(target)
    return seen


def test_every_page_has_no_wcag_violations(page: Any, apps: dict[str, Flask],
                                           check_a11y: Callable[[Any], None]) -> None:
    load_demo(apps)
    make_user("koordinaattori@example.fi", "coordinator")
    log_in_browser(page, "/newsletter", "koordinaattori@example.fi", PASSWORD)
    failures: list[str] = []

    def check(path: str) -> None:
        assert page.locator("html").get_attribute("lang") == LANGUAGES[0], f"{path}: html lang"
        try:
            check_a11y(page)
        except AssertionError as error:
            failures.append(str(error))

    page.goto(f"/?lang={LANGUAGES[0]}")  # the language cookie: the crawl sees every page in Finnish
    pages = crawl(page, ["/", "/newsletter/", "/events/", "/newsletter/archive/", "/mailer/outbox/",
                         "/newsletter/admin/", "/events/admin/", "/newsletter/admin/login", "/events/admin/login"],
                  check)
    assert {"/", "/newsletter/admin/", "/events/admin/"} <= set(pages), pages
    for path in pages:
        for language in LANGUAGES[1:]:
            separator = "&" if "?" in path else "?"
            page.goto(f"{path}{separator}lang={language}")
            # a preview is the mail a language's readers get (the Finnish one when there is no Swedish version)
            if "/preview/" not in path:
                assert page.locator("html").get_attribute("lang") == language, f"{path}: html lang is not {language}"
            try:
                check_a11y(page)
            except AssertionError as error:
                failures.append(str(error))
    assert not failures, "\n\n".join(failures)
    print(f"\naxe-core: {len(pages)} pages in {len(LANGUAGES)} languages without WCAG 2.1 A/AA violations")  # noqa: T201


def test_login_page_is_accessible_with_errors(page: Any, check_a11y: Callable[[Any], None]) -> None:
    """Error states too: the login form after a wrong password, in every language."""
    for language in LANGUAGES:
        page.goto(f"/events/admin/login?lang={language}")
        page.fill("#f-email", "nobody@example.fi")
        page.fill("#f-password", "wrong password")
        page.locator("form.narrow-form button[type=submit]").click()
        assert page.locator("#error-summary").is_visible()
        check_a11y(page)
        _ = urlsplit(page.url)


def personal_pages(apps: dict[str, Flask]) -> list[str]:
    """Pages behind personal links (made the way the emails make them) and the error page."""
    import datetime as dt

    from services.events import links as event_links
    from services.events.models import db as events_db
    from services.events.operations import events as event_cases
    from services.events.operations import registrations as event_registrations
    from services.events.schemas import EventInput
    from services.subscriptions.models import db as subscriptions_db
    from services.subscriptions.newsletter.operations import articles
    from services.subscriptions.subscribers.models import ConsentSource
    from services.subscriptions.subscribers.operations import consent as subscriber_cases
    from services.subscriptions.subscribers.operations import links as subscriber_links

    subscriptions = apps["subscriptions"]
    with subscriptions.app_context(), subscriptions_db.transaction() as session:
        subscriber_cases.subscribe(session, subscriber_cases.SubscriptionRequest(
            email="sivu@example.fi", language="fi", topics=("newsletter",)), ConsentSource.FORM)
        subscriber = subscriber_cases.find_by_email(session, "sivu@example.fi")
        assert subscriber is not None
        urls = [subscriber_links.confirm_url(subscriber), subscriber_links.preferences_url(subscriber),
                subscriber_links.unsubscribe_url(subscriber)]
        article = articles.submit_article(session, articles.ArticleFields(
            title="Ohjausta kaikille", summary="Lyhyt tiivistelmä.", body="Teksti.", author_name="Aino",
            email="aino@example.fi", organisation="Oulun kaupunki", themes=["accessible"], language="fi",
            image_url=None, image_alt=None), base_url=subscriptions.config["BASE_URL"],
            secret_key=subscriptions.config["SECRET_KEY"])
        urls.append(f"/newsletter/articles/{articles.status_token(subscriptions.config['SECRET_KEY'], article)}")
    events = apps["events"]
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    with events.app_context(), events_db.transaction() as session:
        event = event_cases.create_event(session, EventInput().load({
            "kind": "training", "title": {"fi": "Koulutus", "sv": "Utbildning"}, "mode": "online",
            "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=2)).isoformat()}))
        outcome = event_registrations.register(
            session, event.id, {"name": "Aino", "email": "aino@example.fi", "participation": "remote"},
            secret_key=events.config["SECRET_KEY"])
        urls += [event_links.registration_url(outcome.registration), event_links.feedback_url(outcome.registration),
                 event_links.confirm_url(outcome.registration)]
    return [*urls, "/events/no-such-event-here"]


def test_personal_pages_have_no_wcag_violations(page: Any, apps: dict[str, Flask],
                                                check_a11y: Callable[[Any], None]) -> None:
    failures = []
    for url in personal_pages(apps):
        for language in LANGUAGES:
            response = page.goto(f"{url}?lang={language}")
            assert response is not None
            assert response.status < 500, url
            try:
                check_a11y(page)
            except AssertionError as error:
                failures.append(str(error))
    assert not failures, "\n\n".join(failures)
