"""Actors of the subscriptions service (imported by the worker; the broker is set in shared.broker)."""

from __future__ import annotations

import services.subscriptions.announcements.actors
import services.subscriptions.app
import services.subscriptions.newsletter.actors
import services.subscriptions.subscribers.actors  # noqa: F401
from services.subscriptions.models import db
from shared.outbox import declare_ack_actor

outbox_ack = declare_ack_actor("subscriptions", db)
