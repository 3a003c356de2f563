"""One database per service: engine, per-thread sessions, migrations.

SQLite (embedded) runs every transaction as `BEGIN IMMEDIATE`: writers queue on the
database lock instead of failing when a read transaction later wants to write, which is
what makes check-then-insert (capacity, idempotency) safe there. PostgreSQL uses row
locks (`SELECT … FOR UPDATE`) in the use-cases that need them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Engine,
    Enum,
    Integer,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import Session, registry, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Aware UTC now. Every stored time is UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL and on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime (UTC)")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


TYPE_ANNOTATION_MAP: dict[Any, Any] = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_registry() -> registry:
    """A model registry with its own metadata (one per database): every service declares
    `class Base(DeclarativeBase): registry = make_registry()`."""
    return registry(metadata=make_metadata(), type_annotation_map=TYPE_ANNOTATION_MAP)


def autoincrement_ids(metadata: MetaData) -> None:
    """Ids are never given twice, on any backend: every table with an integer primary key of one
    column gets `sqlite_autoincrement` (SQLite otherwise reuses the highest id after its row is
    deleted; PostgreSQL sequences never go back). Links and idempotency keys carry ids, so a reused
    id would hand one person's link or email to the next. `Database` applies it to its metadatas;
    existing SQLite tables are recreated by a migration (`shared.migrations.autoincrement_on_sqlite`)."""
    for table in metadata.tables.values():
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer):
            table.dialect_kwargs["sqlite_autoincrement"] = True


def stored_enum(cls: type[enum.Enum], name: str, length: int = 20) -> Enum:
    """A column type for an enum stored by its value, checked by a constraint (not a native type)."""
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members], native_enum=False,
                create_constraint=True, length=length)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, poolclass=NullPool,
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        with contextlib.suppress(OSError):  # an unusable path shows up as a failing connection
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# Where a Database is found: in its app's extensions, and in the info of every session it makes
# (the outbox relays a committing session's rows through the session's own database).
DATABASE_KEY = "elo_database"


def current_database() -> Database:
    """The database of the app that serves this request (or runs this actor or job)."""
    database: Database = current_app.extensions[DATABASE_KEY]
    return database


class Database:
    """A service's database, bound to a Flask app with `init_app` (extension pattern)."""

    def __init__(self, service: str, metadatas: Sequence[MetaData]) -> None:
        self.service = service
        self.metadatas = tuple(metadatas)
        for metadata in self.metadatas:
            autoincrement_ids(metadata)
        self._engine: Engine | None = None
        self.session_factory = sessionmaker(expire_on_commit=False, info={DATABASE_KEY: self})
        self.session: scoped_session[Session] = scoped_session(self.session_factory)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError(f"the {self.service} database is not configured (init_app not called)")
        return self._engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def init_app(self, app: Flask) -> None:
        self.configure(app.config["DATABASE_URL"])
        app.extensions[DATABASE_KEY] = self
        app.teardown_appcontext(self._remove_session)

    def configure(self, url: str) -> None:
        if self._engine is not None and self.url == make_engine_url(url):
            return
        self.dispose()
        self._engine = make_engine(url)
        self.session_factory.configure(bind=self._engine)

    def dispose(self) -> None:
        self.session.remove()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _remove_session(self, _exc: BaseException | None) -> None:
        self.session.remove()

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        """A fresh session that commits on success and rolls back on error (for actors and jobs)."""
        return committing(self.session_factory())

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True


def make_engine_url(url: str) -> str:
    return create_engine(url, poolclass=NullPool).url.render_as_string(hide_password=False)


@contextlib.contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Use `session` for one transaction: commit on success, roll back on error, close either way."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
