"""The yearly survey's pages (issue #17) at a desktop, a phone (390 px) and 200 % zoom: the answer page in
fi, sv and en (each invitee's own language), and the coordinator's list, builder, survey, results and members
pages (Finnish on the desktop, Swedish on the narrow screens). axe-core finds no WCAG 2.1 A/AA violation and
nothing scrolls sideways. A Swedish invitee answers with the keyboard alone and gets the Swedish thanks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from services.subscriptions.models import db
from services.subscriptions.surveys.models import Survey
from shared.db import utcnow
from tests.e2e.helpers import log_in_browser, make_user, page_failures
from tests.e2e.test_accessibility import load_demo
from tests.e2e.test_accessibility_sizes import SIZES, sized  # noqa: F401 (a fixture)
from tests.subscriptions.survey_factories import make_survey, send_to
from tests.web.conftest import PASSWORD

PEOPLE = [("aino@example.fi", "fi"), ("linnea@example.fi", "sv"), ("sam@example.fi", "en")]
ADMIN = "/newsletter/admin/surveys"


def _closed_demo_survey(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        return int(session.scalars(select(Survey.id).where(Survey.closed_at.is_not(None))).first() or 0)


def test_survey_pages_at_three_sizes(page: Any, apps: dict[str, Flask], sized: Callable[..., Any],  # noqa: F811
                                     check_a11y: Callable[[Any], None]) -> None:
    load_demo(apps)
    app = apps["subscriptions"]
    closed = _closed_demo_survey(app)
    assert closed
    survey_id = make_survey(app, utcnow().year)
    links = send_to(app, survey_id, PEOPLE)
    make_user("koordinaattori@example.fi", "coordinator")
    log_in_browser(page, "/newsletter", "koordinaattori@example.fi", PASSWORD)
    state = page.context.storage_state()
    workspace = [ADMIN, f"{ADMIN}/new", f"{ADMIN}/{survey_id}", f"{ADMIN}/{closed}/results", f"{ADMIN}/members"]
    failures: list[str] = []
    for size in SIZES:
        visitor, coordinator = sized(size, None), sized(size, state)
        visits = [(visitor, links[address], language) for address, language in PEOPLE]
        language = "fi" if size.startswith("desktop") else "sv"  # Swedish is the longer on a narrow screen
        visits += [(coordinator, f"{path}?lang={language}", language) for path in workspace]
        for tab, path, language in visits:
            response = tab.goto(path)
            assert response is not None
            assert response.status == 200, f"{size} {path}: {response.status}"
            assert tab.locator("html").get_attribute("lang") == language, path
            failures += page_failures(tab, f"{size} {path}", check_a11y)
    assert not failures, "\n\n".join(failures)


def test_a_swedish_invitee_answers_with_the_keyboard(page: Any, apps: dict[str, Flask]) -> None:
    app = apps["subscriptions"]
    survey_id = make_survey(app, utcnow().year)
    link = send_to(app, survey_id, [("linnea@example.fi", "sv")])["linnea@example.fi"]
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "sv"
    first_rating = page.locator("input[type=radio]").first
    first_rating.focus()
    page.keyboard.press("Space")
    assert first_rating.is_checked()
    submit = page.locator("main form button[type=submit]").last
    submit.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert "Tack" in page.locator("main").inner_text()
