"""Steps the browser tests share: logging in, reading captured mail, waiting for the worker."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests.web.conftest import PASSWORD, make_user

__all__ = ["NO_SIDEWAYS_SCROLL", "PASSWORD", "WIDTHS", "check_page", "link_in_mail", "log_in_browser", "make_user",
           "page_failures", "wait_until"]

# The two widths every journey runs at: a desktop and a phone.
WIDTHS = (1280, 390)
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def check_page(page: Any, check_a11y: Callable[[Any], None]) -> None:
    """axe finds nothing, and the page does not scroll sideways (WCAG 1.4.10)."""
    check_a11y(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{page.url} scrolls sideways"


def page_failures(page: Any, label: str, check_a11y: Callable[[Any], None]) -> list[str]:
    """What is wrong with the open page, for tests that check many pages and report them together: a
    sideways scroll (more than 1 px) and axe's findings, each starting with `label`."""
    failures = []
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 1:
        failures.append(f"{label}: scrolls sideways by {overflow} px")
    try:
        check_a11y(page)
    except AssertionError as error:
        failures.append(f"{label}: {error}")
    return failures


def log_in_browser(page: Any, prefix: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{prefix}/admin/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.locator("form.narrow-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*{prefix}/admin/.*"))
    assert "/admin/login" not in page.url, f"login to {prefix} failed"


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def link_in_mail(mailbox: Any, recipient: str, pattern: str, *, skip: int = 0, timeout: float = 30.0) -> str:
    """The first link matching `pattern` in mail captured for `recipient`, read from /mailer/outbox/
    like a person would (the test mailbox of the embedded run). `skip` ignores that many matching mails."""
    regex = re.compile(pattern)

    def find() -> str | None:
        mailbox.goto("/mailer/outbox/")
        rows = mailbox.locator("tbody tr", has_text=recipient)
        hrefs = [rows.nth(n).locator("a").first.get_attribute("href") for n in range(rows.count())]
        found: list[str] = []
        for href in reversed(hrefs):  # oldest first
            mailbox.goto(href)
            match = regex.search(mailbox.locator("pre.email-text").inner_text())
            if match:
                found.append(match.group(0))
        return found[skip] if len(found) > skip else None

    link = wait_until(find, timeout, f"a mail to {recipient} with {pattern}")
    return str(link)


def mail_count(mailbox: Any, recipient: str) -> int:
    mailbox.goto("/mailer/outbox/")
    return int(mailbox.locator("tbody tr", has_text=recipient).count())
