"""Registration: seats, waiting list, the same address twice, field errors, cancel and promotion."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from services.events.models import Registration, db
from services.events.operations import registrations
from shared.db import utcnow
from tests.events.factories import make_event, register

QUESTIONS = [
    {"key": "workshop", "type": "single", "required": True, "label": {"fi": "Työpaja", "sv": "Workshop"},
     "options": [{"value": "a", "label": {"fi": "Digiohjaus"}}, {"value": "b", "label": {"fi": "Vihreä siirtymä"}}]},
    {"key": "topics", "type": "multiple", "label": {"fi": "Kiinnostavat aiheet"},
     "options": [{"value": "x", "label": {"fi": "X"}}, {"value": "y", "label": {"fi": "Y"}}]},
    {"key": "photo", "type": "yes-no", "required": True, "label": {"fi": "Saako sinut valokuvata?"}},
    {"key": "wish", "type": "text", "label": {"fi": "Toiveet"}},
]


def _post(client, event_id, **body):
    return client.post(f"/events/api/v1/events/{event_id}/registrations", json=body)


def _confirm(client, sent_emails, email):
    """The person opens the link in the email and presses the button (only the POST confirms)."""
    link = next(m["context"]["confirm_url"] for m in reversed(sent_emails())
                if m["recipient"]["email"] == email and m["context"].get("confirm_url"))
    path = link.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    return client.post(path)


def _rows(event_id):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Registration).where(Registration.event_id == event_id))


def test_seats_then_waiting_list(client, events_app, sent_emails):
    event = make_event(events_app, capacity=2)
    answers = [_post(client, event.id, name=f"P{n}", email=f"p{n}@example.fi", participation="onsite")
               for n in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.get_json()["status"] for a in answers] == ["pending", "pending", "waitlisted"]
    assert len(sent_emails("registration-pending")) == 2
    assert len(sent_emails("registration-waitlisted")) == 1
    assert sent_emails("registration-confirmed") == []
    for n in range(2):
        assert _confirm(client, sent_emails, f"p{n}@example.fi").status_code == 200
    assert len(sent_emails("registration-confirmed")) == 2
    assert sent_emails("registration-confirmed")[0]["attachments"][0]["filename"] == "event.ics"


def test_the_same_address_twice_keeps_its_seat_and_gets_a_fresh_confirmation(client, events_app, sent_emails):
    event = make_event(events_app, capacity=1)
    first = _post(client, event.id, name="Aino", email="aino@example.fi", participation="onsite")
    _confirmed_long_ago(event.id)
    second = _post(client, event.id, name="Someone Else", email=" AINO@example.fi ", participation="remote")
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert _rows(event.id) == 1
    confirmations = sent_emails("registration-pending")
    assert len(confirmations) == 2
    assert confirmations[0]["idempotency_key"] != confirmations[1]["idempotency_key"]
    assert confirmations[1]["recipient"]["name"] == "Aino"  # a repeat changes nothing stored


def test_a_retry_or_double_click_moments_later_sends_no_second_email(client, events_app, sent_emails):
    event = make_event(events_app, capacity=1)
    answers = [_post(client, event.id, name="Aino", email="aino@example.fi", participation="onsite")
               for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].get_json() == answers[2].get_json()
    assert len(sent_emails("registration-pending")) == 1


def _confirmed_long_ago(event_id):
    with db.transaction() as session:
        for registration in session.scalars(select(Registration).where(Registration.event_id == event_id)):
            registration.last_confirmation_at = utcnow() - dt.timedelta(minutes=11)


def test_each_wrong_field_is_named(client, events_app):
    event = make_event(events_app, mode="onsite", questions=QUESTIONS)
    response = _post(client, event.id, name="", email="not-an-address", participation="remote",
                     answers={"workshop": "z", "topics": ["x", "q"], "nope": "1"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert set(errors) == {"name", "email", "participation", "answers.workshop", "answers.topics",
                           "answers.photo", "answers.nope"}
    assert _rows(event.id) == 0
    unknown = _post(client, event.id, name="A", email="a@example.fi", shoe_size=42)
    assert unknown.status_code == 422
    assert "shoe_size" in unknown.get_json()["errors"]


def test_answers_are_stored_by_type(client, events_app):
    event = make_event(events_app, questions=QUESTIONS)
    response = _post(client, event.id, name="Elias", email="elias@example.fi", participation="remote",
                     dietary_needs="gluteeniton", answers={"workshop": "b", "topics": ["y", "x"], "photo": "no",
                                                            "wish": "  Lisää esimerkkejä  "})
    assert response.status_code == 201, response.get_json()
    with db.transaction() as session:
        row = session.scalar(select(Registration))
        assert row.answers == {"workshop": "b", "topics": ["x", "y"], "photo": False, "wish": "Lisää esimerkkejä"}
        assert row.dietary_needs == "gluteeniton"


def test_registration_window_and_cancelled_events_refuse(client, events_app, admin_headers):
    future = make_event(events_app, registration_opens_at=(utcnow() + dt.timedelta(days=1)).isoformat())
    closed = _post(client, future.id, name="A", email="a@example.fi", participation="onsite")
    assert closed.status_code == 409
    event = make_event(events_app)
    client.post(f"/events/api/v1/events/{event.id}/cancel", headers=admin_headers("organizer"))
    assert _post(client, event.id, name="A", email="a@example.fi", participation="onsite").status_code == 410
    assert _post(client, 999999, name="A", email="a@example.fi").status_code == 404


def test_split_capacity_keeps_onsite_and_remote_apart(client, events_app):
    event = make_event(events_app, capacity=None, onsite_capacity=1, remote_capacity=1)
    statuses = [_post(client, event.id, name="A", email=f"{n}@example.fi", participation=p).get_json()["status"]
                for n, p in enumerate(["onsite", "onsite", "remote", "remote"])]
    assert statuses == ["pending", "waitlisted", "pending", "waitlisted"]


def test_cancel_through_the_link_gives_the_seat_to_the_first_waiting(client, events_app, sent_emails):
    event = make_event(events_app, capacity=1)
    holder = register(events_app, event.id, "holder@example.fi")
    register(events_app, event.id, "first@example.fi")
    register(events_app, event.id, "second@example.fi")
    link = sent_emails("registration-confirmed")[0]["context"]["registration_url"].removeprefix("http://127.0.0.1:8000")
    page = client.get(link)
    assert page.status_code == 200
    assert "Testi Henkilö" in page.get_data(as_text=True)
    assert _status_of(holder.id) == "confirmed"  # GET never cancels (link scanners)
    assert client.post(link).status_code == 200
    assert client.post(link).status_code == 200  # twice is harmless
    promoted = sent_emails("registration-promoted")
    assert [p["recipient"]["email"] for p in promoted] == ["first@example.fi"]
    assert len(sent_emails("registration-cancelled")) == 1


def test_a_waiting_person_can_leave_and_the_organiser_can_promote(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app, capacity=1)
    register(events_app, event.id, "seat@example.fi")
    leaving = register(events_app, event.id, "leaving@example.fi")
    chosen = register(events_app, event.id, "chosen@example.fi")
    link = sent_emails("registration-waitlisted")[0]["context"]["registration_url"].removeprefix("http://127.0.0.1:8000")
    assert "waiting list" in client.get(link + "?lang=en").get_data(as_text=True)
    client.post(link)
    assert _status_of(leaving.id) == "cancelled"
    response = client.post(f"/events/api/v1/registrations/{chosen.id}/promote", headers=admin_headers("organizer"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "confirmed"
    assert client.post(f"/events/api/v1/registrations/{chosen.id}/promote",
                       headers=admin_headers("organizer")).status_code == 409
    assert [p["recipient"]["email"] for p in sent_emails("registration-promoted")] == ["chosen@example.fi"]


def test_more_capacity_promotes_in_order(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app, capacity=1)
    for name in ("a", "b", "c", "d"):
        register(events_app, event.id, f"{name}@example.fi")
    response = client.patch(f"/events/api/v1/events/{event.id}", json={"capacity": 3},
                            headers=admin_headers("organizer"))
    assert response.status_code == 200
    assert [p["recipient"]["email"] for p in sent_emails("registration-promoted")] == ["b@example.fi", "c@example.fi"]


def test_registration_page_form_shows_errors_in_the_users_language(client, events_app):
    event = make_event(events_app, questions=QUESTIONS)
    page = client.post(f"/events/{event.slug}?lang=sv", data={"name": "", "email": "x", "participation": "onsite"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Detta fält är obligatoriskt." in html
    assert 'aria-describedby="f-email-hint f-email-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="error-summary"' in html
    assert _rows(event.id) == 0
    finnish = client.post(f"/events/{event.slug}?lang=fi", data={"name": "Liisa", "email": "liisa@example.fi",
                                                                  "sector": "education", "participation": "remote",
                                                                  "answers.workshop": "a", "answers.photo": "yes",
                                                                  "answers.topics": ["x", "y"]})
    assert finnish.status_code == 201, finnish.get_data(as_text=True)
    assert "Sinulle on varattu paikka" in finnish.get_data(as_text=True)
    with db.transaction() as session:
        row = session.scalar(select(Registration))
        assert row.answers == {"workshop": "a", "photo": True, "topics": ["x", "y"]}
        assert row.language == "fi"


def test_the_honeypot_registers_nobody(client, events_app):
    event = make_event(events_app)
    page = client.post(f"/events/{event.slug}", data={"name": "Bot", "email": "bot@example.fi", "website": "spam"})
    assert page.status_code == 200
    assert _rows(event.id) == 0


def test_pages_in_three_languages(client, events_app):
    event = make_event(events_app)
    for language, word in (("fi", "Ilmoittaudu"), ("sv", "Anmäl dig"), ("en", "Register")):
        assert word in client.get(f"/events/{event.slug}?lang={language}").get_data(as_text=True)
        listing = client.get(f"/events/?lang={language}").get_data(as_text=True)
        assert event.slug in listing
    year = client.get(f"/events/year/{event.starts_at.year}?lang=fi").get_data(as_text=True)
    assert "Vuosikello" in year
    assert event.slug in year
    assert client.get("/events/no-such-event").status_code == 404


def test_public_api_lists_upcoming_public_events(client, events_app):
    make_event(events_app, kind="seminar", themes=["coordinated"])
    make_event(events_app, kind="training", themes=["digital"])
    listing = client.get("/events/api/v1/events?kind=seminar").get_json()
    assert [e["kind"] for e in listing] == ["seminar"]
    assert "online_url" not in listing[0]
    assert client.get("/events/api/v1/events?kind=party").status_code == 422


def _status_of(registration_id):
    with db.transaction() as session:
        return session.get(Registration, registration_id).status.value


def test_my_registration_page_shows_the_online_link_only_to_a_remote_participant_with_a_seat(
        client, events_app, sent_emails):
    event = make_event(events_app, capacity=1, online_url="https://meet.example.fi/only-for-you")
    register(events_app, event.id, "remote@example.fi", participation="remote")
    register(events_app, event.id, "waiting@example.fi", participation="remote")
    seat, waiting = (sent_emails(template)[0]["context"]["registration_url"].removeprefix("http://127.0.0.1:8000")
                     for template in ("registration-confirmed", "registration-waitlisted"))
    assert "only-for-you" in client.get(seat).get_data(as_text=True)
    assert "only-for-you" not in client.get(waiting).get_data(as_text=True)
    assert client.get("/events/registrations/forged").status_code == 404
    assert client.post("/events/registrations/forged").status_code == 404


def test_a_token_for_another_purpose_is_refused(client, events_app, sent_emails):
    event = make_event(events_app)
    register(events_app, event.id, "a@example.fi")
    calendar_url = sent_emails()[0]["context"]["calendar_url"]
    token = calendar_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(f"/events/registrations/{token}").status_code == 404
    assert client.post(f"/events/registrations/{token}").status_code == 404


def test_the_events_list_comes_in_pages(client, events_app):
    from services.events.pages.public import PAGE_SIZE

    for _ in range(PAGE_SIZE + 5):
        make_event(events_app)
    first = client.get("/events/?lang=en").get_data(as_text=True)
    assert first.count("<article") == PAGE_SIZE
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/events/?lang=en&page=2").get_data(as_text=True)
    assert second.count("<article") == 5
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    assert client.get("/events/?page=999").get_data(as_text=True).count("<article") == 5  # past the end: the last
    assert client.get("/events/?page=x").status_code == 200
    assert "Sivu 1 / 2" in client.get("/events/?lang=fi").get_data(as_text=True)


def test_register_runs_on_the_clock_it_is_given(events_app, sent_emails):
    opens = utcnow() + dt.timedelta(days=1)
    event = make_event(events_app, registration_opens_at=opens.isoformat())
    then = opens + dt.timedelta(hours=1)
    with events_app.app_context(), db.transaction() as session:
        outcome = registrations.register(session, event.id, {"name": "Aino", "email": "aino@example.fi",
                                                             "participation": "onsite"},
                                         secret_key=events_app.config["SECRET_KEY"], now=then)
        registration = outcome.registration
        assert (registration.created_at, registration.queued_at, registration.updated_at) == (then, then, then)
        assert registration.last_confirmation_at == then
        assert registration.hold_until == then + dt.timedelta(hours=24)  # ELO_REGISTRATION_HOLD_MINUTES
    assert len(sent_emails("registration-pending")) == 1


def test_a_body_that_is_not_an_object_is_refused_by_name(client, events_app):
    event = make_event(events_app)
    response = client.post(f"/events/api/v1/events/{event.id}/registrations", json=["Aino", "aino@example.fi"])
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"_schema": ["Invalid input type."]}
    assert _rows(event.id) == 0
