"""Mailer service: queued delivery: render, personalise, send, log, bounces."""

from services.mailer.app import PREFIX, SERVICE, create_app
from services.mailer.models import db

__all__ = ["PREFIX", "SERVICE", "create_app", "db"]
