"""Scheduler handlers of the subscriptions service (imported by `elo up` and `elo scheduler`)."""

from __future__ import annotations

import services.subscriptions.announcements.jobs
import services.subscriptions.newsletter.jobs  # noqa: F401 - registers the handlers of the newsletter and announcements
