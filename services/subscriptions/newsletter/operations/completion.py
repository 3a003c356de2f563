"""The end of sending: an issue is "sent" only when the mailer is done with every recipient.

The last expansion step marks the issue handed over and writes a FINISH_CHECK message. Its actor
asks the mailer for the campaign's counts and, once sent + failed + suppressed reach the number of
recipients handed over, marks the issue sent with the three counts (kept here: the mailer's log is
purged in time). Until then the issue stays "sending"; pausing or cancelling it no longer helps,
because every message is already with the mailer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.subscriptions.newsletter.emails import campaign
from services.subscriptions.newsletter.models import Issue, IssueStatus
from shared.clients.mailer import CampaignProgress
from shared.contract import Route
from shared.db import utcnow
from shared.errors import Conflict
from shared.outbox import enqueue

# Internal to this service: {issue_id}, see actors.FinishCheck.
FINISH_CHECK = Route("subscriptions.newsletter_finish", "subscriptions")


def handed_over(session: Session, issue: Issue) -> None:
    """Every recipient is with the mailer: wait for it to finish them."""
    issue.handed_over_at = utcnow()
    enqueue(session, FINISH_CHECK, {"issue_id": issue.id})


def ensure_not_handed_over(issue: Issue) -> None:
    if issue.handed_over_at is not None:
        raise Conflict("Every message is already with the mailer: the issue can no longer be paused or cancelled.")


def awaited(session: Session, issue_id: int) -> tuple[str, int] | None:
    """(campaign, recipients) of an issue handed over and waiting for the mailer; None otherwise."""
    issue = session.get(Issue, issue_id)
    if issue is None or issue.status != IssueStatus.SENDING or issue.handed_over_at is None:
        return None
    return campaign(issue), issue.total


def finish(session: Session, issue_id: int, counts: CampaignProgress) -> bool:
    """Mark the issue sent with the mailer's final counts; False (nothing changes) while it is not done."""
    issue = session.get(Issue, issue_id, with_for_update=True)
    if issue is None or issue.status != IssueStatus.SENDING or issue.handed_over_at is None:
        return False
    if counts.finished < issue.total:
        return False
    issue.status, issue.sent_at = IssueStatus.SENT, utcnow()
    issue.sent_count, issue.failed_count, issue.suppressed_count = counts.sent, counts.failed, counts.suppressed
    session.flush()
    return True
