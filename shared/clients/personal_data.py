"""The personal-data calls every service that holds data about people answers the same way:
`POST /api/v1/personal-data/lookup` (does it hold anything?) and `…/export` (all of it), by the
address or by its keyed hash (`shared.privacy.email_hash`). A client mixes these in and names the
schema of what its service holds."""

from __future__ import annotations

from typing import Any, cast

from marshmallow import Schema, fields

from shared.clients import AnswerSchema, ServiceClient


class PersonalDataRequest(Schema):
    """The address, or its keyed hash."""

    email = fields.Email()
    email_hash = fields.String()


class HoldsAnswer(AnswerSchema):
    service = fields.String(required=True)
    holds = fields.Boolean(required=True)


class PersonalDataCalls(ServiceClient):
    """`export_personal_data` and `holds_personal_data`; `held` is the schema of what the service holds
    (kept whole, unknown keys included: it is the person's export)."""

    held: type[Schema] = AnswerSchema

    def export_personal_data(self, email: str | None = None, *, email_hash: str | None = None) -> dict[str, Any]:
        """`{"service": <name>, "data": {...}}` for the address, or for the address with this keyed hash."""
        response = self.request("POST", "/api/v1/personal-data/export", body=_who(email, email_hash),
                                body_schema=PersonalDataRequest())
        answer = AnswerSchema.from_dict({"service": fields.String(required=True),
                                         "data": fields.Nested(self.held, required=True)})
        return cast("dict[str, Any]", self.load(answer(), response.body))

    def holds_personal_data(self, email: str | None = None, *, email_hash: str | None = None) -> bool:
        """Whether the service holds anything about the address (or the address with this keyed hash)."""
        response = self.request("POST", "/api/v1/personal-data/lookup", body=_who(email, email_hash),
                                body_schema=PersonalDataRequest())
        return bool(self.load(HoldsAnswer(), response.body)["holds"])


def _who(email: str | None, email_hash: str | None) -> dict[str, str]:
    if (email is None) == (email_hash is None):
        raise ValueError("Give either email or email_hash.")
    return {"email": email} if email is not None else {"email_hash": str(email_hash)}
