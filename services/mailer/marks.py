"""Recording "sent" for each message of a batch, right after the relay accepted it.

A worker killed after the relay accepted a message but before its mark was written sends that
message again when the batch is redelivered. Marking each message before the next one goes out
keeps that to one message per worker thread.

On PostgreSQL the mark is a prepared UPDATE sent on an autocommit connection that does not wait
for the disk, and its answer is read only before the next mark: the statement is in the server's
hands (the kernel delivers what was written to the socket even if this process is killed) while
the next message is on its way to the relay, so the mark costs no waiting. On SQLite (the
embedded default) it is an ordinary short transaction.
"""

from __future__ import annotations

import functools
import select
from typing import Any

from psycopg import pq
from sqlalchemy import Engine

from services.mailer.models import db, engine_without_disk_wait

WAIT_FOR_SERVER = 30.0  # seconds
_STATEMENT = b"elo_mark_sent"
_SQL = (b"UPDATE deliveries SET status = 'sent', sent_at = now(), updated_at = now(), last_error = NULL,"
        b" lease_until = NULL, claimed_by = NULL WHERE id = $1")


class MarkFailed(Exception):
    """The database did not record a mark; the batch is retried (at most this message goes twice)."""


class SentMarks:
    """The marks of one batch, written on one connection held for the batch."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._unanswered = False
        self._url = db.url

    def mark(self, delivery_id: int) -> None:
        if not self._url.startswith("postgresql"):
            _mark_in_transaction(delivery_id)
            return
        pgconn = self._pgconn()
        try:
            self._collect(pgconn)
            pgconn.send_query_prepared(_STATEMENT, [str(delivery_id).encode()])
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
            self._connection = _marks_engine(self._url).raw_connection()
            if not self._connection.info.get("mark_prepared"):
                prepared = self._connection.driver_connection.pgconn.prepare(_STATEMENT, _SQL)
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


def _wait(fileno: int, *, writable: bool) -> None:
    poller = select.poll()
    poller.register(fileno, select.POLLOUT if writable else select.POLLIN)
    if not poller.poll(WAIT_FOR_SERVER * 1000):
        raise MarkFailed(f"the database did not answer within {WAIT_FOR_SERVER:.0f} s")


def _mark_in_transaction(delivery_id: int) -> None:
    from services.mailer.delivery import log_transaction, mark_sent_many

    with log_transaction() as session:
        mark_sent_many(session, [delivery_id])


@functools.lru_cache(maxsize=8)
def _marks_engine(url: str) -> Engine:
    return engine_without_disk_wait(url, isolation_level="AUTOCOMMIT", pool_size=10, max_overflow=20)
