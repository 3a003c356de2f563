"""Autogenerate a migration for one service against a scratch SQLite database at its heads.

    python -m tools.make_migration events "initial"                        # the main chain: 0001, 0002, …
    python -m tools.make_migration subscriptions "topics" --branch s         # a parallel chain: s001, s002, …

A chain's first migration follows 0001. Review the file it writes under
services/<name>/migrations/versions/ and delete operations on tables that are not yours. The
platform tables (outbox, jobs, users, …) are created by each service's 0001 in one line,
`shared.platform_migrations.create_platform_tables()`; a change to them is one new function there,
called from one new migration per service.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command

from services import SERVICES
from shared.migrations import alembic_config, upgrade


def next_revision(versions: Path, branch: str | None) -> tuple[str, str | None]:
    """(new revision id, the revision it follows)."""
    if branch is None:
        existing = sorted(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
        return f"{len(existing) + 1:04d}", (existing[-1].name[:4] if existing else None)
    existing = sorted(versions.glob(f"{branch}[0-9][0-9][0-9]_*.py"))
    parent = existing[-1].name.split("_")[0] if existing else "0001"
    return f"{branch}{len(existing) + 1:03d}", parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("service")
    parser.add_argument("message")
    parser.add_argument("--branch", help="letter of a parallel chain, e.g. s or n")
    args = parser.parse_args()
    info = next(info for info in SERVICES if info.name == args.service)
    database = info.module().db
    rev_id, parent = next_revision(info.migrations_dir / "versions", args.branch)
    with tempfile.TemporaryDirectory() as scratch:
        database.configure(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        upgrade(database, info.migrations_dir)
        command.revision(alembic_config(database, info.migrations_dir), message=args.message, autogenerate=True,
                         rev_id=rev_id, head=parent or "base", splice=args.branch is not None)
        database.dispose()


if __name__ == "__main__":
    main()
