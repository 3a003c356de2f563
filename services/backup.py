"""`elo backup FILE` and `elo restore FILE [--force]`: every service's database in one portable file
(docs/backup.md). A zip: `manifest.json` (format, time, each database's Alembic revisions, tables,
columns, row counts, the highest id each table has given) and `<service>/<table>.jsonl`, one JSON array
per row. Logical, not a backend's own dump: a backup from SQLite restores into PostgreSQL and back.
The secret key goes in only when it comes from the data directory (ELO_SECRET_KEY unset)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from services import SERVICES, ServiceInfo
from shared.db import Database, utcnow
from shared.migrations import alembic_config, upgrade
from shared.settings import Settings, SettingsError, load_settings

FORMAT = "elo-backup"
VERSION = 1
MANIFEST = "manifest.json"
KEY_ENTRY = "secret_key"
BATCH = 1000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in one line."""


# --- values: one JSON-ready form for every backend -------------------------------------------------

def column_kind(kind: sa.types.TypeEngine[Any]) -> str:
    """How a column's values are written: the same for a column on SQLite and on PostgreSQL. JSON is
    kept as its stored text, so SQL NULL and JSON null stay apart; "plain" is text, numbers, booleans."""
    families = ((sa.JSON, "json"), (sa.DateTime, "datetime"), (sa.Date, "date"), (sa.LargeBinary, "bytes"),
                (sa.Float, "plain"), (sa.Numeric, "decimal"))
    return next((name for family, name in families if isinstance(kind, family)), "plain")


def _utc(value: dt.datetime) -> dt.datetime:  # SQLite keeps no zone: its times are UTC (shared.db.UTCDateTime)
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


ENCODE: dict[str, Callable[[Any], Any]] = {
    "datetime": lambda value: _utc(value).isoformat(), "date": lambda value: value.isoformat(),
    "bytes": lambda value: base64.b64encode(bytes(value)).decode("ascii"), "decimal": str}
DECODE: dict[str, Callable[[Any], Any]] = {
    "datetime": lambda value: _utc(dt.datetime.fromisoformat(value)), "date": dt.date.fromisoformat,
    "bytes": base64.b64decode, "decimal": decimal.Decimal}


def encode(kind: str, value: Any) -> Any:
    return value if value is None or kind not in ENCODE else ENCODE[kind](value)


def decode(kind: str, value: Any) -> Any:
    return value if value is None or kind not in DECODE else DECODE[kind](value)


# --- tables, read from the database itself (a backup may be of an older schema than the models) ------

def tables_of(connection: sa.Connection) -> list[sa.Table]:
    """The database's tables (Alembic's own aside), parents before the tables that refer to them."""
    inspector = sa.inspect(connection)
    metadata = sa.MetaData()
    tables = []
    for name, _constraints in inspector.get_sorted_table_and_fkc_names():
        if name is None or name == "alembic_version":
            continue
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        tables.append(sa.Table(name, metadata, *(
            sa.Column(column["name"], column["type"], primary_key=column["name"] in key)
            for column in inspector.get_columns(name))))
    return tables


def integer_key(table: sa.Table) -> sa.Column[Any] | None:
    key = list(table.primary_key.columns)
    return key[0] if len(key) == 1 and isinstance(key[0].type, sa.Integer) else None


def highest_id_given(connection: sa.Connection, table: sa.Table) -> int | None:
    """The highest id the table has ever given: its sequence or AUTOINCREMENT counter, which is past
    the highest row when that row was deleted (ids are never given twice: shared.db.autoincrement_ids)."""
    if (key := integer_key(table)) is None:
        return None
    counter: Any = None
    if connection.dialect.name == "postgresql" and (sequence := _sequence_of(connection, table.name, key.name)):
        counter = connection.scalar(sa.text("SELECT pg_sequence_last_value(CAST(:s AS regclass))"), {"s": sequence})
    elif connection.dialect.name == "sqlite" and _sqlite_autoincrement(connection, table.name):
        counter = connection.scalar(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name})
    return max(int(connection.scalar(sa.select(sa.func.max(key))) or 0), int(counter or 0))


def set_highest_id(connection: sa.Connection, table: sa.Table, given: int) -> None:
    """Make the table's next id follow `given` (or its highest row, when higher)."""
    if (key := integer_key(table)) is None:
        return
    given = max(given, int(connection.scalar(sa.select(sa.func.max(key))) or 0))
    if given < 1:
        return
    if connection.dialect.name == "postgresql" and (sequence := _sequence_of(connection, table.name, key.name)):
        connection.execute(sa.text("SELECT setval(CAST(:s AS regclass), :n, true)"), {"s": sequence, "n": given})
    elif connection.dialect.name == "sqlite" and _sqlite_autoincrement(connection, table.name):
        values = {"t": table.name, "n": given}
        if not connection.execute(sa.text("UPDATE sqlite_sequence SET seq = :n WHERE name = :t"), values).rowcount:
            connection.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"), values)


def _sequence_of(connection: sa.Connection, table: str, column: str) -> str | None:
    found = connection.scalar(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column})
    return str(found) if found else None


def _sqlite_autoincrement(connection: sa.Connection, table: str) -> bool:
    created = connection.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                                {"t": table})
    return "AUTOINCREMENT" in str(created or "").upper()


# --- backup -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    databases: int
    tables: int
    rows: int
    with_key: bool

    @classmethod
    def of(cls, manifest: dict[str, Any], with_key: bool) -> Summary:
        tables = [table for entry in manifest["databases"].values() for table in entry["tables"].values()]
        return cls(len(manifest["databases"]), len(tables), sum(table["rows"] for table in tables), with_key)


def databases(settings: Settings) -> Iterator[tuple[ServiceInfo, Database]]:
    for info in SERVICES:
        database: Database = info.module().db
        database.configure(settings.database_url(info.name))
        yield info, database


def write_backup(settings: Settings, path: Path) -> Summary:
    """Write the backup to a temporary file beside `path` (mode 0600: it holds personal data), then
    rename it into place: `path` is either the old file or the whole new one, never half of one."""
    path = path.resolve()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                manifest: dict[str, Any] = {"format": FORMAT, "version": VERSION, "created_at": utcnow().isoformat(),
                                            "databases": {}}
                for info, database in databases(settings):
                    manifest["databases"][info.name] = dump_database(info.name, database, archive)
                with_key = not os.environ.get("ELO_SECRET_KEY")
                if with_key:
                    archive.writestr(KEY_ENTRY, settings.secret_key)
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Summary.of(manifest, with_key)


def dump_database(service: str, database: Database, archive: zipfile.ZipFile) -> dict[str, Any]:
    """Every table of one database, read in one transaction (REPEATABLE READ on PostgreSQL; on SQLite
    the database's BEGIN IMMEDIATE), so the tables agree with each other."""
    with database.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            revisions = sorted(MigrationContext.configure(connection).get_current_heads())
            if not revisions:
                raise BackupError(f"the {service} database has no schema yet (run `elo migrate` first)")
            tables = {table.name: dump_table(connection, table, archive, f"{service}/{table.name}.jsonl")
                      for table in tables_of(connection)}
            return {"dialect": connection.dialect.name, "revisions": revisions, "tables": tables}


def dump_table(connection: sa.Connection, table: sa.Table, archive: zipfile.ZipFile, entry: str) -> dict[str, Any]:
    kinds = [column_kind(column.type) for column in table.columns]
    selected = [sa.cast(column, sa.Text) if column_kind(column.type) == "json" else column for column in table.columns]
    query = sa.select(*selected).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
    rows = 0
    with archive.open(entry, "w", force_zip64=True) as out:
        for row in connection.execute(query):
            values = [encode(kind, value) for kind, value in zip(kinds, row, strict=True)]
            out.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
            rows += 1
    return {"columns": [[column.name, kind] for column, kind in zip(table.columns, kinds, strict=True)],
            "rows": rows, "highest_id": highest_id_given(connection, table)}


# --- restore ----------------------------------------------------------------------------------------

def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError):
        manifest = {}
    if manifest.get("format") != FORMAT:
        raise BackupError("the file is not an ELO backup (no manifest.json of an ELO backup in it)")
    if manifest.get("version") != VERSION:
        raise BackupError(f"the backup has format version {manifest.get('version')}; this ELO reads version "
                          f"{VERSION}: restore it with the ELO version that wrote it")
    return manifest


def check_backup(manifest: dict[str, Any], archive: zipfile.ZipFile, settings: Settings) -> None:
    """Everything that can be known before the first database is touched."""
    entries = set(archive.namelist())
    for info, database in databases(settings):
        saved = manifest["databases"].get(info.name)
        if saved is None:
            raise BackupError(f"the backup holds no {info.name} database")
        scripts = ScriptDirectory.from_config(alembic_config(database, info.migrations_dir))
        for revision in saved["revisions"]:
            try:
                scripts.get_revision(revision)
            except CommandError as error:
                raise BackupError(f"the backup's {info.name} database is at revision {revision!r}, which this "
                                  f"version of ELO does not know: the backup is newer than the code. "
                                  f"Update ELO, then restore") from error
        if missing := [name for name in saved["tables"] if f"{info.name}/{name}.jsonl" not in entries]:
            raise BackupError(f"the backup is incomplete: {info.name} tables {', '.join(missing)} are missing")


def data_held(settings: Settings) -> str | None:
    """What restore would replace: per database, its rows and the tables that hold them; None when empty."""
    parts = []
    for info, database in databases(settings):
        with database.engine.connect() as connection:
            counts = {table.name: int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
                      for table in tables_of(connection)}
        held = sorted(name for name, count in counts.items() if count)
        if held:
            parts.append(f"{info.name} {sum(counts.values())} rows in {len(held)} tables ({', '.join(held)})")
    return "; ".join(parts) or None


def restore_backup(settings: Settings, path: Path, *, force: bool) -> Summary:
    with zipfile.ZipFile(path) as archive:
        manifest = read_manifest(archive)
        check_backup(manifest, archive, settings)
        held = data_held(settings)
        if held and not force:
            raise BackupError(f"restore would replace the data these databases hold: {held}. Nothing was changed. "
                              "Run `elo restore --force FILE` to replace it with the backup.")
        for info, database in databases(settings):
            try:
                restore_database(info, database, manifest["databases"][info.name], archive)
            except (sa.exc.SQLAlchemyError, CommandError) as error:
                raise BackupError(f"restoring the {info.name} database failed ({error}); the databases are "
                                  f"partly restored: run `elo restore --force FILE` again") from error
        with_key = KEY_ENTRY in archive.namelist()
        restore_key(settings, archive.read(KEY_ENTRY).decode().strip() if with_key else None)
    return Summary.of(manifest, with_key)


def restore_database(info: ServiceInfo, database: Database, saved: dict[str, Any], archive: zipfile.ZipFile) -> None:
    """Empty the database, build the backup's schema, load the rows, set the id counters, then run
    the migrations that came after the backup."""
    drop_everything(database)
    heads = ScriptDirectory.from_config(alembic_config(database, info.migrations_dir)).get_heads()
    newest = sorted(heads) == sorted(saved["revisions"])
    for revision in ["heads"] if newest else saved["revisions"]:
        upgrade(database, info.migrations_dir, revision)
    with database.engine.begin() as connection:
        tables = {table.name: table for table in tables_of(connection)}
        for name, table in tables.items():
            if name not in saved["tables"]:
                raise BackupError(f"the backup's {info.name} database has no table {name}")
            with archive.open(f"{info.name}/{name}.jsonl") as lines:
                load_table(connection, table, saved["tables"][name]["columns"], lines)
        set_counters(connection, tables.values(), saved["tables"])
    if not newest:
        upgrade(database, info.migrations_dir)
        with database.engine.begin() as connection:  # rows a later migration copied into a new table
            set_counters(connection, tables_of(connection), saved["tables"])


def drop_everything(database: Database) -> None:
    with database.engine.begin() as connection:
        tables = tables_of(connection)
        if sa.inspect(connection).has_table("alembic_version"):
            tables.append(sa.Table("alembic_version", sa.MetaData()))
        for table in reversed(tables):  # the tables that refer to others first
            connection.execute(sa.schema.DropTable(table))


def load_table(connection: sa.Connection, table: sa.Table, columns: list[list[str]], lines: IO[bytes]) -> None:
    if unknown := [name for name, _kind in columns if name not in table.c]:
        raise BackupError(f"table {table.name} has no column {', '.join(unknown)} at the backup's revision")
    kinds = [kind for _name, kind in columns]
    insert = table.insert().values({name: _parameter(connection, table.c[name], f"p{i}", kind)
                                    for i, (name, kind) in enumerate(columns)})
    batch: list[dict[str, Any]] = []
    for line in lines:
        batch.append({f"p{i}": decode(kind, value) for i, (kind, value) in enumerate(zip(kinds, json.loads(line),
                                                                                         strict=True))})
        if len(batch) == BATCH:
            connection.execute(insert, batch)
            batch = []
    if batch:
        connection.execute(insert, batch)


def _parameter(connection: sa.Connection, column: sa.Column[Any], name: str, kind: str) -> sa.ColumnElement[Any]:
    if kind != "json":
        return sa.bindparam(name, type_=column.type)
    as_text = sa.bindparam(name, type_=sa.Text)  # the JSON text as it was stored (SQLite keeps JSON as text)
    return sa.cast(as_text, column.type) if connection.dialect.name == "postgresql" else as_text


def set_counters(connection: sa.Connection, tables: Iterable[sa.Table], saved: dict[str, Any]) -> None:
    for table in tables:
        set_highest_id(connection, table, int(saved.get(table.name, {}).get("highest_id") or 0))


def restore_key(settings: Settings, key: str | None) -> None:
    """The backup's key signed the links in mails sent before it: put it back in the data directory,
    or say so when ELO_SECRET_KEY names another key."""
    given = os.environ.get("ELO_SECRET_KEY")
    if (key is None and not given) or (key and given and given != key):
        click.echo("elo: note: links mailed before the backup open only with the secret key that signed them: set "
                   "ELO_SECRET_KEY to it " + ("(unzip -p FILE secret_key)." if key else
                                              "(the backup holds none: ELO_SECRET_KEY was set when it was made)."),
                   err=True)
    if key is None or given:
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=settings.data_dir, prefix=".secret_key.")
    with os.fdopen(descriptor, "w") as out:
        out.write(key)
    os.replace(temporary, settings.data_dir / "secret_key")


# --- commands -----------------------------------------------------------------------------------------

def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        _fail(f"setting {error}")


def _fail(problem: object) -> NoReturn:
    click.echo(f"elo: {problem}", err=True)
    sys.exit(2)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup_command(file: Path) -> None:
    """Write every service's database (and the data directory's secret key, when ELO_SECRET_KEY is
    unset) into FILE, a zip readable by `elo restore` on SQLite or PostgreSQL. Safe while ELO runs."""
    settings = _settings()
    try:
        summary = write_backup(settings, file)
    except (BackupError, OSError) as error:
        _fail(error)
    key = ", the secret key" if summary.with_key else ", no secret key (keep ELO_SECRET_KEY)"
    click.echo(f"Backup written: {summary.databases} databases, {summary.tables} tables, {summary.rows} rows{key} "
               f"→ {file} ({file.stat().st_size} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace databases that hold data (everything in them is lost).")
def restore_command(file: Path, force: bool) -> None:
    """Restore every service's database from FILE (made by `elo backup`), then migrate to the newest
    schema. Stop the web processes, workers and scheduler first."""
    settings = _settings()
    try:
        summary = restore_backup(settings, file, force=force)
    except zipfile.BadZipFile:
        _fail(f"{file} is not an ELO backup (not a zip file)")
    except BackupError as error:
        _fail(error)
    key = " and the secret key" if summary.with_key else ""
    click.echo(f"Restored {summary.databases} databases, {summary.tables} tables, {summary.rows} rows{key} "
               f"from {file}; every database is at the newest schema.")
