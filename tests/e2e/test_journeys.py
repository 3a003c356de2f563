"""The main journeys end to end in a real Chromium, in Finnish and in Swedish, with axe-core on
every page they pass. Mail is read from the embedded run's test mailbox (/mailer/outbox/).

1. subscribe → confirm through the emailed link → change preferences → unsubscribe
2. submit an article → review → compose an issue (preview, test send) → send → see it in the archive
3. create an event → register until full → waiting list → cancel → promotion → feedback
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.e2e.helpers import link_in_mail, log_in_browser, mail_count, make_user, wait_until

JOURNEY_LANGUAGES = ("fi", "sv")
COORDINATOR = "koordinaattori@ely.example.fi"


def submit(page: Any, form: str = "main form") -> None:
    page.locator(f"{form} button[type=submit]").first.click()
    page.wait_for_load_state()


# --- 1. subscriber -------------------------------------------------------------------------------

@pytest.mark.parametrize("language", JOURNEY_LANGUAGES)
def test_subscribe_confirm_change_preferences_unsubscribe(
        page: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], language: str) -> None:
    from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus

    email = f"tilaaja-{language}@koulu.example.fi"
    page.goto(f"/newsletter/?lang={language}")
    check_a11y(page)
    page.fill("#f-email", email)
    page.fill("#f-name", "Aino Ohjaaja")
    page.check(f"input[name=language][value={language}]")
    page.check("input[name=topics][value=newsletter]")
    submit(page)
    page.locator("[role=status]:not(.status-region)").first.wait_for()
    check_a11y(page)

    mailbox = page.context.new_page()
    confirm_url = link_in_mail(mailbox, email, r"https?://\S+/newsletter/confirm/[\w.\-]+")
    page.goto(confirm_url)
    assert page.locator("html").get_attribute("lang") == language
    check_a11y(page)
    submit(page)
    check_a11y(page)
    assert _subscriber(apps, email, Subscriber).status == SubscriberStatus.CONFIRMED

    preferences_url = link_in_mail(mailbox, email, r"https?://\S+/newsletter/preferences/[\w.\-]+")
    page.goto(preferences_url)
    check_a11y(page)
    page.check("input[name=topics][value=events]")
    page.locator("form:has(input[name=action][value=save]) button[type=submit]").click()
    page.wait_for_load_state()
    check_a11y(page)
    assert _subscriber(apps, email, Subscriber).topic_names == ["events", "newsletter"]

    page.locator("form:has(input[name=action][value=unsubscribe]) button[type=submit]").click()
    page.wait_for_load_state()
    check_a11y(page)
    assert _subscriber(apps, email, Subscriber).status == SubscriberStatus.UNSUBSCRIBED
    mailbox.close()


def _subscriber(apps: dict[str, Flask], email: str, model: Any) -> Any:
    from services.subscriptions.models import db

    with apps["subscriptions"].app_context(), db.transaction() as session:
        subscriber = session.scalar(select(model).where(model.email == email))
        assert subscriber is not None
        _ = subscriber.topic_names
        return subscriber


# --- 2. newsletter -------------------------------------------------------------------------------

@pytest.mark.parametrize("language", JOURNEY_LANGUAGES)
def test_submit_review_compose_send_and_read_in_the_archive(
        page: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], language: str) -> None:
    from services.subscriptions.newsletter.models import Article, Issue, IssueStatus

    reader = f"lukija-{language}@kunta.example.fi"
    _confirmed_subscriber(apps, reader, language)
    title = {"fi": "Ohjaamo avasi ovensa Raaheen", "sv": "Navigatorn öppnade i Jakobstad"}[language]

    page.goto(f"/newsletter/submit?lang={language}")
    check_a11y(page)
    page.fill("#f-title", title)
    page.fill("#f-summary", {"fi": "Nuorten matalan kynnyksen palvelupiste aloitti.",
                             "sv": "En lågtröskeltjänst för unga har öppnat."}[language])
    page.fill("#f-body", {"fi": "Ohjaamo palvelee alle 30-vuotiaita.\n\nTervetuloa!",
                          "sv": "Navigatorn hjälper unga under 30 år.\n\nVälkommen!"}[language])
    page.fill("#f-author_name", "Mikko Opinto-ohjaaja")
    page.fill("#f-email", f"kirjoittaja-{language}@example.fi")
    page.fill("#f-organisation", "Raahen kaupunki")
    page.check("input[name=themes][value=accessible]")
    page.select_option("#f-language", language)
    submit(page)
    check_a11y(page)
    article_id = wait_until(lambda: _id_of(apps, Article, Article.title == title), what="the article")

    make_user(COORDINATOR, "coordinator")
    log_in_browser(page, "/newsletter", COORDINATOR)
    page.goto(f"/newsletter/admin/articles?lang={language}")
    check_a11y(page)
    page.locator(f"a[href$='/admin/articles/{article_id}']").click()
    check_a11y(page)
    page.check("input[name=decision][value=accepted]")
    submit(page, "form[action$='/decision']")
    check_a11y(page)

    page.goto("/newsletter/admin/issues/new")
    issue_title = {"fi": "Uutiskirje 1/2027", "sv": "Nyhetsbrev 1/2027"}[language]
    page.fill("#f-title", issue_title)
    page.select_option("#f-language", language)
    page.fill("#f-introduction", {"fi": "Hyvää alkanutta vuotta!", "sv": "Gott nytt år!"}[language])
    page.check(f"input[name=article_ids][value='{article_id}']")
    # The live preview follows the form (a small script; the page works without it too).
    page.locator("[data-preview-target]", has_text=title).wait_for()
    check_a11y(page)
    page.locator("button[name=action][value=save]").click()
    page.wait_for_url("**/admin/issues/*")
    issue_id = int(page.url.rstrip("/").split("/")[-1].split("?")[0])
    check_a11y(page)

    page.fill("#f-emails", "testi@ely.example.fi")
    submit(page, "form[action$='/test-send']")
    link_in_mail(page.context.new_page(), "testi@ely.example.fi", r"/newsletter/archive/\d+")

    submit(page, "form[action$='/send']")
    submit(page, "form[action$='/send']")  # the confirmation step
    page.locator("progress#send-progress").wait_for()
    check_a11y(page)
    wait_until(lambda: _issue_status(apps, issue_id, Issue) == IssueStatus.SENT, what="the issue to be sent")
    mailbox = page.context.new_page()
    link_in_mail(mailbox, reader, rf"/newsletter/archive/{issue_id}")

    page.goto(f"/newsletter/archive/?lang={language}")
    check_a11y(page)
    page.get_by_role("link", name=issue_title).first.click()
    page.wait_for_load_state()
    assert page.get_by_text(title).count() >= 1
    check_a11y(page)
    mailbox.close()


def _confirmed_subscriber(apps: dict[str, Flask], email: str, language: str) -> None:
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import ConsentSource
    from services.subscriptions.subscribers.operations import consent as operations

    with apps["subscriptions"].app_context(), db.transaction() as session:
        operations.subscribe(session, operations.SubscriptionRequest(email=email, language=language,
                                                                     topics=("newsletter",)), ConsentSource.FORM)
        subscriber = operations.find_by_email(session, email, lock=True)
        assert subscriber is not None
        operations.confirm(session, subscriber)


def _id_of(apps: dict[str, Flask], model: Any, condition: Any) -> int | None:
    from services.subscriptions.models import db

    with apps["subscriptions"].app_context(), db.transaction() as session:
        return session.scalar(select(model.id).where(condition))


def _issue_status(apps: dict[str, Flask], issue_id: int, model: Any) -> Any:
    from services.subscriptions.models import db

    with apps["subscriptions"].app_context(), db.transaction() as session:
        return session.get(model, issue_id).status


# --- 3. events -----------------------------------------------------------------------------------

@pytest.mark.parametrize("language", JOURNEY_LANGUAGES)
def test_create_event_fill_it_wait_cancel_promote_and_give_feedback(
        page: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], language: str) -> None:
    from services.events.models import Registration, RegistrationStatus, db
    from services.events.operations import feedback as operations

    make_user(COORDINATOR, "coordinator")
    log_in_browser(page, "/events", COORDINATOR)
    page.goto(f"/events/admin/events/new?lang={language}")
    check_a11y(page)
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=40)).strftime("%Y-%m-%dT09:00")
    ends = starts.replace("T09:00", "T15:00")
    page.select_option("#f-kind", "training")
    page.fill("#f-title_fi", "Digitaalinen ohjaus -koulutus")
    page.fill("#f-title_sv", "Utbildning i digital vägledning")
    page.fill("#f-description_fi", "Koulutus ohjaajille.")
    page.fill("#f-starts_at", starts)
    page.fill("#f-ends_at", ends)
    page.check("input[name=mode][value=onsite]")
    page.fill("#f-address", "Oulun kaupunginkirjasto, Kaarlenväylä 3, Oulu")
    page.fill("#f-capacity", "2")
    page.check("input[name=themes][value=digital]")
    page.check("input[name=languages][value=sv]")
    submit(page, "form[action$='/events/new']")
    page.wait_for_url("**/admin/events/*")
    check_a11y(page)
    public_path = page.locator("dl.facts a[href^='/events/']").get_attribute("href")

    people = [(f"{name.lower()}-{language}@example.fi", name) for name in ("Anna", "Bertil", "Cecilia")]
    for email, name in people:
        page.goto(f"{public_path}?lang={language}")
        if email == people[0][0]:
            check_a11y(page)
        page.fill("#f-name", name)
        page.fill("#f-email", email)
        page.fill("#f-organisation", "Oulun seudun ammattiopisto")
        page.check("input[name=sector][value=education]")
        submit(page, "form[action*='#register']")
        page.locator("[role=status]:not(.status-region)").first.wait_for()
    check_a11y(page)  # the waiting-list answer
    statuses = _registration_statuses(apps, [email for email, _name in people])
    assert statuses == ["pending", "pending", "waitlisted"]  # seats held until the addresses are confirmed

    mailbox = page.context.new_page()
    for email, _name in people:  # each confirms from the email: the link opens a page, its button confirms
        page.goto(link_in_mail(mailbox, email, r"https?://\S+/events/registrations/[\w.\-]+/confirm"))
        check_a11y(page)
        submit(page)
    assert _registration_statuses(apps, [email for email, _name in people]) == ["confirmed", "confirmed", "waitlisted"]
    cancel_url = link_in_mail(mailbox, people[0][0], r"https?://\S+/events/registrations/[\w.\-]+(?![\w.\-/])")
    page.goto(cancel_url)
    check_a11y(page)
    submit(page)
    check_a11y(page)
    assert _registration_statuses(apps, [email for email, _name in people]) == ["cancelled", "confirmed", "confirmed"]
    wait_until(lambda: mail_count(mailbox, people[2][0]) >= 2, what="the promotion email")

    page.goto(page.url.split("/events/")[0] + "/events/admin/")
    page.locator("table a").first.click()
    check_a11y(page)
    page.locator("form[action$='/check-in'] button").first.click()
    page.wait_for_load_state()

    # The scheduler asks for feedback after the event; run that job's use-case now.
    with apps["events"].app_context(), db.transaction() as session:
        event_id = session.scalar(select(Registration.event_id).where(Registration.email == people[1][0]))
        arrived = session.scalars(select(Registration.email).where(Registration.event_id == event_id,
                                                                   Registration.checked_in)).all()
        # by default only the people marked arrived are asked
        assert operations.send_feedback_requests(session, event_id) == len(arrived) == 1
    feedback_url = link_in_mail(mailbox, arrived[0], r"https?://\S+/events/feedback/[\w.\-]+")
    page.goto(feedback_url)
    check_a11y(page)
    page.check("input[name=overall][value='5']")
    page.check("input[name=useful][value='4']")
    page.fill("#f-comments", {"fi": "Hyvä koulutus!", "sv": "Bra utbildning!"}[language])
    submit(page)
    check_a11y(page)

    page.goto(f"/events/admin/events/{event_id}/feedback")
    check_a11y(page)
    assert page.locator("figure.chart").count() >= 2
    mailbox.close()
    assert RegistrationStatus.CONFIRMED.value == "confirmed"


def _registration_statuses(apps: dict[str, Flask], emails: list[str]) -> list[str]:
    from services.events.models import Registration, db

    with apps["events"].app_context(), db.transaction() as session:
        found = {r.email: r.status.value for r in session.scalars(select(Registration))}
    return [found.get(email, "missing") for email in emails]
