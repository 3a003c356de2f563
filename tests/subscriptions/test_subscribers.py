"""Subscribe, confirm, unsubscribe, anti-abuse and the admin API of the subscribers part (both backends)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import (
    ConsentAction,
    ConsentEvent,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from services.subscriptions.subscribers.operations import links
from shared.broker import send
from shared.contract import SUPPRESSION_NOTICE, InvalidPayload
from tests.subscriptions.conftest import emails_to, make_subscriber

API = "/newsletter/api/v1/subscriptions"
ONE_CLICK = {"data": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}


def subscribe(client, email="aino.virtanen@example.fi", **extra):
    body = {"email": email, "name": "Aino Virtanen", "language": "fi", "topics": ["newsletter", "events"], **extra}
    return client.post(API, json=body)


def subscriber(email="aino.virtanen@example.fi") -> Subscriber | None:
    with db.transaction() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == email))
        if found is not None:
            found.topic_names  # noqa: B018 - load before the session closes
        return found


def token_in(url: str) -> str:
    return url.rsplit("/", 1)[1]


def confirm_token(email="aino.virtanen@example.fi") -> str:
    mail = emails_to(email, "confirm-subscription")[-1]
    return token_in(mail["context"]["confirm_url"])


def consent_actions(email="aino.virtanen@example.fi") -> list[str]:
    with db.transaction() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert found is not None
        return [e.action.value for e in found.consent_events]


def confirm(client, email="aino.virtanen@example.fi"):
    return client.post(f"/newsletter/confirm/{confirm_token(email)}")


# --- subscribing ----------------------------------------------------------------------------------

def test_subscribing_stores_a_pending_subscriber_and_sends_a_confirmation(client):
    response = subscribe(client)
    assert response.status_code == 202
    found = subscriber()
    assert found is not None
    assert found.status == SubscriberStatus.PENDING
    assert found.topic_names == ["events", "newsletter"]
    assert found.language == "fi"
    assert consent_actions() == ["subscribe"]
    [mail] = emails_to("aino.virtanen@example.fi", "confirm-subscription")
    assert mail["language"] == "fi"
    assert mail["list_headers"] is None
    assert "/newsletter/confirm/" in mail["context"]["confirm_url"]


def test_the_address_is_normalised(client):
    assert subscribe(client, email="  Aino.Virtanen@Example.FI ").status_code == 202
    assert subscriber("aino.virtanen@example.fi") is not None


def test_the_answer_is_byte_identical_for_new_pending_confirmed_and_unsubscribed(client):
    new = subscribe(client)
    pending = subscribe(client)
    confirm(client)
    confirmed = subscribe(client)
    unsubscribe_url = emails_to("aino.virtanen@example.fi", "welcome")[-1]["list_headers"]["unsubscribe_url"]
    assert client.post(unsubscribe_url.removeprefix("http://127.0.0.1:8000"), **ONE_CLICK).status_code == 200
    unsubscribed = subscribe(client)
    honeypot = subscribe(client, email="bot@example.fi", website="http://spam.example")
    answers = [new, pending, confirmed, unsubscribed, honeypot]
    assert {a.status_code for a in answers} == {202}
    assert len({a.get_data() for a in answers}) == 1
    assert len({(a.headers.get("Content-Type"), a.headers.get("Content-Length"), a.headers.get("Set-Cookie"))
                for a in answers}) == 1


def test_a_confirmed_subscriber_asking_again_gets_a_reminder_not_a_change(client):
    subscribe(client)
    confirm(client)
    subscribe(client, topics=["trainings"], language="sv")
    found = subscriber()
    assert found.status == SubscriberStatus.CONFIRMED
    assert found.topic_names == ["events", "newsletter"]
    assert found.language == "fi"
    assert len(emails_to("aino.virtanen@example.fi", "already-subscribed")) == 1


def test_an_unsubscribed_address_that_subscribes_again_must_confirm_again(client):
    subscribe(client)
    confirm(client)
    url = emails_to("aino.virtanen@example.fi", "welcome")[-1]["list_headers"]["unsubscribe_url"]
    client.post(url.removeprefix("http://127.0.0.1:8000"), **ONE_CLICK)
    subscribe(client, topics=["trainings"])
    found = subscriber()
    assert found.status == SubscriberStatus.PENDING
    assert found.topic_names == ["trainings"]
    assert confirm(client).status_code == 200
    assert subscriber().status == SubscriberStatus.CONFIRMED


def test_the_honeypot_stores_nothing(client):
    response = subscribe(client, website="http://spam.example")
    assert response.status_code == 202
    assert subscriber() is None
    assert emails_to("aino.virtanen@example.fi") == []


def test_at_most_three_confirmation_emails_per_address_per_day(client):
    answers = [subscribe(client, language=language) for language in ("fi", "sv", "en", "fi", "sv")]
    assert {a.status_code for a in answers} == {202}
    assert len(emails_to("aino.virtanen@example.fi", "confirm-subscription")) == 3


def test_a_double_click_on_subscribe_sends_one_confirmation_and_logs_one_consent(client):
    assert [subscribe(client).status_code for _ in range(3)] == [202, 202, 202]
    assert len(emails_to("aino.virtanen@example.fi", "confirm-subscription")) == 1
    assert consent_actions() == ["subscribe"]


def test_a_changed_choice_moments_later_gets_its_own_confirmation(client):
    subscribe(client)
    subscribe(client, topics=["trainings"])
    mails = emails_to("aino.virtanen@example.fi", "confirm-subscription")
    assert len(mails) == 2
    assert mails[-1]["context"]["topics"] == "trainings"
    assert subscriber().topic_names == ["trainings"]


def test_the_same_request_after_ten_minutes_sends_a_fresh_confirmation(client):
    subscribe(client)
    with db.transaction() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == "aino.virtanen@example.fi"))
        assert found is not None
        assert found.last_confirmation_at is not None
        found.last_confirmation_at -= dt.timedelta(minutes=11)
    subscribe(client)
    assert len(emails_to("aino.virtanen@example.fi", "confirm-subscription")) == 2


def test_a_confirmed_subscriber_clicking_twice_gets_one_already_subscribed_email(client):
    subscribe(client)
    assert confirm(client).status_code == 200
    subscribe(client)
    subscribe(client)
    assert len(emails_to("aino.virtanen@example.fi", "already-subscribed")) == 1


def test_too_many_requests_for_one_address_get_429_with_retry_after(client, apps):
    apps["subscriptions"].config["SUBSCRIBE_LIMIT_PER_ADDRESS"] = 4
    answers = [subscribe(client) for _ in range(5)]
    assert [a.status_code for a in answers] == [202, 202, 202, 202, 429]
    limited = answers[-1]
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["status"] == 429
    assert subscribe(client, email="other@example.fi").status_code == 202


def test_too_many_requests_from_one_ip_get_429(client, apps):
    apps["subscriptions"].config["SUBSCRIBE_LIMIT_PER_IP"] = 3
    answers = [subscribe(client, email=f"person{n}@example.fi") for n in range(2)]
    answers.append(client.post(API, json={"email": "not-an-address"}))  # malformed bodies count too
    answers.append(subscribe(client, email="person9@example.fi"))
    assert [a.status_code for a in answers] == [202, 202, 422, 429]
    assert "Retry-After" in answers[-1].headers


BAD_BODIES = [
    ({"email": "not-an-address", "language": "fi", "topics": ["newsletter"]}, "email"),
    ({"email": "a@@example.fi", "language": "fi"}, "email"),
    ({"email": 42, "language": "fi"}, "email"),
    ({"language": "fi"}, "email"),
    ({"email": "a@example.fi", "language": "de"}, "language"),
    ({"email": "a@example.fi", "language": ["fi"]}, "language"),
    ({"email": "a@example.fi", "language": "fi", "topics": "newsletter"}, "topics"),
    ({"email": "a@example.fi", "language": "fi", "topics": ["sports"]}, "topics"),
    ({"email": "a@example.fi", "language": "fi", "topics": []}, "topics"),
    ({"email": "a@example.fi", "language": "fi", "name": 7}, "name"),
    ({"email": "a@example.fi", "language": "fi", "name": "x" * 201}, "name"),
    ({"email": "a@example.fi", "language": "fi", "admin": True}, "admin"),
]


def test_bad_input_is_a_422_problem_naming_the_field(client):
    """One test for all cases: each app set-up costs more than the requests themselves."""
    for body, field in BAD_BODIES:
        response = client.post(API, json=body)
        assert response.status_code == 422, body
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = response.get_json()
        assert field in problem["errors"], (body, problem)
        assert field in problem["detail"]
    with db.transaction() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post(API, data="email=a@example.fi", content_type="text/plain")
    assert response.status_code == 422


# --- the subscribe page ---------------------------------------------------------------------------

def test_the_subscribe_page_works_in_each_language(client):
    for language, words in (("fi", "Tilaa"), ("sv", "Prenumerera"), ("en", "Subscribe")):
        page = client.get(f"/newsletter/?lang={language}").get_data(as_text=True)
        assert words in page
        assert 'name="website"' in page
        assert 'name="topics"' in page


def test_the_form_subscribes_and_redirects_to_a_thank_you_page(client):
    response = client.post("/newsletter/?lang=sv", data={"email": "elsa.lindqvist@example.fi", "name": "Elsa",
                                                          "language": "sv", "topics": ["newsletter", "trainings"],
                                                          "website": ""})
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert 'role="status"' in thanks.get_data(as_text=True)
    found = subscriber("elsa.lindqvist@example.fi")
    assert found.language == "sv"
    assert found.topic_names == ["newsletter", "trainings"]
    with db.transaction() as session:
        event = session.scalar(select(ConsentEvent).where(ConsentEvent.subscriber_id == found.id))
        assert event.source.value == "form"
        assert event.wording_version


def test_the_form_shows_errors_next_to_the_fields_in_the_users_language(client):
    response = client.post("/newsletter/?lang=fi", data={"email": "ei-osoite", "language": "fi"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="f-email-error"' in page
    assert 'aria-invalid="true"' in page
    assert 'id="f-topics-error"' in page
    assert "Valitse" in page  # Finnish message
    with db.transaction() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0


# --- confirming -----------------------------------------------------------------------------------

def test_get_on_the_confirm_link_only_shows_a_button(client):
    subscribe(client)
    page = client.get(f"/newsletter/confirm/{confirm_token()}")
    assert page.status_code == 200
    assert "<form method=\"post\"" in page.get_data(as_text=True)
    assert subscriber().status == SubscriberStatus.PENDING


def test_post_confirms_and_sends_a_welcome_email_with_list_headers(client):
    subscribe(client, language="sv")
    response = confirm(client)
    assert response.status_code == 200
    assert "Location" not in response.headers
    found = subscriber()
    assert found.status == SubscriberStatus.CONFIRMED
    assert found.confirmed_at is not None
    assert consent_actions() == ["subscribe", "confirm"]
    [welcome] = emails_to("aino.virtanen@example.fi", "welcome")
    assert welcome["language"] == "sv"
    headers = welcome["list_headers"]
    assert headers["unsubscribe_url"].startswith("http://127.0.0.1:8000/newsletter/unsubscribe/")
    assert headers["unsubscribe_mailto"].startswith("mailto:")
    assert headers["list_id"] == "newsletter.127.0.0.1"
    assert "/newsletter/preferences/" in welcome["context"]["personal"]["preferences_url"]


def test_confirming_twice_sends_one_welcome(client):
    subscribe(client)
    token = confirm_token()
    first = client.post(f"/newsletter/confirm/{token}")
    second = client.post(f"/newsletter/confirm/{token}")
    assert first.status_code == second.status_code == 200
    assert len(emails_to("aino.virtanen@example.fi", "welcome")) == 1
    assert consent_actions() == ["subscribe", "confirm"]


def test_an_expired_confirm_link_shows_a_way_to_start_again(client, monkeypatch):
    subscribe(client)
    token = confirm_token()
    monkeypatch.setitem(links.MAX_AGES, links.CONFIRM_PURPOSE, -1)
    for method in ("GET", "POST"):
        page = client.open(f"/newsletter/confirm/{token}", method=method, headers={"Accept": "text/html"})
        assert page.status_code == 410
        assert 'href="/newsletter/"' in page.get_data(as_text=True)
    assert subscriber().status == SubscriberStatus.PENDING


def test_a_used_confirm_link_after_unsubscribing_shows_a_clear_page(client):
    subscribe(client)
    token = confirm_token()
    client.post(f"/newsletter/confirm/{token}")
    url = emails_to("aino.virtanen@example.fi", "welcome")[-1]["list_headers"]["unsubscribe_url"]
    client.post(url.removeprefix("http://127.0.0.1:8000"), **ONE_CLICK)
    page = client.post(f"/newsletter/confirm/{token}")
    assert page.status_code == 410
    assert subscriber().status == SubscriberStatus.UNSUBSCRIBED


def test_a_tampered_link_is_refused(client):
    for token in ("nonsense", "eyJhIjoxfQ.abc.def"):
        for path in (f"confirm/{token}", f"unsubscribe/{token}", f"preferences/{token}", f"preferences/{token}/export"):
            assert client.get(f"/newsletter/{path}").status_code == 404


def test_a_token_for_one_purpose_does_not_work_for_another(client):
    subscribe(client)
    token = confirm_token()
    assert client.post(f"/newsletter/unsubscribe/{token}", **ONE_CLICK).status_code == 404
    assert client.get(f"/newsletter/preferences/{token}").status_code == 404


# --- unsubscribing --------------------------------------------------------------------------------

def confirmed_subscriber(client, email="aino.virtanen@example.fi") -> dict:
    subscribe(client, email=email)
    confirm(client, email)
    return emails_to(email, "welcome")[-1]


def test_one_click_unsubscribe_answers_200_without_redirect_or_cookie(client):
    welcome = confirmed_subscriber(client)
    path = welcome["list_headers"]["unsubscribe_url"].removeprefix("http://127.0.0.1:8000")
    client._cookies.clear()
    response = client.post(path, **ONE_CLICK)
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert subscriber().status == SubscriberStatus.UNSUBSCRIBED
    assert subscriber().unsubscribed_at is not None
    again = client.post(path, **ONE_CLICK)
    assert again.status_code == 200
    assert consent_actions() == ["subscribe", "confirm", "unsubscribe"]


def test_one_click_unsubscribe_works_as_multipart_too(client):
    welcome = confirmed_subscriber(client)
    path = welcome["list_headers"]["unsubscribe_url"].removeprefix("http://127.0.0.1:8000")
    response = client.post(path, data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert subscriber().status == SubscriberStatus.UNSUBSCRIBED


def test_get_on_the_unsubscribe_link_only_shows_a_button(client):
    welcome = confirmed_subscriber(client)
    page = client.get(welcome["list_headers"]["unsubscribe_url"].removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert 'value="One-Click"' in page.get_data(as_text=True)
    assert subscriber().status == SubscriberStatus.CONFIRMED


def test_unsubscribe_links_live_for_years():
    assert links.UNSUBSCRIBE_MAX_AGE >= 2 * 365 * 24 * 3600


# --- preference centre ----------------------------------------------------------------------------

def preferences_path(client, email="aino.virtanen@example.fi") -> str:
    welcome = confirmed_subscriber(client, email)
    return welcome["context"]["personal"]["preferences_url"].removeprefix("http://127.0.0.1:8000")


def test_preferences_change_language_and_topics(client):
    path = preferences_path(client)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store, private"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert "aino.virtanen@example.fi" in page.get_data(as_text=True)
    saved = client.post(path, data={"action": "save", "language": "en", "topics": ["trainings"]})
    assert saved.status_code == 200
    assert 'role="status"' in saved.get_data(as_text=True)
    found = subscriber()
    assert found.language == "en"
    assert found.topic_names == ["trainings"]
    assert consent_actions()[-1] == "change"


def test_preferences_refuse_no_topics_and_change_nothing(client):
    path = preferences_path(client)
    response = client.post(path, data={"action": "save", "language": "fi"})
    assert response.status_code == 422
    assert 'id="f-topics-error"' in response.get_data(as_text=True)
    assert subscriber().topic_names == ["events", "newsletter"]


def test_preferences_unsubscribe_and_subscribe_again(client):
    path = preferences_path(client)
    client.post(path, data={"action": "unsubscribe"})
    assert subscriber().status == SubscriberStatus.UNSUBSCRIBED
    client.post(path, data={"action": "resubscribe"})
    assert subscriber().status == SubscriberStatus.CONFIRMED
    assert consent_actions() == ["subscribe", "confirm", "unsubscribe", "confirm"]


# --- bounces and complaints -----------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "status"), [("hard-bounce", SubscriberStatus.BOUNCED),
                                                 ("complaint", SubscriberStatus.COMPLAINED)])
def test_a_suppression_notice_marks_the_subscriber(apps, broker, drain, reason, status):
    make_subscriber()
    payload = {"email": "aino.virtanen@example.fi", "reason": reason, "occurred_at": "2026-11-22T10:00:00+00:00"}
    for _ in range(2):  # delivered twice: one effect
        send(broker, actor_name=SUPPRESSION_NOTICE.actor, queue_name=SUPPRESSION_NOTICE.queue, args=(payload,))
    drain()
    found = subscriber()
    assert found.status == status
    assert not found.is_mailable
    assert consent_actions() == [ConsentAction.BOUNCE.value if reason == "hard-bounce" else "complaint"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
        assert session.scalar(select(func.count(Subscriber.id)).where(Subscriber.is_mailable)) == 0


def test_a_bad_suppression_notice_is_a_permanent_error(apps):
    from services.subscriptions.subscribers.actors import suppression_notice

    assert InvalidPayload in suppression_notice.options["throws"]
    with pytest.raises(InvalidPayload):
        suppression_notice.fn({"email": "nope", "reason": "x"})
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0


# --- admin API ------------------------------------------------------------------------------------

def test_the_subscriber_list_needs_a_coordinator(client, admin_headers):
    assert client.get("/newsletter/api/v1/subscribers").status_code == 401
    assert client.get("/newsletter/api/v1/subscribers", headers=admin_headers("organizer")).status_code == 403


def test_the_subscriber_list_searches_filters_and_counts(client, admin_headers):
    confirmed_subscriber(client, "aino.virtanen@example.fi")
    subscribe(client, email="elsa.lindqvist@example.fi", name="Elsa Lindqvist", language="sv",
              topics=["trainings"])
    confirmed_subscriber(client, "matti.heikkinen@example.fi")
    headers = admin_headers("coordinator")
    everything = client.get("/newsletter/api/v1/subscribers", headers=headers).get_json()
    assert everything["total"] == 3
    assert everything["counts"]["status"]["confirmed"] == 2
    assert everything["counts"]["status"]["pending"] == 1
    assert everything["counts"]["language"]["sv"] == 1
    assert everything["counts"]["topic"]["newsletter"] == 2
    pending = client.get("/newsletter/api/v1/subscribers?status=pending", headers=headers).get_json()
    assert [item["email"] for item in pending["items"]] == ["elsa.lindqvist@example.fi"]
    assert pending["items"][0]["topics"] == ["trainings"]
    swedish = client.get("/newsletter/api/v1/subscribers?language=sv&topic=trainings", headers=headers).get_json()
    assert swedish["total"] == 1
    search = client.get("/newsletter/api/v1/subscribers?q=HEIKKINEN", headers=headers).get_json()
    assert [item["email"] for item in search["items"]] == ["matti.heikkinen@example.fi"]
    first_page = client.get("/newsletter/api/v1/subscribers?limit=2", headers=headers).get_json()
    assert len(first_page["items"]) == 2
    rest = client.get(f"/newsletter/api/v1/subscribers?limit=2&after={first_page['next_after']}",
                      headers=headers).get_json()
    assert len(rest["items"]) == 1
    assert rest["next_after"] is None


def test_a_bad_filter_is_a_422_naming_it(client, admin_headers):
    response = client.get("/newsletter/api/v1/subscribers?status=happy", headers=admin_headers("coordinator"))
    assert response.status_code == 422
    assert "status" in response.get_json()["errors"]


def test_the_csv_export_lists_the_filtered_subscribers(client, admin_headers):
    confirmed_subscriber(client, "aino.virtanen@example.fi")
    subscribe(client, email="=cmd@example.fi")
    response = client.get("/newsletter/api/v1/subscribers/export.csv?status=confirmed",
                          headers=admin_headers("coordinator"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = response.get_data(as_text=True).strip().split("\r\n")
    assert lines[0] == "\ufeffemail;name;organisation;language;topics;consent_at;status;created_at;unsubscribed_at"
    assert len(lines) == 2
    assert lines[1].startswith("aino.virtanen@example.fi;Aino Virtanen;;fi;events newsletter;")
    everything = client.get("/newsletter/api/v1/subscribers/export.csv", headers=admin_headers("coordinator"))
    assert "'=cmd@example.fi" in everything.get_data(as_text=True)


def test_the_api_is_documented(client):
    spec = client.get("/newsletter/api/openapi.json").get_json()
    assert "/newsletter/api/v1/subscriptions" in json.dumps(spec) or "/api/v1/subscriptions" in json.dumps(spec)
    assert re.search(r"subscribers/import", json.dumps(spec))


def test_the_demo_has_realistic_mixed_subscribers_and_can_run_twice(apps):
    from services.subscriptions.subscribers import demo

    with apps["subscriptions"].app_context():
        for _ in range(2):
            with db.transaction() as session:
                demo.seed(session)
    with db.transaction() as session:
        people = session.scalars(select(Subscriber)).all()
        assert len(people) == len(demo.PEOPLE)
        assert {p.language for p in people} == {"fi", "sv", "en"}
        assert {p.status for p in people} == set(SubscriberStatus)
        assert any(p.organisation == "Ammattiopisto Luovi" for p in people)
        assert all(p.consent_events for p in people)


def test_simultaneous_requests_for_one_new_address_make_one_subscriber_and_one_email(client, apps):
    import threading

    from werkzeug.test import Client

    answers: list[int] = []
    start = threading.Barrier(6)

    def ask() -> None:
        own = Client(client.application)
        start.wait()
        answers.append(subscribe(own).status_code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * 6
    with db.transaction() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 1
    assert len(emails_to("aino.virtanen@example.fi", "confirm-subscription")) == 1


def test_a_double_click_on_confirm_confirms_once(client):
    import threading

    from werkzeug.test import Client

    subscribe(client)
    path = f"/newsletter/confirm/{confirm_token()}"
    answers: list[int] = []
    start = threading.Barrier(4)

    def click() -> None:
        own = Client(client.application)
        start.wait()
        answers.append(own.post(path).status_code)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 4
    assert consent_actions() == ["subscribe", "confirm"]
    assert len(emails_to("aino.virtanen@example.fi", "welcome")) == 1
