"""What the mailer reports of an issue's campaign: the progress shown to editors, and the sending window.

The subscriptions service knows how many recipients it handed over; the mailer knows how many of
their messages are sent, failed or suppressed (`shared.clients.mailer`, by the campaign's name).
A sent issue keeps the final counts itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypedDict

from services.subscriptions.newsletter.emails import campaign
from services.subscriptions.newsletter.models import Issue
from shared.clients import ServiceCallFailed
from shared.clients.mailer import CampaignProgress, MailerClient

log = logging.getLogger(__name__)


class Progress(TypedDict):
    """{total, sent, failed, suppressed}; the last three are None while the mailer cannot tell."""

    total: int
    sent: int | None
    failed: int | None
    suppressed: int | None


def progress(issue: Issue, mailer: MailerClient | None = None) -> Progress:
    """Total from this service; sent, failed and suppressed kept at the end, or else the mailer's counts."""
    if issue.started_at is None:
        return {"total": issue.total, "sent": 0, "failed": 0, "suppressed": 0}
    if issue.sent_count is not None:
        return {"total": issue.total, "sent": issue.sent_count, "failed": issue.failed_count,
                "suppressed": issue.suppressed_count}
    counts = campaign_counts(campaign(issue), mailer)
    if counts is None:
        return {"total": issue.total, "sent": None, "failed": None, "suppressed": None}
    return {"total": issue.total, "sent": counts.sent, "failed": counts.failed, "suppressed": counts.suppressed}


def campaign_counts(campaign_name: str, mailer: MailerClient | None = None) -> CampaignProgress | None:
    """The mailer's counts of a campaign; None when it cannot tell."""
    try:
        return (mailer or MailerClient()).campaign_progress(campaign_name)
    except ServiceCallFailed as error:
        log.warning("campaign counts unavailable: %s", error)
        return None


def unfinished(campaign_name: str, handed: int, mailer: MailerClient | None = None) -> int:
    """Recipients handed to the mailer whose message it has not finished yet (0 when it cannot tell)."""
    if not handed:
        return 0
    counts = campaign_counts(campaign_name, mailer)
    return max(0, handed - counts.finished) if counts is not None else 0


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
