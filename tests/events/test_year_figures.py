"""The year in events for the annual report (issue #17): a year whose every figure is known by
construction, the participants (the survey's audience), who may ask, and the sector asked at registration."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from services.events.models import Registration, Sector, db
from services.events.operations import feedback
from shared.auth import service_token
from shared.clients.events import EventsClient
from shared.db import utcnow
from shared.formatting import HELSINKI
from tests.events.exports import read_export
from tests.events.factories import make_event, register
from tests.web.conftest import log_in, make_user

YEAR = utcnow().year + 1  # open for registration now, so everything goes through the real use-cases


def _event(app, starts: dt.datetime, **values):
    return make_event(app, starts_at=starts.isoformat(), ends_at=(starts + dt.timedelta(hours=3)).isoformat(),
                      **values)


def _check_in(client, headers, registration):
    answer = client.patch(f"/events/api/v1/registrations/{registration.id}", json={"checked_in": True},
                          headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)


def _feedback(app, registration, answers):
    with app.app_context(), db.transaction() as session:
        feedback.submit_feedback(session, session.get_one(Registration, registration.id), answers)


@pytest.fixture
def known_year(events_app, client, admin_headers):
    """Three held events, a cancelled one and one in the next year (by Helsinki time), with the counts
    written beside each registration."""
    organizer = admin_headers("organizer")
    # The seminar starts half an hour into the year in Helsinki (still the year before in UTC).
    seminar = _event(events_app, dt.datetime(YEAR, 1, 1, 0, 30, tzinfo=HELSINKI), kind="seminar", mode="hybrid",
                     themes=["coordinated", "knowledge"], capacity=3)
    aino = register(events_app, seminar.id, "aino@example.fi", name="Aino Ohjaaja", organisation="Oulun yliopisto",
                    sector="education", participation="onsite")
    bo = register(events_app, seminar.id, "bo@example.fi", name="Bo Berg", organisation="Oulun yliopisto",
                  sector="higher_education", participation="remote", language="sv")
    cecilia = register(events_app, seminar.id, "cecilia@example.fi", organisation="TE-toimisto",
                       sector="employment_services", participation="onsite")
    dan = register(events_app, seminar.id, "dan@example.fi", organisation="Järjestö ry", sector="third_sector",
                   participation="remote")
    assert dan.status.value == "waitlisted"
    cancelled = client.post(f"/events/api/v1/registrations/{cecilia.id}/cancel", headers=organizer)
    assert cancelled.get_json()["status"] == "cancelled"
    with db.transaction() as session:  # Dan's address was confirmed: the freed seat is his outright
        assert session.get_one(Registration, dan.id).status.value == "confirmed"
    for person in (aino, bo):
        _check_in(client, organizer, person)

    training = _event(events_app, dt.datetime(YEAR, 6, 10, 9, tzinfo=HELSINKI), kind="training", mode="online",
                      themes=["digital"], capacity=None, address="")
    erkki = register(events_app, training.id, "erkki@example.fi", organisation="", participation="remote")  # no sector
    fanny = register(events_app, training.id, "fanny@example.fi", organisation="Oulun yliopisto", sector="business",
                     participation="remote")
    register(events_app, training.id, "gustav@example.fi", organisation="TE-toimisto", sector="education",
             participation="remote", confirm=False)  # pending: a registration, not a participant
    _check_in(client, organizer, erkki)
    _feedback(events_app, erkki, {"overall": "5", "useful": "4", "comments": "Hyvä"})
    _feedback(events_app, fanny, {"overall": "3"})

    meeting = _event(events_app, dt.datetime(YEAR, 9, 1, 13, tzinfo=HELSINKI), kind="network-meeting", mode="onsite",
                     themes=["accessible", "equitable"], capacity=10, online_url="")
    helmi = register(events_app, meeting.id, "helmi@example.fi", name="Helmi Nuoriso", organisation="Oulun kaupunki",
                     sector="youth_and_social_services", participation="onsite")
    register(events_app, meeting.id, "AINO@example.fi", name="Aino O.", organisation="Oulun yliopisto",
             sector="education", participation="onsite", language="fi")
    _check_in(client, organizer, helmi)
    _feedback(events_app, helmi, {"overall": "5", "useful": "4"})

    called_off = _event(events_app, dt.datetime(YEAR, 3, 1, 13, tzinfo=HELSINKI), kind="group-meeting",
                        mode="online", themes=["quality"], capacity=None, address="")
    register(events_app, called_off.id, "xavier@example.fi", sector="other", participation="remote")
    assert client.post(f"/events/api/v1/events/{called_off.id}/cancel", headers=organizer).status_code == 200

    # Half past midnight on New Year's Day in Helsinki is still the year before in UTC: next year's event.
    next_year = _event(events_app, dt.datetime(YEAR + 1, 1, 1, 1, tzinfo=HELSINKI), kind="training", mode="onsite",
                       themes=["digital"], capacity=None, online_url="")
    register(events_app, next_year.id, "zoe@example.fi", sector="other", participation="onsite")
    return {"seminar": seminar, "training": training, "meeting": meeting, "next_year": next_year}


def _figures(client, headers, year=YEAR, **query):
    answer = client.get(f"/events/api/v1/reports/years/{year}", headers=headers, query_string=query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_every_figure_of_a_year_known_by_construction(client, known_year, admin_headers):
    seminar, training, meeting = known_year["seminar"], known_year["training"], known_year["meeting"]
    figures = _figures(client, admin_headers("coordinator"))
    assert figures == {
        "year": YEAR,
        "events": {"total": 3, "cancelled": 1,
                   "by_kind": {"seminar": 1, "training": 1, "network-meeting": 1, "group-meeting": 0},
                   "by_mode": {"onsite": 1, "online": 1, "hybrid": 1},
                   "by_theme": {"accessible": 1, "digital": 1, "quality": 0, "equitable": 1, "coordinated": 1,
                                "knowledge": 1}},
        # seminar: Aino, Bo, Dan (promoted), Cecilia cancelled; training: Erkki, Fanny, Gustav pending;
        # meeting: Helmi, Aino again. Remote: Bo, Dan, Erkki, Fanny of 7 confirmed.
        "registrations": {"total": 9, "confirmed": 7, "attended": 4, "remote": 4, "remote_share": 0.571,
                          "cancelled": 1, "promoted_from_waiting_list": 1},
        "participants_by_sector": {"education": 2, "employment_services": 0, "youth_and_social_services": 1,
                                   "higher_education": 1, "third_sector": 1, "business": 1, "other": 0,
                                   "unknown": 1},
        "participants_by_organisation": [{"organisation": "Oulun yliopisto", "count": 4},
                                         {"organisation": "Järjestö ry", "count": 1},
                                         {"organisation": "Oulun kaupunki", "count": 1}],
        "feedback": [
            {"event_id": seminar.id, "slug": seminar.slug, "title": seminar.title["fi"],
             "starts_at": seminar.starts_at.isoformat(), "responses": 0, "average": None},
            {"event_id": training.id, "slug": training.slug, "title": training.title["fi"],
             "starts_at": training.starts_at.isoformat(), "responses": 2, "average": 4.0},
            {"event_id": meeting.id, "slug": meeting.slug, "title": meeting.title["fi"],
             "starts_at": meeting.starts_at.isoformat(), "responses": 1, "average": 4.5},
        ],
        "themes": {"accessible": {"events": 1, "registrations": 2, "attended": 1},
                   "digital": {"events": 1, "registrations": 2, "attended": 1},
                   "quality": {"events": 0, "registrations": 0, "attended": 0},
                   "equitable": {"events": 1, "registrations": 2, "attended": 1},
                   "coordinated": {"events": 1, "registrations": 3, "attended": 2},
                   "knowledge": {"events": 1, "registrations": 3, "attended": 2}},
    }
    swedish = _figures(client, admin_headers("coordinator"), lang="sv")
    assert [entry["title"] for entry in swedish["feedback"]] == [e.title["sv"] for e in (seminar, training, meeting)]


def test_the_next_year_holds_only_its_own_event_and_an_empty_year_is_zeros(client, known_year, admin_headers):
    headers = admin_headers("coordinator")
    following = _figures(client, headers, YEAR + 1)
    assert (following["events"]["total"], following["registrations"]["confirmed"]) == (1, 1)
    assert [entry["slug"] for entry in following["feedback"]] == [known_year["next_year"].slug]
    empty = _figures(client, headers, 2001)
    assert empty["registrations"] == {"total": 0, "confirmed": 0, "attended": 0, "remote": 0, "remote_share": 0.0,
                                      "cancelled": 0, "promoted_from_waiting_list": 0}
    assert (empty["participants_by_organisation"], empty["feedback"]) == ([], [])
    assert "unknown" not in empty["participants_by_sector"]


def test_the_participants_are_the_people_with_a_seat_once_per_address(client, known_year, admin_headers):
    answer = client.get(f"/events/api/v1/reports/years/{YEAR}/participants", headers=admin_headers("coordinator"))
    assert answer.status_code == 200
    # Aino twice (her newest registration names her), not Cecilia (cancelled), Gustav (pending),
    # Xavier (cancelled event) nor Zoe (next year).
    assert answer.get_json() == [
        {"email": "aino@example.fi", "name": "Aino O.", "language": "fi"},
        {"email": "bo@example.fi", "name": "Bo Berg", "language": "sv"},
        {"email": "dan@example.fi", "name": "Testi Henkilö", "language": "fi"},
        {"email": "erkki@example.fi", "name": "Testi Henkilö", "language": "fi"},
        {"email": "fanny@example.fi", "name": "Testi Henkilö", "language": "fi"},
        {"email": "helmi@example.fi", "name": "Helmi Nuoriso", "language": "fi"},
    ]


@pytest.mark.parametrize("path", [f"/events/api/v1/reports/years/{YEAR}",
                                  f"/events/api/v1/reports/years/{YEAR}/participants"])
def test_only_the_coordinator_and_the_services_may_ask(client, events_app, admin_headers, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=admin_headers("organizer")).status_code == 403
    assert client.get(path, headers=admin_headers("editor")).status_code == 403
    service = {"Authorization": f"Bearer {service_token(events_app.config['SECRET_KEY'])}"}
    assert client.get(path, headers=service).status_code == 200


def test_an_unknown_title_language_or_year_is_refused(client, admin_headers):
    headers = admin_headers("coordinator")
    answer = client.get(f"/events/api/v1/reports/years/{YEAR}?lang=de", headers=headers)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    for path in ("/events/api/v1/reports/years/99999", "/events/api/v1/reports/years/0/participants"):
        missing = client.get(path, headers=headers)
        assert missing.status_code == 404
        assert missing.headers["Content-Type"].startswith("application/problem+json")


# --- the sector at registration -------------------------------------------------------------------

def _count(event_id):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Registration).where(Registration.event_id == event_id))


@pytest.mark.parametrize(("language", "message"), [("fi", "Valitse sektori, jolla työskentelet."),
                                                   ("sv", "Välj den sektor du arbetar inom."),
                                                   ("en", "Choose the sector you work in.")])
def test_the_page_form_asks_the_sector(client, events_app, language, message):
    event = make_event(events_app)
    page = client.get(f"/events/{event.slug}?lang={language}").get_data(as_text=True)
    assert 'name="sector" value="youth_and_social_services"' in page
    form = {"name": "Liisa", "email": "liisa@example.fi", "participation": "onsite"}
    refused = client.post(f"/events/{event.slug}?lang={language}", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="f-sector-error"' in html
    assert message in html
    assert _count(event.id) == 0
    wrong = client.post(f"/events/{event.slug}?lang={language}", data={**form, "sector": "astronaut"})
    assert wrong.status_code == 422
    assert 'id="f-sector-error"' in wrong.get_data(as_text=True)
    assert _count(event.id) == 0
    accepted = client.post(f"/events/{event.slug}?lang={language}", data={**form, "sector": "third_sector"})
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalar(select(Registration.sector).where(Registration.event_id == event.id)) \
            is Sector.THIRD_SECTOR


def test_a_missing_sector_is_shown_with_the_other_mistakes(client, events_app):
    event = make_event(events_app)
    refused = client.post(f"/events/{event.slug}?lang=fi", data={"name": "", "email": "x", "participation": "onsite"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert all(f'id="f-{field}-error"' in html for field in ("name", "email", "sector"))


def test_the_plain_form_asks_the_sector_in_plain_words(client, events_app):
    event = make_event(events_app)
    refused = client.post(f"/events/{event.slug}?plain=1&lang=fi",
                          data={"name": "Liisa", "email": "liisa@example.fi", "participation": "onsite"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Millä alalla työskentelet?" in html
    assert "Valitse, millä alalla työskentelet." in html
    assert _count(event.id) == 0


def test_the_api_takes_the_sector_but_does_not_require_it(client, events_app, admin_headers):
    event = make_event(events_app)
    url = f"/events/api/v1/events/{event.id}/registrations"
    body = {"name": "Aino", "email": "aino@example.fi", "participation": "onsite"}
    assert client.post(url, json=body).status_code == 201
    assert client.post(url, json={**body, "email": "bo@example.fi", "sector": "business"}).status_code == 201
    wrong = client.post(url, json={**body, "email": "cy@example.fi", "sector": "astronaut"})
    assert wrong.status_code == 422
    assert "sector" in wrong.get_json()["errors"]
    listed = client.get(url, headers=admin_headers("organizer")).get_json()
    assert {r["email"]: r["sector"] for r in listed} == {"aino@example.fi": None, "bo@example.fi": "business"}
    csv = client.get(f"/events/api/v1/events/{event.id}/registrations.csv",
                     headers=admin_headers("organizer")).get_data(as_text=True)
    assert ";sector;" in csv.splitlines()[0]


def test_the_organiser_sees_the_sector_in_the_list_and_the_exports(client, events_app):
    event = make_event(events_app)
    register(events_app, event.id, "aino@example.fi", sector="youth_and_social_services")
    register(events_app, event.id, "bo@example.fi")  # registered through the API without a sector
    assert log_in(client, "/events", make_user("jarjestaja@example.fi", "organizer")).status_code == 302
    page = client.get(f"/events/admin/events/{event.id}", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Kommunens ungdoms- eller socialtjänster" in page
    rows = read_export(client.get(f"/events/admin/events/{event.id}/registrations.csv",
                                  headers={"Accept-Language": "fi"}))
    assert [row["Sektori"] for row in rows] == ["Kunnan nuoriso- tai sosiaalipalvelut", ""]


def test_the_typed_client_reads_the_year_with_the_service_token(apps, known_year):
    with apps["subscriptions"].app_context():
        client = EventsClient()
        figures = client.year_figures(YEAR)
        swedish = client.year_figures(YEAR, language="sv")
        people = client.year_participants(YEAR)
    assert (figures["year"], figures["events"]["total"], figures["registrations"]["confirmed"]) == (YEAR, 3, 7)
    assert figures["participants_by_sector"]["unknown"] == 1
    assert swedish["feedback"][1]["title"] == known_year["training"].title["sv"]
    assert [person["email"] for person in people][:2] == ["aino@example.fi", "bo@example.fi"]
    assert len(people) == 6
