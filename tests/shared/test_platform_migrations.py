"""The platform tables' migration exists once (shared.platform_migrations); every service's first
migration calls it, and the chain goes down to nothing and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from services import SERVICES
from shared.db import Database
from shared.migrations import downgrade, upgrade
from shared.models import PlatformBase

PLATFORM_TABLES = set(PlatformBase.metadata.tables)


@pytest.mark.parametrize("info", SERVICES, ids=lambda info: info.name)
def test_the_first_migration_creates_the_platform_tables_through_the_shared_copy(info):
    [first] = list((info.migrations_dir / "versions").glob("0001_*.py"))
    source = first.read_text()
    assert "create_platform_tables()" in source
    assert "drop_platform_tables()" in source
    created_here = {table for table in PLATFORM_TABLES if f"create_table('{table}'" in source
                    or f'create_table("{table}"' in source}
    assert created_here == set(), f"{first.name} creates platform tables itself"


@pytest.mark.parametrize("info", SERVICES, ids=lambda info: info.name)
def test_a_services_migrations_go_down_to_nothing_and_up_again(info, tmp_path: Path):
    database = Database(info.name, info.module().db.metadatas)
    database.configure(f"sqlite:///{tmp_path / 'service.db'}")
    try:
        upgrade(database, info.migrations_dir)
        assert set(sa.inspect(database.engine).get_table_names()) >= PLATFORM_TABLES
        downgrade(database, info.migrations_dir)
        assert set(sa.inspect(database.engine).get_table_names()) == {"alembic_version"}
        upgrade(database, info.migrations_dir)
        assert set(sa.inspect(database.engine).get_table_names()) >= PLATFORM_TABLES
    finally:
        database.dispose()
