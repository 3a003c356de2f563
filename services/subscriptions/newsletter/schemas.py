"""Request and response schemas of the newsletter API (the HTTP edge only)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.subscriptions.newsletter.models import ArticleStatus, IssueStatus
from shared.labels import THEMES
from shared.schemas import BodySchema, DatabaseId, QuerySchema, StrictBoolean, rule
from shared.settings import LANGUAGES

DECISION_VALUES = ("accepted", "rejected", "changes-requested")


class ArticleInSchema(BodySchema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=200))
    summary = fields.String(required=True, validate=validate.Length(min=10, max=600))
    body = fields.String(required=True, validate=validate.Length(min=20, max=20_000))
    author_name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    organisation = fields.String(required=True, validate=validate.Length(min=2, max=200))
    themes = fields.List(fields.String(validate=validate.OneOf(THEMES)), required=True,
                         validate=validate.Length(min=1, max=len(THEMES)))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    image_url = fields.Url(load_default=None, allow_none=True, schemes={"https"}, validate=validate.Length(max=500),
                           metadata=rule("An https:// web address."))
    image_alt = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                              metadata=rule("Required (not blank) when image_url is given."))
    website = fields.String(load_default="", metadata={"description": "Leave empty (spam trap)."})

    @validates_schema
    def _image_needs_alt(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("image_url") and not (data.get("image_alt") or "").strip():
            raise ValidationError("Describe the image for people who cannot see it.", field_name="image_alt")


class AcceptedSchema(Schema):
    status = fields.String()


class DecisionSchema(Schema):
    id = fields.Integer()
    from_status = fields.Function(lambda d: d.from_status.value)
    to_status = fields.Function(lambda d: d.to_status.value)
    by_role = fields.String()
    comment = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class ArticleOutSchema(Schema):
    id = fields.Integer()
    status = fields.Function(lambda a: a.status.value)
    title = fields.String()
    summary = fields.String()
    body = fields.String(attribute="body_markdown")
    body_html = fields.String()
    author_name = fields.String()
    email = fields.String(attribute="author_email")
    organisation = fields.String()
    themes = fields.List(fields.String())
    language = fields.String()
    image_url = fields.String(allow_none=True)
    image_alt = fields.String(allow_none=True)
    revision = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    decisions = fields.List(fields.Nested(DecisionSchema))


class ArticleQuerySchema(QuerySchema):
    status = fields.String(validate=validate.OneOf([s.value for s in ArticleStatus]))


class DecisionInSchema(BodySchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISION_VALUES))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class VersionInSchema(BodySchema):
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    title = fields.String(required=True, validate=validate.Length(min=3, max=200))
    introduction = fields.String(load_default="", validate=validate.Length(max=10_000))
    article_ids = fields.List(DatabaseId(), load_default=list, validate=validate.Length(max=50),
                              metadata=rule("Every id names an existing article."))


class IssueInSchema(VersionInSchema):
    include_events = StrictBoolean(load_default=False)
    versions = fields.List(fields.Nested(VersionInSchema), load_default=list, validate=validate.Length(max=2),
                           metadata=rule("Each version in another language than the issue's own, each language once."))


class IssuePatchSchema(BodySchema):
    title = fields.String(validate=validate.Length(min=3, max=200))
    introduction = fields.String(validate=validate.Length(max=10_000))
    article_ids = fields.List(DatabaseId(), validate=validate.Length(max=50),
                              metadata=rule("Every id names an existing article."))
    include_events = StrictBoolean()
    versions = fields.List(fields.Nested(VersionInSchema), validate=validate.Length(max=2),
                           metadata=rule("Each version in another language than the issue's own, each language once."))


class VersionOutSchema(Schema):
    language = fields.String()
    title = fields.String()
    introduction = fields.String()
    article_ids = fields.Function(lambda v: [item.article_id for item in v.items])


class IssueSummarySchema(Schema):
    id = fields.Integer()
    status = fields.Function(lambda i: i.status.value)
    language = fields.String()
    title = fields.Function(lambda i: i.primary.title)
    include_events = fields.Boolean()
    events_available = fields.Boolean(allow_none=True)
    events = fields.Raw(allow_none=True)
    versions = fields.List(fields.Nested(VersionOutSchema))
    scheduled_at = fields.AwareDateTime(allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    handed_over_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Every recipient is with the mailer; the status stays sending until the mailer is done."})
    sent_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "When the mailer had sent, failed or suppressed every recipient."})
    created_at = fields.AwareDateTime()


class ProgressSchema(Schema):
    total = fields.Integer()
    sent = fields.Integer(allow_none=True, metadata={"description": "None while the mailer cannot tell."})
    failed = fields.Integer(allow_none=True, metadata={"description": "Failed for good at the mailer."})
    suppressed = fields.Integer(allow_none=True, metadata={
        "description": "Not sent because the address is suppressed (bounced, complained, unsubscribed)."})


class IssueOutSchema(IssueSummarySchema):
    """Dumps an `operations.progress.IssueReport`: the issue with its sending progress."""

    progress = fields.Nested(ProgressSchema, metadata={"description": "{total, sent, failed, suppressed}"})


class IssueQuerySchema(QuerySchema):
    status = fields.String(validate=validate.OneOf([s.value for s in IssueStatus]))


class PreviewQuerySchema(QuerySchema):
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class TestSendSchema(BodySchema):
    emails = fields.List(fields.Email(), required=True, validate=validate.Length(min=1, max=20))
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES))


class TestSendOutSchema(Schema):
    queued = fields.Integer()


class SendSchema(BodySchema):
    at = fields.AwareDateTime(load_default=None, allow_none=True,
                              metadata=rule("In the future (a past time is a 422); leave it out to send now."))
    confirm = StrictBoolean(load_default=False, metadata=rule(
        "Must be true: without it nothing is sent and the 422 says how many would get the issue."))


class AudienceGroupSchema(Schema):
    language = fields.String(metadata={"description": "The subscribers' language."})
    count = fields.Integer()
    version = fields.String(metadata={"description": "The language version they get."})


class AudienceSchema(Schema):
    """Who gets the issue if it is sent now (`operations.sending.audience`)."""

    total = fields.Integer()
    languages = fields.List(fields.Nested(AudienceGroupSchema))
