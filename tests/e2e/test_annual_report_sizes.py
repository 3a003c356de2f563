"""The annual report page (issue #17) with the demo's finished year, in fi, sv and en, at a desktop, a phone
(390 px) and 200 % zoom: axe-core finds no WCAG 2.1 A/AA violation and nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from services.subscriptions.reports.demo import YEAR
from tests.e2e.helpers import log_in_browser, make_user, page_failures
from tests.e2e.test_accessibility import load_demo
from tests.e2e.test_accessibility_sizes import SIZES
from tests.web.conftest import PASSWORD


def test_the_report_at_three_sizes_in_three_languages(page: Any, browser: Any, live_server: str,
                                                      apps: dict[str, Flask],
                                                      check_a11y: Callable[[Any], None]) -> None:
    load_demo(apps)
    make_user("koordinaattori@example.fi", "coordinator")
    log_in_browser(page, "/newsletter", "koordinaattori@example.fi", PASSWORD)
    state = page.context.storage_state()
    failures: list[str] = []
    for size, (viewport, scale) in SIZES.items():
        context = browser.new_context(base_url=live_server, locale="fi-FI", viewport=viewport,
                                      device_scale_factor=scale, storage_state=state)
        context.set_default_timeout(15_000)
        try:
            sized = context.new_page()
            for language in ("fi", "sv", "en"):
                response = sized.goto(f"/newsletter/admin/reports/{YEAR}?lang={language}")
                assert response is not None
                assert response.status == 200, f"{size} {language}: {response.status}"
                assert sized.locator("svg.chart-svg").count() > 3
                failures += page_failures(sized, f"{size} {language}", check_a11y)
        finally:
            context.close()
    assert not failures, "\n\n".join(failures)
