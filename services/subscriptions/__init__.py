"""Subscriptions service: subscribers, consent, topics, articles, newsletter issues, archive."""

import services.subscriptions.newsletter.models
import services.subscriptions.subscribers.models  # noqa: F401 - every table on the metadata
from services.subscriptions.app import PREFIX, SERVICE, create_app
from services.subscriptions.models import db

__all__ = ["PREFIX", "SERVICE", "create_app", "db"]
