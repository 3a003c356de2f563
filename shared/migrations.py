"""Alembic, one migration history per service, run without an alembic.ini.

Each service has `services/<name>/migrations/` with `env.py` calling `run_env` and a
`versions/` folder. `upgrade(db)` brings a service's database to head; `check(db)` tells
whether the models and the migrations agree (a test runs it on both backends).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command, context, op
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from shared.db import Database, is_sqlite


def alembic_config(db: Database, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.attributes["database"] = db
    return config


def upgrade(db: Database, migrations_dir: Path, revision: str = "heads") -> None:
    """`heads`: a service may have parallel chains (e.g. subscribers and newsletter)."""
    _quiet_alembic()
    command.upgrade(alembic_config(db, migrations_dir), revision)


def _quiet_alembic() -> None:
    """Alembic's INFO lines ("Context impl…", "Running upgrade…") only when the log is at DEBUG
    (ELO_LOG_LEVEL=DEBUG); its warnings and errors always."""
    alembic_log = logging.getLogger("alembic")
    if alembic_log.level == logging.NOTSET and not logging.getLogger().isEnabledFor(logging.DEBUG):
        alembic_log.setLevel(logging.WARNING)


def downgrade(db: Database, migrations_dir: Path, revision: str = "base") -> None:
    command.downgrade(alembic_config(db, migrations_dir), revision)


def autoincrement_on_sqlite(*tables: str) -> None:
    """In a migration: recreate these SQLite tables with AUTOINCREMENT, so that an id once given is
    never given again (`shared.db.autoincrement_ids`). PostgreSQL sequences never reuse an id, so
    nothing changes there. Rows, indexes and constraints are copied; foreign keys are off meanwhile
    (`run_env`)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def without_autoincrement_on_sqlite(*tables: str) -> None:
    """The downgrade of `autoincrement_on_sqlite`."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass


def differences(db: Database) -> list[object]:
    """What autogenerate would change: empty when models and the migrated database agree."""
    with db.engine.connect() as connection:
        migration_context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": is_sqlite(db.url)}
        )
        found: list[object] = []
        for metadata in db.metadatas:
            found.extend(
                diff for diff in compare_metadata(migration_context, metadata) if _belongs_to(diff, metadata)
            )
        return found


def _belongs_to(diff: Any, metadata: MetaData) -> bool:
    """compare_metadata reports other metadatas' tables as removed; keep only this one's."""
    if isinstance(diff, tuple) and diff and diff[0] == "remove_table":
        return False
    removes_foreign_index = isinstance(diff, tuple) and diff and diff[0] == "remove_index"
    return not (removes_foreign_index and diff[1].table.name not in metadata.tables)


def run_env() -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    db: Database = context.config.attributes["database"]
    with db.engine.connect() as connection:
        sqlite = connection.connection.driver_connection if is_sqlite(db.url) else None
        if sqlite is not None:
            # A batch migration copies a table, drops the old one and renames the copy. With
            # foreign keys on, the drop would cascade and delete every row that refers to it.
            # (The pragma works only outside a transaction, so it goes to the driver first.)
            sqlite.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=list(db.metadatas),
            render_as_batch=is_sqlite(db.url),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite is not None and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("a migration left rows that refer to missing rows; nothing was changed")
        connection.commit()
