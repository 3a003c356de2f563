"""The demo's finished year (issue #17): on first run the 2025 report shows real content from every source."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.test import Client

from services.events import demo as events_demo
from services.events.models import db as events_db
from services.subscriptions import demo
from services.subscriptions.models import db
from services.subscriptions.reports import demo as report_demo
from tests.web.conftest import log_in, make_user


def test_the_demo_year_has_issues_articles_subscriber_changes_events_and_a_survey(
        apps: dict[str, Flask], client: Client, admin_headers: Any) -> None:
    with apps["subscriptions"].app_context(), db.transaction() as session:
        demo.seed(session)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        report_demo.seed(session)  # a second run adds nothing
    with apps["events"].app_context(), events_db.transaction() as session:
        events_demo.seed(session)

    answer = client.get(f"/newsletter/api/v1/reports/years/{report_demo.YEAR}", headers=admin_headers("coordinator"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    newsletter = report["newsletter"]
    assert newsletter["issues_sent"] == len(report_demo.ISSUES)
    assert newsletter["recipients"] == sum(issue[3] for issue in report_demo.ISSUES)
    assert newsletter["articles"]["published"] == 6
    assert newsletter["articles"]["submitted"] >= len(report_demo.ARTICLES)
    people = newsletter["subscribers"]
    assert people["subscribers_at_start"] >= 6
    assert people["left"] >= 4
    assert people["unsubscribes"] >= 3
    assert sum(1 for month in people["by_month"] if month["joined"]) >= 10
    assert people["subscribers_at_end"] == people["subscribers_at_start"] + people["joined"] - people["left"]
    assert report["events"]["events"]["total"] > 0
    assert all(row["events"] for row in report["themes"])  # something under every theme
    assert report["surveys"]

    assert log_in(client, "/newsletter", make_user()).status_code == 302
    page = client.get(f"/newsletter/admin/reports/{report_demo.YEAR}", headers={"Accept-Language": "fi"})
    assert page.status_code == 200
    assert "ELO-uutiskirje 3/2025" in page.get_data(as_text=True)
