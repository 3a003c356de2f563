"""Organiser API: create, update, cancel, lists, CSV, check-in, counts."""

from __future__ import annotations

from tests.events.exports import read_export
from tests.events.factories import event_data, make_event, register


def test_creating_needs_an_organiser_token(client, admin_headers):
    assert client.post("/events/api/v1/events", json=event_data()).status_code == 401
    assert client.post("/events/api/v1/events", json=event_data(), headers=admin_headers("editor")).status_code == 403
    response = client.post("/events/api/v1/events", json=event_data(), headers=admin_headers("organizer"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"]
    assert body["slug"].startswith("digitaaliset-ohjaustaidot")
    assert body["online_url"] == "https://meet.example.fi/elo-digi"
    assert body["url"].endswith(f"/events/{body['slug']}")


def test_bad_event_input_names_the_fields(client, admin_headers):
    data = event_data(kind="party", title={"sv": "Bara svenska"}, themes=["fun"], mode="onsite", address="",
                      rrule="FREQ=SOMETIMES", timezone="Mars/Olympus")
    data["ends_at"] = data["starts_at"]
    response = client.post("/events/api/v1/events", json=data, headers=admin_headers("organizer"))
    assert response.status_code == 422
    assert {"kind", "title", "themes", "rrule", "timezone"} <= set(response.get_json()["errors"])
    naive = event_data(starts_at="2026-12-03T09:00:00", ends_at="2026-12-03T08:00:00")
    response = client.post("/events/api/v1/events", json=naive, headers=admin_headers("organizer"))
    assert response.status_code == 422
    assert "ends_at" in response.get_json()["errors"]


def test_naive_times_are_read_in_the_events_zone_and_stored_in_utc(client, admin_headers):
    data = event_data(starts_at="2026-12-03T09:00:00", ends_at="2026-12-03T12:00:00")
    body = client.post("/events/api/v1/events", json=data, headers=admin_headers("organizer")).get_json()
    assert body["starts_at"].startswith("2026-12-03T07:00:00")
    page = client.get(f"/events/{body['slug']}?lang=fi").get_data(as_text=True)
    assert "3.12.2026 klo 9.00" in page


def test_registrations_list_csv_check_in_and_counts(client, events_app, admin_headers):
    event = make_event(events_app, capacity=2, questions=[
        {"key": "wish", "type": "text", "label": {"fi": "Toive"}}])
    register(events_app, event.id, "a@example.fi", name="Äijälä Öhman", organisation="Oulun yliopisto",
             answers={"wish": "Kahvia, kiitos"})
    register(events_app, event.id, "b@example.fi", organisation="Oulun yliopisto", participation="remote")
    register(events_app, event.id, "c@example.fi", organisation="Ammattiopisto Luovi")
    headers = admin_headers("organizer")
    listing = client.get(f"/events/api/v1/events/{event.id}/registrations", headers=headers)
    assert listing.status_code == 200
    rows = listing.get_json()
    assert [r["status"] for r in rows] == ["confirmed", "confirmed", "waitlisted"]
    assert client.get(f"/events/api/v1/events/{event.id}/registrations").status_code == 401
    waiting = client.get(f"/events/api/v1/events/{event.id}/registrations?status=waitlisted", headers=headers)
    assert [r["email"] for r in waiting.get_json()] == ["c@example.fi"]
    table = read_export(client.get(f"/events/api/v1/events/{event.id}/registrations.csv", headers=headers))
    assert table[0]["name"] == "Äijälä Öhman"
    assert table[0]["wish"] == "Kahvia, kiitos"
    assert table[2]["queue_position"] == "1"
    checked = client.patch(f"/events/api/v1/registrations/{rows[0]['id']}", json={"checked_in": True}, headers=headers)
    assert checked.status_code == 200
    assert checked.get_json()["checked_in"] is True
    refused = client.patch(f"/events/api/v1/registrations/{rows[2]['id']}", json={"checked_in": True}, headers=headers)
    assert refused.status_code == 409
    counts = client.get(f"/events/api/v1/events/{event.id}/counts", headers=headers).get_json()
    assert counts["by_status"] == {"confirmed": 2, "waitlisted": 1}
    assert counts["by_participation"] == {"onsite": 1, "remote": 1}
    assert counts["by_organisation"] == {"Oulun yliopisto": 2}
    assert counts["checked_in"] == 1


def test_organiser_cancels_a_registration_and_the_event(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app, capacity=1)
    holder = register(events_app, event.id, "a@example.fi")
    register(events_app, event.id, "b@example.fi")
    headers = admin_headers("organizer")
    assert client.post(f"/events/api/v1/registrations/{holder.id}/cancel", headers=headers).status_code == 200
    assert [p["recipient"]["email"] for p in sent_emails("registration-promoted")] == ["b@example.fi"]
    cancelled = client.post(f"/events/api/v1/events/{event.id}/cancel", headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"
    assert [m["recipient"]["email"] for m in sent_emails("event-cancelled")] == ["b@example.fi"]
    again = client.post(f"/events/api/v1/events/{event.id}/cancel", headers=headers)
    assert again.status_code == 200
    assert len(sent_emails("event-cancelled")) == 1
    assert client.patch(f"/events/api/v1/events/{event.id}", json={"capacity": 5}, headers=headers).status_code == 409


def test_openapi_lists_the_events_api(client):
    spec = client.get("/events/api/openapi.json").get_json()
    assert "/api/v1/events/{event_id}/registrations" in spec["paths"]
