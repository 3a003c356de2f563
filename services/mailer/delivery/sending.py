"""Sending one built message and recording what happened.

Over SMTP (pooled, rate-capped, DKIM-signed) or, in the embedded run, into the captured-mail
table. A transient failure (4xx, no connection) is recorded "retrying" and retried later with
backoff; a permanent one (5xx) is recorded "failed", and a reply saying the mailbox does not exist
also suppresses the address as a hard bounce.
"""

from __future__ import annotations

import logging
import random
import re
from email.utils import parseaddr

from services.mailer.composing import sender_domain
from services.mailer.config import MailerConfig
from services.mailer.delivery.claims import Wanted
from services.mailer.inbound_addresses import BOUNCES, signed_address
from services.mailer.log import SentMarks, log_statement, log_transaction, mark_sent, record_failure
from services.mailer.models import CapturedMail, Delivery, DeliveryStatus, db
from services.mailer.operations import record_suppression
from services.mailer.ratelimit import limiter_for
from services.mailer.transport import PermanentError, TransientError, smtp_transport
from shared.db import utcnow

log = logging.getLogger(__name__)

MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000


class RetryLater(Exception):
    """Something went wrong that may pass; the actor turns this into a delayed retry."""

    def __init__(self, reason: str, delay_ms: int) -> None:
        super().__init__(reason)
        self.delay_ms = delay_ms


def backoff_ms(attempts: int) -> int:
    delay = min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** max(0, attempts - 1))
    return int(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


class Sender:
    """Sends built messages: over SMTP (pooled, rate-capped, signed) or into the captured-mail table.

    Each message is recorded "sent" as soon as the relay accepted it. A batch does that on one
    connection it holds (`SentMarks`), which costs one short statement per message.
    """

    def __init__(self, config: MailerConfig, *, marks: SentMarks | None = None) -> None:
        self.config = config
        self.envelope_from = _envelope_address(config.mail_from)
        self.domain = sender_domain(config.mail_from)
        self.limiter = limiter_for(config.mail_rate, config.redis_url, db) if config.smtp_url else None
        self.marks = marks

    def send(self, *, delivery_id: int, wanted: Wanted, data: bytes, subject: str) -> None:
        """Deliver and record it sent. Raises TransientError or PermanentError."""
        if self.config.signer is not None:
            data = self.config.signer.sign(data)
        if self.config.smtp_url is None:
            with log_transaction() as session:
                session.add(CapturedMail(idempotency_key=wanted.key, recipient=wanted.email,
                                         email_hash=wanted.email_hash, subject=subject[:500],
                                         template=wanted.template, language=wanted.language, raw=data))
                mark_sent(session, delivery_id)
            return
        if self.limiter is not None:
            self.limiter.wait()
        smtp_transport(self.config.smtp_url).send(self.envelope_sender(delivery_id), [wanted.email], data)
        if self.marks is not None:
            self.marks.mark(delivery_id)
            return
        with log_statement() as session:
            mark_sent(session, delivery_id)

    def envelope_sender(self, delivery_id: int) -> str:
        """The message's own bounce address (VERP) when inbound mail is received, else the sending address."""
        if self.config.inbound_domain is None:
            return self.envelope_from
        return signed_address(self.config.secret_key, BOUNCES, delivery_id, self.config.inbound_domain)


def _envelope_address(mail_from: str) -> str:
    return parseaddr(mail_from)[1]


def send_or_record(sender: Sender, delivery_id: int, wanted: Wanted, data: bytes, subject: str) -> bool:
    """Send one; on failure record it. True when sent; raises RetryLater on a transient failure."""
    try:
        sender.send(delivery_id=delivery_id, wanted=wanted, data=data, subject=subject)
    except PermanentError as error:
        reply = _redacted(error.reply, wanted.email)
        record_failure([delivery_id], DeliveryStatus.FAILED, reply)
        log.warning("delivery %s failed for good: %s", delivery_id, reply)
        if MAILBOX_GONE.search(reply):
            _suppress(sender.config, wanted.email, reply)
        return False
    except TransientError as error:
        reply = _redacted(error.reply, wanted.email)
        record_failure([delivery_id], DeliveryStatus.RETRYING, reply)
        log.info("delivery %s will be retried: %s", delivery_id, reply)
        raise RetryLater(reply, backoff_ms(_attempts(delivery_id))) from error
    return True


# RFC 3463 5.1.x: the address itself is bad (no such mailbox, no such domain, bad syntax). Other
# permanent replies (5.7.x policy, spam) say nothing about the address and suppress nothing.
MAILBOX_GONE = re.compile(r"^5\d\d 5\.1\.\d{1,3}\b")


def _suppress(config: MailerConfig, address: str, reply: str) -> None:
    """The relay says the mailbox does not exist: a hard bounce, as if reported to /bounces."""
    with db.transaction() as session:
        record_suppression(session, secret_key=config.secret_key, email=address, reason="hard-bounce",
                           occurred_at=utcnow(), detail=reply[:500])


def _redacted(reply: str, address: str) -> str:
    """Relays often repeat the address in their reply; the log and the row keep it out."""
    return re.sub(re.escape(address), "<recipient>", reply, flags=re.IGNORECASE)


def _attempts(delivery_id: int) -> int:
    with db.transaction() as session:
        row = session.get(Delivery, delivery_id)
        return row.attempts if row else 1
