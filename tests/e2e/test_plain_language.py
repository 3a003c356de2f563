"""Plain-language pages in a phone-sized Chromium (390 by 844 px), in Finnish and Swedish: the main action
(the submit button or the main link) is on the first screen without scrolling, axe finds nothing and
nothing scrolls sideways. A reader finds the plain page from the standard one and comes back, and a
plain registration with a mistake shows the error next to its field and then goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.e2e.helpers import check_page
from tests.test_plain_language import PLAIN_LANGUAGES, SWITCH_TEXTS, make_plain_pages, plain

PHONE = {"width": 390, "height": 844}
# The main action of each plain page: what a reader came to do.
MAIN_ACTIONS = {
    "landing": "main a.button",
    "privacy": "main a.button",
    "subscribe": "main form button[type=submit]",
    "preferences": "main form button[type=submit]",
    "event": "main a.button[href='#register']",
}


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="fi-FI", viewport=PHONE, device_scale_factor=3,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def bottom_of(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown on {page.url}"
    return float(box["y"] + box["height"])


def registered_language(apps: dict[str, Flask], email: str) -> str:
    from sqlalchemy import select

    from services.events.models import Registration, db

    with apps["events"].app_context(), db.transaction() as session:
        return str(session.scalars(select(Registration.language).where(Registration.email == email)).one())


@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
def test_the_main_action_of_each_plain_page_is_on_the_first_phone_screen(
        phone: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], language: str) -> None:
    paths = make_plain_pages(apps).paths()
    too_low: list[str] = []
    for name, path in paths.items():
        phone.goto(plain(path, language))
        assert phone.locator("html").get_attribute("lang") == language
        check_page(phone, check_a11y)
        bottom = bottom_of(phone, MAIN_ACTIONS[name])
        if bottom > PHONE["height"]:
            too_low.append(f"{name}: the main action ends at {bottom:.0f} px")
    assert too_low == []


@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
def test_a_reader_switches_to_plain_language_registers_and_switches_back(
        phone: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], language: str) -> None:
    event_path = make_plain_pages(apps).event
    to_plain, to_standard = SWITCH_TEXTS[language]
    phone.goto(f"{event_path}?lang={language}")
    phone.get_by_role("link", name=to_plain, exact=True).click()
    phone.wait_for_load_state()
    assert "plain=1" in phone.url

    phone.locator("main a.button[href='#register']").click()
    phone.fill("#f-name", "Selma Selkonen")
    phone.fill("#f-email", "selma")  # a mistake
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_load_state()
    error = phone.locator("#f-email-error")
    assert error.is_visible()
    assert "@" in error.inner_text(), "the error shows how an address looks"
    check_page(phone, check_a11y)

    phone.fill("#f-email", "selma@example.fi")
    phone.check("input[name=sector][value=education]")
    phone.check("input[name=participation][value=onsite]")
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_load_state()
    assert phone.locator("#f-email-error").count() == 0
    check_page(phone, check_a11y)
    assert registered_language(apps, "selma@example.fi") == language

    phone.goto(plain(event_path, language))
    phone.get_by_role("link", name=to_standard, exact=True).click()
    phone.wait_for_load_state()
    assert "plain=1" not in phone.url
    assert phone.get_by_role("link", name=to_plain, exact=True).is_visible()
