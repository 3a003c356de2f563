"""GET /mailer/api/v1/campaigns/<campaign>/feedback: what came back from a campaign's messages (bounces,
complaints, unsubscribes), counted and with the addresses masked, for any campaign key; and the typed
client that reads it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import Client

from services.mailer import feedback
from services.mailer.inbound_events import apply_report, unsubscribe
from services.mailer.inbound_reports import Outcome, RecipientStatus, Report
from services.mailer.models import Delivery, DeliveryStatus, db
from shared.clients.mailer import MailerClient
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY
from tests.mailer.conftest import service_headers

ISSUE = "issue-41"
ANNOUNCEMENT = "event-announcement:7"  # another sender's key: any characters a path segment can carry
NO_ADDRESSES: dict[str, list[str]] = {"hard_bounced": [], "soft_bounced": [], "complained": [], "unsubscribed": []}


def feedback_url(campaign: str) -> str:
    return f"/mailer/api/v1/campaigns/{campaign}/feedback"


def sent_delivery(campaign: str, address: str) -> int:
    """A sent message of the campaign, as the mailer's log holds it."""
    with db.transaction() as session:
        row = Delivery(idempotency_key=f"{campaign}:{address}", campaign=campaign, template="newsletter-issue",
                       language="fi", recipient=address, email_hash=email_hash(TEST_SECRET_KEY, address),
                       list_mail=True, status=DeliveryStatus.SENT)
        session.add(row)
        session.flush()
        return row.id


def bounced(delivery_id: int, outcome: Outcome) -> None:
    status = "5.1.1" if outcome is Outcome.HARD else "4.2.2"
    report = Report("dsn", [RecipientStatus(outcome, status, None, f"{status} mailbox problem")])
    with db.transaction() as session:
        assert apply_report(session, TEST_SECRET_KEY, delivery_id, report, soft_bounce_limit=3)


def complained(delivery_id: int) -> None:
    with db.transaction() as session:
        assert apply_report(session, TEST_SECRET_KEY, delivery_id, Report("complaint", feedback_type="abuse"),
                            soft_bounce_limit=3)


def unsubscribed(delivery_id: int) -> None:
    with db.transaction() as session:
        assert unsubscribe(session, delivery_id)


def erased(delivery_id: int) -> None:
    with db.transaction() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.recipient = None


@pytest.fixture
def issue_feedback(apps: dict[str, Flask]) -> None:
    """Six messages of an issue: two bounced for good (one to a person since erased), one for now, one
    reported as spam, one unsubscribed by mail, one with nothing back; and one announcement message."""
    ids = [sent_delivery(ISSUE, address) for address in (
        "aino.virtanen@example.fi", "Pekka@Posti.example", "b@kunta.example", "carita@example.se",
        "dani@example.fi", "quiet@example.fi")]
    bounced(ids[0], Outcome.HARD)
    bounced(ids[1], Outcome.HARD)
    erased(ids[1])
    bounced(ids[2], Outcome.SOFT)
    complained(ids[3])
    unsubscribed(ids[4])
    bounced(sent_delivery(ANNOUNCEMENT, "eeva@example.fi"), Outcome.SOFT)


@pytest.mark.usefixtures("issue_feedback")
def test_counts_and_masked_addresses_of_an_issue(client: Client) -> None:
    response = client.get(feedback_url(ISSUE), headers=service_headers())
    assert response.status_code == 200
    assert response.json == {
        "campaign": ISSUE, "sent": 6, "hard_bounced": 2, "soft_bounced": 1, "complained": 1, "unsubscribed": 1,
        "addresses": {"hard_bounced": ["a***@example.fi"],  # the erased person is counted, not listed
                      "soft_bounced": ["b***@kunta.example"], "complained": ["c***@example.se"],
                      "unsubscribed": ["d***@example.fi"]}}
    body = response.get_data(as_text=True)
    assert "virtanen" not in body
    assert "dani" not in body


@pytest.mark.usefixtures("issue_feedback")
def test_an_announcement_key_works_the_same_and_apart(client: Client,
                                                     admin_headers: Callable[[str], dict[str, str]]) -> None:
    response = client.get(feedback_url("event-announcement%3A7"), headers=admin_headers("coordinator"))
    assert response.status_code == 200
    assert response.json == {"campaign": ANNOUNCEMENT, "sent": 1, "hard_bounced": 0, "soft_bounced": 1,
                             "complained": 0, "unsubscribed": 0,
                             "addresses": {**NO_ADDRESSES, "soft_bounced": ["e***@example.fi"]}}


def test_an_unknown_campaign_answers_zeros(apps: dict[str, Flask], client: Client) -> None:
    response = client.get(feedback_url("issue-999"), headers=service_headers())
    assert response.status_code == 200
    assert response.json == {"campaign": "issue-999", "sent": 0, "hard_bounced": 0, "soft_bounced": 0,
                             "complained": 0, "unsubscribed": 0, "addresses": NO_ADDRESSES}


@pytest.mark.parametrize("campaign", ["x" * 300, "%C3%A4%F0%9F%93%A8", "a%20b"])
def test_an_odd_campaign_key_answers_zeros(apps: dict[str, Flask], client: Client, campaign: str) -> None:
    response = client.get(feedback_url(campaign), headers=service_headers())
    assert response.status_code == 200
    assert response.json["sent"] == 0


def test_a_nul_in_the_campaign_key_is_a_422_not_a_500(apps: dict[str, Flask], client: Client) -> None:
    response = client.get(feedback_url("issue-1%00"), headers=service_headers())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "campaign" in response.json["errors"]


def test_a_token_is_needed_and_only_a_coordinator_or_a_service_may_read(
        apps: dict[str, Flask], client: Client, admin_headers: Callable[[str], dict[str, str]]) -> None:
    missing = client.get(feedback_url(ISSUE))
    assert missing.status_code == 401
    assert missing.mimetype == "application/problem+json"
    for role in ("editor", "organizer"):
        refused = client.get(feedback_url(ISSUE), headers=admin_headers(role))
        assert refused.status_code == 403, role
        assert refused.mimetype == "application/problem+json"
    assert client.get(feedback_url(ISSUE), headers=admin_headers("coordinator")).status_code == 200


@pytest.mark.usefixtures("issue_feedback")
def test_at_most_the_limit_of_addresses_per_kind(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback, "ADDRESS_LIMIT", 1)
    bounced(sent_delivery(ISSUE, "fanny@example.fi"), Outcome.HARD)
    answer = client.get(feedback_url(ISSUE), headers=service_headers()).get_json()
    assert answer["hard_bounced"] == 3
    assert answer["addresses"]["hard_bounced"] == ["a***@example.fi"]  # the first one that came back


@pytest.mark.parametrize(("address", "masked"), [
    ("aino.virtanen@example.fi", "a***@example.fi"),
    ("x@example.fi", "x***@example.fi"),
    ('"odd@name"@example.fi', '"***@example.fi'),
    ("no-at-sign", "***"),
    ("@example.fi", "***"),
])
def test_masking_keeps_the_first_letter_and_the_domain(address: str, masked: str) -> None:
    assert feedback.masked_address(address) == masked


@pytest.mark.usefixtures("issue_feedback")
def test_the_client_reads_the_feedback(apps: dict[str, Flask]) -> None:
    with apps["subscriptions"].test_request_context():
        answer = MailerClient().campaign_feedback(ANNOUNCEMENT)
        unknown = MailerClient().campaign_feedback("issue-999")
    assert (answer.campaign, answer.sent, answer.soft_bounced, answer.hard_bounced) == (ANNOUNCEMENT, 1, 1, 0)
    assert answer.addresses["soft_bounced"] == ("e***@example.fi",)
    assert unknown.addresses == {"hard_bounced": (), "soft_bounced": (), "complained": (), "unsubscribed": ()}
