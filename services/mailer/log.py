"""The delivery log's writes: its sessions, the "sent" mark and the other end states.

This is the one home of "sent": `SENT` is the statement, `mark_sent` runs it in a session, and
`SentMarks` runs the very same statement, prepared once, for each message of a batch.

A worker killed after the relay accepted a message but before its mark was written sends that
message again when the message is redelivered. Marking each message before the next one goes
out keeps that to one message per worker thread.

On PostgreSQL the log is written on connections whose commits do not wait for the disk. If the
database server itself crashes, the last fraction of a second of log writes may be lost: a claim
(the message is still unacknowledged and comes again) or a "sent" mark (the row stays "sending").
Neither loses a message; the price is nothing compared with waiting for a disk flush twice per
email. A batch's marks go on one autocommit connection held for the batch; each mark's answer is
read only before the next mark, so the statement is in the server's hands (the kernel delivers
what was written to the socket even if this process is killed) while the next message is on its
way to the relay, and the mark costs no waiting. On SQLite (the embedded default) each mark is an
ordinary short transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterator, Sequence
from select import POLLIN, POLLOUT, poll
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, bindparam, event, null, select, update
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.orm import Session, sessionmaker

from services.mailer.models import FINISHED, Delivery, DeliveryStatus, db, engine_without_disk_wait
from shared.db import committing, postgres_search_path, schema_of, use_schema, utcnow
from shared.networks import current_network

WAIT_FOR_SERVER = 30.0  # seconds

# What "sent" means for a delivery row, written once: the relay accepted the message at `now`.
SENT = (update(Delivery).where(Delivery.id == bindparam("delivery_id"))
        .values(status=DeliveryStatus.SENT, sent_at=bindparam("now"), updated_at=bindparam("now"),
                last_error=null(), lease_until=null(), claimed_by=null()))


class MarkFailed(Exception):
    """The database did not record a mark; the batch is retried (at most this message goes twice)."""


# --- sessions on the log ----------------------------------------------------------------------------

def log_transaction() -> contextlib.AbstractContextManager[Session]:
    """A transaction on the delivery log that does not wait for the disk on commit (PostgreSQL)."""
    return committing(_log_sessions(db.url, schema_of(current_network()))())


@contextlib.contextmanager
def log_statement() -> Iterator[Session]:
    """For one statement that is atomic on its own: on PostgreSQL it runs in autocommit, which
    saves the BEGIN and COMMIT round trips; elsewhere it is an ordinary transaction."""
    if not db.url.startswith("postgresql"):
        with log_transaction() as session:
            yield session
        return
    session = _log_sessions(db.url, schema_of(current_network()))()
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield session
    finally:
        session.close()


def _log_sessions(url: str, schema: str) -> Callable[[], Session]:
    """Sessions for the delivery log: on PostgreSQL their own pool, set not to wait for the disk."""
    if not url.startswith("postgresql"):
        return db.session_factory
    return _postgres_log_sessions(url, schema)


@functools.lru_cache(maxsize=64)
def _postgres_log_sessions(url: str, schema: str) -> sessionmaker[Session]:
    # No pre-ping (a round trip per statement): a dropped connection fails one try, which is retried.
    engine = _log_engine(url).execution_options(elo_schema=schema)
    return sessionmaker(bind=engine, expire_on_commit=False)


@functools.lru_cache(maxsize=8)
def _log_engine(url: str) -> Engine:
    engine = engine_without_disk_wait(url, pool_size=10, max_overflow=20)
    event.listen(engine, "engine_connect", postgres_search_path)
    return engine


# --- end states -------------------------------------------------------------------------------------

def mark_sent(session: Session, delivery_id: int) -> None:
    session.execute(SENT, {"delivery_id": delivery_id, "now": utcnow()})


def mark_unsent(session: Session, delivery_ids: Sequence[int], status: DeliveryStatus, error: str) -> None:
    session.execute(update(Delivery).where(Delivery.id.in_(list(delivery_ids)),
                                           Delivery.status.not_in(FINISHED)).values(
        status=status, last_error=error[:2000], updated_at=utcnow(), lease_until=None, claimed_by=None))


def record_failure(delivery_ids: Sequence[int], status: DeliveryStatus, error: str) -> None:
    """Not sent (failed for good, or to be retried), in a log transaction of its own."""
    with log_transaction() as session:
        mark_unsent(session, delivery_ids, status, error)


def give_up(session: Session, keys: Sequence[str], reason: str) -> int:
    """Retries are exhausted: whatever is still unfinished is failed, with the last error kept."""
    rows = session.scalars(select(Delivery).where(Delivery.idempotency_key.in_(list(keys)),
                                                  Delivery.status.not_in(FINISHED)).with_for_update()).all()
    for row in rows:
        row.status = DeliveryStatus.FAILED
        row.last_error = f"{reason}; last error: {row.last_error or 'none'}"[:2000]
        row.lease_until = row.claimed_by = None
    return len(rows)


# --- a batch's marks on one connection --------------------------------------------------------------

_STATEMENT = b"elo_mark_sent"
# PostgreSQL numbers the parameters ($1, $2, …) in a prepared statement.
_PREPARED = SENT.compile(dialect=PGDialect_psycopg(paramstyle="numeric_dollar"))  # type: ignore[no-untyped-call]


class SentMarks:
    """The marks of one batch, written on one connection held for the batch."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._unanswered = False
        self._url = db.url
        self._schema = schema_of(current_network())

    def mark(self, delivery_id: int) -> None:
        if not self._url.startswith("postgresql"):
            with log_transaction() as session:
                mark_sent(session, delivery_id)
            return
        pgconn = self._pgconn()
        try:
            self._collect(pgconn)
            pgconn.send_query_prepared(_STATEMENT, _prepared_parameters(delivery_id, utcnow()))
            self._unanswered = True
            while pgconn.flush():  # nonblocking: 1 while part of the statement is still unsent
                _wait(pgconn.socket, writable=True)
        except BaseException:
            self._drop()
            raise

    def close(self) -> None:
        """Read the last answer and give the connection back."""
        if self._connection is None:
            return
        try:
            self._collect(self._connection.driver_connection.pgconn)
        except BaseException:
            self._drop()
            raise
        self._connection.close()
        self._connection = None

    def _pgconn(self) -> Any:
        if self._connection is None:
            self._connection = _marks_engine(self._url, self._schema).raw_connection()
            use_schema(self._connection, self._schema)
            if not self._connection.info.get("mark_prepared"):
                prepared = self._connection.driver_connection.pgconn.prepare(_STATEMENT, _PREPARED.string.encode())
                if prepared.status != pq.ExecStatus.COMMAND_OK:
                    self._drop()
                    raise MarkFailed(prepared.error_message.decode(errors="replace"))
                self._connection.info["mark_prepared"] = True
        return self._connection.driver_connection.pgconn

    def _collect(self, pgconn: Any) -> None:
        """Wait for the answer to the previous mark, if it has not come yet."""
        if not self._unanswered:
            return
        while True:
            while pgconn.is_busy():
                _wait(pgconn.socket, writable=False)
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise MarkFailed(result.error_message.decode(errors="replace"))
        self._unanswered = False

    def _drop(self) -> None:
        """A connection in an unknown state is closed for good, not given back to the pool."""
        if self._connection is not None:
            self._connection.invalidate()
            self._connection = None
        self._unanswered = False


def _prepared_parameters(delivery_id: int, now: dt.datetime) -> list[bytes | None]:
    """The values of `SENT` in the prepared statement's order, as PostgreSQL reads them from text."""
    values = _PREPARED.construct_params({"delivery_id": delivery_id, "now": now})
    return [_as_text(values[name]) for name in _PREPARED.positiontup or ()]


def _as_text(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, dt.datetime):
        return value.isoformat().encode()
    return str(value).encode()


def _wait(fileno: int, *, writable: bool) -> None:
    poller = poll()
    poller.register(fileno, POLLOUT if writable else POLLIN)
    if not poller.poll(WAIT_FOR_SERVER * 1000):
        raise MarkFailed(f"the database did not answer within {WAIT_FOR_SERVER:.0f} s")


@functools.lru_cache(maxsize=64)
def _marks_engine(url: str, _schema: str) -> Engine:
    """One pool per network: a prepared statement names the table of the schema it was prepared in."""
    return engine_without_disk_wait(url, isolation_level="AUTOCOMMIT", pool_size=10, max_overflow=20)
