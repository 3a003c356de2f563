"""The coordinator's announcements pages (issue #18, point 4): the list of mailings, and a mailing's page with
its progress, pause / resume / cancel (cancel asks first) and what came back from its messages, the
addresses masked. Coordinators only; GET and HEAD never change anything.

The mailing is stored as the EVENT_ANNOUNCED actor stores it (`receiving.receive`) and expanded step by
step with `sending.expand_step`; what came back is recorded in the mailer's database as its inbound
listener records it, and the page asks the mailer through its API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from werkzeug.test import Client

from services.mailer.inbound_reports import Outcome
from services.subscriptions.announcements.models import AnnouncementMailing, MailingKind, MailingStatus
from services.subscriptions.announcements.operations import receiving, sending
from services.subscriptions.models import db
from tests.mailer.test_campaign_feedback_api import bounced, complained, erased, sent_delivery, unsubscribed
from tests.subscriptions.conftest import make_subscriber
from tests.web.conftest import csrf_from, log_in, make_user

ADMIN = "/newsletter/admin/announcements"
ROW = re.compile(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td>')


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    """The client logged in to the newsletter workspace as a coordinator."""
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    return client


def announce(app: Flask, readers: int = 0, event_id: int = 7) -> int:
    """An event's announcement whose sending started (nothing handed over yet); its mailing's id."""
    for number in range(readers):
        make_subscriber(f"lukija{number}@example.fi", name=None, language="fi", topics=("newsletter", "events"),
                        status="confirmed")
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    event = {"event_id": event_id, "slug": f"tapahtuma-{event_id}",
             "title": {"fi": "Kiertotalouden aamu", "sv": "Cirkulär morgon", "en": "Circular morning"},
             "url": {"fi": f"http://127.0.0.1:8000/events/tapahtuma-{event_id}?lang=fi"},
             "starts_at": start, "ends_at": start + dt.timedelta(hours=2), "mode": "onsite", "place": "Oulu",
             "kind": "seminar", "themes": []}
    with app.app_context(), db.transaction() as session:
        announcement = receiving.receive(session, event)
        assert announcement is not None
        assert announcement.mailing is not None
        return announcement.mailing.id


def hand_over_one(app: Flask, mailing_id: int) -> None:
    with app.app_context(), db.transaction() as session:
        mailing = session.get(AnnouncementMailing, mailing_id)
        assert mailing is not None
        assert sending.expand_step(session, mailing_id, mailing.last_subscriber_id, batch_size=1)


def digest(week: dt.date) -> int:
    with db.transaction() as session:
        mailing = AnnouncementMailing(kind=MailingKind.DIGEST, week=week, total=4)
        session.add(mailing)
        session.flush()
        return mailing.id


def status(mailing_id: int) -> MailingStatus:
    with db.transaction() as session:
        mailing = session.get(AnnouncementMailing, mailing_id)
        assert mailing is not None
        return mailing.status


def feedback_table(html: str) -> dict[str, int]:
    section = html.split('id="feedback-heading"', 1)[1]
    return {label: int(count) for label, count in ROW.findall(section)}


def test_the_list_shows_each_mailing_with_its_status_and_progress(workspace: Client, apps: dict[str, Flask]) -> None:
    mailing_id = announce(apps["subscriptions"], readers=3)
    hand_over_one(apps["subscriptions"], mailing_id)
    digest_id = digest(dt.date(2026, 12, 7))
    html = workspace.get(f"{ADMIN}?lang=fi").get_data(as_text=True)
    assert "<h1>Tiedotteet</h1>" in html
    assert f'<a href="{ADMIN}/{mailing_id}">Kiertotalouden aamu</a>' in html
    assert f'<a href="{ADMIN}/{digest_id}">Viikkokooste 7.12.2026</a>' in html
    assert '<td data-label="Tila">Lähetetään</td>' in html
    assert '<td data-label="Postipalvelulla">1 / 3</td>' in html
    assert '<table class="reflow mailings">' in html
    assert f'<a href="{ADMIN}" aria-current="page">Tiedotteet</a>' in html
    english = workspace.get(f"{ADMIN}?lang=en").get_data(as_text=True)
    assert "Circular morning" in english
    assert "Weekly summary 7 December 2026" in english
    assert '<td data-label="With the mail service">1 of 3</td>' in english


def test_an_empty_list_says_so(workspace: Client) -> None:
    assert "Inga meddelanden ännu." in workspace.get(f"{ADMIN}?lang=sv").get_data(as_text=True)


def test_the_mailing_page_counts_what_came_back_with_masked_addresses(workspace: Client,
                                                                      apps: dict[str, Flask]) -> None:
    mailing_id = announce(apps["subscriptions"])
    ids = [sent_delivery(f"announcement-{mailing_id}", f"lukija{number}@example.fi") for number in range(6)]
    bounced(ids[0], Outcome.HARD)
    bounced(ids[1], Outcome.HARD)
    erased(ids[1])
    bounced(ids[2], Outcome.SOFT)
    complained(ids[3])
    unsubscribed(ids[4])
    sent_delivery("announcement-999", "muu@example.fi")  # another mailing's message is not counted
    html = workspace.get(f"{ADMIN}/{mailing_id}?lang=fi").get_data(as_text=True)
    assert "<h1>Kiertotalouden aamu</h1>" in html
    assert feedback_table(html) == {"Lähetetty": 6, "Palautui pysyvästi": 2, "Palautui tilapäisesti": 1,
                                    "Merkitty roskapostiksi": 1, "Peruutti tilauksen sähköpostilla": 1}
    assert html.count("<li>l***@example.fi</li>") == 4
    assert "1 muuta ei näytetä." in html
    assert "lukija0" not in html
    swedish = workspace.get(f"{ADMIN}/{mailing_id}?lang=sv").get_data(as_text=True)
    assert feedback_table(swedish)["Studsade permanent"] == 2


def test_pause_resume_and_cancel_on_the_mailing_page(workspace: Client, apps: dict[str, Flask]) -> None:
    mailing_id = announce(apps["subscriptions"], readers=3)
    hand_over_one(apps["subscriptions"], mailing_id)
    page = workspace.get(f"{ADMIN}/{mailing_id}?lang=fi").get_data(as_text=True)
    assert "Keskeytä lähetys" in page
    assert "1 / 3 vastaanottajaa on postipalvelulla." in page
    token = csrf_from(workspace.get(f"{ADMIN}/{mailing_id}"))

    assert workspace.post(f"{ADMIN}/{mailing_id}/pause", data={"csrf_token": token}).status_code == 302
    assert status(mailing_id) is MailingStatus.PAUSED
    assert "Jatka lähetystä" in workspace.get(f"{ADMIN}/{mailing_id}?lang=fi").get_data(as_text=True)
    resumed = workspace.post(f"{ADMIN}/{mailing_id}/resume?lang=fi", data={"csrf_token": token},
                             follow_redirects=True)
    assert "Lähetys jatkuu." in resumed.get_data(as_text=True)
    assert status(mailing_id) is MailingStatus.SENDING

    asked = workspace.post(f"{ADMIN}/{mailing_id}/cancel?lang=en", data={"csrf_token": token})
    assert asked.status_code == 200
    question = asked.get_data(as_text=True)
    assert "Cancel the announcement «Circular morning»?" in question
    assert "2 subscribers not yet reached do not get this announcement." in question
    assert "Messages already with the mail service (1) still go out." in question
    assert status(mailing_id) is MailingStatus.SENDING, "cancelling waits for the confirmation"
    workspace.post(f"{ADMIN}/{mailing_id}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert status(mailing_id) is MailingStatus.CANCELLED

    refused = workspace.post(f"{ADMIN}/{mailing_id}/resume?lang=en", data={"csrf_token": token},
                             follow_redirects=True)
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "This cannot be done now. The announcement&#39;s status: Cancelled." in html
    assert "Pause sending" not in html
    assert status(mailing_id) is MailingStatus.CANCELLED


def test_a_weekly_summary_is_shown_but_not_paused(workspace: Client) -> None:
    digest_id = digest(dt.date(2026, 12, 7))
    page = workspace.get(f"{ADMIN}/{digest_id}?lang=en")
    assert "Weekly summary 7 December 2026" in page.get_data(as_text=True)
    assert "Pause sending" not in page.get_data(as_text=True)
    refused = workspace.post(f"{ADMIN}/{digest_id}/pause?lang=en", data={"csrf_token": csrf_from(page)},
                             follow_redirects=True)
    assert "A weekly summary cannot be paused or cancelled." in refused.get_data(as_text=True)
    assert status(digest_id) is MailingStatus.SENDING


def test_a_form_without_its_token_or_an_unknown_mailing_changes_nothing(workspace: Client,
                                                                         apps: dict[str, Flask]) -> None:
    mailing_id = announce(apps["subscriptions"])
    assert workspace.post(f"{ADMIN}/{mailing_id}/pause").status_code == 400
    assert status(mailing_id) is MailingStatus.SENDING
    assert workspace.get(f"{ADMIN}/{mailing_id + 100}").status_code == 404
    token = csrf_from(workspace.get(f"{ADMIN}/{mailing_id}"))
    assert workspace.post(f"{ADMIN}/{mailing_id + 100}/pause", data={"csrf_token": token}).status_code == 404


def test_get_and_head_never_change_anything(workspace: Client, apps: dict[str, Flask]) -> None:
    mailing_id = announce(apps["subscriptions"], readers=2)
    for path in ("", f"/{mailing_id}"):
        assert workspace.get(f"{ADMIN}{path}").status_code == 200
        assert workspace.head(f"{ADMIN}{path}").status_code == 200
    for action in ("pause", "resume", "cancel"):
        for method in ("GET", "HEAD"):
            assert workspace.open(f"{ADMIN}/{mailing_id}/{action}", method=method).status_code == 405
    assert status(mailing_id) is MailingStatus.SENDING


@pytest.mark.parametrize("role", ["editor", "organizer"])
def test_only_a_coordinator_sees_the_pages(apps: dict[str, Flask], client: Client, role: str) -> None:
    mailing_id = announce(apps["subscriptions"])
    assert log_in(client, "/newsletter", make_user(f"{role}@example.fi", role)).status_code == 302
    for path in (ADMIN, f"{ADMIN}/{mailing_id}"):
        assert client.get(path).status_code == 403, path
    token = csrf_from(client.get("/newsletter/admin/" if role == "editor" else "/events/admin/"))
    assert client.post(f"{ADMIN}/{mailing_id}/pause", data={"csrf_token": token}).status_code == 403
    assert status(mailing_id) is MailingStatus.SENDING
    if role == "editor":
        assert f'href="{ADMIN}"' not in client.get("/newsletter/admin/").get_data(as_text=True)


def test_the_menu_has_the_announcements_for_a_coordinator(workspace: Client) -> None:
    page = workspace.get("/events/admin/?lang=sv").get_data(as_text=True)
    assert f'<a href="{ADMIN}">Meddelanden</a>' in page
