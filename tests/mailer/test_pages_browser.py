"""The test mailbox in real Chromium: readable in fi, sv and en, no WCAG 2.1 A/AA violations, and the
captured email's HTML shown in a sandboxed frame under its own strict policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.e2e.conftest import (  # noqa: F401 - the browser fixtures, used by name
    LANGUAGES,
    axe,
    backend,
    browser,
    check_a11y,
    chromium_path,
    live_port,
    live_server,
    page,
    settings,
)
from tests.mailer.conftest import email_request

pytestmark = pytest.mark.browser
ICS = {"filename": "tapahtuma.ics", "content_type": "text/calendar; method=PUBLISH",
       "content": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"}


def test_test_mailbox_pages_are_accessible_in_every_language(
    page: Any,  # noqa: F811 - the imported fixture
    apps: dict[str, Flask],
    send_email: Callable[..., None],
    drain: Callable[..., None],
    check_a11y: Callable[[Any], None],  # noqa: F811 - the imported fixture
) -> None:
    send_email(email_request("browser-mail:1", name="Maija Meikäläinen", list_mail=True, attachments=[ICS]))
    drain()
    for language in LANGUAGES:
        page.goto(f"/mailer/outbox/?lang={language}")
        check_a11y(page)
        page.get_by_role("link", name="Testiviesti: Pohjois-Pohjanmaan ELO-verkosto").click()
        page.wait_for_load_state()
        check_a11y(page)
        frame = page.frame_locator("iframe.email-view")
        frame.get_by_text("Hei Maija Meikäläinen!").wait_for()
        assert frame.get_by_role("link", name="Peru tilaus").get_attribute("href") == (
            "https://elo.example/newsletter/unsubscribe/tok-browser-mail:1")
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto("/mailer/outbox/1/html")
    assert page.get_by_text("Hei Maija Meikäläinen!").is_visible()
    assert not [text for text in messages if "Content Security Policy" in text and "style" in text]
