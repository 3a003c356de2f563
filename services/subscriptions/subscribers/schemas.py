"""Schemas at the HTTP edge of the subscribers part."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, pre_load, validate

from services.subscriptions.subscribers.models import SUBSCRIBER_LANGUAGES, TOPICS, SubscriberStatus
from shared.schemas import BodySchema, QuerySchema, query_position


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SubscriptionIn(BodySchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    organisation = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    language = fields.String(required=True, validate=validate.OneOf(SUBSCRIBER_LANGUAGES))
    topics = fields.List(fields.String(validate=validate.OneOf(TOPICS)), load_default=lambda: ["newsletter"],
                         validate=validate.Length(min=1, max=len(TOPICS)))
    # The honeypot: people never see it, bots fill it in.
    website = fields.String(load_default="", allow_none=True)

    @pre_load
    def trim_address(self, data: Any, **_kwargs: Any) -> Any:
        """Addresses pasted with spaces around them are still addresses."""
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            return {**data, "email": data["email"].strip()}
        return data

    @post_load
    def tidy(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["email"] = _strip(data["email"])
        data["name"] = _strip(data.get("name")) or None
        data["organisation"] = _strip(data.get("organisation")) or None
        data["topics"] = sorted(set(data["topics"]))
        return data


class SubscriptionAcceptedOut(Schema):
    status = fields.String()
    detail = fields.String()


class SubscriberQuery(QuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in SubscriberStatus]))
    topic = fields.String(load_default=None, validate=validate.OneOf(TOPICS))
    language = fields.String(load_default=None, validate=validate.OneOf(SUBSCRIBER_LANGUAGES))
    after = query_position(load_default=0)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class SubscriberOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    language = fields.String()
    status = fields.Function(lambda s: s.status.value)
    topics = fields.Function(lambda s: s.topic_names)
    source = fields.Function(lambda s: s.source.value)
    created_at = fields.AwareDateTime()
    confirmed_at = fields.AwareDateTime(allow_none=True)
    unsubscribed_at = fields.AwareDateTime(allow_none=True)


class SubscriberCountsOut(Schema):
    status = fields.Dict(keys=fields.String(), values=fields.Integer())
    language = fields.Dict(keys=fields.String(), values=fields.Integer())
    topic = fields.Dict(keys=fields.String(), values=fields.Integer())


class SubscriberPageOut(Schema):
    items = fields.List(fields.Nested(SubscriberOut))
    total = fields.Integer(metadata={"description": "subscribers matching the filters"})
    next_after = fields.Integer(allow_none=True, metadata={"description": "pass as `after` for the next page"})
    counts = fields.Nested(SubscriberCountsOut,
                           metadata={"description": "all subscribers by status, language and topic"})


class SubscriberImportErrorOut(Schema):
    row = fields.Integer()
    field = fields.String()
    message = fields.String()


class SubscriberImportReportOut(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    confirmed = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    confirmation_emails = fields.Integer()
    errors = fields.List(fields.Nested(SubscriberImportErrorOut))
