"""Personal data: export for the subscriptions service, erasure by the `events.erase_person` actor."""

from __future__ import annotations

import time

import sqlalchemy as sa
from dramatiq.brokers.stub import StubBroker

from services.events.models import Registration, db
from services.events.operations import feedback, seats
from shared.auth import service_token
from shared.broker import send
from shared.contract import ERASE_PERSON_IN
from shared.privacy import email_hash
from tests.events.factories import make_event, register

QUESTIONS = [{"key": "wish", "type": "text", "label": {"fi": "Toive"}},
             {"key": "lunch", "type": "yes-no", "label": {"fi": "Lounas"}}]


def _service_headers(app):
    return {"Authorization": f"Bearer {service_token(app.config['SECRET_KEY'])}"}


def test_export_needs_the_service_role_and_returns_everything_held(client, events_app, admin_headers):
    event = make_event(events_app, questions=QUESTIONS)
    registration = register(events_app, event.id, "Kaisa.Korhonen@example.fi", name="Kaisa Korhonen",
                            dietary_needs="vegaaninen", answers={"wish": "Etäyhteys toimimaan", "lunch": "yes"})
    with events_app.app_context(), db.transaction() as session:
        feedback.submit_feedback(session, session.merge(registration), {"overall": "4", "comments": "Kiitos"})
    body = {"email": "kaisa.korhonen@example.fi"}
    assert client.post("/events/api/v1/personal-data/export", json=body).status_code == 401
    assert client.post("/events/api/v1/personal-data/export", json=body,
                       headers=admin_headers("organizer")).status_code == 403
    response = client.post("/events/api/v1/personal-data/export", json=body, headers=_service_headers(events_app))
    assert response.status_code == 200
    exported = response.get_json()
    assert exported["service"] == "events"
    [row] = exported["data"]["registrations"]
    assert row["name"] == "Kaisa Korhonen"
    assert row["dietary_needs"] == "vegaaninen"
    assert row["answers"] == {"wish": "Etäyhteys toimimaan", "lunch": True}
    assert exported["data"]["feedback"][0]["texts"] == {"comments": "Kiitos"}
    nobody = client.post("/events/api/v1/personal-data/export", json={"email": "nobody@example.fi"},
                         headers=_service_headers(events_app))
    assert nobody.get_json()["data"] == {"registrations": [], "feedback": []}


def _text_in_database(needles):
    """Every string, text and JSON column of every events table, searched for the needles."""
    found = []
    with db.engine.connect() as connection:
        for metadata in db.metadatas:
            for table in metadata.sorted_tables:
                columns = [c for c in table.columns
                           if isinstance(c.type, (sa.String, sa.Text, sa.JSON)) or "JSON" in type(c.type).__name__]
                for column in columns:
                    for (value,) in connection.execute(sa.select(sa.cast(column, sa.Text))):
                        if value and any(n.lower() in value.lower() for n in needles):
                            found.append(f"{table.name}.{column.name}")
    return found


def test_erase_person_removes_names_addresses_and_free_text_and_frees_the_seat(
        client, events_app, broker, drain, sent_emails):
    event = make_event(events_app, capacity=1, questions=QUESTIONS)
    erased = register(events_app, event.id, "ville.virtanen@example.fi", name="Ville Virtanen",
                      organisation="Oulun kaupunki", accessibility_needs="pyörätuoli",
                      answers={"wish": "Ville toivoo kahvia", "lunch": "no"})
    register(events_app, event.id, "waiting@example.fi", name="Odottaja")
    with events_app.app_context(), db.transaction() as session:
        feedback.submit_feedback(session, session.merge(erased), {"overall": "5", "comments": "t. Ville Virtanen"})
    assert _text_in_database(["ville.virtanen@example.fi"])  # the outbox and the registration hold it
    target = ERASE_PERSON_IN["events"]
    payload = {"email_hash": email_hash(events_app.config["SECRET_KEY"], "Ville.Virtanen@example.fi"),
               "request_id": "erase-test-1"}
    send(broker, actor_name=target.actor, queue_name=target.queue, args=(payload,))
    send(broker, actor_name=target.actor, queue_name=target.queue, args=(payload,))  # twice is harmless
    drain()
    assert _text_in_database(["ville.virtanen@example.fi", "Ville Virtanen", "Ville toivoo", "pyörätuoli"]) == []
    counts = client.get(f"/events/api/v1/events/{event.id}/counts", headers=_service_headers(events_app))
    assert counts.status_code == 403  # organiser data is not the service's business
    with events_app.app_context(), db.transaction() as session:
        summary = feedback.feedback_summary(session, event.id)
        assert summary["responses"] == 1  # the anonymous rating stays
        assert seats.seats(session, event.id).confirmed == 1
    assert [m["recipient"]["email"] for m in sent_emails("registration-promoted")] == ["waiting@example.fi"]


def _dead_lettered(broker, queue_name):
    if isinstance(broker, StubBroker):
        return len(broker.dead_letters_by_queue[queue_name])
    return broker.get_queue_message_counts(queue_name)[2]


def test_an_invalid_erase_message_is_refused_for_good(events_app, broker, drain):
    event = make_event(events_app)
    kept = register(events_app, event.id, "kept@example.fi", name="Pysyvä Henkilö")
    target = ERASE_PERSON_IN["events"]
    send(broker, actor_name=target.actor, queue_name=target.queue, args=({"email_hash": "nope", "request_id": "x"},))
    drain()
    deadline = time.monotonic() + 10
    while _dead_lettered(broker, target.queue) == 0 and time.monotonic() < deadline:
        drain(timeout=1)  # RabbitMQ routes a rejected message to the dead-letter queue a moment later
    assert _dead_lettered(broker, target.queue) == 1  # failed for good at once: not retried, not lost
    with events_app.app_context(), db.transaction() as session:
        registration = session.get(Registration, kept.id)
        assert (registration.name, registration.email, registration.erased_at) == (
            "Pysyvä Henkilö", "kept@example.fi", None)
