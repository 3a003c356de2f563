"""Personal data: keyed hashes of addresses, and forgetting an address in the outbox.

A stored address is looked up, suppressed and erased by `email_hash` (HMAC-SHA256 with the
secret key), so an erase message or a suppression entry never holds the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import String, cast, delete, select
from sqlalchemy.orm import Session

from shared.models import OutboxMessage
from shared.schemas import BodySchema

EMAIL_HASH = validate.Regexp(r"^[0-9a-f]{64}$", error="Give a keyed hash: 64 hexadecimal digits.")


class PersonalDataRequest(BodySchema):
    """Body of the service-only personal-data calls: the address, or its keyed hash (`email_hash`)."""

    email = fields.Email(metadata={"description": "The address", "x-rule": "Give either email or email_hash."})
    email_hash = fields.String(validate=EMAIL_HASH, metadata={"description": "shared.privacy.email_hash of it"})

    @validates_schema
    def _one_of_them(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("email" in data) == ("email_hash" in data):
            raise ValidationError("Give either email or email_hash.", field_name="email")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_hash(secret_key: str, email: str) -> str:
    return hmac.new(secret_key.encode(), normalise_email(email).encode(), hashlib.sha256).hexdigest()


def forget_in_outbox(session: Session, email: str) -> int:
    """Delete outbox rows whose payload mentions `email` (they are sent or will be re-made)."""
    needle = normalise_email(email)
    if not needle:
        return 0  # an empty needle would match every row
    candidates = session.scalars(
        select(OutboxMessage).where(
            cast(OutboxMessage.payload, String).ilike(f"%{_json_escaped(needle)}%", escape="\\")
        )
    ).all()
    for row in candidates:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id == row.id))
    return len(candidates)


def _json_escaped(text: str) -> str:
    """How `text` looks inside a JSON document, without its quotes; % and _ escaped for LIKE."""
    return json.dumps(text)[1:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
