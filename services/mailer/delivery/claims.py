"""Claiming deliveries: which messages this worker may send now.

A key never seen (the common case) is inserted already claimed by this worker, a batch's new keys
in one statement. A key seen before (a retry, a redelivered batch) is locked and looked at: a
finished row is skipped, a row another live worker is sending is left to it, a row whose worker
died or whose lease ran out is taken over. List mail to a suppressed address is marked so.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.mailer.composing import message_id
from services.mailer.delivery.system_wide import suppressed_elsewhere
from services.mailer.log import log_statement, log_transaction, mark_unsent
from services.mailer.models import FINISHED, Delivery, DeliveryStatus, Suppression
from shared.db import utcnow

LEASE = dt.timedelta(seconds=60)
SUPPRESSED_REASON = "suppressed: the address hard-bounced or complained"
_HOST = socket.gethostname()


class LeaseHeld(Exception):
    """Another worker is sending this message now; look again later."""


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
    cause: str | None = None  # "anonymous": see `delivery.anonymous`


def claim_one(wanted: Wanted, domain: str) -> Claimed:
    """A key never seen (the common case) is claimed by one insert; anything else the full way."""
    if not wanted.list_mail:
        with log_statement() as session:
            new_id = _claim_new(session, wanted, domain)
        if new_id is not None:
            return Claimed([(wanted, new_id)], 0)
    with log_transaction() as session:
        return claim(session, [wanted], domain=domain)


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
        origin=wanted.origin, list_mail=wanted.list_mail, cause=wanted.cause, status=DeliveryStatus.SENDING.value,
        attempts=1,
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
    return found | suppressed_elsewhere(set(wanted) - found)


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
