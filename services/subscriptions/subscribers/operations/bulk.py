"""Many rows into PostgreSQL or SQLite at once (the CSV import's writes), and reading ahead while they go."""

from __future__ import annotations

import contextlib
import enum
import operator
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ARRAY, String, Table, any_, literal
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]], *, skip_duplicates: bool = False) -> None:
    """Many rows at once.

    PostgreSQL: COPY (the fastest way in), or with `skip_duplicates` `INSERT … SELECT FROM unnest(<one
    binary array per column>) ON CONFLICT DO NOTHING`: one short statement whatever the row count.
    SQLite runs in-process, where executemany is already fast.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = sqlite.insert(table)
        connection.execute(statement.on_conflict_do_nothing() if skip_duplicates else statement, rows)
        return
    if skip_duplicates:
        unnest_insert(session, table, rows, skip_duplicates=True)
        return
    names = list(rows[0])
    values = operator.itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    cursor: Any = connection.connection.cursor()  # psycopg's: COPY
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            if any(isinstance(value, enum.Enum) for value in rows[0].values()):
                for row in rows:
                    copy.write_row([_plain(value) for value in values(row)])
            else:
                for row in rows:
                    copy.write_row(values(row))
    finally:
        cursor.close()


def unnest_insert(session: Session, table: Table, rows: list[dict[str, Any]], *, skip_duplicates: bool,
                   returning: Sequence[str] = ()) -> list[Any]:
    connection = session.connection()
    names = list(rows[0])
    arrays = ", ".join(f"CAST(%({name})b AS {table.c[name].type.compile(dialect=connection.dialect)}[])"
                       for name in names)
    conflict = " ON CONFLICT DO NOTHING" if skip_duplicates else ""
    back = f" RETURNING {', '.join(returning)}" if returning else ""
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}){conflict}{back}"  # noqa: S608
    result = connection.exec_driver_sql(sql, {name: [_plain(row[name]) for row in rows] for name in names})
    return list(result.all()) if returning else []


def one_of(session: Session, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one short statement instead of a bind per value."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(literal(values, ARRAY(String))))
    return cast(ColumnElement[bool], column.in_(values))


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


T = TypeVar("T")
_DONE = object()


def parsed_ahead(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size`, produced by a thread of their own one list ahead: the next rows are parsed
    while the database writes the last ones (the wait for the database leaves the interpreter free).
    An exception of the producer is raised here, in order."""
    handed: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            chunk: list[T] = []
            for item in items:
                chunk.append(item)
                if len(chunk) == size:
                    handed.put(chunk)
                    chunk = []
                    if stop.is_set():
                        return
            if chunk:
                handed.put(chunk)
            handed.put(_DONE)
        except BaseException as error:
            handed.put(error)

    thread = threading.Thread(target=produce, name="elo-import-parse", daemon=True)
    thread.start()
    try:
        while True:
            got = handed.get()
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue finish
            with contextlib.suppress(queue.Empty):
                handed.get(timeout=0.05)
        thread.join()
