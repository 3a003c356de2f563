"""Calendars follow a cancellation: the event-cancelled and registration-cancelled mails carry an .ics with
METHOD:CANCEL (in the file and in the MIME part's Content-Type), the confirmation's UID and a higher SEQUENCE,
checked with three independent parsers (icalendar, ical, vobject) and through the real mailer and SMTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

from services.events.models import Event, db
from services.events.operations import events, registrations
from tests.events.factories import make_event, register
from tests.events.ics import parse_strictly
from tests.mailer.conftest import use_mail_settings


def read_three_ways(text: str) -> dict[str, Any]:
    """METHOD, UID, SEQUENCE, STATUS and the people of the one VEVENT, the same by all three parsers."""
    strict = parse_strictly(text)  # ical's strict model and vobject's validate()
    by_icalendar = icalendar.Calendar.from_ical(text)
    [vevent] = by_icalendar.walk("VEVENT")
    by_ical = IcsCalendarStream.calendar_from_ics(text)
    [ical_event] = by_ical.events
    by_vobject = vobject.readOne(text)
    facts = {"method": str(by_icalendar["METHOD"]), "uid": str(vevent["UID"]), "sequence": int(vevent["SEQUENCE"]),
             "status": str(vevent["STATUS"]), "organizer": str(vevent.get("ORGANIZER", "")),
             "attendee": str(vevent.get("ATTENDEE", ""))}
    assert by_ical.method == facts["method"] if hasattr(by_ical, "method") else True
    assert (ical_event.uid, ical_event.sequence, str(ical_event.status.value)) == (
        facts["uid"], facts["sequence"], facts["status"])
    assert by_vobject.method.value == facts["method"]
    assert strict.vevent.uid.value == facts["uid"]
    assert int(by_vobject.vevent.sequence.value) == facts["sequence"]
    return facts


def ics_of(email: dict[str, Any]) -> tuple[str, str]:
    [attachment] = email["attachments"]
    return attachment["content_type"], attachment["content"]


def test_the_event_cancelled_mail_cancels_the_confirmation_s_calendar_entry(
        client, events_app, admin_headers, sent_emails):
    event = make_event(events_app)
    register(events_app, event.id, "liisa@example.fi")
    confirmed_type, confirmed = ics_of(sent_emails("registration-confirmed")[0])
    before = read_three_ways(confirmed)
    assert (confirmed_type, before["method"], before["status"]) == (
        "text/calendar; method=PUBLISH", "PUBLISH", "CONFIRMED")

    assert client.post(f"/events/api/v1/events/{event.id}/cancel",
                       headers=admin_headers("organizer")).status_code == 200
    content_type, cancelled = ics_of(sent_emails("event-cancelled")[0])
    after = read_three_ways(cancelled)
    assert content_type == "text/calendar; method=CANCEL"
    assert (after["method"], after["status"], after["uid"]) == ("CANCEL", "CANCELLED", before["uid"])
    assert after["sequence"] > before["sequence"]
    assert after["organizer"] == before["organizer"]
    assert after["organizer"].startswith("mailto:")
    assert after["attendee"] == "mailto:liisa@example.fi"


def test_the_person_s_own_cancellation_mail_cancels_their_entry_while_the_event_goes_on(events_app, sent_emails):
    event = make_event(events_app)
    person = register(events_app, event.id, "mikko@example.fi")
    before = read_three_ways(ics_of(sent_emails("registration-confirmed")[0])[1])
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_registration(session, person.id)
    content_type, text = ics_of(sent_emails("registration-cancelled")[0])
    after = read_three_ways(text)
    assert content_type == "text/calendar; method=CANCEL"
    assert (after["method"], after["status"], after["uid"]) == ("CANCEL", "CANCELLED", before["uid"])
    assert after["sequence"] == before["sequence"] + 1
    assert after["attendee"] == "mailto:mikko@example.fi"
    with events_app.app_context(), db.transaction() as session:
        still = session.get_one(Event, event.id)
        assert not still.is_cancelled  # only this person's copy says CANCELLED
        assert still.sequence == before["sequence"]


def test_a_moved_event_s_cancellation_is_above_the_change_notice(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app)
    person = register(events_app, event.id, "aino@example.fi")
    later = event.starts_at + dt.timedelta(hours=2)
    moved = client.patch(f"/events/api/v1/events/{event.id}", headers=admin_headers("organizer"),
                         json={"starts_at": later.isoformat(), "ends_at": (later + dt.timedelta(hours=1)).isoformat()})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    changed = read_three_ways(ics_of(sent_emails("event-changed")[0])[1])
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_registration(session, person.id)
    after = read_three_ways(ics_of(sent_emails("registration-cancelled")[0])[1])
    assert after["sequence"] > changed["sequence"] > 0
    assert after["uid"] == changed["uid"]


def test_the_organiser_s_undoable_cancellation_mails_the_cancel_when_it_becomes_final(events_app, sent_emails):
    event = make_event(events_app)
    person = register(events_app, event.id, "olli@example.fi")
    before = read_three_ways(ics_of(sent_emails("registration-confirmed")[0])[1])
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_by_organiser(session, person.id)
    assert sent_emails("registration-cancelled") == []  # nothing mailed while it can be undone
    with events_app.app_context(), db.transaction() as session:
        registrations.finish_cancellation(session, person.id)
    after = read_three_ways(ics_of(sent_emails("registration-cancelled")[0])[1])
    assert (after["method"], after["uid"], after["sequence"]) == ("CANCEL", before["uid"], before["sequence"] + 1)


def test_the_mailed_part_says_method_cancel_in_its_content_type(apps, events_app, sent_emails, smtp_sink, drain):
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    event = make_event(events_app)
    register(events_app, event.id, "pirjo@example.fi")
    with events_app.app_context(), db.transaction() as session:
        events.cancel_event(session, event.id)
    assert len(sent_emails("event-cancelled")) == 1
    drain()  # the outbox relays every mail to the mailer, which sends it by SMTP
    parts = [p for m in smtp_sink.wait_for(3) for p in m.walk() if p.get_content_type() == "text/calendar"]
    assert sorted(p.get_param("method") for p in parts) == ["CANCEL", "PUBLISH"]  # the cancellation, the confirmation
    [part] = [p for p in parts if p.get_param("method") == "CANCEL"]
    assert part.get_param("method") == "CANCEL"
    assert str(part.get_param("charset")).lower() == "utf-8"
    facts = read_three_ways(part.get_payload(decode=True).decode("utf-8"))
    assert (facts["method"], facts["status"]) == ("CANCEL", "CANCELLED")
