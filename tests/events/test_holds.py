"""Registration holds: a seat is held as `pending` until the address is confirmed from the email; an
unconfirmed hold ends after ELO_REGISTRATION_HOLD_MINUTES (shorter close to the event) and its seat
goes to the next person. The clock is the scheduler's (`tick(now=…)`), never a sleep."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt

from sqlalchemy import select

from services.events import jobs  # noqa: F401 - registers the job handlers
from services.events.models import Registration, RegistrationStatus, db
from services.events.operations import seats
from shared import scheduler
from shared.db import utcnow
from shared.models import Job, JobStatus
from tests.events.exports import read_export
from tests.events.factories import make_event, register

BASE = "http://127.0.0.1:8000"


def _post(client, event_id, email, name="Osallistuja"):
    return client.post(f"/events/api/v1/events/{event_id}/registrations",
                       json={"name": name, "email": email, "participation": "onsite"})


def _statuses():
    with db.transaction() as session:
        return {r.email: r.status.value for r in session.scalars(select(Registration))}


def _confirm_link(sent_emails, email):
    return next(m["context"]["confirm_url"] for m in reversed(sent_emails())
                if m["recipient"]["email"] == email and m["context"].get("confirm_url")).removeprefix(BASE)


def _tick(app, now):
    with app.app_context():
        return scheduler.tick(db, "test-scheduler", now=now)


def test_invented_addresses_cannot_keep_a_real_person_out(client, events_app, sent_emails):
    """The issue's attack: 45 registrations with invented addresses from one client, then a real
    person who confirms from the email. After the holds run out the real person has a seat and no
    invented address holds one."""
    settings = events_app.config["ELO_SETTINGS"]
    events_app.config["ELO_SETTINGS"] = dataclasses.replace(settings, registrations_per_ip=10_000)
    event = make_event(events_app, capacity=30, mode="onsite", online_url="")
    invented = [f"bot{n}@invented.example" for n in range(45)]
    answers = [_post(client, event.id, email) for email in invented]
    assert [a.status_code for a in answers] == [201] * 45
    assert collections.Counter(a.get_json()["status"] for a in answers) == {"pending": 30, "waitlisted": 15}

    real = _post(client, event.id, "aino.real@example.fi", name="Aino")
    assert real.get_json()["status"] == "waitlisted"
    link = _confirm_link(sent_emails, "aino.real@example.fi")
    assert client.head(link).status_code in (200, 405)
    assert client.get(link).status_code == 200  # opening the page changes nothing
    assert _statuses()["aino.real@example.fi"] == "waitlisted"
    page = client.post(link + "?lang=en")
    assert page.status_code == 200
    assert "Your address is confirmed" in page.get_data(as_text=True)

    start = utcnow()
    assert _tick(events_app, start + dt.timedelta(hours=23)) == 0  # the holds last a day
    assert collections.Counter(_statuses().values()) == {"pending": 30, "waitlisted": 16}
    _tick(events_app, start + dt.timedelta(hours=24, minutes=1))
    after_first = _statuses()
    assert after_first["aino.real@example.fi"] == "confirmed"  # a confirmed address gets a freed seat outright
    assert collections.Counter(after_first.values()) == {"expired": 30, "pending": 15, "confirmed": 1}
    # the invented addresses promoted from the waiting list hold their seats a day, from the promotion
    _tick(events_app, start + dt.timedelta(hours=48, minutes=2))
    final = _statuses()
    assert final.pop("aino.real@example.fi") == "confirmed"
    assert set(final.values()) == {"expired"}
    with db.transaction() as session:
        taken = seats.seats(session, event.id)
    assert (taken.taken, taken.pending, taken.waitlisted) == (1, 0, 0)
    assert sent_emails("registration-confirmed") == []  # no invented address ever got a confirmed seat
    seat_mail = [m for m in sent_emails("registration-promoted") if m["recipient"]["email"] == "aino.real@example.fi"]
    assert len(seat_mail) == 1
    assert "confirm_url" not in seat_mail[0]["context"]
    assert seat_mail[0]["attachments"][0]["filename"] == "event.ics"


def test_a_pending_seat_confirmed_from_the_email_is_kept(client, events_app, sent_emails):
    event = make_event(events_app, capacity=1)
    assert _post(client, event.id, "aino@example.fi").get_json()["status"] == "pending"
    assert _post(client, event.id, "bo@example.fi").get_json()["status"] == "waitlisted"
    pending = sent_emails("registration-pending")
    assert len(pending) == 1
    assert pending[0]["attachments"] == []  # no calendar entry before the address is confirmed
    link = _confirm_link(sent_emails, "aino@example.fi")
    for method in ("GET", "HEAD", "OPTIONS"):
        client.open(link, method=method)
    assert _statuses()["aino@example.fi"] == "pending"
    page = client.post(link + "?lang=fi")
    assert page.status_code == 200
    assert "Ilmoittautumisesi on vahvistettu" in page.get_data(as_text=True)
    assert client.post(link).status_code == 200  # twice is harmless
    assert len(sent_emails("registration-confirmed")) == 1
    _tick(events_app, utcnow() + dt.timedelta(days=3))
    assert _statuses() == {"aino@example.fi": "confirmed", "bo@example.fi": "waitlisted"}
    with db.transaction() as session:
        jobs_left = session.scalars(select(Job).where(Job.kind == seats.HOLD_JOB)).all()
        assert [j.status for j in jobs_left] == [JobStatus.CANCELLED]  # confirming ends the hold job


def test_an_ended_hold_gives_the_seat_to_the_next_person_who_must_confirm_too(client, events_app, sent_emails):
    event = make_event(events_app, capacity=1)
    _post(client, event.id, "gone@example.fi")
    _post(client, event.id, "next@example.fi")
    _tick(events_app, utcnow() + dt.timedelta(hours=25))
    assert _statuses() == {"gone@example.fi": "expired", "next@example.fi": "pending"}
    promoted = sent_emails("registration-promoted")
    assert [m["recipient"]["email"] for m in promoted] == ["next@example.fi"]
    assert promoted[0]["context"]["confirm_url"]
    assert promoted[0]["context"]["hold_until"]
    assert promoted[0]["attachments"] == []
    client.post(_confirm_link(sent_emails, "next@example.fi"))
    assert _statuses()["next@example.fi"] == "confirmed"
    gone = _confirm_link(sent_emails, "gone@example.fi")
    assert "Register again" in client.post(gone + "?lang=en").get_data(as_text=True)
    assert _statuses()["gone@example.fi"] == "expired"  # a late click does not take the seat back
    again = _post(client, event.id, "gone@example.fi")
    assert again.get_json()["status"] == "waitlisted"


def test_the_hold_is_shorter_close_to_the_event(client, events_app):
    soon = utcnow().replace(microsecond=0) + dt.timedelta(hours=4)
    event = make_event(events_app, capacity=5, starts_at=soon.isoformat(),
                       ends_at=(soon + dt.timedelta(hours=2)).isoformat())
    before = utcnow()
    _post(client, event.id, "late@example.fi")
    with db.transaction() as session:
        hold_until = session.scalar(select(Registration.hold_until))
    assert before + dt.timedelta(minutes=59) <= hold_until <= soon - dt.timedelta(hours=3) + dt.timedelta(seconds=5)
    settings = events_app.config["ELO_SETTINGS"]
    events_app.config["ELO_SETTINGS"] = dataclasses.replace(settings, registration_hold_minutes=30)
    far = make_event(events_app, capacity=5)
    _post(client, far.id, "far@example.fi")
    with db.transaction() as session:
        hold = session.scalar(select(Registration.hold_until).where(Registration.event_id == far.id))
    assert hold - before <= dt.timedelta(minutes=31)


def test_the_organiser_sees_pending_apart_and_confirms_by_hand(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app, capacity=2)
    register(events_app, event.id, "done@example.fi")
    waiting = _post(client, event.id, "phone@example.fi")
    assert waiting.get_json()["status"] == "pending"
    headers = admin_headers("organizer")
    listed = client.get(f"/events/api/v1/events/{event.id}/registrations?status=pending", headers=headers).get_json()
    assert [r["email"] for r in listed] == ["phone@example.fi"]
    assert listed[0]["hold_until"]
    counts = client.get(f"/events/api/v1/events/{event.id}/counts", headers=headers).get_json()
    assert counts["by_status"] == {"confirmed": 1, "pending": 1}
    assert counts["pending"] == 1
    rows = read_export(client.get(f"/events/api/v1/events/{event.id}/registrations.csv", headers=headers))
    assert sorted((r["email"], r["status"], bool(r["hold_until"])) for r in rows) == [
        ("done@example.fi", "confirmed", False), ("phone@example.fi", "pending", True)]
    registration_id = listed[0]["id"]
    answer = client.post(f"/events/api/v1/registrations/{registration_id}/confirm", headers=headers)
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "confirmed"
    assert client.post(f"/events/api/v1/registrations/{registration_id}/confirm", headers=headers).status_code == 409
    assert client.post(f"/events/api/v1/registrations/{registration_id}/confirm").status_code == 401
    assert "phone@example.fi" in [m["recipient"]["email"] for m in sent_emails("registration-confirmed")]


def test_the_workspace_lists_pending_apart_with_a_confirm_button(client, events_app):
    from tests.web.conftest import csrf_from, log_in, make_user

    event = make_event(events_app, capacity=3)
    register(events_app, event.id, "done@example.fi")
    register(events_app, event.id, "held@example.fi", confirm=False)
    assert log_in(client, "/events", make_user("organizer@example.fi", "organizer")).status_code == 302
    response = client.get(f"/events/admin/events/{event.id}", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    pending_part = page.split("Not confirmed yet", 1)[1].split("Waiting list", 1)[0]
    assert "held@example.fi" in pending_part
    assert "done@example.fi" not in pending_part
    assert "held, not confirmed" in page
    with db.transaction() as session:
        held = session.scalar(select(Registration).where(Registration.email == "held@example.fi"))
    answer = client.post(f"/events/admin/registrations/{held.id}/confirm", data={"csrf_token": csrf_from(response)})
    assert answer.status_code == 302
    assert _statuses()["held@example.fi"] == RegistrationStatus.CONFIRMED.value
