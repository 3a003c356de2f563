"""What the mailer reports of an issue's campaign: the progress shown to editors, and the sending window.

The subscriptions service knows how many recipients it handed over; the mailer knows how many of
their messages are sent, failed or suppressed (`shared.clients.mailer`, by the campaign's name).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypedDict

from services.subscriptions.newsletter.emails import campaign
from services.subscriptions.newsletter.models import Issue
from shared.clients import ServiceCallFailed
from shared.clients.mailer import MailerClient

log = logging.getLogger(__name__)


class Progress(TypedDict):
    """{total, sent, failed}; sent and failed are None while the mailer cannot tell."""

    total: int
    sent: int | None
    failed: int | None


def progress(issue: Issue, mailer: MailerClient | None = None) -> Progress:
    """Total from this service, sent and failed (suppressed included) from the mailer's campaign counts."""
    if issue.started_at is None:
        return {"total": issue.total, "sent": 0, "failed": 0}
    try:
        counts = (mailer or MailerClient()).campaign_progress(campaign(issue))
    except ServiceCallFailed as error:
        log.warning("campaign counts unavailable: %s", error)
        return {"total": issue.total, "sent": None, "failed": None}
    return {"total": issue.total, "sent": counts.sent, "failed": counts.failed + counts.suppressed}


def unfinished(campaign_name: str, handed: int, mailer: MailerClient | None = None) -> int:
    """Recipients handed to the mailer whose message it has not finished yet (0 when it cannot tell)."""
    if not handed:
        return 0
    try:
        counts = (mailer or MailerClient()).campaign_progress(campaign_name)
    except ServiceCallFailed as error:
        log.warning("campaign counts unavailable, expanding without a window: %s", error)
        return 0
    return max(0, handed - counts.finished)


@dataclass(frozen=True)
class IssueReport:
    """An issue with its progress, as the API answers it (schemas.IssueOutSchema); reads like the issue."""

    issue: Issue
    progress: Progress

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "issue":  # not yet set (copy, pickle): no endless lookup
            raise AttributeError(name)
        return getattr(self.issue, name)


def report(issue: Issue, mailer: MailerClient | None = None) -> IssueReport:
    return IssueReport(issue, progress(issue, mailer))
