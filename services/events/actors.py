"""Actors of the events service (imported by the worker; the broker is set in shared.broker)."""

from __future__ import annotations

from typing import Any

import services.events.app  # noqa: F401 - registers the app factory the actors run in
from services.events import privacy
from services.events.models import db
from shared.broker import actor
from shared.contract import ERASE_PERSON_IN, ErasePerson, InvalidPayload, load_payload
from shared.outbox import declare_ack_actor

outbox_ack = declare_ack_actor("events", db)


@actor(ERASE_PERSON_IN["events"], service="events", throws=(InvalidPayload,))
def erase_person(payload: dict[str, Any]) -> None:
    """GDPR erasure of one address (by its keyed hash); running it twice changes nothing more."""
    request = load_payload(ErasePerson, payload)
    with db.transaction() as session:
        privacy.erase_person(session, request["email_hash"])
