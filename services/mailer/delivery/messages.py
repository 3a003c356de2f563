"""The work of the mailer's actors, end to end: an EmailRequest or an EmailBatch.

A request is claimed, rendered, built for its recipient and sent. A batch is rendered once and
built per recipient by substitution; after STOP_BATCH_AFTER transient failures in a row the relay
is taken to be away and the rest of the batch is retried later.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import TemplateError

from services.mailer.composing import Attachment, CompiledEmail, ListHeaders, Recipient, sender_domain
from services.mailer.config import MailerConfig, current_config
from services.mailer.delivery.anonymous import claim_anonymous
from services.mailer.delivery.claims import LeaseHeld, Wanted, claim, claim_one
from services.mailer.delivery.sending import RetryLater, Sender, send_or_record
from services.mailer.inbound_addresses import UNSUBSCRIBE, signed_address
from services.mailer.log import SentMarks, log_transaction, record_failure
from services.mailer.models import DeliveryStatus
from services.mailer.rendering import TemplateMissing, render
from shared.contract import ANONYMOUS
from shared.privacy import email_hash

log = logging.getLogger(__name__)

STOP_BATCH_AFTER = 3  # transient failures in a row: the relay is away, retry the rest of the batch later


def deliver_one(request: Mapping[str, Any]) -> None:
    """The work of `mailer.send_email` for a validated EmailRequest."""
    config = current_config()
    recipient = request["recipient"]
    list_headers = _list_headers(request.get("list_headers"))
    wanted = Wanted(key=request["idempotency_key"], email=recipient["email"],
                    email_hash=email_hash(config.secret_key, recipient["email"]), template=request["template"],
                    language=request["language"], campaign=request.get("campaign"), origin=request.get("origin"),
                    list_mail=list_headers is not None, cause=request.get("cause"))
    if wanted.cause == ANONYMOUS:
        claimed = claim_anonymous(wanted, sender_domain(config.mail_from), per_day=config.anonymous_mail_per_day)
    else:
        claimed = claim_one(wanted, sender_domain(config.mail_from))
    if claimed.busy:
        raise LeaseHeld("another worker is sending this message")
    if not claimed.to_send:
        return
    (_, delivery_id), = claimed.to_send
    context = dict(request.get("context") or {})
    personal = {key: str(value) for key, value in (context.get("personal") or {}).items() if value is not None}
    try:
        compiled = CompiledEmail(render(wanted.template, wanted.language, context, config.site,
                                        list_mail=wanted.list_mail),
                                 mail_from=config.mail_from, attachments=_attachments(request.get("attachments")),
                                 list_mail=wanted.list_mail)
    except (TemplateMissing, TemplateError, ValueError) as error:
        record_failure([delivery_id], DeliveryStatus.FAILED, f"cannot render: {type(error).__name__}: {error}")
        log.error("delivery %s failed: cannot render template %s: %s", delivery_id, wanted.template, error)
        return
    person = Recipient(email=wanted.email, name=recipient.get("name"), idempotency_key=wanted.key,
                       personal=personal, list_headers=_signed(list_headers, delivery_id, config))
    values = {"name": recipient.get("name") or "", "email": wanted.email, **personal}
    send_or_record(Sender(config), delivery_id, wanted, compiled.build(person), compiled.subject_for(values))


def deliver_batch(batch: Mapping[str, Any]) -> None:
    """The work of `mailer.send_batch` for a validated EmailBatch: render once, substitute per recipient."""
    config = current_config()
    people = {item["idempotency_key"]: item for item in batch["recipients"]}
    wanted = [Wanted(key=key, email=item["email"], email_hash=email_hash(config.secret_key, item["email"]),
                     template=batch["template"], language=batch["language"], campaign=batch["campaign"],
                     origin=batch.get("origin"), list_mail=True) for key, item in people.items()]
    with log_transaction() as session:
        claimed = claim(session, wanted, domain=sender_domain(config.mail_from))
    if claimed.to_send:
        _send_claimed_batch(config, batch, people, claimed.to_send)
    if claimed.busy:
        raise LeaseHeld(f"{claimed.busy} messages of this batch are being sent by another worker")


def _send_claimed_batch(config: MailerConfig, batch: Mapping[str, Any], people: Mapping[str, Any],
                        to_send: list[tuple[Wanted, int]]) -> None:
    try:
        rendered = render(batch["template"], batch["language"], batch.get("context") or {}, config.site,
                          list_mail=True)
    except (TemplateMissing, TemplateError, ValueError) as error:
        record_failure([delivery_id for _, delivery_id in to_send], DeliveryStatus.FAILED,
                        f"cannot render: {type(error).__name__}: {error}")
        log.error("batch %s failed: cannot render template %s: %s", batch["campaign"], batch["template"], error)
        return
    compiled = CompiledEmail(rendered, mail_from=config.mail_from, list_mail=True)
    marks = SentMarks()
    try:
        _send_each(Sender(config, marks=marks), compiled, people, to_send)
    finally:
        marks.close()


def _send_each(sender: Sender, compiled: CompiledEmail, people: Mapping[str, Any],
               to_send: list[tuple[Wanted, int]]) -> None:
    transient_in_row = 0
    retry: RetryLater | None = None
    for index, (wanted, delivery_id) in enumerate(to_send):
        item = people[wanted.key]
        person = Recipient(email=wanted.email, name=item.get("name"), idempotency_key=wanted.key,
                           personal=item.get("substitutions") or {},
                           list_headers=_signed(_list_headers(item.get("list_headers")), delivery_id, sender.config))
        values = {"name": item.get("name") or "", "email": wanted.email, **person.personal}
        try:
            send_or_record(sender, delivery_id, wanted, compiled.build(person), compiled.subject_for(values))
            transient_in_row = 0
        except RetryLater as error:
            retry = error
            transient_in_row += 1
            if transient_in_row >= STOP_BATCH_AFTER:
                rest = [later_id for _, later_id in to_send[index + 1:]]
                record_failure(rest, DeliveryStatus.RETRYING, f"not tried: {error}")
                break
    if retry is not None:
        raise retry


def _list_headers(data: Mapping[str, Any] | None) -> ListHeaders | None:
    if not data:
        return None
    return ListHeaders(list_id=data["list_id"], unsubscribe_url=data["unsubscribe_url"],
                       unsubscribe_mailto=data.get("unsubscribe_mailto"))


def _signed(headers: ListHeaders | None, delivery_id: int, config: MailerConfig) -> ListHeaders | None:
    """The headers with the message's own signed unsubscribe address, when inbound mail is received."""
    if headers is None or config.inbound_domain is None:
        return headers
    address = signed_address(config.secret_key, UNSUBSCRIBE, delivery_id, config.inbound_domain)
    return dataclasses.replace(headers, signed_mailto=f"mailto:{address}?subject=unsubscribe")


def _attachments(items: Sequence[Mapping[str, Any]] | None) -> list[Attachment]:
    result = []
    for item in items or ():
        content = item["content"]
        data = base64.b64decode(content) if item.get("content_base64") else content.encode()
        result.append(Attachment(filename=item["filename"], content_type=item["content_type"], data=data))
    return result
