"""Events service: events, registrations, waiting list, reminders, feedback, calendar feeds."""

from services.events.app import PREFIX, SERVICE, create_app
from services.events.models import db

__all__ = ["PREFIX", "SERVICE", "create_app", "db"]
