"""Delivering one message or a batch: claim the delivery row, render, personalise, send, record.

The delivery row (one per idempotency key) is what makes sending idempotent: a finished row is
never sent again; a row being sent is leased to one worker (`claimed_by`, `lease_until`). If that
worker died (kill -9), the lease lets another take over. "Sent" is written right after the relay
accepts each message, so a worker killed in between sends at most one message per thread twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import random
import re
import socket
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import Table, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from services.mailer.composing import Attachment, CompiledEmail, ListHeaders, Recipient, message_id, sender_domain
from services.mailer.marks import SentMarks
from services.mailer.models import (
    FINISHED,
    CapturedMail,
    Delivery,
    DeliveryStatus,
    Suppression,
    db,
    engine_without_disk_wait,
)
from services.mailer.people import record_suppression
from services.mailer.ratelimit import limiter_for
from services.mailer.rendering import Site, TemplateMissing, render
from services.mailer.signing import DkimSigner, signer_for
from services.mailer.transport import PermanentError, TransientError, smtp_transport
from shared.db import utcnow
from shared.privacy import email_hash
from shared.settings import Settings

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000
STOP_BATCH_AFTER = 3  # transient failures in a row: the relay is away, retry the rest of the batch later
_HOST = socket.gethostname()


class LeaseHeld(Exception):
    """Another worker is sending this message now; look again later."""


class RetryLater(Exception):
    """Something went wrong that may pass; the actor turns this into a delayed retry."""

    def __init__(self, reason: str, delay_ms: int) -> None:
        super().__init__(reason)
        self.delay_ms = delay_ms


@functools.cache
def _boot_token(pid: int) -> str:
    return uuid.uuid4().hex[:8]


def worker_id() -> str:
    """Who is sending: host, process and a token that changes when the process restarts."""
    pid = os.getpid()
    return f"{_HOST}:{pid}:{_boot_token(pid)}"


def _owner_gone(claimed_by: str | None) -> bool:
    """True when the worker holding a lease is certainly dead (a process on this host that is gone)."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return claimed_by != worker_id()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def backoff_ms(attempts: int) -> int:
    delay = min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** max(0, attempts - 1))
    return int(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class MailerConfig:
    mail_from: str
    site: Site
    secret_key: str
    smtp_url: str | None
    signer: DkimSigner | None
    mail_rate: float | None
    redis_url: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> MailerConfig:
        return cls(
            mail_from=settings.mail_from,
            site=Site(settings.network_name, settings.base_url, settings.postal_address),
            secret_key=settings.secret_key,
            smtp_url=settings.smtp_url,
            signer=signer_for(settings.dkim_domain, settings.dkim_selector, settings.dkim_key_file),
            mail_rate=settings.mail_rate,
            redis_url=settings.redis_url,
        )


def current_config() -> MailerConfig:
    config: MailerConfig | None = current_app.extensions.get("elo_mailer_config")
    if config is None:
        config = current_app.extensions["elo_mailer_config"] = MailerConfig.from_settings(
            current_app.config["ELO_SETTINGS"])
    return config


# --- the delivery row ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Wanted:
    """A delivery the caller wants made (one recipient)."""

    key: str
    email: str
    email_hash: str
    template: str
    language: str
    campaign: str | None
    origin: str | None
    list_mail: bool


@contextlib.contextmanager
def log_transaction() -> Iterator[Session]:
    """A transaction on the delivery log that does not wait for the disk on commit (PostgreSQL).

    If the database server itself crashes, the last fraction of a second of log writes may be
    lost: a claim (the message is still unacknowledged and comes again) or a "sent" mark (the
    row stays "sending"). Neither loses a message; the price is nothing compared with waiting
    for a disk flush twice per email.
    """
    session = _log_sessions(db.url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextlib.contextmanager
def log_statement() -> Iterator[Session]:
    """For one statement that is atomic on its own: on PostgreSQL it runs in autocommit, which
    saves the BEGIN and COMMIT round trips; elsewhere it is an ordinary transaction."""
    if not db.url.startswith("postgresql"):
        with log_transaction() as session:
            yield session
        return
    session = _log_sessions(db.url)()
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield session
    finally:
        session.close()


def _claim_one(wanted: Wanted, domain: str) -> Claimed:
    """A key never seen (the common case) is claimed by one insert; anything else the full way."""
    if not wanted.list_mail:
        with log_statement() as session:
            new_id = _claim_new(session, wanted, domain)
        if new_id is not None:
            return Claimed([(wanted, new_id)], 0)
    with log_transaction() as session:
        return claim(session, [wanted], domain=domain)


@functools.lru_cache(maxsize=8)
def _log_sessions(url: str) -> sessionmaker[Session]:
    """Sessions for the delivery log: on PostgreSQL their own pool, set not to wait for the disk."""
    if not url.startswith("postgresql"):
        return db.session_factory
    # No pre-ping (a round trip per statement): a dropped connection fails one try, which is retried.
    engine = engine_without_disk_wait(url, pool_size=10, max_overflow=20)
    return sessionmaker(bind=engine, expire_on_commit=False)


SUPPRESSED_REASON = "suppressed: the address hard-bounced or complained"


def _insert_claimed(session: Session, wanted: Sequence[Wanted], blocked: set[str], domain: str) -> dict[str, int]:
    """Insert the keys never seen, already claimed by this worker (or suppressed); {key: id} of those."""
    now = utcnow()
    groups: dict[tuple[Any, ...], list[Wanted]] = {}
    for w in wanted:
        suppressed = w.list_mail and w.email_hash in blocked
        groups.setdefault((w.template, w.language, w.campaign, w.origin, w.list_mail, suppressed), []).append(w)
    inserted: dict[str, int] = {}
    for (template, language, campaign, origin, list_mail, suppressed), group in groups.items():
        shared = {"template": template, "language": language, "campaign": campaign, "origin": origin,
                  "list_mail": list_mail, "created_at": now, "updated_at": now,
                  "status": (DeliveryStatus.SUPPRESSED if suppressed else DeliveryStatus.SENDING).value,
                  "attempts": 0 if suppressed else 1, "last_error": SUPPRESSED_REASON if suppressed else None,
                  "claimed_by": None if suppressed else worker_id(),
                  "lease_until": None if suppressed else now + LEASE}
        own = {"idempotency_key": [w.key for w in group],
               "message_id": [message_id(w.key, domain) for w in group],
               "email_hash": [w.email_hash for w in group], "recipient": [w.email for w in group]}
        inserted.update(_insert_group(session, own, shared))
    return inserted


def _insert_group(session: Session, own: dict[str, list[Any]], shared: dict[str, Any]) -> dict[str, int]:
    if session.get_bind().dialect.name == "postgresql":
        found = session.execute(_INSERT_UNNESTED, {**own, **shared})
    else:
        table = Delivery.__table__
        assert isinstance(table, Table)
        rows = [{**shared, **dict(zip(own, values, strict=True))} for values in zip(*own.values(), strict=True)]
        found = session.execute(sqlite_insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
                                .returning(table.c.idempotency_key, table.c.id), rows)
    return {row.idempotency_key: row.id for row in found}


# On PostgreSQL a batch goes in as one short statement that the driver parses once: an array for
# each column that differs between recipients, one value for the others. (SQLAlchemy's multi-row
# INSERT is a new long statement text for every batch, and parsing it cost about 100 µs of CPU per
# recipient; an array for every column cost a third of what remained.)
_OWN = ("idempotency_key", "message_id", "email_hash", "recipient")
_SHARED = {"template": "varchar", "language": "varchar", "campaign": "varchar", "origin": "varchar",
           "list_mail": "boolean", "created_at": "timestamptz", "updated_at": "timestamptz", "status": "varchar",
           "attempts": "integer", "last_error": "text", "claimed_by": "varchar", "lease_until": "timestamptz"}
_INSERT_UNNESTED = text(
    f"INSERT INTO deliveries ({', '.join((*_OWN, *_SHARED))}) "  # noqa: S608 - the names above, no input
    f"SELECT {', '.join(f'own.{name}' for name in _OWN)}, "
    f"{', '.join(f'CAST(:{name} AS {kind})' for name, kind in _SHARED.items())} "
    f"FROM unnest({', '.join(f'CAST(:{name} AS varchar[])' for name in _OWN)}) AS own({', '.join(_OWN)}) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key, id")


def _claim_new(session: Session, wanted: Wanted, domain: str) -> int | None:
    """The common case in one statement: a key never seen is inserted already claimed."""
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Delivery.__table__
    assert isinstance(table, Table)
    statement = insert(table).values(
        idempotency_key=wanted.key, message_id=message_id(wanted.key, domain), email_hash=wanted.email_hash,
        recipient=wanted.email, template=wanted.template, language=wanted.language, campaign=wanted.campaign,
        origin=wanted.origin, list_mail=wanted.list_mail, status=DeliveryStatus.SENDING.value, attempts=1,
        claimed_by=worker_id(), lease_until=now + LEASE, created_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(table.c.id)
    new_id: int | None = session.execute(statement).scalar_one_or_none()
    return new_id


def suppressed_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = list(set(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(select(Suppression.email_hash)
                                     .where(Suppression.email_hash.in_(wanted[start:start + 500]))))
    return found


@dataclass
class Claimed:
    to_send: list[tuple[Wanted, int]]  # (what, delivery id)
    busy: int  # being sent by another live worker now


def claim(session: Session, wanted: Sequence[Wanted], *, domain: str = "localhost") -> Claimed:
    """Take every unfinished delivery that no live worker is sending.

    Keys never seen (the common case) are inserted already claimed, in one statement; only keys
    seen before (a retry, a redelivered batch) are locked and looked at one by one.
    """
    if len(wanted) == 1 and not wanted[0].list_mail:
        new_id = _claim_new(session, wanted[0], domain)
        if new_id is not None:
            return Claimed([(wanted[0], new_id)], 0)
    unique = list({w.key: w for w in wanted}.values())
    blocked = suppressed_hashes(session, (w.email_hash for w in unique if w.list_mail))
    inserted = _insert_claimed(session, unique, blocked, domain)
    claimed = Claimed([(w, inserted[w.key]) for w in unique
                       if w.key in inserted and not (w.list_mail and w.email_hash in blocked)], 0)
    seen = [w for w in unique if w.key not in inserted]
    if seen:
        _claim_seen(session, seen, blocked, claimed)
    return claimed


def _claim_seen(session: Session, wanted: Sequence[Wanted], blocked: set[str], claimed: Claimed) -> None:
    by_key = {w.key: w for w in wanted}
    keys = list(by_key)
    rows: list[Any] = []
    columns = (Delivery.id, Delivery.idempotency_key, Delivery.status, Delivery.lease_until, Delivery.claimed_by,
               Delivery.list_mail, Delivery.email_hash)
    for start in range(0, len(keys), 500):
        rows.extend(session.execute(select(*columns).where(Delivery.idempotency_key.in_(keys[start:start + 500]))
                                    .order_by(Delivery.id).with_for_update()))
    now = utcnow()
    suppressed: list[int] = []
    taken: list[int] = []
    for row in rows:
        if row.status in FINISHED:
            continue
        if row.status is DeliveryStatus.SENDING and row.lease_until and row.lease_until > now \
                and not _owner_gone(row.claimed_by):
            claimed.busy += 1
        elif row.list_mail and row.email_hash in blocked:
            suppressed.append(row.id)
        else:
            claimed.to_send.append((by_key[row.idempotency_key], row.id))
            taken.append(row.id)
    for start in range(0, len(taken), 500):
        session.execute(update(Delivery).where(Delivery.id.in_(taken[start:start + 500])).values(
            status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, claimed_by=worker_id(),
            lease_until=now + LEASE, updated_at=now))
    if suppressed:
        mark_unsent(session, suppressed, DeliveryStatus.SUPPRESSED, SUPPRESSED_REASON)


def mark_sent_many(session: Session, delivery_ids: Sequence[int]) -> None:
    now = utcnow()
    session.execute(update(Delivery).where(Delivery.id.in_(list(delivery_ids))).values(
        status=DeliveryStatus.SENT, sent_at=now, updated_at=now, last_error=None, lease_until=None,
        claimed_by=None))


def mark_unsent(session: Session, delivery_ids: Sequence[int], status: DeliveryStatus, error: str) -> None:
    session.execute(update(Delivery).where(Delivery.id.in_(list(delivery_ids)),
                                           Delivery.status.not_in(FINISHED)).values(
        status=status, last_error=error[:2000], updated_at=utcnow(), lease_until=None, claimed_by=None))


def give_up(session: Session, keys: Sequence[str], reason: str) -> int:
    """Retries are exhausted: whatever is still unfinished is failed, with the last error kept."""
    rows = session.scalars(select(Delivery).where(Delivery.idempotency_key.in_(list(keys)),
                                                  Delivery.status.not_in(FINISHED)).with_for_update()).all()
    for row in rows:
        row.status = DeliveryStatus.FAILED
        row.last_error = f"{reason}; last error: {row.last_error or 'none'}"[:2000]
        row.lease_until = row.claimed_by = None
    return len(rows)


# --- sending ---------------------------------------------------------------------------------------

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
                mark_sent_many(session, [delivery_id])
            return
        if self.limiter is not None:
            self.limiter.wait()
        smtp_transport(self.config.smtp_url).send(self.envelope_from, [wanted.email], data)
        if self.marks is not None:
            self.marks.mark(delivery_id)
            return
        with log_statement() as session:
            mark_sent_many(session, [delivery_id])


def _envelope_address(mail_from: str) -> str:
    from email.utils import parseaddr

    return parseaddr(mail_from)[1]


def _record_failure(delivery_ids: Sequence[int], status: DeliveryStatus, error: str) -> None:
    with log_transaction() as session:
        mark_unsent(session, delivery_ids, status, error)


def deliver_one(request: Mapping[str, Any]) -> None:
    """The work of `mailer.send_email` for a validated EmailRequest."""
    config = current_config()
    recipient = request["recipient"]
    list_headers = _list_headers(request.get("list_headers"))
    wanted = Wanted(key=request["idempotency_key"], email=recipient["email"],
                    email_hash=email_hash(config.secret_key, recipient["email"]), template=request["template"],
                    language=request["language"], campaign=request.get("campaign"), origin=request.get("origin"),
                    list_mail=list_headers is not None)
    claimed = _claim_one(wanted, sender_domain(config.mail_from))
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
        _record_failure([delivery_id], DeliveryStatus.FAILED, f"cannot render: {type(error).__name__}: {error}")
        log.error("delivery %s failed: cannot render template %s: %s", delivery_id, wanted.template, error)
        return
    person = Recipient(email=wanted.email, name=recipient.get("name"), idempotency_key=wanted.key,
                       personal=personal, list_headers=list_headers)
    values = {"name": recipient.get("name") or "", "email": wanted.email, **personal}
    _send_or_record(Sender(config), delivery_id, wanted, compiled.build(person), compiled.subject_for(values))


def _send_or_record(sender: Sender, delivery_id: int, wanted: Wanted, data: bytes, subject: str) -> bool:
    """Send one; on failure record it. True when sent; raises RetryLater on a transient failure."""
    try:
        sender.send(delivery_id=delivery_id, wanted=wanted, data=data, subject=subject)
    except PermanentError as error:
        reply = _redacted(error.reply, wanted.email)
        _record_failure([delivery_id], DeliveryStatus.FAILED, reply)
        log.warning("delivery %s failed for good: %s", delivery_id, reply)
        if MAILBOX_GONE.search(reply):
            _suppress(sender.config, wanted.email, reply)
        return False
    except TransientError as error:
        reply = _redacted(error.reply, wanted.email)
        _record_failure([delivery_id], DeliveryStatus.RETRYING, reply)
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
        _record_failure([delivery_id for _, delivery_id in to_send], DeliveryStatus.FAILED,
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
                           list_headers=_list_headers(item.get("list_headers")))
        values = {"name": item.get("name") or "", "email": wanted.email, **person.personal}
        try:
            _send_or_record(sender, delivery_id, wanted, compiled.build(person), compiled.subject_for(values))
            transient_in_row = 0
        except RetryLater as error:
            retry = error
            transient_in_row += 1
            if transient_in_row >= STOP_BATCH_AFTER:
                rest = [later_id for _, later_id in to_send[index + 1:]]
                _record_failure(rest, DeliveryStatus.RETRYING, f"not tried: {error}")
                break
    if retry is not None:
        raise retry


def _list_headers(data: Mapping[str, Any] | None) -> ListHeaders | None:
    if not data:
        return None
    return ListHeaders(list_id=data["list_id"], unsubscribe_url=data["unsubscribe_url"],
                       unsubscribe_mailto=data.get("unsubscribe_mailto"))


def _attachments(items: Sequence[Mapping[str, Any]] | None) -> list[Attachment]:
    import base64

    result = []
    for item in items or ():
        content = item["content"]
        data = base64.b64decode(content) if item.get("content_base64") else content.encode()
        result.append(Attachment(filename=item["filename"], content_type=item["content_type"], data=data))
    return result
