"""XSS in a real Chromium: payloads go in through the public APIs and the organiser's API, then the
public pages and the coordinator's admin pages that show them are opened; no script may run (every
payload calls alert(), and any dialog fails the test). Uses the browser harness of tests/e2e."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from shared.ratelimit import reset_rates
from tests.e2e.conftest import backend, browser, chromium_path, live_port, live_server, page, settings
from tests.e2e.helpers import PASSWORD, log_in_browser, make_user
from tests.security import flows
from tests.security.test_xss import PAYLOADS

pytestmark = pytest.mark.browser
__all__ = ["backend", "browser", "chromium_path", "live_port", "live_server", "page", "settings"]


@pytest.fixture
def dialogs(page: Any) -> list[str]:
    """Every alert/confirm/prompt a page opens (none may: they would be a payload running)."""
    opened: list[str] = []

    def record(dialog: Any) -> None:
        opened.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def test_no_payload_runs_in_chromium(page: Any, dialogs: list[str], client: Client, apps: dict[str, Flask],
                                     admin_headers: Callable[[str], dict[str, str]]) -> None:
    organizer = admin_headers("organizer")
    article_ids, event_ids, slugs = [], [], []
    for payload in PAYLOADS:
        reset_rates()
        article = flows.submit_article(client, title=f"Otsikko {payload}", summary=f"Tiivistelmä {payload}",
                                       body=f"Teksti {payload}", author_name=payload, organisation=payload)
        if isinstance(article.get_json(), dict) and "id" in article.get_json():
            article_ids.append(article.get_json()["id"])
        event = flows.create_event(client, organizer, title={"fi": f"Tapahtuma {payload}"},
                                   description={"fi": payload}, address=payload, organiser_name=payload)
        if event is not None:
            event_ids.append(event["id"])
            slugs.append(event["slug"])
            flows.register(client, event["id"], flows.address("xss"), name=payload, organisation=payload)
    assert event_ids, "the events API made no event"

    public = ["/events/", *(f"/events/{slug}" for slug in slugs), "/newsletter/archive/", "/newsletter/"]
    for path in public:
        page.goto(path)
        page.wait_for_load_state("load")
    make_user("xss-koordinaattori@example.fi")
    log_in_browser(page, "/events", "xss-koordinaattori@example.fi", PASSWORD)
    for event_id in event_ids:
        page.goto(f"/events/admin/events/{event_id}")
        page.wait_for_load_state("load")
    page.goto("/newsletter/admin/articles")
    for article_id in article_ids:
        page.goto(f"/newsletter/admin/articles/{article_id}")
        page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert not dialogs, f"a payload ran: {dialogs}"
