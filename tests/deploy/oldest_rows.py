"""Realistic rows in every table of the oldest supported schema (events 0001, mailer 0002, subscriptions
s001 + n001), written as the code of that time wrote them: columns of that schema only, enums by value.

`rows(service)` gives {table: [row, …]} in insertion order (parents first). The links mailed then are
made here too, exactly as the code of that time made them (`shared.tokens.make_token`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from shared.accounts import hash_password
from shared.auth import hash_token
from shared.privacy import email_hash as keyed_hash
from shared.tokens import make_token

SECRET_KEY = "upgrade-test-secret-key-" + "y" * 32
API_TOKEN = "elo_upgrade_test_token_made_before_the_upgrade_0001"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)

Rows = dict[str, list[dict[str, Any]]]


def email_hash(email: str) -> str:
    return keyed_hash(SECRET_KEY, email)


def old_unsubscribe_link(subscriber: dict[str, Any]) -> str:
    """The path of the one-click unsubscribe link in a newsletter mailed before the upgrade."""
    token = make_token(SECRET_KEY, "unsubscribe", [subscriber["id"], subscriber["token_key"]])
    return f"/newsletter/unsubscribe/{token}"


def old_registration_link(registration_id: int) -> str:
    """The path of the "your registration / cancel" link in a confirmation mailed before the upgrade."""
    return "/events/registrations/" + make_token(SECRET_KEY, "event-registration", {"r": registration_id})


def platform_rows(service: str) -> Rows:
    """api_tokens, jobs, outbox, processed_messages and users, as every database had them."""
    return {
        "api_tokens": [{"id": 1, "token_hash": hash_token(API_TOKEN), "role": "coordinator",
                        "label": "Koordinaattorin skripti", "created_at": NOW - 30 * DAY, "revoked_at": None},
                       {"id": 2, "token_hash": hash_token(API_TOKEN + "-revoked"), "role": "editor",
                        "label": "vanha", "created_at": NOW - 60 * DAY, "revoked_at": NOW - 40 * DAY}],
        "jobs": [{"id": 1, "kind": f"{service}.example", "key": f"{service}.example:1", "payload": {"id": 1},
                  "due_at": NOW - 2 * DAY, "status": "done", "attempts": 1, "claimed_by": "scheduler-1",
                  "lease_until": None, "finished_at": NOW - 2 * DAY, "last_error": None,
                  "created_at": NOW - 3 * DAY}],
        "outbox": [{"id": 1, "message_id": str(uuid.uuid5(uuid.NAMESPACE_URL, service)),
                    "actor_name": "mailer.send_email", "queue_name": "mailer", "payload": {"k": service},
                    "created_at": NOW - 5 * DAY, "relayed_at": NOW - 5 * DAY, "acknowledged_at": NOW - 5 * DAY,
                    "attempts": 1, "last_error": None}],
        "processed_messages": [{"key": f"{service}:erase:1", "processed_at": NOW - 4 * DAY}],
        "users": [{"id": 1, "email": "anna.koordinaattori@example.fi", "name": "Anna Koordinaattori",
                   "role": "coordinator", "password_hash": hash_password("vanha salasana 2026"),
                   "failed_logins": 0, "locked_until": None, "created_at": NOW - 90 * DAY,
                   "last_login_at": NOW - 1 * DAY}],
    }


SUBSCRIBERS = [
    {"id": 1, "email": "kaisa.korhonen@example.fi", "name": "Kaisa Korhonen", "organisation": "Oulun kaupunki",
     "language": "fi", "status": "confirmed", "source": "form", "token_key": "a1b2c3d4e5f6a7b8",
     "topics": ["newsletter", "events"]},
    {"id": 2, "email": "elin.lind@example.fi", "name": "Elin Lind", "organisation": None,
     "language": "sv", "status": "pending", "source": "api", "token_key": "b2c3d4e5f6a7b8c9", "topics": ["trainings"]},
    {"id": 3, "email": "john.smith@example.org", "name": None, "organisation": None,
     "language": "en", "status": "unsubscribed", "source": "import", "token_key": "c3d4e5f6a7b8c9d0",
     "topics": ["newsletter"]},
]


def subscriptions_rows() -> Rows:
    subscribers = [{key: value for key, value in s.items() if key != "topics"}
                   | {"email_hash": email_hash(s["email"]), "consent_wording_version": "2026-01",
                      "confirmations_day": (NOW - 20 * DAY).date(), "confirmations_sent": 1,
                      "created_at": NOW - 20 * DAY, "updated_at": NOW - 10 * DAY,
                      "confirmed_at": NOW - 20 * DAY if s["status"] != "pending" else None,
                      "unsubscribed_at": NOW - 10 * DAY if s["status"] == "unsubscribed" else None}
                   for s in SUBSCRIBERS]
    consent = [{"subscriber_id": s["id"], "email_hash": email_hash(s["email"]), "action": action,
                "source": s["source"], "wording_version": "2026-01", "language": s["language"],
                "topics": ",".join(s["topics"]), "occurred_at": NOW - 20 * DAY}
               for s in SUBSCRIBERS for action in ("subscribe", "confirm", "unsubscribe")
               if action == "subscribe" or (action == "confirm" and s["status"] != "pending")
               or (action == "unsubscribe" and s["status"] == "unsubscribed")]
    article = {"title": "Ohjauksen päivä Oulussa", "summary": "Kokosimme päivän annin.",
               "body_markdown": "Ohjaajat kokoontuivat **Ouluun**.", "body_html": "<p>Ohjaajat kokoontuivat "
               "<strong>Ouluun</strong>.</p>", "author_name": "Pekka Ohjaaja", "author_email": "pekka@example.fi",
               "organisation": "Ohjaamo Oulu", "themes": ["quality"], "language": "fi", "image_url": None,
               "image_alt": None, "revision": 1, "created_at": NOW - 15 * DAY, "updated_at": NOW - 12 * DAY}
    return platform_rows("subscriptions") | {
        "subscriber_suppressions": [{"email_hash": email_hash("poistettu@example.fi"), "reason": "erased",
                                     "created_at": NOW - 8 * DAY}],
        "subscribers": subscribers,
        "consent_events": [{"id": n, **row} for n, row in enumerate(consent, start=1)],
        "subscriber_topics": [{"subscriber_id": s["id"], "topic": topic} for s in SUBSCRIBERS for topic in s["topics"]],
        "articles": [{"id": 1, "status": "published", **article},
                     {"id": 2, "status": "submitted", **article, "title": "Uusi juttu arvioitavana"}],
        "article_decisions": [{"id": 1, "article_id": 1, "from_status": "submitted", "to_status": "accepted",
                               "by_role": "editor", "comment": "Hyvä juttu", "created_at": NOW - 13 * DAY},
                              {"id": 2, "article_id": 1, "from_status": "accepted", "to_status": "published",
                               "by_role": "coordinator", "comment": None, "created_at": NOW - 12 * DAY}],
        "issues": [{"id": 1, "language": "fi", "status": "sent", "include_events": True, "events": [],
                    "scheduled_at": None, "started_at": NOW - 12 * DAY, "sent_at": NOW - 12 * DAY,
                    "last_subscriber_id": 1, "total": 1, "created_at": NOW - 13 * DAY, "updated_at": NOW - 12 * DAY},
                   {"id": 2, "language": "fi", "status": "draft", "include_events": False, "events": None,
                    "scheduled_at": None, "started_at": None, "sent_at": None, "last_subscriber_id": 0,
                    "total": 0, "created_at": NOW - 2 * DAY, "updated_at": NOW - 2 * DAY}],
        "issue_versions": [{"id": 1, "issue_id": 1, "language": "fi", "title": "ELO-uutiskirje 1/2026",
                            "introduction": "Hyvää alkanutta vuotta!"},
                           {"id": 2, "issue_id": 2, "language": "fi", "title": "ELO-uutiskirje 2/2026",
                            "introduction": "Luonnos"}],
        "issue_articles": [{"id": 1, "version_id": 1, "article_id": 1, "position": 1}],
        "issue_deliveries": [{"id": 1, "issue_id": 1, "subscriber_id": 1, "language": "fi",
                              "created_at": NOW - 12 * DAY}],
    }


UPCOMING_TITLE = "Digitaaliset ohjaustaidot (ennen päivitystä)"


def events_rows() -> Rows:
    event = {"kind": "training", "description": {"fi": "Koulutus ohjaajille."}, "themes": ["digital"],
             "languages": ["fi"], "timezone": "Europe/Helsinki", "mode": "hybrid",
             "address": "Kauppurienkatu 8, 90100 Oulu", "online_url": "https://meet.example.fi/elo",
             "capacity": 2, "onsite_capacity": None, "remote_capacity": None, "registration_opens_at": None,
             "registration_closes_at": None, "visibility": "public", "organiser_name": "Anna Koordinaattori",
             "organiser_email": "anna@example.fi", "rrule": None, "exdates": [], "questions": [],
             "feedback_questions": [], "reminder_minutes": [2880, 120], "status": "scheduled", "sequence": 0,
             "created_at": NOW - 30 * DAY, "updated_at": NOW - 30 * DAY, "cancelled_at": None}
    upcoming = event | {"id": 1, "uid": "0b5a3c1e-8f57-4a57-9e1e-6a4c7d2f0001", "slug": "digitaaliset-ohjaustaidot",
                        "title": {"fi": UPCOMING_TITLE}, "starts_at": NOW + 20 * DAY,
                        "ends_at": NOW + 20 * DAY + dt.timedelta(hours=3)}
    past = event | {"id": 2, "uid": "0b5a3c1e-8f57-4a57-9e1e-6a4c7d2f0002", "slug": "alueellinen-seminaari",
                    "kind": "seminar", "title": {"fi": "Alueellinen ohjausseminaari"}, "mode": "onsite",
                    "online_url": "", "capacity": None, "starts_at": NOW - 10 * DAY,
                    "ends_at": NOW - 10 * DAY + dt.timedelta(hours=6),
                    "feedback_questions": [{"key": "overall", "type": "rating"}]}

    def registration(n: int, event_id: int, email: str, status: str, **extra: Any) -> dict[str, Any]:
        return {"id": n, "event_id": event_id, "email": email, "email_hash": email_hash(email),
                "name": email.split("@", maxsplit=1)[0].replace(".", " ").title(), "organisation": "Oulun kaupunki",
                "participation": "onsite", "language": "fi", "dietary_needs": "", "accessibility_needs": "",
                "answers": {}, "status": status, "queued_at": NOW - (20 - n) * DAY, "confirmations_sent": 1,
                "promoted_at": None, "cancelled_at": None, "checked_in": False, "erased_at": None,
                "created_at": NOW - (20 - n) * DAY, "updated_at": NOW - (20 - n) * DAY} | extra

    return platform_rows("events") | {
        "events": [upcoming, past],
        "registrations": [
            registration(1, 1, "kaisa.korhonen@example.fi", "confirmed", dietary_needs="vegaaninen",
                         answers={"wish": "Etäyhteys"}),
            registration(2, 1, "ville.virtanen@example.fi", "confirmed", participation="remote"),
            registration(3, 1, "elin.lind@example.fi", "waitlisted", language="sv"),
            registration(4, 1, "john.smith@example.org", "cancelled", language="en", cancelled_at=NOW - 5 * DAY),
            registration(5, 2, "pekka.ohjaaja@example.fi", "confirmed", checked_in=True),
        ],
        "feedback_responses": [{"id": 1, "event_id": 2, "registration_id": 5, "ratings": {"overall": 5},
                                "texts": {"comments": "Kiitos!"}, "submitted_at": NOW - 9 * DAY}],
    }


def mailer_rows() -> Rows:
    def delivery(n: int, status: str, **extra: Any) -> dict[str, Any]:
        return {"id": n, "idempotency_key": f"registration-confirmed:{n}:1", "campaign": None,
                "template": "registration-confirmed", "language": "fi", "recipient": f"person{n}@example.fi",
                "email_hash": email_hash(f"person{n}@example.fi"), "list_mail": False, "origin": "events",
                "status": status, "attempts": 1, "last_error": None, "message_id": f"<{n}@elo.example>",
                "claimed_by": None, "lease_until": None, "created_at": NOW - 6 * DAY, "updated_at": NOW - 6 * DAY,
                "sent_at": NOW - 6 * DAY if status == "sent" else None} | extra

    return platform_rows("mailer") | {
        "deliveries": [delivery(1, "sent"),
                       delivery(2, "failed", last_error="550 5.1.1 no such user", attempts=3),
                       delivery(3, "sent", idempotency_key="issue:1:1", campaign="issue-1", list_mail=True,
                                template="newsletter-issue", origin="subscriptions")],
        "captured_mail": [{"id": 1, "idempotency_key": "registration-confirmed:1:1",
                           "recipient": "person1@example.fi", "email_hash": email_hash("person1@example.fi"),
                           "subject": "Ilmoittautumisesi on vahvistettu",
                           "template": "registration-confirmed", "language": "fi",
                           "raw": b"Subject: Ilmoittautumisesi on vahvistettu\r\n\r\nTervetuloa!\r\n",
                           "created_at": NOW - 6 * DAY}],
        "rate_buckets": [{"name": "smtp", "next_slot": 1_790_000_000.25}],
        "suppressions": [{"id": 1, "email_hash": email_hash("person2@example.fi"), "reason": "hard-bounce",
                          "detail": "550 5.1.1 no such user", "occurred_at": NOW - 6 * DAY,
                          "created_at": NOW - 6 * DAY}],
    }


def rows(service: str) -> Rows:
    return {"subscriptions": subscriptions_rows, "events": events_rows, "mailer": mailer_rows}[service]()
