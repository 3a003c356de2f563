"""Typed client for the mailer service: the calls other services make to it.

    from shared.clients.mailer import MailerClient
    from shared.clients import ServiceCallFailed

    mailer = MailerClient()
    try:
        counts = mailer.campaign_progress("newsletter-issue-12")      # service token
        counts.sent, counts.failed, counts.suppressed, counts.finished  # ints
        feedback = mailer.campaign_feedback("issue-12")                # or an announcement's campaign key
        feedback.hard_bounced, feedback.addresses["hard_bounced"]      # 2, ["a***@example.fi", …]
        preview = mailer.preview("newsletter-issue", "fi", context,      # as the recipient reads it
                                 personal={"unsubscribe_url": url, "preferences_url": url})
        preview.subject, preview.html, preview.text
        exported = mailer.export_personal_data("anna@example.fi")  # or email_hash=shared.privacy.email_hash(...)
        held = mailer.holds_personal_data(email_hash=hashed)        # the address is still held in clear
        exported["service"] == "mailer"; exported["data"]["deliveries"], exported["data"]["suppressions"]
    except ServiceCallFailed:
        ...  # the mailer did not answer, answered with an error, or with an unexpected body

A preview is rendered and personalised exactly as the message is sent; per-recipient values not
given in `personal` are examples (the address `lukija@example.fi`, no name, links to the site's
front page). Nothing is sent or stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from marshmallow import INCLUDE, Schema, fields, post_load

from shared.clients import AnswerSchema
from shared.clients.personal_data import PersonalDataCalls

__all__ = ["FEEDBACK_KINDS", "CampaignFeedback", "CampaignProgress", "MailerClient", "Preview"]

# What can come back about a sent message, as the mailer names it.
FEEDBACK_KINDS = ("hard_bounced", "soft_bounced", "complained", "unsubscribed")


@dataclass(frozen=True)
class CampaignProgress:
    """How many messages of a campaign are in each state (`GET /mailer/api/v1/campaigns/<campaign>`)."""

    campaign: str
    total: int
    queued: int
    sending: int
    sent: int
    retrying: int
    failed: int
    suppressed: int

    @property
    def finished(self) -> int:
        """Messages the mailer is done with: sent, failed for good or suppressed."""
        return self.sent + self.failed + self.suppressed


@dataclass(frozen=True)
class CampaignFeedback:
    """What came back from a campaign's messages (`GET /mailer/api/v1/campaigns/<campaign>/feedback`).

    `addresses` holds, per kind of FEEDBACK_KINDS, the addresses masked (`a***@example.fi`), at most
    100 each; erased people are counted but not listed."""

    campaign: str
    sent: int
    hard_bounced: int
    soft_bounced: int
    complained: int
    unsubscribed: int
    addresses: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Preview:
    """An email as its recipient reads it (`POST /mailer/api/v1/previews`)."""

    subject: str
    html: str
    text: str


class CampaignProgressAnswer(AnswerSchema):
    campaign = fields.String(required=True)
    total = fields.Integer(required=True)
    queued = fields.Integer(load_default=0)
    sending = fields.Integer(load_default=0)
    sent = fields.Integer(required=True)
    retrying = fields.Integer(load_default=0)
    failed = fields.Integer(required=True)
    suppressed = fields.Integer(load_default=0)

    @post_load
    def make(self, data: dict[str, Any], **_kwargs: Any) -> CampaignProgress:
        return CampaignProgress(**data)


class FeedbackAddressesAnswer(AnswerSchema):
    hard_bounced = fields.List(fields.String(), load_default=list)
    soft_bounced = fields.List(fields.String(), load_default=list)
    complained = fields.List(fields.String(), load_default=list)
    unsubscribed = fields.List(fields.String(), load_default=list)


class CampaignFeedbackAnswer(AnswerSchema):
    campaign = fields.String(required=True)
    sent = fields.Integer(required=True)
    hard_bounced = fields.Integer(required=True)
    soft_bounced = fields.Integer(required=True)
    complained = fields.Integer(required=True)
    unsubscribed = fields.Integer(required=True)
    addresses = fields.Nested(FeedbackAddressesAnswer, load_default=dict)

    @post_load
    def make(self, data: dict[str, Any], **_kwargs: Any) -> CampaignFeedback:
        listed = data.pop("addresses")
        return CampaignFeedback(**data, addresses={kind: tuple(listed.get(kind, ())) for kind in FEEDBACK_KINDS})


class PreviewRequest(Schema):
    template = fields.String(required=True)
    language = fields.String(required=True)
    context = fields.Dict(keys=fields.String())
    personal = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    list_mail = fields.Boolean()


class PreviewAnswer(AnswerSchema):
    subject = fields.String(required=True)
    html = fields.String(required=True)
    text = fields.String(required=True)

    @post_load
    def make(self, data: dict[str, Any], **_kwargs: Any) -> Preview:
        return Preview(**data)


class PersonalData(AnswerSchema):
    """What the mailer holds about an address. Kept whole (unknown keys included): it is the person's export."""

    class Meta:
        unknown = INCLUDE

    deliveries = fields.List(fields.Dict(), required=True)
    suppressions = fields.List(fields.Dict(), required=True)


class MailerClient(PersonalDataCalls):
    """`MailerClient().campaign_progress(name)`, `.campaign_feedback(name)`, `.preview(template, language, context)`,
    `.export_personal_data(email)`; each raises ServiceCallFailed when the mailer cannot answer."""

    service = "mailer"
    held = PersonalData

    def campaign_progress(self, campaign: str) -> CampaignProgress:
        """The counts of one campaign (all zero for a campaign the mailer has not seen)."""
        response = self.request("GET", f"/api/v1/campaigns/{quote(campaign, safe='')}")
        return cast("CampaignProgress", self.load(CampaignProgressAnswer(), response.body))

    def campaign_feedback(self, campaign: str) -> CampaignFeedback:
        """Bounces, complaints and unsubscribes of one campaign, addresses masked (zeros for one not seen)."""
        response = self.request("GET", f"/api/v1/campaigns/{quote(campaign, safe='')}/feedback")
        return cast("CampaignFeedback", self.load(CampaignFeedbackAnswer(), response.body))

    def preview(self, template: str, language: str, context: Mapping[str, Any], *,
                personal: Mapping[str, str] | None = None, list_mail: bool = True) -> Preview:
        """`template` in `language` rendered with `context` exactly as it is sent (list mail by default)."""
        body = {"template": template, "language": language, "context": dict(context),
                "personal": dict(personal) if personal is not None else None, "list_mail": list_mail}
        response = self.request("POST", "/api/v1/previews", body=body, body_schema=PreviewRequest())
        return cast("Preview", self.load(PreviewAnswer(), response.body))

