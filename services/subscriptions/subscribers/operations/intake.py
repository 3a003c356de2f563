"""The intake of subscribe requests: one committed outbox row and one message, then the answer.

    record(session, route, payload)
    # PostgreSQL: one autocommit INSERT on a connection the thread keeps (one round trip, no BEGIN/COMMIT,
    # no pool checkout), then the message to the broker; the answer goes after both

The row is committed before the answer, so a process killed after answering loses nothing. The row is
written with `relayed_at` empty and the message carries its id: the consumer's acknowledgement marks it
done (shared.acknowledgement). A row the broker did not take, or one not acknowledged within the sweep's
grace (the worker is behind, or the process died between the INSERT and the send), is sent by the
scheduler's outbox sweep (shared.outbox.sweep); the consumer (`subscriptions.subscribe`) is idempotent, so a
request delivered twice subscribes once and mails once. Compared with `shared.outbox.enqueue`, the request
saves the relay's own transaction (select, update, commit) and the ORM: the part of the answer's time the
subscriber never needed. The row is written outside the request's transaction: the request changes nothing
else, and a request that fails after it was recorded is still a request to subscribe.

App config `SUBSCRIBE_DIRECT_INTAKE` (default on outside tests): off, the row is written in the
request's transaction and relayed after its commit, as every other outbox row is.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from typing import Any

import psycopg
from flask import current_app
from psycopg.types.json import Json
from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from shared.broker import get_broker
from shared.db import DATABASE_KEY, Database, utcnow
from shared.logs import message_options
from shared.models import OutboxMessage
from shared.outbox import enqueue
from shared.transport import send

log = logging.getLogger(__name__)

_INSERT = insert(OutboxMessage).returning(OutboxMessage.id)
_PG_INSERT = ("INSERT INTO outbox (message_id, actor_name, queue_name, payload, created_at, attempts) "
              "VALUES (%s, %s, %s, %s, %s, 0) RETURNING id")


def record(session: Session, target: tuple[str, str], payload: dict[str, Any]) -> None:
    """Record one request for actor `target`: committed and sent when this returns; or, with
    `SUBSCRIBE_DIRECT_INTAKE` off, written in the session's transaction and relayed after its commit."""
    database: Database | None = session.info.get(DATABASE_KEY)
    if database is None or not current_app.config.get("SUBSCRIBE_DIRECT_INTAKE", not current_app.testing):
        enqueue(session, target, payload)
        return
    actor_name, queue_name = target
    message_id = str(uuid.uuid4())
    values = {"message_id": message_id, "actor_name": actor_name, "queue_name": queue_name,
              "payload": payload, "created_at": utcnow(), "attempts": 0}
    row_id = _insert_committed(session.get_bind(), values)
    try:
        send(get_broker(), actor_name=actor_name, queue_name=queue_name, args=(payload,),
             options={"outbox_origin": database.service, "outbox_id": row_id, **message_options()},
             message_id=message_id)
    except Exception as error:  # the row stays unrelayed: the outbox sweep sends it
        log.warning("subscribe request (outbox row %s) not relayed now: %s: %s", row_id, type(error).__name__, error)


def _insert_committed(engine: Any, values: dict[str, Any]) -> int:
    """PostgreSQL: one autocommit INSERT, a prepared statement on a connection this thread keeps (no pool
    checkout, no ping, no BEGIN/COMMIT: one round trip); a connection that broke is replaced once.
    A thread keeps one connection, of the network it served last. SQLite: a short transaction."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            return int(connection.execute(_INSERT, values).scalar_one())
    parameters = (values["message_id"], values["actor_name"], values["queue_name"], Json(values["payload"]),
                  values["created_at"])
    for attempt in (1, 2):
        connection = _held_connection(engine)
        try:
            driver: Any = connection.connection.driver_connection  # psycopg's, in autocommit mode
            row = driver.execute(_PG_INSERT, parameters, prepare=True).fetchone()
            return int(row[0])
        except psycopg.OperationalError:
            _forget_held(invalidate=True)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_held = threading.local()


def _held_connection(engine: Any) -> Connection:
    """This thread's autocommit connection for `engine` (a network's engine: its schema is the search_path)."""
    if getattr(_held, "pid", None) != os.getpid():  # never a connection of the parent after a fork
        _held.pid, _held.engine, _held.connection = os.getpid(), None, None
    connection: Connection | None = _held.connection
    if connection is not None and (_held.engine is not engine or connection.closed or connection.invalidated):
        _forget_held(invalidate=False)  # another network (or a replaced engine): back to the pool
        connection = None
    if connection is None:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        _held.engine, _held.connection = engine, connection
    return connection


def _forget_held(*, invalidate: bool) -> None:
    connection: Connection | None = _held.connection
    _held.engine, _held.connection = None, None
    if connection is not None:
        if invalidate:
            connection.invalidate()
        connection.close()
