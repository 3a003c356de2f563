"""Sending an issue: now or at a time, expanded into mailer batches step by step, resumable.

Each expansion step, in one transaction: lock the issue, check the step's cursor is the issue's
cursor (a repeated or stale message does nothing), take the next batch of confirmed `newsletter`
subscribers by id (keyset pagination), write one `IssueDelivery` per subscriber (unique per issue
and subscriber), write one SEND_BATCH outbox row per language, move the cursor, and write the next
step's message. A crash at any point rolls the step back whole; the outbox re-sends the step's
message, so expansion resumes where it stopped and nobody is handed to the mailer twice.

When every recipient is with the mailer the issue is still "sending": it becomes "sent" only when
the mailer has sent, failed or suppressed each message (`operations.completion`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter import emails
from services.subscriptions.newsletter.models import Issue, IssueDelivery, IssueStatus
from services.subscriptions.newsletter.operations import completion
from services.subscriptions.newsletter.operations import issues as issue_cases
from services.subscriptions.newsletter.operations.articles import publish
from services.subscriptions.newsletter.operations.content import version_for
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus, SubscriberTopic
from shared import scheduler
from shared.contract import Route
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput
from shared.outbox import enqueue
from shared.settings import LANGUAGES

# One expansion step (internal to this service): {issue_id, after_id, step}, see actors.ExpandStep.
EXPAND_STEP = Route("subscriptions.newsletter_expand", "subscriptions")
SEND_JOB = "newsletter.send_issue"
BATCH_SIZE = 200
# At most this many recipients handed to the mailer and not yet sent: so pause and cancel take effect
# within about two batches, not after everything has already been queued.
IN_FLIGHT_WINDOW = 2 * BATCH_SIZE
NEWSLETTER_TOPIC = "newsletter"


def _job_key(issue: Issue) -> str:
    return f"newsletter-send:{issue.id}"


def _eligible() -> Any:
    has_topic = exists().where(SubscriberTopic.subscriber_id == Subscriber.id,
                               SubscriberTopic.topic == NEWSLETTER_TOPIC)
    return (Subscriber.status == SubscriberStatus.CONFIRMED) & has_topic


@dataclass(frozen=True)
class AudienceGroup:
    """Subscribers of one language who would get the issue, and the language version they would get."""

    language: str
    count: int
    version: str


def audience(session: Session, issue: Issue) -> list[AudienceGroup]:
    """Who gets the issue if it is sent now: the eligible subscribers per language (fi, sv, en order)."""
    query = select(Subscriber.language, func.count()).where(_eligible()).group_by(Subscriber.language)
    counts: dict[str, int] = dict(session.execute(query).all())
    primary = str(current_app.config["PRIMARY_LANGUAGE"])
    return [AudienceGroup(language, counts[language], version_for(issue, language, primary).language)
            for language in LANGUAGES if counts.get(language)]


def check_send_time(at: dt.datetime | None, now: dt.datetime | None = None) -> None:
    """A sending time must be in the future (no time: now). A past time would send at once."""
    if at is not None and at <= (now or utcnow()):
        raise InvalidInput("The sending time is in the past.",
                           errors={"at": ["Give a time in the future, or leave it out to send now."]})


def send(session: Session, issue_id: int, at: dt.datetime | None) -> Issue:
    """Send now (`at` None) or schedule a job at `at` (InvalidInput when it is past); a scheduled issue
    can be moved or sent now."""
    check_send_time(at)
    issue = issue_cases.get_issue(session, issue_id, lock=True)
    issue_cases.ensure_sendable(issue)
    if at is not None:
        issue.status, issue.scheduled_at = IssueStatus.SCHEDULED, at
        scheduler.schedule(session, kind=SEND_JOB, key=_job_key(issue), due_at=at, payload={"issue_id": issue.id})
        session.flush()
        return issue
    scheduler.cancel(session, _job_key(issue))
    start_sending(session, issue)
    return issue


def start_sending(session: Session, issue: Issue) -> None:
    """The issue goes out: its articles are published and the first expansion step is written."""
    issue.status, issue.started_at, issue.last_subscriber_id = IssueStatus.SENDING, utcnow(), 0
    issue.handed_over_at = None
    issue.total = session.scalar(select(func.count()).select_from(Subscriber).where(_eligible())) or 0
    for version in issue.versions:
        for item in version.items:
            publish(session, item.article)
    _next_step(session, issue)
    session.flush()


def _next_step(session: Session, issue: Issue) -> None:
    enqueue(session, EXPAND_STEP, {"issue_id": issue.id, "after_id": issue.last_subscriber_id,
                                   "step": str(uuid.uuid4())})


def run_scheduled(session: Session, issue_id: int) -> None:
    """The scheduler's job: a scheduled issue starts sending (a cancelled or moved one does not)."""
    issue = session.get(Issue, issue_id, with_for_update=True)
    if issue is None or issue.status != IssueStatus.SCHEDULED:
        return
    start_sending(session, issue)


def expand_step(session: Session, issue_id: int, after_id: int, *, batch_size: int | None = None) -> bool:
    """One batch of recipients handed to the mailer; False when the step is stale and did nothing."""
    batch_size = batch_size or BATCH_SIZE
    issue = session.get(Issue, issue_id, with_for_update=True)
    if (issue is None or issue.status != IssueStatus.SENDING or issue.handed_over_at is not None
            or issue.last_subscriber_id != after_id):
        return False
    subscribers = list(session.scalars(
        select(Subscriber).where(_eligible(), Subscriber.id > after_id).order_by(Subscriber.id).limit(batch_size)
    ))
    handed = set(session.scalars(select(IssueDelivery.subscriber_id).where(
        IssueDelivery.issue_id == issue.id, IssueDelivery.subscriber_id.in_([s.id for s in subscribers]))))
    by_language: dict[str, list[Subscriber]] = defaultdict(list)
    primary = str(current_app.config["PRIMARY_LANGUAGE"])
    for subscriber in subscribers:
        if subscriber.id not in handed:
            by_language[version_for(issue, subscriber.language, primary).language].append(subscriber)
    for language, group in by_language.items():
        _hand_over(session, issue, language, group)
    if subscribers:
        issue.last_subscriber_id = subscribers[-1].id
    if len(subscribers) < batch_size:
        issue.total = _delivery_count(session, issue)
        completion.handed_over(session, issue)
    else:
        _next_step(session, issue)
    session.flush()
    return True


def handed_over(session: Session, issue_id: int) -> tuple[str, int] | None:
    """(campaign, recipients handed to the mailer so far) of an issue that is sending; None otherwise."""
    issue = session.get(Issue, issue_id)
    if issue is None or issue.status != IssueStatus.SENDING:
        return None
    return emails.campaign(issue), _delivery_count(session, issue)


def _delivery_count(session: Session, issue: Issue) -> int:
    return session.scalar(select(func.count()).select_from(IssueDelivery)
                          .where(IssueDelivery.issue_id == issue.id)) or 0


def _hand_over(session: Session, issue: Issue, language: str, group: list[Subscriber]) -> None:
    for subscriber in group:
        session.add(IssueDelivery(issue_id=issue.id, subscriber_id=subscriber.id, language=language))
    emails.issue_batch(session, issue, issue.version(language) or issue.primary, group,
                       base_url=str(current_app.config["BASE_URL"]))


def pause(session: Session, issue_id: int) -> Issue:
    issue = issue_cases.get_issue(session, issue_id, lock=True)
    if issue.status != IssueStatus.SENDING:
        raise Conflict(f"Only an issue that is sending can be paused; this one is {issue.status.value}.")
    completion.ensure_not_handed_over(issue)
    issue.status = IssueStatus.PAUSED
    session.flush()
    return issue


def resume(session: Session, issue_id: int) -> Issue:
    issue = issue_cases.get_issue(session, issue_id, lock=True)
    if issue.status != IssueStatus.PAUSED:
        raise Conflict(f"Only a paused issue can be resumed; this one is {issue.status.value}.")
    issue.status = IssueStatus.SENDING
    _next_step(session, issue)
    session.flush()
    return issue


def cancel(session: Session, issue_id: int) -> Issue:
    """Stops a scheduled, sending or paused issue; what the mailer already has still goes out."""
    issue = issue_cases.get_issue(session, issue_id, lock=True)
    if issue.status not in (IssueStatus.SCHEDULED, IssueStatus.SENDING, IssueStatus.PAUSED):
        raise Conflict(f"An issue that is {issue.status.value} cannot be cancelled.")
    completion.ensure_not_handed_over(issue)
    scheduler.cancel(session, _job_key(issue))
    issue.status = IssueStatus.CANCELLED
    if issue.started_at is not None:
        issue.total = _delivery_count(session, issue)
    session.flush()
    return issue


def test_send(session: Session, issue_id: int, addresses: list[str], language: str | None) -> int:
    """The issue as a subscriber gets it, to the given addresses (no subscriber links: they are not subscribers)."""
    issue = issue_cases.get_issue(session, issue_id)
    primary = str(current_app.config["PRIMARY_LANGUAGE"])
    version = version_for(issue, language or issue.language, primary)
    return emails.issue_test(session, issue, version, addresses, base_url=str(current_app.config["BASE_URL"]))
