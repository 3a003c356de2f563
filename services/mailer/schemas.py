"""Marshmallow schemas at the edge of the mailer's JSON API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.mailer.models import DeliveryStatus
from shared.contract import TEMPLATE_NAME
from shared.schemas import BodySchema, QuerySchema, StrictBoolean, rule
from shared.settings import LANGUAGES


class DeliveryQuery(QuerySchema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": "The idempotency key the sender gave"})


class DeliveryOut(Schema):
    idempotency_key = fields.String()
    status = fields.Function(lambda row: row.status.value,
                             metadata={"enum": [status.value for status in DeliveryStatus]})
    template = fields.String()
    language = fields.String()
    campaign = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class CampaignOut(Schema):
    campaign = fields.String()
    total = fields.Integer()
    queued = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    retrying = fields.Integer()
    failed = fields.Integer()
    suppressed = fields.Integer()


class FeedbackAddressesOut(Schema):
    hard_bounced = fields.List(fields.String())
    soft_bounced = fields.List(fields.String())
    complained = fields.List(fields.String())
    unsubscribed = fields.List(fields.String())


class CampaignFeedbackOut(Schema):
    campaign = fields.String()
    sent = fields.Integer(metadata={"description": "Messages sent"})
    hard_bounced = fields.Integer(metadata={"description": "Messages that bounced for good"})
    soft_bounced = fields.Integer(metadata={"description": "Messages that bounced for now (e.g. a full mailbox)"})
    complained = fields.Integer(metadata={"description": "Messages the reader reported as spam"})
    unsubscribed = fields.Integer(metadata={"description": "Messages whose reader unsubscribed by mail"})
    addresses = fields.Nested(FeedbackAddressesOut, metadata={
        "description": "Per kind, the addresses masked (`a***@example.fi`), at most 100; erased people's are "
                       "counted but not listed"})


class BounceIn(BodySchema):
    email = fields.Email(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("hard-bounce", "complaint")))
    occurred_at = fields.AwareDateTime(load_default=None)
    detail = fields.String(load_default=None, validate=validate.Length(max=500))


class BounceOut(Schema):
    recorded = fields.Boolean(metadata={"description": "False when the address was already suppressed"})


class PersonalDataOut(Schema):
    service = fields.String()
    data = fields.Dict()


class PreviewIn(BodySchema):
    template = fields.String(required=True, validate=TEMPLATE_NAME,
                             metadata=rule("A template the mailer has in that language.",
                                           "The email template, e.g. `newsletter-issue`."))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    context = fields.Dict(keys=fields.String(), load_default=dict,
                          metadata={"description": "The context the message would carry (as in EmailRequest)"})
    personal = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")),
                           values=fields.String(), load_default=None, allow_none=True,
                           metadata=rule("Keys are a lowercase letter, then up to 63 of a-z, 0-9 and _.",
                                         "The recipient's values (`name`, `email`, `unsubscribe_url`, …); those "
                                         "not given are examples that lead nowhere personal."))
    list_mail = StrictBoolean(load_default=True,
                               metadata={"description": "Render as list mail (footer with unsubscribe and "
                                                        "preference links), as a newsletter is sent"})


class PreviewOut(Schema):
    subject = fields.String(metadata={"description": "The subject line as the recipient reads it"})
    html = fields.String(metadata={"description": "The HTML part, decoded"})
    text = fields.String(metadata={"description": "The plain-text part, decoded (LF line endings)"})
