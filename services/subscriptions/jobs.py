"""Scheduler handlers of the subscriptions service (imported by `elo up` and `elo scheduler`)."""

from __future__ import annotations

import services.subscriptions.newsletter.jobs  # noqa: F401 - registers the newsletter's handlers
