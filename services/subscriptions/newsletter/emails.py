"""Which email of the newsletter part goes to whom, with its idempotency key.

article-received   the author, on submission (`article-received:<article>`) and on each
                   resubmission (`article-received:<article>:<revision>`)
article-decision   the author, on each review decision (`article-decision:<decision>`)
newsletter-issue   each eligible subscriber, in batches of one language (`issue:<issue>:<subscriber>`),
                   and test addresses (`issue-test:<issue>:<run>:<address>`)

Every email is written to the outbox in the caller's transaction and goes out after its commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import Article, ArticleDecision, Issue, IssueVersion
from services.subscriptions.newsletter.operations.content import TEMPLATE, issue_context
from services.subscriptions.subscribers.emails import list_headers
from services.subscriptions.subscribers.models import Subscriber
from services.subscriptions.subscribers.operations.links import preferences_url, unsubscribe_url
from shared.contract import ANONYMOUS, SEND_BATCH, SEND_EMAIL, EmailBatch, EmailRequest, dump_payload
from shared.outbox import enqueue

ORIGIN = "subscriptions"


def campaign(issue: Issue) -> str:
    """The mailer counts an issue's messages under this name (see operations.progress)."""
    return f"issue-{issue.id}"


def delivery_key(issue_id: int, subscriber_id: int) -> str:
    return f"issue:{issue_id}:{subscriber_id}"


def _ident(article: Article) -> str:
    """The article in a key: its id and creation time, so that the key of one author's email never
    matches another author's, even where an id could be given again."""
    return f"{article.id}.{article.created_at.strftime('%Y%m%d%H%M%S%f')}"


def article_received(session: Session, article: Article, *, status_url: str) -> None:
    """The author's receipt: for the submission, and again for each resubmission (a new revision)."""
    key = f"article-received:{_ident(article)}"
    if (article.revision or 1) > 1:
        key = f"{key}:{article.revision}"
    _to_author(session, article, "article-received", key=key, status_url=status_url, cause=ANONYMOUS)


def article_decision(session: Session, article: Article, decision: ArticleDecision, *, status_url: str) -> None:
    """The review decision, with the editor's comment, to the author."""
    _to_author(session, article, "article-decision", key=f"article-decision:{_ident(article)}:{decision.id}",
               status_url=status_url,
               extra={"decision": decision.to_status.value, "comment": decision.comment or ""})


def _to_author(session: Session, article: Article, template: str, *, key: str, status_url: str,
               extra: dict[str, Any] | None = None, cause: str | None = None) -> None:
    context: dict[str, Any] = {"article_title": article.title, "article_status": article.status.value,
                               "personal": {"status_url": status_url}, **(extra or {})}
    enqueue(session, SEND_EMAIL, dump_payload(EmailRequest, {
        "idempotency_key": key, "template": template, "language": article.language,
        "recipient": {"email": article.author_email, "name": article.author_name},
        "context": context, "origin": ORIGIN, "cause": cause,
    }))


def issue_batch(session: Session, issue: Issue, version: IssueVersion, subscribers: list[Subscriber], *,
                base_url: str) -> None:
    """One batch of the issue in one language; each subscriber gets their own unsubscribe and preference links."""
    recipients = [{
        "idempotency_key": delivery_key(issue.id, subscriber.id), "email": subscriber.email,
        "name": subscriber.name, "list_headers": list_headers(subscriber),
        "substitutions": {"unsubscribe_url": unsubscribe_url(subscriber),
                          "preferences_url": preferences_url(subscriber)},
    } for subscriber in subscribers]
    enqueue(session, SEND_BATCH, dump_payload(EmailBatch, {
        "campaign": campaign(issue), "template": TEMPLATE, "language": version.language,
        "context": issue_context(issue, version, base_url), "recipients": recipients, "origin": ORIGIN,
    }))


def issue_test(session: Session, issue: Issue, version: IssueVersion, addresses: list[str], *,
               base_url: str) -> int:
    """The issue as a subscriber gets it, to test addresses; returns how many were queued.

    A test address is no subscriber: its footer links lead to the newsletter's page instead."""
    newsletter_url = f"{base_url}/newsletter/"
    context = issue_context(issue, version, base_url)
    context["personal"] = {"unsubscribe_url": newsletter_url, "preferences_url": newsletter_url}
    run = uuid.uuid4().hex[:12]
    for address in addresses:
        enqueue(session, SEND_EMAIL, dump_payload(EmailRequest, {
            "idempotency_key": f"issue-test:{issue.id}:{run}:{address}"[:200], "template": TEMPLATE,
            "language": version.language, "recipient": {"email": address, "name": None}, "context": context,
            "list_headers": {"list_id": f"newsletter-test.{issue.id}", "unsubscribe_url": newsletter_url},
            "campaign": f"{campaign(issue)}-test", "origin": ORIGIN,
        }))
    return len(addresses)
