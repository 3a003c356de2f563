"""The workspace's forms on both backends: what they change, and that bad input changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import Client

from tests.events.factories import confirm_by_link
from tests.web.conftest import csrf_from

ENGLISH = {"Accept-Language": "en"}


def count(apps: dict[str, Flask], service: str, model: object) -> int:
    from services import SERVICES

    info = next(info for info in SERVICES if info.name == service)
    with info.module().db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def test_subscriber_import_refuses_a_bad_file_whole_and_takes_a_good_one(
        apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    from services.subscriptions.subscribers.models import Subscriber

    client = logged_in("/newsletter")
    page = client.get("/newsletter/admin/subscribers/import", headers=ENGLISH)
    token = csrf_from(page)
    bad = "email,language\nanna@example.fi,fi\nnot-an-address,fi\n"
    refused = client.post("/newsletter/admin/subscribers/import", headers=ENGLISH, data={
        "csrf_token": token, "file": (io.BytesIO(bad.encode()), "list.csv")})
    assert refused.status_code == 422
    assert "Row 3" in refused.get_data(as_text=True)
    assert count(apps, "subscriptions", Subscriber) == 0

    good = ("email;name;language;topics\n"
            "anna@example.fi;Anna;fi;newsletter events\nbo@example.fi;=SUM(A1);sv;newsletter\n")
    done = client.post("/newsletter/admin/subscribers/import", headers=ENGLISH, data={
        "csrf_token": token, "file": (io.BytesIO(good.encode("utf-8-sig")), "list.csv")})
    assert done.status_code == 302
    assert count(apps, "subscriptions", Subscriber) == 2
    listing = client.get("/newsletter/admin/subscribers?q=anna", headers=ENGLISH).get_data(as_text=True)
    assert "anna@example.fi" in listing
    assert "bo@example.fi" not in listing
    export = client.get("/newsletter/admin/subscribers/export.csv", headers=ENGLISH)
    assert export.mimetype == "text/csv"
    # the one CSV writer (shared/csvfile.py: BOM, ';' for Finnish Excel), headers for people (pages/exports.py)
    assert export.get_data(as_text=True).splitlines()[0].startswith("\ufeffEmail address;Name;Organisation;Language")
    assert "'=SUM(A1)" in export.get_data(as_text=True)
    # % and _ are searched as themselves, not as wildcards.
    assert "bo@example.fi" not in client.get("/newsletter/admin/subscribers?q=%25", headers=ENGLISH).get_data(
        as_text=True)


def test_event_form_shows_errors_by_the_fields_and_creates_nothing(
        apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    from services.events.models import Event

    client = logged_in("/events")
    token = csrf_from(client.get("/events/admin/events/new", headers=ENGLISH))
    response = client.post("/events/admin/events/new", headers=ENGLISH, data={
        "csrf_token": token, "kind": "training", "title_fi": "", "starts_at": "2027-03-01T09:00",
        "ends_at": "2027-03-01T08:00", "mode": "onsite", "address": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-title_fi-error"' in body
    assert 'aria-invalid="true"' in body
    assert 'id="error-summary"' in body
    assert count(apps, "events", Event) == 0


def test_event_create_register_check_in_promote_and_export(
        apps: dict[str, Flask], logged_in: Callable[..., Client], client: Client) -> None:
    from services.events.models import Registration, RegistrationStatus, db
    from services.events.operations import registrations as operations

    admin = logged_in("/events")
    token = csrf_from(admin.get("/events/admin/events/new", headers=ENGLISH))
    created = admin.post("/events/admin/events/new", headers=ENGLISH, data={
        "csrf_token": token, "kind": "seminar", "title_fi": "ELO-vuosiseminaari", "title_sv": "ELO-seminarium",
        "starts_at": "2030-03-01T09:00", "ends_at": "2030-03-01T16:00", "mode": "onsite",
        "address": "Oulu", "capacity": "1", "languages": ["fi", "sv"], "themes": ["knowledge"]})
    assert created.status_code == 302, created.get_data(as_text=True)
    event_path = created.headers["Location"]
    event_id = int(event_path.rstrip("/").split("/")[-1])
    with apps["events"].app_context(), db.transaction() as session:
        for name in ("Anna", "Bo"):
            operations.register(session, event_id, {"name": name, "email": f"{name.lower()}@example.fi",
                                                    "participation": "onsite"},
                                secret_key=apps["events"].config["SECRET_KEY"])
    with apps["events"].app_context(), db.transaction() as session:
        rows = {r.name: r for r in session.scalars(select(Registration))}
    confirm_by_link(apps["events"], rows["Anna"].id)  # Anna confirms from the email; Bo waits
    assert rows["Bo"].status == RegistrationStatus.WAITLISTED
    page = admin.get(event_path, headers=ENGLISH)
    assert "Bo" in page.get_data(as_text=True)
    token = csrf_from(page)
    assert admin.post(f"/events/admin/registrations/{rows['Anna'].id}/check-in",
                      data={"csrf_token": token, "checked_in": "1"}).status_code == 302
    assert admin.post(f"/events/admin/registrations/{rows['Bo'].id}/promote",
                      data={"csrf_token": token}).status_code == 302
    with apps["events"].app_context(), db.transaction() as session:
        after = {r.name: r for r in session.scalars(select(Registration))}
    assert after["Anna"].checked_in
    assert after["Bo"].status == RegistrationStatus.CONFIRMED
    export = admin.get(f"/events/admin/events/{event_id}/registrations.csv")
    assert export.mimetype == "text/csv"
    assert "anna@example.fi" in export.get_data(as_text=True)
    assert admin.get(f"/events/admin/events/{event_id}/feedback", headers=ENGLISH).status_code == 200
    cancel = admin.post(f"/events/admin/events/{event_id}/cancel", data={"csrf_token": token})
    assert cancel.status_code == 302
    assert "This event is cancelled." in admin.get(event_path, headers=ENGLISH).get_data(as_text=True)


def test_issue_composer_needs_a_title_and_reports_progress(
        apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    from services.subscriptions.newsletter.models import Issue

    client = logged_in("/newsletter", role="editor")
    token = csrf_from(client.get("/newsletter/admin/issues/new", headers=ENGLISH))
    refused = client.post("/newsletter/admin/issues/new", headers=ENGLISH,
                          data={"csrf_token": token, "title": "", "language": "fi", "action": "save"})
    assert refused.status_code == 422
    assert "Give the issue a title." in refused.get_data(as_text=True)
    assert count(apps, "subscriptions", Issue) == 0
    preview = client.post("/newsletter/admin/issues/preview", headers={**ENGLISH, "X-CSRF-Token": token},
                          data={"title": "Uutiskirje 2/2026", "language": "fi"})
    assert "Uutiskirje 2/2026" in preview.get_data(as_text=True)
    untitled = client.post("/newsletter/admin/issues/new", headers=ENGLISH, data={
        "csrf_token": token, "title": "Uutiskirje 2/2026", "language": "fi", "introduction_sv": "Hej!",
        "action": "save"})
    assert untitled.status_code == 422
    assert 'id="f-title_sv-error"' in untitled.get_data(as_text=True)
    saved = client.post("/newsletter/admin/issues/new", headers=ENGLISH, data={
        "csrf_token": token, "title": "Uutiskirje 2/2026", "language": "fi", "introduction": "Hei!",
        "title_sv": "Nyhetsbrev 2/2026", "introduction_sv": "Hej!", "action": "save"})
    assert saved.status_code == 302
    issue_id = int(saved.headers["Location"].rstrip("/").split("/")[-1])
    from services.subscriptions.models import db

    with apps["subscriptions"].app_context(), db.transaction() as session:
        issue = session.get(Issue, issue_id)
        assert issue is not None
        assert sorted(version.language for version in issue.versions) == ["fi", "sv"]
        swedish = issue.version("sv")
        assert swedish is not None
        assert swedish.title == "Nyhetsbrev 2/2026"
    page = client.get(f"/newsletter/admin/issues/{issue_id}", headers=ENGLISH).get_data(as_text=True)
    assert 'value="Nyhetsbrev 2/2026"' in page
    progress = client.get(f"/newsletter/admin/issues/{issue_id}/progress").get_json()
    assert progress["status"] == "draft"
    assert progress["total"] == 0


def test_the_coordinator_unsubscribes_someone_who_asked_by_reply(
        apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import ConsentSource, Subscriber, SubscriberStatus
    from tests.subscriptions.conftest import make_subscriber

    person_id = make_subscriber("aino.virtanen@example.fi")
    client = logged_in("/newsletter")
    listing = client.get("/newsletter/admin/subscribers?q=aino", headers=ENGLISH)
    assert "Unsubscribe" in listing.get_data(as_text=True)
    url = f"/newsletter/admin/subscribers/{person_id}/unsubscribe"
    assert client.post(url, data={"q": "aino"}, headers=ENGLISH).status_code in (400, 403)  # no CSRF token
    done = client.post(url, data={"csrf_token": csrf_from(listing), "q": "aino"}, headers=ENGLISH)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/newsletter/admin/subscribers?q=aino")
    page = client.get(done.headers["Location"], headers=ENGLISH).get_data(as_text=True)
    assert "aino.virtanen@example.fi is unsubscribed" in page
    again = client.post(url, data={"csrf_token": csrf_from(listing)}, headers=ENGLISH)
    assert "is not on the newsletter list" in client.get(again.headers["Location"], headers=ENGLISH).get_data(
        as_text=True)
    with db.transaction() as session:
        found = session.get(Subscriber, person_id)
        assert found is not None
        assert found.status == SubscriberStatus.UNSUBSCRIBED
        assert [(e.action.value, e.source) for e in found.consent_events][-1] == ("unsubscribe", ConsentSource.ADMIN)
        assert len(found.consent_events) == 1  # the second click logged nothing


def test_an_editor_cannot_unsubscribe_people(apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    client = logged_in("/newsletter", role="editor")
    response = client.post("/newsletter/admin/subscribers/1/unsubscribe", headers=ENGLISH)
    assert response.status_code in (400, 403)


def test_lowering_the_capacity_below_the_seats_given_warns_the_organiser_and_takes_no_seat(
        apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    from services.events.models import Registration, RegistrationStatus, db
    from services.events.operations import registrations as operations

    admin = logged_in("/events")
    form = {"kind": "training", "title_fi": "Ohjauksen täydennyskoulutus", "starts_at": "2030-04-01T09:00",
            "ends_at": "2030-04-01T12:00", "mode": "onsite", "address": "Oulu", "capacity": "3", "languages": ["fi"]}
    token = csrf_from(admin.get("/events/admin/events/new", headers=ENGLISH))
    created = admin.post("/events/admin/events/new", headers=ENGLISH, data={"csrf_token": token, **form})
    event_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    with apps["events"].app_context(), db.transaction() as session:
        for name in ("Anna", "Bo", "Cecilia"):
            operations.register(session, event_id, {"name": name, "email": f"{name.lower()}@example.fi",
                                                    "participation": "onsite"},
                                secret_key=apps["events"].config["SECRET_KEY"])
    edited = admin.post(f"/events/admin/events/{event_id}/edit", headers=ENGLISH,
                        data={"csrf_token": token, **form, "capacity": "2"})
    assert edited.status_code == 302, edited.get_data(as_text=True)
    page = admin.get(edited.headers["Location"], headers=ENGLISH).get_data(as_text=True)
    assert "3 people have a seat, more than the new capacity of 2." in page
    assert "Everyone keeps their seat." in page
    with apps["events"].app_context(), db.transaction() as session:
        statuses = [r.status for r in session.scalars(select(Registration).where(Registration.event_id == event_id))]
    assert statuses == [RegistrationStatus.PENDING] * 3  # seats held until the addresses are confirmed
    quiet = admin.post(f"/events/admin/events/{event_id}/edit", headers=ENGLISH,
                       data={"csrf_token": token, **form, "capacity": "5"})
    assert "more than the new" not in admin.get(quiet.headers["Location"], headers=ENGLISH).get_data(as_text=True)
