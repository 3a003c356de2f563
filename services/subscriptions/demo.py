"""Demo content for the subscriptions service, from the seeds (`elo seed-demo`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.subscriptions.newsletter import demo as newsletter_demo
from services.subscriptions.subscribers import demo as subscriber_demo


def seed(session: Session) -> None:
    """Subscribers first: the newsletter's sent issue goes to them."""
    subscriber_demo.seed(session)
    newsletter_demo.seed(session)
