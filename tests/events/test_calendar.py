"""Calendar feeds and .ics attachments: strict parsing, stable UID, SEQUENCE, STATUS, conditional GET."""

from __future__ import annotations

import datetime as dt

from shared.db import utcnow
from tests.events.factories import event_data, make_event, register
from tests.events.ics import events_of, parse_strictly, prop


def _create(client, admin_headers, **overrides):
    response = client.post("/events/api/v1/events", json=event_data(**overrides), headers=admin_headers("organizer"))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_the_feed_parses_strictly_and_has_every_property_of_the_contract(client, admin_headers):
    _create(client, admin_headers)
    _create(client, admin_headers, kind="group-meeting", mode="online", address="",
            rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=6", timezone="Europe/Stockholm",
            exdates=[(utcnow().date() + dt.timedelta(days=60)).isoformat()])
    response = client.get("/events/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    calendar = parse_strictly(text)
    for needle in ("METHOD:PUBLISH", "X-WR-CALNAME:", "\r\nNAME:", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
                   "TZID:Europe/Helsinki", "TZID:Europe/Stockholm", "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
                   "EXDATE;TZID=Europe/Stockholm:"):
        assert needle in text, needle
    vevents = list(calendar.vevent_list)
    assert len(vevents) == 2
    for vevent in vevents:
        for name in ("uid", "dtstamp", "sequence", "status", "dtstart", "dtend", "url", "location", "description"):
            assert name in vevent.contents, name
        assert prop(vevent, "uid").endswith("@127.0.0.1")
        assert prop(vevent, "status") == "CONFIRMED"


def test_the_online_link_never_reaches_the_public_feed_or_page(client, admin_headers):
    event = _create(client, admin_headers, online_url="https://meet.example.fi/secret-room")
    assert "secret-room" not in client.get("/events/calendar.ics").get_data(as_text=True)
    assert "secret-room" not in client.get(f"/events/{event['slug']}.ics").get_data(as_text=True)
    assert "secret-room" not in client.get(f"/events/{event['slug']}").get_data(as_text=True)
    assert "secret-room" not in client.get("/events/api/v1/events").get_data(as_text=True)


def test_filters_by_kind_theme_and_language(client, admin_headers):
    _create(client, admin_headers, kind="seminar", themes=["coordinated"], languages=["fi"])
    _create(client, admin_headers, kind="training", themes=["digital"], languages=["sv"],
            title={"fi": "Digitala färdigheter", "sv": "Digitala färdigheter på svenska"})
    assert len(events_of(client.get("/events/calendar.ics?kind=seminar").get_data(as_text=True))) == 1
    assert len(events_of(client.get("/events/calendar.ics?theme=digital").get_data(as_text=True))) == 1
    swedish = client.get("/events/calendar.ics?lang=sv").get_data(as_text=True)
    assert [prop(e, "summary") for e in events_of(swedish)] == ["Digitala färdigheter på svenska"]
    assert "X-WR-CALNAME:ELO-nätverkets evenemang" in swedish
    bad = client.get("/events/calendar.ics?kind=party")
    assert bad.status_code == 422
    assert "kind" in bad.get_json()["errors"]


def test_unlisted_events_are_reachable_by_link_but_not_listed(client, admin_headers):
    event = _create(client, admin_headers, visibility="unlisted")
    assert events_of(client.get("/events/calendar.ics").get_data(as_text=True)) == []
    assert client.get("/events/api/v1/events").get_json() == []
    assert event["slug"] not in client.get("/events/").get_data(as_text=True)
    assert client.get(f"/events/{event['slug']}").status_code == 200
    assert len(events_of(client.get(f"/events/{event['slug']}.ics").get_data(as_text=True))) == 1


def test_a_second_get_with_if_none_match_answers_304_without_a_body(client, admin_headers):
    _create(client, admin_headers)
    first = client.get("/events/calendar.ics")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    second = client.get("/events/calendar.ics", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.get_data() == b""
    assert second.headers["ETag"] == etag
    weakened = client.get("/events/calendar.ics", headers={"If-None-Match": f"W/{etag}"})  # as after a gzip proxy
    assert weakened.status_code == 304
    by_date = client.get("/events/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    _create(client, admin_headers)
    assert client.get("/events/calendar.ics", headers={"If-None-Match": etag}).status_code == 200


def test_a_time_change_raises_sequence_and_keeps_the_uid(client, admin_headers, sent_emails, events_app):
    event = _create(client, admin_headers)
    register(events_app, event["id"], "liisa@example.fi")
    before = events_of(client.get(f"/events/{event['slug']}.ics").get_data(as_text=True))[0]
    starts = dt.datetime.fromisoformat(event["starts_at"]) + dt.timedelta(hours=1)
    moved = {"starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=2)).isoformat()}
    response = client.patch(f"/events/api/v1/events/{event['id']}", headers=admin_headers("organizer"), json=moved)
    assert response.status_code == 200, response.get_data(as_text=True)
    after = events_of(client.get(f"/events/{event['slug']}.ics").get_data(as_text=True))[0]
    assert prop(after, "uid") == prop(before, "uid")
    assert int(prop(after, "sequence")) == int(prop(before, "sequence")) + 1
    notices = sent_emails("event-changed")
    assert len(notices) == 1
    attachment = events_of(notices[0]["attachments"][0]["content"])[0]
    assert prop(attachment, "uid") == prop(before, "uid")
    assert prop(attachment, "sequence") == "1"
    # A change of title only is not a change of time or place: no new SEQUENCE, no notice.
    client.patch(f"/events/api/v1/events/{event['id']}", headers=admin_headers("organizer"),
                 json={"title": {"fi": "Uusi nimi"}})
    assert prop(events_of(client.get(f"/events/{event['slug']}.ics").get_data(as_text=True))[0], "sequence") == "1"
    assert len(sent_emails("event-changed")) == 1


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(client, admin_headers, sent_emails, events_app):
    event = _create(client, admin_headers)
    register(events_app, event["id"], "mikko@example.fi")
    response = client.post(f"/events/api/v1/events/{event['id']}/cancel", headers=admin_headers("organizer"))
    assert response.status_code == 200
    vevent = events_of(client.get("/events/calendar.ics").get_data(as_text=True))[0]
    assert prop(vevent, "status") == "CANCELLED"
    assert prop(vevent, "sequence") == "1"
    notice = sent_emails("event-cancelled")[0]
    assert "STATUS:CANCELLED" in notice["attachments"][0]["content"]
    parse_strictly(notice["attachments"][0]["content"])


def test_confirmation_attachment_has_the_feed_uid_and_the_online_link_for_remote_people(
        client, admin_headers, sent_emails, events_app):
    event = _create(client, admin_headers, online_url="https://meet.example.fi/room-42")
    register(events_app, event["id"], "remote@example.fi", participation="remote")
    register(events_app, event["id"], "onsite@example.fi", participation="onsite")
    feed_uid = prop(events_of(client.get("/events/calendar.ics").get_data(as_text=True))[0], "uid")
    remote, onsite = sent_emails("registration-confirmed")
    for email in (remote, onsite):
        attachment = email["attachments"][0]
        assert attachment["content_type"] == "text/calendar; method=PUBLISH"
        assert "METHOD:PUBLISH" in attachment["content"]
        assert prop(events_of(attachment["content"])[0], "uid") == feed_uid
    assert "room-42" in remote["attachments"][0]["content"]
    assert remote["context"]["online_url"] == "https://meet.example.fi/room-42"
    assert "room-42" not in onsite["attachments"][0]["content"]
    assert onsite["context"]["online_url"] == ""


def test_personal_feed_lists_the_events_of_that_person(client, admin_headers, sent_emails, events_app):
    first = make_event(events_app, mode="online", address="", online_url="https://meet.example.fi/x")
    second = make_event(events_app)
    other = make_event(events_app)
    register(events_app, first.id, "sanna@example.fi", participation="remote")
    register(events_app, second.id, "Sanna@Example.fi")
    register(events_app, other.id, "someone@example.fi")
    url = sent_emails("registration-confirmed")[0]["context"]["calendar_url"]
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    vevents = events_of(response.get_data(as_text=True))
    assert sorted(prop(e, "uid").split("@")[0] for e in vevents) == sorted([first.uid, second.uid])
    assert "meet.example.fi/x" in response.get_data(as_text=True)
    assert client.get("/events/calendar/not-a-token.ics").status_code == 404


def test_event_page_offers_webcal_google_and_download(client, admin_headers):
    event = _create(client, admin_headers)
    page = client.get(f"/events/{event['slug']}").get_data(as_text=True)
    assert f"webcal://127.0.0.1:8000/events/{event['slug']}.ics" in page
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert f'href="http://127.0.0.1:8000/events/{event["slug"]}.ics" download' in page


def test_every_attachment_and_feed_variant_parses_strictly(client, admin_headers, sent_emails, events_app):
    tricky = {"fi": "Ohjaus, työ; ja \\ kenoviiva \u2013 pitkä otsikko, jossa on ääkkösiä ja paljon tekstiä " * 2,
              "sv": "Vägledning, arbete; och åäö", "en": "Guidance, work; and more"}
    event = make_event(events_app, capacity=1, title=tricky, online_url="https://meet.example.fi/x",
                       description={"fi": "Rivi 1\nRivi 2\n\nKappale, jossa; erikoismerkkejä \\ ja ääkköset " * 5})
    recurring = make_event(events_app, rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=4", languages=["fi", "sv", "en"])
    register(events_app, event.id, "first@example.fi", participation="remote", language="sv")
    register(events_app, event.id, "second@example.fi", language="en")
    register(events_app, recurring.id, "first@example.fi")
    headers = admin_headers("organizer")
    first = sent_emails("registration-confirmed")[0]["context"]["registration_url"].removeprefix("http://127.0.0.1:8000")
    client.post(first)  # the seat goes to the second person (promotion with .ics)
    client.patch(f"/events/api/v1/events/{event.id}", json={"address": "Uusi osoite 1, Oulu"}, headers=headers)
    client.post(f"/events/api/v1/events/{event.id}/cancel", headers=headers)
    attachments = [a["content"] for m in sent_emails() for a in m["attachments"]]
    assert {m["template"] for m in sent_emails() if m["attachments"]} == {
        "registration-confirmed", "registration-promoted", "event-changed", "event-cancelled", "registration-cancelled"}
    for text in attachments:
        assert len(events_of(text)) == 1
    for query in ("", "?lang=fi", "?lang=sv", "?lang=en", "?kind=training", "?theme=digital"):
        parse_strictly(client.get(f"/events/calendar.ics{query}").get_data(as_text=True))
    for slug in (event.slug, recurring.slug):
        for language in ("fi", "sv", "en"):
            parse_strictly(client.get(f"/events/{slug}.ics?lang={language}").get_data(as_text=True))


def test_a_personal_feed_changes_its_etag_when_a_seat_brings_the_online_link(
        client, admin_headers, sent_emails, events_app):
    event = make_event(events_app, capacity=1, mode="online", address="", online_url="https://meet.example.fi/y")
    register(events_app, event.id, "first@example.fi", participation="remote")
    waiting = register(events_app, event.id, "waiting@example.fi", participation="remote")
    url = sent_emails("registration-waitlisted")[0]["context"]["calendar_url"].removeprefix("http://127.0.0.1:8000")
    before = client.get(url)
    assert "meet.example.fi/y" not in before.get_data(as_text=True)
    response = client.post(f"/events/api/v1/registrations/{waiting.id}/promote", headers=admin_headers("organizer"))
    assert response.status_code == 200
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "meet.example.fi/y" in after.get_data(as_text=True)


def test_a_repeated_feed_is_served_from_the_rendered_copy_until_an_event_changes(client, admin_headers):
    from services.events.pages import feeds

    event = _create(client, admin_headers)
    first = client.get("/events/calendar.ics").get_data(as_text=True)
    assert feeds.rendered_feeds.get(client.get("/events/calendar.ics").headers["ETag"].strip('"')) == first
    client.patch(f"/events/api/v1/events/{event['id']}", headers=admin_headers("organizer"),
                 json={"title": {"fi": "Uusi otsikko"}})
    assert "Uusi otsikko" in client.get("/events/calendar.ics").get_data(as_text=True)
