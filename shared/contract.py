"""Message contract between services: dramatiq actor names, queues and payload schemas.

Both sides validate: the sender with `dump_payload` before the outbox row is written, the
receiver with `load_payload` before acting. An invalid payload is a permanent error.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.settings import LANGUAGES


class Route(NamedTuple):
    """Where a message goes: the actor's name and its queue. A service sends by name and never
    imports another service; the receiving actor is declared with `@actor(route)` on the same route."""

    actor: str
    queue: str


SEND_EMAIL = Route("mailer.send_email", "mailer")
SEND_BATCH = Route("mailer.send_batch", "mailer-bulk")
SUPPRESSION_NOTICE = Route("subscriptions.suppression_notice", "subscriptions")
UNSUBSCRIBE_NOTICE = Route("subscriptions.unsubscribe_notice", "subscriptions")
# The events service tells the subscriptions service that an event became public (once per event).
EVENT_ANNOUNCED = Route("subscriptions.event_announced", "subscriptions")
# GDPR erasure: the subscriptions service sends one to each other service.
ERASE_PERSON_IN = {"events": Route("events.erase_person", "events"), "mailer": Route("mailer.erase_person", "mailer")}

ANONYMOUS = "anonymous"
CAUSES = (ANONYMOUS,)
TEMPLATE_NAME = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Use a kebab-case template name.")


class InvalidPayload(Exception):
    """A message does not match its schema; retrying will not help."""


class ContractSchema(Schema):
    class Meta:
        unknown = RAISE


class Recipient(ContractSchema):
    email = fields.Email(required=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ListHeaders(ContractSchema):
    """For list mail (newsletters, announcements): RFC 2369 / RFC 8058 headers."""

    list_id = fields.String(required=True, validate=validate.Length(min=3, max=200))
    unsubscribe_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    unsubscribe_mailto = fields.String(load_default=None, allow_none=True)


class Attachment(ContractSchema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content_type = fields.String(required=True)  # e.g. "text/calendar; method=PUBLISH"
    content = fields.String(required=True)  # text content; binary is base64 with content_base64=True
    content_base64 = fields.Boolean(load_default=False)


class EmailRequest(ContractSchema):
    """One email to one person. The mailer never sends one idempotency key twice."""

    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=200))
    template = fields.String(required=True, validate=TEMPLATE_NAME)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    recipient = fields.Nested(Recipient, required=True)
    context = fields.Dict(keys=fields.String(), load_default=dict)
    list_headers = fields.Nested(ListHeaders, load_default=None, allow_none=True)
    attachments = fields.List(fields.Nested(Attachment), load_default=list)
    campaign = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    origin = fields.String(load_default=None, allow_none=True)  # the sending service, for the log
    # "anonymous": caused by what an unknown person typed (a subscription, a registration, an article,
    # a request for a link). The mailer caps such mail per address and never sends it to a suppressed one.
    cause = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CAUSES))


class BatchRecipient(ContractSchema):
    """One recipient of a batch: their own key, address and substitutions (e.g. unsubscribe URL)."""

    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=200))
    email = fields.Email(required=True)
    name = fields.String(load_default=None, allow_none=True)
    substitutions = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    list_headers = fields.Nested(ListHeaders, load_default=None, allow_none=True)


_EMAIL = validate.Email()
_HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)
_RECIPIENT_FIELDS = frozenset(("idempotency_key", "email", "name", "substitutions", "list_headers"))
_LIST_HEADER_FIELDS = frozenset(("list_id", "unsubscribe_url", "unsubscribe_mailto"))


class BatchRecipientField(fields.Nested):
    """`Nested(BatchRecipient)` with a fast path: a batch of 1,000 recipients went through about
    ten marshmallow fields each, 50 µs per recipient on every send. A recipient that plainly
    meets every rule of `BatchRecipient` is checked here directly; anything else goes through the
    schema, which decides and words the error. `tests/shared/test_contract.py` holds both to the
    same answers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(BatchRecipient, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     partial: bool | Sequence[str] | AbstractSet[str] | None = None, **kwargs: Any) -> Any:
        plain = _plain_recipient(value)
        return plain if plain is not None else super()._deserialize(value, attr, data, partial, **kwargs)


def _plain_recipient(value: Any) -> dict[str, Any] | None:
    """The loaded recipient when `value` is valid on every count, else None (the schema decides)."""
    try:
        if type(value) is not dict or not value.keys() <= _RECIPIENT_FIELDS:
            return None
        key, email, name = value["idempotency_key"], value["email"], value.get("name")
        substitutions, headers = value.get("substitutions", {}), _plain_list_headers(value.get("list_headers"))
        if not (type(key) is str and 8 <= len(key) <= 200 and type(email) is str
                and (name is None or type(name) is str) and headers is not False
                and type(substitutions) is dict
                and all(type(k) is str and type(v) is str for k, v in substitutions.items())):
            return None
        _EMAIL(email)
    except (KeyError, ValidationError):
        return None
    return {"idempotency_key": key, "email": email, "name": name, "substitutions": dict(substitutions),
            "list_headers": headers}


def _plain_list_headers(value: Any) -> dict[str, Any] | bool | None:
    """The loaded headers, None when absent, False when the schema must decide."""
    if value is None:
        return None
    if type(value) is not dict or not value.keys() <= _LIST_HEADER_FIELDS:
        return False
    list_id, url, mailto = value.get("list_id"), value.get("unsubscribe_url"), value.get("unsubscribe_mailto")
    if not (type(list_id) is str and 3 <= len(list_id) <= 200 and type(url) is str
            and (mailto is None or type(mailto) is str)):
        return False
    try:
        _HTTP_URL(url)
    except ValidationError:
        return False
    return {"list_id": list_id, "unsubscribe_url": url, "unsubscribe_mailto": mailto}


class EmailBatch(ContractSchema):
    """Many recipients of one rendered message (a newsletter issue in one language)."""

    campaign = fields.String(required=True, validate=validate.Length(min=1, max=100))
    template = fields.String(required=True, validate=TEMPLATE_NAME)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    context = fields.Dict(keys=fields.String(), load_default=dict)
    recipients = fields.List(BatchRecipientField(), required=True, validate=validate.Length(min=1, max=1000))
    origin = fields.String(load_default=None, allow_none=True)


class SuppressionNotice(ContractSchema):
    """The mailer tells the subscriptions service an address hard-bounced or complained."""

    email = fields.Email(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("hard-bounce", "complaint")))
    occurred_at = fields.AwareDateTime(required=True)


class UnsubscribeNotice(ContractSchema):
    """The mailer received a signed mailto unsubscribe (List-Unsubscribe) for the address with this keyed hash."""

    email_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    occurred_at = fields.AwareDateTime(required=True)


def _per_language(values: fields.Field[Any]) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)), values=values, required=True)


class EventAnnounced(ContractSchema):
    """An event became public (created public, or published): the subscriptions service announces it once.

    Texts and links per language; `title` and `url` hold at least the event's primary language."""

    event_id = fields.Integer(required=True, validate=validate.Range(min=1))
    slug = fields.String(required=True, validate=validate.Length(min=1, max=120))
    title = _per_language(fields.String(validate=validate.Length(min=1, max=300)))
    url = _per_language(fields.Url(schemes={"http", "https"}, require_tld=False))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(("onsite", "online", "hybrid")))
    place = fields.String(load_default="", validate=validate.Length(max=300))
    kind = fields.String(required=True, validate=validate.Length(min=1, max=40))
    themes = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list)


class ErasePerson(ContractSchema):
    """Erase everything held about an address (GDPR erasure), sent to each other service.

    Carries `shared.privacy.email_hash(secret, email)`, never the address itself.
    """

    email_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    request_id = fields.String(required=True, validate=validate.Length(min=8, max=100))


@functools.cache
def _instance(schema: type[Schema]) -> Schema:
    """One instance per schema: building one costs about 70 µs, and marshmallow 4 keeps no state
    on the instance while loading or dumping, so threads can share it."""
    return schema()


def dump_payload(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """Validate `data` as the sender; returns JSON-ready primitives."""
    loaded = load_payload(schema, _instance(schema).dump(data))
    result: dict[str, Any] = _instance(schema).dump(loaded)
    return result


def load_payload(schema: type[Schema], payload: Any) -> dict[str, Any]:
    """Validate a received payload; `InvalidPayload` (permanent) when it does not match."""
    try:
        result: dict[str, Any] = _instance(schema).load(payload)
    except ValidationError as error:
        raise InvalidPayload(str(error.messages)) from error
    return result
