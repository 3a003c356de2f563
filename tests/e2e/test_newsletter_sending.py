"""Sending an issue safely in a real Chromium, at 1280 px and at 390 px: a past time is refused next to the
field (focus on the error summary, "Virhe:" in the title), the confirmation step names the issue, the
recipients per language and the time, and the page says when sending is done with the three counts.
axe-core finds nothing on each page, and no page scrolls sideways.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.e2e.helpers import log_in_browser, make_user, wait_until

COORDINATOR = "koordinaattori@ely.example.fi"
WIDTHS = (1280, 390)


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways at {width[1]} px: {width[0]} px wide"


def _world(apps: dict[str, Flask], width: int) -> int:
    """Readers in three languages and a draft issue with one accepted article; returns the issue's id."""
    from services.subscriptions.models import db
    from services.subscriptions.newsletter.models import Article, ArticleStatus
    from services.subscriptions.newsletter.operations import issues
    from services.subscriptions.newsletter.operations.content import render_markdown
    from tests.subscriptions.newsletter_factories import make_subscribers

    with apps["subscriptions"].app_context():
        make_subscribers(3, language="fi", prefix=f"lukija{width}")
        make_subscribers(2, language="sv", prefix=f"lasare{width}")
        make_subscribers(1, language="en", prefix=f"reader{width}")
        with db.transaction() as session:
            article = Article(status=ArticleStatus.ACCEPTED, title="Ohjaamo avasi ovensa Raaheen",
                              summary="Nuorten palvelupiste aloitti.", body_markdown="Tervetuloa!",
                              body_html=render_markdown("Tervetuloa!"), author_name="Mikko Opinto-ohjaaja",
                              author_email="mikko@example.fi", organisation="Raahen kaupunki", themes=["accessible"],
                              language="fi")
            session.add(article)
            session.flush()
            issue = issues.compose(session, {"title": f"Uutiskirje {width}/2027", "language": "fi",
                                             "introduction": "Hyvää alkanutta vuotta!", "article_ids": [article.id],
                                             "include_events": False})
            return issue.id


@pytest.mark.parametrize("width", WIDTHS)
def test_send_with_confirmation_past_time_refused_and_done_with_counts(
        page: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], width: int) -> None:
    from services.subscriptions.models import db
    from services.subscriptions.newsletter.models import Issue, IssueStatus

    page.set_viewport_size({"width": width, "height": 900})
    issue_id = _world(apps, width)
    make_user(COORDINATOR, "coordinator")
    log_in_browser(page, "/newsletter", COORDINATOR)
    page.goto(f"/newsletter/admin/issues/{issue_id}?lang=fi")
    check_a11y(page)
    _no_sideways_scroll(page)

    # A time in the past: refused next to the field, the summary has the focus, the title says "Virhe".
    page.check("#f-when-2")
    page.fill("#f-send_at", (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("form[action$='/send'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.title().startswith("Virhe: ")
    assert "Tämä aika on jo mennyt." in page.locator("#f-send_at-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    check_a11y(page)
    _no_sideways_scroll(page)

    # Now: the confirmation step names the issue, the recipients per language and the time.
    page.check("#f-when")
    page.locator("form[action$='/send'] button[type=submit]").click()
    page.wait_for_load_state()
    confirmation = page.locator("main").inner_text()
    assert f"Olet lähettämässä numeron «Uutiskirje {width}/2027» 6 vastaanottajalle." in confirmation
    assert "Suomeksi: 3" in confirmation
    assert "Ruotsiksi: 2" in confirmation
    assert "Englanniksi: 1" in confirmation
    assert "Lähetys alkaa heti, kun vahvistat." in confirmation
    check_a11y(page)
    _no_sideways_scroll(page)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert session.get(Issue, issue_id).status == IssueStatus.DRAFT  # type: ignore[union-attr]

    page.get_by_role("button", name="Lähetä nyt 6 vastaanottajalle").click()
    page.wait_for_load_state()
    page.locator("progress#send-progress").wait_for()
    check_a11y(page)
    _no_sideways_scroll(page)

    # The page (polling) says when the mailer is done, with sent / failed / suppressed.
    summary = page.locator("[data-progress-text]")
    wait_until(lambda: "Lähetys on valmis" in summary.inner_text(), what="the page to say sending is done")
    assert summary.inner_text() == "Lähetys on valmis: 6 lähetetty, 0 epäonnistui, 0 estetty (6 vastaanottajaa)."
    assert page.locator("[data-progress-status]").inner_text() == "Lähetetty"
    page.reload()
    assert "Lähetys on valmis" in page.locator("[data-progress-text]").inner_text()
    assert page.get_by_role("button", name="Keskeytä lähetys").count() == 0
    check_a11y(page)
    _no_sideways_scroll(page)
