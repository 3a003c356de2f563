"""The coordinator's subscribers page reflows: no sideways scrolling and no column cut off (the
Unsubscribe button stays on screen) at 390 px, 1280 px and 200 % zoom, in Finnish, Swedish and English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.e2e.conftest import LANGUAGES
from tests.e2e.helpers import log_in_browser, make_user
from tests.e2e.test_checkin import VIEWS, fits

COORDINATOR = "koordinaattori@example.fi"
SUBSCRIBERS = [  # (email, name, organisation, language, status)
    ("maria-kristiina.vaananen-lindqvist@pohjois-pohjanmaan-ely-keskus.example.fi",
     "Maria-Kristiina Väänänen-Lindqvist",
     "Pohjois-Pohjanmaan elinkeino-, liikenne- ja ympäristökeskus", "fi", "confirmed"),
    ("studievagledning.yrkeshogskolan@novia.example.fi", "Bo Berg", "Yrkeshögskolan Novia", "sv", "confirmed"),
    ("guidance@example.fi", "Grace Hopper", None, "en", "pending"),
    ("left@example.fi", None, None, "fi", "unsubscribed"),
]


def add_subscribers(app: Flask) -> None:
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
    from shared.db import utcnow
    from shared.privacy import email_hash

    with app.app_context(), db.transaction() as session:
        for email, name, organisation, language, status in SUBSCRIBERS:
            subscriber = Subscriber(email=email, email_hash=email_hash(app.config["SECRET_KEY"], email), name=name,
                                    organisation=organisation, language=language, status=SubscriberStatus(status),
                                    source="form", confirmed_at=utcnow() if status == "confirmed" else None)
            subscriber.set_topics(("newsletter", "events", "trainings"))
            session.add(subscriber)


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_subscribers_table_shows_every_column_without_sideways_scrolling(
        view: str, browser: Any, live_server: str, apps: dict[str, Flask],
        check_a11y: Callable[[Any], None]) -> None:
    add_subscribers(apps["subscriptions"])
    make_user(COORDINATOR, "coordinator")
    width, height, scale = VIEWS[view]
    context = browser.new_context(base_url=live_server, locale="fi-FI", viewport={"width": width, "height": height},
                                  device_scale_factor=scale)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in_browser(page, "/newsletter", COORDINATOR)
        for language in LANGUAGES:
            page.goto(f"/newsletter/admin/subscribers?lang={language}")
            fits(page)
            check_a11y(page)
            buttons = page.locator("table.subscribers tbody button")
            assert buttons.count() == 3  # the confirmed and the pending can be unsubscribed
            inner_width = page.evaluate("window.innerWidth")
            for n in range(buttons.count()):
                buttons.nth(n).scroll_into_view_if_needed()
                box = buttons.nth(n).bounding_box()
                assert box is not None
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= inner_width, f"{language}: the Unsubscribe button is cut off"
    finally:
        context.close()
