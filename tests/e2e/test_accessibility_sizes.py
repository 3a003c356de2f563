"""The main public and workspace pages at three sizes: a desktop (1280 px), a phone (390 px) and
200 % zoom (a 1280 px window zoomed twice: a 640 px wide viewport at device scale factor 2).
axe-core finds no WCAG 2.1 A/AA violation and nothing scrolls sideways. A refused form moves the
focus to its error summary and says "Error" first in the title. The year calendar prints on one A4 page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.e2e.helpers import log_in_browser, make_user, wait_until
from tests.e2e.test_accessibility import load_demo
from tests.e2e.test_keyboard import make_event
from tests.web.conftest import PASSWORD

SIZES = {"desktop 1280 px": ({"width": 1280, "height": 900}, 1),
         "phone 390 px": ({"width": 390, "height": 844}, 3),
         "200 % zoom": ({"width": 640, "height": 450}, 2)}
YEAR = dt.datetime.now(dt.UTC).year
PUBLIC_PAGES = ("/", "/newsletter/", "/newsletter/submit", "/newsletter/archive/", "/newsletter/my-data",
                "/events/", f"/events/year/{YEAR}", "/contact", "/accessibility", "/privacy", "/mailer/outbox/")
WORKSPACE_PAGES = ("/newsletter/admin/", "/events/admin/")
SIDEWAYS_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
FOCUSED_JS = "() => document.activeElement ? document.activeElement.id : ''"


@pytest.fixture
def sized(browser: Any, live_server: str) -> Iterator[Callable[[str, dict[str, Any] | None], Any]]:
    """`sized(size_name, storage_state)` → a page in a fresh context of that size."""
    contexts: list[Any] = []

    def open_page(size: str, state: dict[str, Any] | None = None) -> Any:
        viewport, scale = SIZES[size]
        context = browser.new_context(base_url=live_server, locale="fi-FI", viewport=viewport,
                                      device_scale_factor=scale, storage_state=state)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def test_main_pages_at_three_sizes_have_no_violations_and_no_sideways_scroll(
        page: Any, apps: dict[str, Flask], sized: Callable[..., Any], check_a11y: Callable[[Any], None]) -> None:
    load_demo(apps)
    make_user("koordinaattori@example.fi", "coordinator")
    for prefix in ("/newsletter", "/events"):  # one login may already cover both workspaces
        page.goto(f"{prefix}/admin/")
        if "/admin/login" in page.url:
            log_in_browser(page, prefix, "koordinaattori@example.fi", PASSWORD)
    page.goto("/?lang=fi")
    state = page.context.storage_state()
    failures: list[str] = []
    for size in SIZES:
        sized_page = sized(size, state)
        for path in (*PUBLIC_PAGES, *WORKSPACE_PAGES):
            response = sized_page.goto(path)
            assert response is not None
            assert response.status == 200, f"{path}: {response.status}"
            assert "/admin/login" not in sized_page.url, f"{path}: not logged in"
            overflow = sized_page.evaluate(SIDEWAYS_JS)
            if overflow > 1:
                failures.append(f"{size} {path}: scrolls sideways by {overflow} px")
            try:
                check_a11y(sized_page)
            except AssertionError as error:
                failures.append(f"{size}: {error}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(("language", "word"), [("fi", "Virhe:"), ("sv", "Fel:"), ("en", "Error:")])
def test_a_refused_subscription_focuses_the_error_summary(page: Any, language: str, word: str) -> None:
    page.goto(f"/newsletter/?lang={language}")
    title = page.title()
    assert not title.startswith(word)
    with page.expect_navigation():
        page.locator("form[method=post] button[type=submit]").first.click()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    assert page.evaluate(FOCUSED_JS) == "error-summary"
    assert page.title() == f"{word} {title}"
    assert page.locator("#error-summary a").count() >= 1


def test_a_refused_registration_focuses_the_error_summary(page: Any, apps: dict[str, Flask]) -> None:
    slug = make_event(apps)
    for language, word in (("fi", "Virhe:"), ("sv", "Fel:")):
        page.goto(f"/events/{slug}?lang={language}")
        title = page.title()
        page.fill("#f-email", "not an address")
        with page.expect_navigation():
            page.locator("form[action*='#register'] button[type=submit]").click()
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
        assert page.title() == f"{word} {title}"
        assert re.search(r"f-(name|email)", page.locator("#error-summary").inner_html())


def test_the_outbox_table_region_takes_the_keyboard_focus(page: Any) -> None:
    page.goto("/newsletter/?lang=en")
    page.fill("#f-email", "outbox.reader@example.fi")
    page.locator("form[method=post] input[type=checkbox]").first.check()
    with page.expect_navigation():
        page.locator("form[method=post] button[type=submit]").first.click()

    def captured() -> bool:
        page.goto("/mailer/outbox/")
        return bool(page.locator(".table-scroll").count())

    wait_until(captured, what="the confirmation in the test mailbox")
    region = page.locator(".table-scroll")
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("role") == "region"
    assert region.get_attribute("aria-label")
    region.focus()
    assert page.evaluate("() => document.activeElement.classList.contains('table-scroll')")


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_year_calendar_prints_on_one_a4_page(page: Any, apps: dict[str, Flask]) -> None:
    load_demo(apps)
    for year in (YEAR, YEAR + 1):
        page.goto(f"/events/year/{year}?lang=fi")
        shown = page.locator(".year-events li").count()
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=False)
        page.emulate_media(media="screen")
        assert pdf_pages(pdf) == 1, f"{year} ({shown} events) printed on {pdf_pages(pdf)} pages"
    assert page.locator(".year-month").count() == 12
