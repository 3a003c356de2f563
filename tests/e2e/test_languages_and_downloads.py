"""Issue #15 in a real Chromium, at a desktop (1280 px) and a phone (390 px) width, axe-clean and without
sideways scrolling on every page visited:

- AC4: a Finnish browser subscribes on the Swedish page; every link in the confirmation and welcome mails
  carries `lang=sv` and opens a Swedish page with the Swedish network name and postal address.
- AC7: an organiser downloads the registrations as Excel and CSV from the event's page: Finnish headers,
  values as words, Helsinki time, a UTF-8 BOM and semicolons in the CSV.
- AC11: a person registers, confirms, cancels on their own registration page; the cancellation mail's
  calendar part cancels the confirmation's entry (METHOD:CANCEL, same UID, higher SEQUENCE).

Mail is read from the embedded run's captured mail (the mailer's database behind /mailer/outbox/).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from tests.e2e.helpers import log_in_browser, make_user, wait_until

WIDTHS = (1280, 390)
ORGANISER = "jarjestaja@ely.example.fi"
SV_NAME, SV_ADDRESS = "Norra Österbottens ELO-nätverk", "Livskraftscentralen, PB 86, 90101 Uleåborg"
FITS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
MAIL_TIMEOUT = 30.0


# --- the browser and the pages -----------------------------------------------------------------------

@pytest.fixture
def open_page(browser: Any, live_server: str) -> Iterator[Callable[[int], Any]]:
    """A page in a fresh Finnish browser (locale fi-FI, so Accept-Language: fi) of the given width."""
    contexts: list[Any] = []

    def open_at(width: int) -> Any:
        context = browser.new_context(base_url=live_server, locale="fi-FI", viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_at
    for context in contexts:
        context.close()


def check_page(page: Any, check_a11y: Callable[[Any], None]) -> None:
    check_a11y(page)
    scroll_width, inner_width = page.evaluate(FITS_JS)
    assert scroll_width <= inner_width, f"{page.url}: {scroll_width} px wide in a {inner_width} px window"


def submit(page: Any, form: str = "main form") -> None:
    page.locator(f"{form} button[type=submit]").first.click()
    page.wait_for_load_state()


def assert_swedish(page: Any) -> None:
    assert page.locator("html").get_attribute("lang") == "sv", page.url
    header, footer = page.locator("body > header").first.inner_text(), page.locator("body > footer").first.inner_text()
    assert SV_NAME in header, f"{page.url}: header {header!r}"
    assert SV_NAME in footer, f"{page.url}: footer {footer!r}"
    assert SV_ADDRESS in footer, f"{page.url}: footer {footer!r}"
    assert "Pohjois-Pohjanmaan" not in page.locator("body").inner_text(), page.url


# --- captured mail -----------------------------------------------------------------------------------

def captured_mail(apps: dict[str, Flask], recipient: str, template: str) -> EmailMessage:
    """The newest mail of `template` captured for `recipient`, waiting for the worker to deliver it."""
    from services.mailer.models import CapturedMail, db

    def newest() -> bytes | None:
        with apps["mailer"].app_context(), db.transaction() as session:
            return session.scalar(select(CapturedMail.raw).where(
                CapturedMail.recipient == recipient, CapturedMail.template == template)
                .order_by(CapturedMail.id.desc()).limit(1))

    raw = wait_until(newest, MAIL_TIMEOUT, f"the {template} mail to {recipient}")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage), f"no text/{subtype} part"
    return str(part.get_content())


def links_to_site(message: EmailMessage, site: str) -> list[str]:
    """Every link to our own site in the mail's text and HTML parts, once each, in order."""
    pattern = re.compile(re.escape(site) + r"[^\s\"'<>]*")
    found = pattern.findall(text_of(message, "plain")) + pattern.findall(html.unescape(text_of(message, "html")))
    return list(dict.fromkeys(link.rstrip(".,)") for link in found))


def link_matching(message: EmailMessage, site: str, path_pattern: str) -> str:
    matching = [link for link in links_to_site(message, site) if re.fullmatch(path_pattern, urlsplit(link).path)]
    assert matching, f"no link to {path_pattern} in {links_to_site(message, site)}"
    return matching[0]


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return icalendar.Calendar.from_ical(payload.decode("utf-8"))


# --- AC4: the recipient's language in every link --------------------------------------------------------

def open_every_link_in_swedish(page: Any, message: EmailMessage, site: str,
                               check_a11y: Callable[[Any], None]) -> None:
    links = links_to_site(message, site)
    assert links, "the mail has no links to the site"
    for link in links:
        assert parse_qs(urlsplit(link).query).get("lang") == ["sv"], f"{link} does not carry lang=sv"
        page.context.clear_cookies()  # the page's language must come from the link, not a remembered choice
        response = page.goto(link)
        assert response is not None
        assert response.status == 200, link
        assert_swedish(page)
        check_page(page, check_a11y)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_finnish_browser_follows_a_swedish_subscriber_s_mail_in_swedish(
        open_page: Callable[[int], Any], apps: dict[str, Flask], live_server: str,
        check_a11y: Callable[[Any], None], width: int) -> None:
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus

    email = f"prenumerant-{width}@skola.example.fi"
    page = open_page(width)
    page.goto("/newsletter/?lang=sv")
    assert_swedish(page)
    check_page(page, check_a11y)
    assert page.locator("input[name=language][value=sv]").is_checked()  # the page's language by default
    page.fill("#f-email", email)
    page.fill("#f-name", "Stina Studiehandledare")
    submit(page)
    page.locator("[role=status]:not(.status-region)").first.wait_for()
    assert_swedish(page)
    check_page(page, check_a11y)

    confirmation = captured_mail(apps, email, "confirm-subscription")
    confirm_url = link_matching(confirmation, live_server, r"/newsletter/confirm/[\w.\-]+")
    open_every_link_in_swedish(page, confirmation, live_server, check_a11y)

    if page.url != confirm_url:  # the loop left the page on the mail's last link
        page.context.clear_cookies()
        page.goto(confirm_url)
    assert page.evaluate("() => navigator.language") == "fi-FI"
    assert_swedish(page)
    page.get_by_role("button", name="Bekräfta prenumerationen").click()
    page.wait_for_load_state()
    assert_swedish(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Prenumerationen är bekräftad"
    check_page(page, check_a11y)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert subscriber is not None
        assert (subscriber.status, subscriber.language) == (SubscriberStatus.CONFIRMED, "sv")

    welcome = captured_mail(apps, email, "welcome")
    assert SV_NAME in text_of(welcome, "plain")
    assert SV_ADDRESS in text_of(welcome, "plain")
    open_every_link_in_swedish(page, welcome, live_server, check_a11y)


# --- AC7: the organiser's downloads ----------------------------------------------------------------------

@pytest.fixture
def event_with_people(apps: dict[str, Flask]) -> Any:
    """An on-site event with a Swedish-speaking person who has a seat, registered at 9.05 UTC on 1 July
    2030 (12.05 in Helsinki, summer time)."""
    from services.events.models import Registration, db
    from tests.events.factories import make_event, register

    app = apps["events"]
    event = make_event(app, mode="onsite", online_url="")
    person = register(app, event.id, "bo.berg@vasa.example.fi", name="Bo Berg", language="sv", participation="onsite")
    with app.app_context(), db.transaction() as session:
        session.get_one(Registration, person.id).created_at = dt.datetime(2030, 7, 1, 9, 5, tzinfo=dt.UTC)
    make_user(ORGANISER, "organizer")
    return event


def download(page: Any, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).click()
    done = started.value
    path = done.path()
    assert path is not None, done.failure()
    with open(path, "rb") as file:
        return done.suggested_filename, file.read()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_organiser_downloads_the_registrations_as_excel_and_csv_in_finnish(
        open_page: Callable[[int], Any], event_with_people: Any, check_a11y: Callable[[Any], None],
        width: int) -> None:
    page = open_page(width)
    log_in_browser(page, "/events", ORGANISER)
    page.goto("/events/admin/?lang=fi")
    check_page(page, check_a11y)
    page.get_by_role("link", name=event_with_people.title["fi"]).first.click()
    page.wait_for_url(re.compile(rf".*/events/admin/events/{event_with_people.id}(\?.*)?$"))
    check_page(page, check_a11y)

    name, workbook = download(page, "Lataa ilmoittautumiset (Excel)")
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(workbook)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert {"Tila", "Nimi", "Sähköpostiosoite", "Osallistuu", "Kieli", "Ilmoittautumisaika"} <= set(header), header
    assert (row["Tila"], row["Osallistuu"], row["Kieli"], row["Nimi"]) == ("Paikka varattu", "Paikan päällä",
                                                                          "ruotsi", "Bo Berg")
    assert not {"onsite", "confirmed", "sv"} & set(row.values()), row  # words, never the stored codes
    assert row["Ilmoittautumisaika"] == dt.datetime(2030, 7, 1, 12, 5)  # noqa: DTZ001 - Helsinki wall clock, as Excel holds it

    name, table = download(page, "Lataa ilmoittautumiset (CSV)")
    assert name.endswith(".csv")
    assert table.startswith(b"\xef\xbb\xbf"), table[:20]  # the UTF-8 BOM: Excel reads ä and ö right
    text = table.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Tila;")
    [person] = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert (person["Tila"], person["Osallistuu"], person["Kieli"]) == ("Paikka varattu", "Paikan päällä", "ruotsi")
    assert person["Ilmoittautumisaika"] == "1.7.2030 klo 12.05"


# --- AC11: a person's own cancellation cancels their calendar entry ------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_cancelling_on_the_registration_page_mails_a_calendar_cancel(
        open_page: Callable[[int], Any], apps: dict[str, Flask], live_server: str,
        check_a11y: Callable[[Any], None], width: int) -> None:
    from services.events.models import Registration, RegistrationStatus, db
    from tests.events.factories import make_event

    event = make_event(apps["events"], mode="onsite", online_url="")
    email = f"osallistuja-{width}@example.fi"
    page = open_page(width)
    page.goto(f"/events/{event.slug}?lang=fi")
    check_page(page, check_a11y)
    page.fill("#f-name", "Outi Osallistuja")
    page.fill("#f-email", email)
    page.fill("#f-organisation", "Oulun kaupunki")
    page.check("input[name=sector][value=education]")
    submit(page, "form[action*='#register']")
    page.locator("[role=status]:not(.status-region)").first.wait_for()
    check_page(page, check_a11y)

    pending = captured_mail(apps, email, "registration-pending")
    page.goto(link_matching(pending, live_server, r"/events/registrations/[\w.\-]+/confirm"))
    check_page(page, check_a11y)
    submit(page)
    check_page(page, check_a11y)

    confirmed = captured_mail(apps, email, "registration-confirmed")
    [entry] = calendar_of(confirmed).walk("VEVENT")
    page.goto(link_matching(confirmed, live_server, r"/events/registrations/[\w.\-]+"))
    check_page(page, check_a11y)
    submit(page)
    check_page(page, check_a11y)
    with apps["events"].app_context(), db.transaction() as session:
        registration = session.scalar(select(Registration).where(Registration.email == email))
        assert registration is not None
        assert registration.status is RegistrationStatus.CANCELLED

    cancelled = calendar_of(captured_mail(apps, email, "registration-cancelled"))
    [cancel] = cancelled.walk("VEVENT")
    assert str(cancelled["METHOD"]) == "CANCEL"
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(entry["UID"])
    assert int(str(cancel["SEQUENCE"])) > int(str(entry.get("SEQUENCE", 0)))
