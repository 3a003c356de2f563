"""Inbound mail (`elo inbound`, and `elo up` when ELO_INBOUND_PORT is set): an SMTP or LMTP listener.

What arrives, by the address it was sent to:
- `unsubscribe+<token>@…` (the signed mailto of List-Unsubscribe): the subscriptions service is told,
  as the one-click link would (`UnsubscribeNotice` through the outbox).
- `bounces+<token>@…` (each message's envelope sender, VERP): an RFC 3464 delivery status notification
  suppresses the address on a hard bounce and counts a soft one (suppressed after ELO_SOFT_BOUNCE_LIMIT
  messages); an RFC 5965 complaint report suppresses it. A report sent elsewhere is matched when it
  names a signed bounce address (ARF `Original-Mail-From`, the original's `Return-Path`).
- Anything else, and a token that does not verify, is forwarded to the coordinator (ELO_CONTACT_EMAIL).

Every effect is stored per message in `mail_events` (`inbound_events.py`), so a report received twice
counts once. A failure that may pass (database, relay) answers 451 and the sending server tries again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError

from services.mailer import inbound_events
from services.mailer.inbound_addresses import BOUNCES, UNSUBSCRIBE, read_address
from services.mailer.inbound_reports import Report, parse_message, read_report
from services.mailer.models import CapturedMail, db
from services.mailer.transport import PermanentError, TransientError, smtp_transport
from shared.privacy import email_hash
from shared.settings import Settings

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 OK"
TRY_LATER = "451 4.3.0 The message cannot be processed now; try again later"
NOWHERE_TO_FORWARD = "550 5.1.1 This address takes no mail"
FORWARD_REFUSED = "554 5.0.0 The message could not be forwarded"
FORWARDED_HEADER = b"X-ELO-Inbound"
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class InboundConfig:
    secret_key: str
    mail_from: str
    smtp_url: str | None
    coordinator: str  # "" = no one to forward to
    soft_bounce_limit: int
    language: str

    @classmethod
    def from_settings(cls, settings: Settings) -> InboundConfig:
        return cls(secret_key=settings.secret_key, mail_from=settings.mail_from, smtp_url=settings.smtp_url,
                   coordinator=settings.contact_email, soft_bounce_limit=settings.soft_bounce_limit,
                   language=settings.primary_language)


def receive(config: InboundConfig, recipients: list[str], data: bytes) -> str:
    """Act on one received message; the SMTP reply (250, or 451 to be sent again, or 5xx)."""
    message = parse_message(data)
    report = read_report(message)
    try:
        handled = [_act(config, address, report) for address in recipients]
        if not any(handled) and report.kind is not None:
            handled.append(_act_on_named_sender(config, report))
    except SQLAlchemyError:
        log.exception("inbound: the database failed; the message will come again")
        return TRY_LATER
    if any(handled):
        return ACCEPTED
    return forward(config, message, data, _reason(report))


def _act(config: InboundConfig, address: str, report: Report) -> bool:
    """True when the message was acted on as sent to `address` (one of our signed addresses)."""
    found = read_address(config.secret_key, address)
    if found is None or found[1] is None:
        if found is not None:
            log.warning("inbound: a %s address whose token does not verify", found[0])
        return False
    purpose, delivery_id = found[0], found[1]
    with db.transaction() as session:
        if purpose == UNSUBSCRIBE:
            return inbound_events.unsubscribe(session, delivery_id)
        return inbound_events.apply_report(session, config.secret_key, delivery_id, report,
                                           soft_bounce_limit=config.soft_bounce_limit)


def _act_on_named_sender(config: InboundConfig, report: Report) -> bool:
    """A report sent to another address (a feedback loop's): matched by the bounce address it names."""
    for sender in report.envelope_senders:
        found = read_address(config.secret_key, sender)
        if found is not None and found[0] == BOUNCES and found[1] is not None:
            with db.transaction() as session:
                return inbound_events.apply_report(session, config.secret_key, found[1], report,
                                                   soft_bounce_limit=config.soft_bounce_limit)
    return False


def _reason(report: Report) -> str:
    return f"unmatched {report.kind}" if report.kind else "forwarded"


# --- forwarding to the coordinator -------------------------------------------------------------------

def forward(config: InboundConfig, message: Message, data: bytes, reason: str) -> str:
    """The message as it came, with one header added, to the coordinator (or the test mailbox)."""
    if message.get(FORWARDED_HEADER.decode()) is not None:
        log.warning("inbound: a forwarded message came back (a loop); dropped")
        return ACCEPTED
    if not config.coordinator:
        return NOWHERE_TO_FORWARD
    forwarded = FORWARDED_HEADER + b": " + reason.encode() + b"\r\n" + data
    if config.smtp_url is None:
        return _capture(config, message, forwarded)
    try:
        smtp_transport(config.smtp_url).send(parseaddr(config.mail_from)[1], [config.coordinator], forwarded)
    except TransientError as error:
        log.warning("inbound: forwarding failed for now: %s", error.reply)
        return TRY_LATER
    except PermanentError as error:
        log.error("inbound: the relay refused the forwarded message: %s", error.reply)
        return FORWARD_REFUSED
    return ACCEPTED


def _capture(config: InboundConfig, message: Message, forwarded: bytes) -> str:
    """Embedded run: the forwarded message waits in the test mailbox (/mailer/outbox/)."""
    key = "inbound-forward:" + hashlib.sha256(forwarded).hexdigest()[:40]
    try:
        with db.transaction() as session:
            session.add(CapturedMail(idempotency_key=key, recipient=config.coordinator,
                                     email_hash=email_hash(config.secret_key, config.coordinator),
                                     subject=" ".join(str(message.get("Subject", "")).split())[:500],
                                     template="inbound-forward", language=config.language, raw=forwarded))
    except SQLAlchemyError:
        log.exception("inbound: the database failed; the message will come again")
        return TRY_LATER
    return ACCEPTED


# --- the listener ------------------------------------------------------------------------------------

class InboundHandler:
    """aiosmtpd's handler: every recipient is accepted; the message is acted on after DATA."""

    def __init__(self, config: InboundConfig, *, lmtp: bool = False) -> None:
        self.config = config
        self.lmtp = lmtp

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.lmtp and envelope.rcpt_tos:
            return "452 4.5.3 One recipient per message, please"  # LMTP answers DATA once per recipient
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        work = functools.partial(receive, self.config, list(envelope.rcpt_tos), data or b"")
        return await asyncio.get_running_loop().run_in_executor(None, work)


class InboundListener(Controller):
    """The listener in a thread of its own; port 0 binds a free port, read back into `.port`."""

    def __init__(self, config: InboundConfig, host: str, port: int, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        super().__init__(InboundHandler(config, lmtp=lmtp), hostname=host, port=port,
                         data_size_limit=MAX_MESSAGE_BYTES, enable_SMTPUTF8=True)

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Any:
        return self._listen()

    async def _listen(self) -> Any:
        server = await super()._create_server()
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]  # an asyncio.Server
        return server


def start_listener(settings: Settings, *, host: str = "127.0.0.1", port: int | None = None,
                   lmtp: bool = False) -> InboundListener:
    """Start receiving on `port` (default ELO_INBOUND_PORT); `.stop()` ends it."""
    port = settings.inbound_port if port is None else port
    if port is None:
        raise ValueError("no port: ELO_INBOUND_PORT is not set")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command, addresses too
    listener = InboundListener(InboundConfig.from_settings(settings), host, port, lmtp=lmtp)
    listener.start()
    return listener


def start_if_configured(settings: Settings, host: str) -> Callable[[], None]:
    """`elo up`: receive mail too when ELO_INBOUND_PORT is set. Returns what stops it."""
    if settings.inbound_port is None:
        return lambda: None
    listener = start_listener(settings, host=host)
    log.info("receiving mail on %s:%s", host, listener.port)
    return listener.stop
