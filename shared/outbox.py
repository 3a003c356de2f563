"""The transactional outbox: a message is a row written in the same transaction as the change.

    enqueue(session, SEND_EMAIL, payload)   # inside the use-case, before the commit
    session.commit()                        # the row is relayed to the broker after this

- Rolled back → the row never existed, nothing is sent.
- Committed → `relay` sends it after the commit. If the broker does not take it, the row
  stays pending and the sweeper sends it later.
- The consumer acknowledges the row when it has finished with the message (done, or failed
  for good: `shared.acknowledgement`). A relayed row not acknowledged within
  `ELO_OUTBOX_RESEND_AFTER` seconds is sent again (the broker or an embedded worker lost it).
  Consumers are idempotent, so a message sent twice has its effect once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from dramatiq import Broker
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.acknowledgement import ack_target
from shared.broker import actor, get_broker
from shared.db import DATABASE_KEY, Database, utcnow
from shared.logs import message_options
from shared.models import OutboxMessage, ProcessedMessage
from shared.transport import send

__all__ = ["ack_target", "acknowledge", "claim_once", "declare_ack_actor", "enqueue", "forget_relays", "relay",
           "sweep"]

log = logging.getLogger(__name__)

_PENDING = "elo_outbox_pending"
PENDING_GRACE = dt.timedelta(seconds=10)


def enqueue(session: Session, target: tuple[str, str], payload: dict[str, Any]) -> OutboxMessage:
    """Write a message for actor `target = (actor_name, queue_name)` in the session's transaction."""
    actor_name, queue_name = target
    row = OutboxMessage(actor_name=actor_name, queue_name=queue_name, payload=payload)
    session.add(row)
    session.info.setdefault(_PENDING, []).append(row)
    return row


@event.listens_for(Session, "after_commit")
def _relay_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released; the rows go out when the real transaction commits
    rows: list[OutboxMessage] = session.info.pop(_PENDING, [])
    db: Database | None = session.info.get(DATABASE_KEY)
    if not rows or db is None:
        return
    relay(db, [row.id for row in rows])


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # only a SAVEPOINT was rolled back; the outer transaction's rows still stand
    session.info.pop(_PENDING, None)


def relay(db: Database, ids: Sequence[int], broker: Broker | None = None) -> int:
    """Send the given outbox rows to the broker; returns how many the broker took."""
    if not ids:
        return 0
    broker = broker or get_broker()
    sent = 0
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                                           OutboxMessage.acknowledged_at.is_(None)))
        for row in rows:
            sent += _send_row(broker, db.service, row)
    return sent


def _send_row(broker: Broker, origin: str, row: OutboxMessage) -> int:
    row.attempts += 1
    try:
        send(broker, actor_name=row.actor_name, queue_name=row.queue_name, args=(row.payload,),
             options={"outbox_origin": origin, "outbox_id": row.id, **message_options()}, message_id=row.message_id)
    except Exception as error:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        log.warning("outbox %s row %s not relayed: %s", origin, row.id, row.last_error)
        return 0
    row.relayed_at = utcnow()
    row.last_error = None
    return 1


def sweep(db: Database, *, resend_after: float, now: dt.datetime | None = None, limit: int = 500,
          broker: Broker | None = None, include_fresh: bool = False) -> int:
    """Send again what was never relayed, and what was relayed but not acknowledged in time.

    Rows younger than PENDING_GRACE are normally left to the relay that follows their commit.
    """
    now = now or utcnow()
    grace = dt.timedelta(0) if include_fresh else PENDING_GRACE
    never_relayed = and_(OutboxMessage.relayed_at.is_(None), OutboxMessage.created_at <= now - grace)
    not_acknowledged = OutboxMessage.relayed_at < now - dt.timedelta(seconds=resend_after)
    with db.transaction() as session:
        ids = list(session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.acknowledged_at.is_(None), or_(never_relayed, not_acknowledged))
            .order_by(OutboxMessage.id).limit(limit)
        ))
    if ids:
        log.info("outbox %s: re-sending %d messages", db.service, len(ids))
    return relay(db, ids, broker)


def forget_relays(db: Database) -> int:
    """After an embedded (in-memory) broker restarts, everything unacknowledged must go again."""
    with db.transaction() as session:
        result = session.execute(update(OutboxMessage).where(OutboxMessage.acknowledged_at.is_(None))
                                 .values(relayed_at=None))
        return int(getattr(result, "rowcount", 0) or 0)


def acknowledge(db: Database, ids: Iterable[int]) -> None:
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(ids)),
                                                    OutboxMessage.acknowledged_at.is_(None))
                        .values(acknowledged_at=utcnow()))


def declare_ack_actor(service: str, db: Database) -> Any:
    """Each service declares the actor that marks its outbox rows acknowledged."""

    @actor(ack_target(service), service=service, max_retries=3)
    def outbox_ack(ids: list[int]) -> None:
        acknowledge(db, ids)

    return outbox_ack


def claim_once(session: Session, key: str) -> bool:
    """True the first time `key` is claimed in this database; False if it was processed already.

    For actors that have no natural idempotency key of their own.
    """
    if session.get(ProcessedMessage, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedMessage(key=key))
    except IntegrityError:
        return False
    return True
