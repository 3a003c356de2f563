"""One database per service (per network: see `shared.networks`): engine, per-thread sessions, migrations.

SQLite (embedded) runs every transaction as `BEGIN IMMEDIATE`: writers queue on the
database lock instead of failing when a read transaction later wants to write, which is
what makes check-then-insert (capacity, idempotency) safe there. PostgreSQL uses row
locks (`SELECT … FOR UPDATE`) in the use-cases that need them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import threading
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
from sqlalchemy.orm import Session, registry, scoped_session
from sqlalchemy.pool import NullPool

from shared.networks import Network, current_network

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
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)
    event.listen(engine, "engine_connect", postgres_search_path)
    return engine


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
    # A connection opened with `execution_options(elo_read_only=True)` only reads: a deferred BEGIN takes no
    # write lock, so it neither waits for a writer nor makes one wait.
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY_OPTION = "elo_read_only"


# Where a Database is found: in its app's extensions, and in the info of every session it makes
# (the outbox relays a committing session's rows through the session's own database).
DATABASE_KEY = "elo_database"


def current_database() -> Database:
    """The database of the app that serves this request (or runs this actor or job)."""
    database: Database = current_app.extensions[DATABASE_KEY]
    return database


class Database:
    """A service's database, bound to a Flask app with `init_app` (extension pattern).

    `engine` and new sessions belong to the current network (`shared.networks`): the default network
    uses the configured URL as it is; another network a schema of its own on PostgreSQL (one pool for
    all, the search_path set per connection) or a file of its own on SQLite."""

    def __init__(self, service: str, metadatas: Sequence[MetaData]) -> None:
        self.service = service
        self.metadatas = tuple(metadatas)
        for metadata in self.metadatas:
            autoincrement_ids(metadata)
        self._engine: Engine | None = None
        self._network_engines: dict[str, Engine] = {}
        self.session_factory = NetworkSessions(self)
        # One session per thread and network: `db.session` is always the current network's, even where
        # one thread works in several (the scheduler's loop over the networks, a national page).
        self.session: scoped_session[Session] = scoped_session(
            self.session_factory, scopefunc=_thread_and_network)  # type: ignore[arg-type]

    @property
    def engine(self) -> Engine:
        return self.engine_for(current_network())

    @property
    def default_engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError(f"the {self.service} database is not configured (init_app not called)")
        return self._engine

    def engine_for(self, network: Network | None) -> Engine:
        base = self.default_engine
        if network is None:
            return base
        engine = self._network_engines.get(network.slug)
        if engine is None:
            if base.dialect.name == "sqlite":
                engine = make_engine(network_sqlite_url(self.url, network))
            else:
                engine = base.execution_options(elo_schema=network.schema)
            engine = self._network_engines.setdefault(network.slug, engine)
        elif engine.dialect.name == "sqlite":
            _ensure_sqlite_dir(network_sqlite_url(self.url, network))  # its folder may have been removed since
        return engine

    @property
    def url(self) -> str:
        """The default network's URL."""
        return self.default_engine.url.render_as_string(hide_password=False)

    def init_app(self, app: Flask) -> None:
        self.configure(app.config["DATABASE_URL"])
        app.extensions[DATABASE_KEY] = self
        app.teardown_appcontext(self._remove_session)

    def configure(self, url: str) -> None:
        if self._engine is not None and self.url == make_engine_url(url):
            return
        self.dispose()
        self._engine = make_engine(url)

    def remove_sessions(self) -> None:
        """Close this thread's sessions, of every network (the end of a request, an actor, a job)."""
        sessions: dict[Any, Session] = self.session.registry.registry
        thread = threading.get_ident()
        for key in [key for key in list(sessions) if key[0] == thread]:
            session = sessions.pop(key, None)
            if session is not None:
                session.close()

    def dispose(self) -> None:
        self.remove_sessions()
        for engine in self._network_engines.values():
            if engine.dialect.name == "sqlite":
                engine.dispose()
        self._network_engines.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _remove_session(self, _exc: BaseException | None) -> None:
        self.remove_sessions()

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


def _thread_and_network() -> tuple[int, str | None]:
    network = current_network()
    return threading.get_ident(), network.slug if network is not None else None


class NetworkSessions:
    """The session factory of a `Database`: each session is bound to the engine of the network current
    when it was made, so a session never mixes two networks."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def __call__(self, **kwargs: Any) -> Session:
        info = {DATABASE_KEY: self.database, **kwargs.pop("info", {})}
        return Session(bind=self.database.engine, expire_on_commit=False, info=info, **kwargs)


def network_sqlite_url(url: str, network: Network) -> str:
    """`sqlite:///var/events.db` → `sqlite:///var/networks/<slug>/events.db`."""
    path = Path(url.removeprefix("sqlite:///"))
    return f"sqlite:///{path.parent / 'networks' / network.slug / path.name}"


def create_network_schema(engine: Engine, network: Network) -> None:
    """PostgreSQL: the network's schema, before its first migration."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{network.schema}"')
            connection.commit()


def schema_of(network: Network | None) -> str:
    return network.schema if network is not None else "public"


def postgres_search_path(connection: Any) -> None:
    """Point a pooled PostgreSQL connection at the schema of the network its engine serves."""
    use_schema(connection.connection, connection.get_execution_options().get("elo_schema", "public"))


def use_schema(pooled_connection: Any, schema: str) -> None:
    """Set a PostgreSQL pool connection's search_path to `schema`, unless it is set already."""
    if pooled_connection.info.get("elo_schema") == schema:
        return
    dbapi_connection = pooled_connection.dbapi_connection
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}"')
    if not dbapi_connection.autocommit:
        dbapi_connection.commit()  # a later rollback must not undo it
    pooled_connection.info["elo_schema"] = schema


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
