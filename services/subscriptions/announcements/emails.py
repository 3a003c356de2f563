"""Which email of the announcements part goes to whom, with its idempotency key.

announcement          a new public event, to each subscriber who wants a mail per event, in batches of one
                      language (`announcement:<mailing>:<subscriber>`)
announcement-digest   the week's new events, to each subscriber who wants a weekly digest
                      (`announcement-digest:<mailing>:<subscriber>`; one mailing per week)

Both are list mail: their List-Unsubscribe link stops announcements only (`links.stop_url`), and the
footer links to the preference centre. Written to the outbox in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.subscriptions.announcements.links import stop_url
from services.subscriptions.announcements.models import Announcement, AnnouncementMailing, MailingKind
from services.subscriptions.subscribers.emails import list_host
from services.subscriptions.subscribers.models import Subscriber
from services.subscriptions.subscribers.operations.links import preferences_url
from shared.contract import SEND_BATCH, EmailBatch, dump_payload
from shared.networks import current_network
from shared.outbox import enqueue

ORIGIN = "subscriptions"
TEMPLATES = {MailingKind.EACH: "announcement", MailingKind.DIGEST: "announcement-digest"}


def campaign(mailing: AnnouncementMailing) -> str:
    """The mailer counts a mailing's messages under this name (the sending window asks it)."""
    return f"announcement-{mailing.id}"


def delivery_key(mailing: AnnouncementMailing, subscriber_id: int) -> str:
    return f"{TEMPLATES[mailing.kind]}:{mailing.id}:{subscriber_id}"


def announcements_list_id() -> str:
    """Announcements are a list of their own (RFC 2919) beside the newsletter's: events.<the network's List-Id>,
    else events.<host> of the default network."""
    network = current_network()
    return f"events.{network.list_id}" if network is not None and network.list_id else f"events.{list_host()}"


def event_context(announcement: Announcement, language: str, primary: str) -> dict[str, Any]:
    title, url = announcement.text(language, primary)
    return {"event_title": title, "event_url": url, "starts_at": announcement.starts_at.isoformat(),
            "ends_at": announcement.ends_at.isoformat(), "mode": announcement.mode, "place": announcement.place,
            "event_kind": announcement.kind}


def batch(session: Session, mailing: AnnouncementMailing, language: str, context: dict[str, Any],
          subscribers: list[Subscriber]) -> None:
    """One batch in one language; each subscriber gets their own stop and preference links."""
    recipients = []
    for subscriber in subscribers:
        stop = stop_url(subscriber)
        recipients.append({
            "idempotency_key": delivery_key(mailing, subscriber.id), "email": subscriber.email,
            "name": subscriber.name,
            "list_headers": {"list_id": announcements_list_id(), "unsubscribe_url": stop, "unsubscribe_mailto": None},
            "substitutions": {"unsubscribe_url": stop, "preferences_url": preferences_url(subscriber)},
        })
    enqueue(session, SEND_BATCH, dump_payload(EmailBatch, {
        "campaign": campaign(mailing), "template": TEMPLATES[mailing.kind], "language": language,
        "context": context, "recipients": recipients, "origin": ORIGIN,
    }))
