"""CSV import of subscribers: rows per second through the whole import (parse, validate, hash, upsert, consent
log) on SQLite and PostgreSQL, against a raw executemany INSERT of the same rows into the same table."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import Figure, main, postgres_databases, rate, service_env, sqlite_databases, stopwatch

ROWS = 10_000
FIRST = ["Aino", "Eino", "Helmi", "Väinö", "Elsa", "Johan", "Saara", "Matti", "Linnea", "Oskari"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Lindqvist", "Heikkinen", "Koskinen", "Järvinen"]
ORGANISATIONS = ["Oulun yliopisto", "Oulun seudun ammattiopisto", "Pohjois-Pohjanmaan TE-toimisto",
                 "Ammattiopisto Luovi", "Raahen koulutuskuntayhtymä"]


def sample_csv(prefix: str, rows: int = ROWS) -> str:
    lines = ["email,name,organisation,language,topics,consent_at"]
    for n in range(rows):
        lines.append(f"{prefix}{n}@example.fi,{FIRST[n % 10]} {LAST[n % 8]},{ORGANISATIONS[n % 5]},"
                     f"{'sv' if n % 5 == 0 else 'fi'},newsletter events,2025-03-31")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def subscriptions_app(urls: dict[str, str], data_dir: Path) -> Iterator[Any]:
    from services.subscriptions import create_app
    from shared.settings import load_settings

    settings = load_settings(service_env(urls, data_dir))
    app = create_app({"ELO_SETTINGS": settings})
    with app.app_context():
        yield app


def measure(urls: dict[str, str], data_dir: Path) -> tuple[float, float]:
    """(import rows/s, raw executemany rows/s) on these databases."""
    import sqlalchemy as sa

    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import Subscriber
    from services.subscriptions.subscribers.operations.importing import import_csv

    with subscriptions_app(urls, data_dir):
        text = sample_csv("import")
        with stopwatch() as watch:
            session = db.session()
            report = import_csv(session, text)
            session.commit()
        if report.created != ROWS or report.errors:
            raise RuntimeError(f"the import did not go as planned: {report.as_dict()}")
        rows = [{"email": f"raw{n}@example.fi", "email_hash": secrets.token_hex(32), "name": f"{FIRST[n % 10]}",
                 "organisation": ORGANISATIONS[n % 5], "language": "fi", "status": "confirmed", "source": "import",
                 "consent_wording_version": "import", "token_key": secrets.token_hex(8), "confirmations_sent": 0}
                for n in range(ROWS)]
        with stopwatch() as raw, db.engine.begin() as connection:
            connection.execute(sa.insert(Subscriber.__table__), rows)
    return rate(ROWS, watch.seconds), rate(ROWS, raw.seconds)


def run() -> list[Figure]:
    """Importing 10,000 CSV rows (all valid, with recorded consent) on SQLite and on PostgreSQL."""
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as directory:
        data_dir = Path(directory)
        with sqlite_databases(data_dir) as urls:
            value, baseline = measure(urls, data_dir)
        figures.append(Figure("subscriber CSV import, SQLite", value, "rows/s",
                              baseline_name="raw executemany INSERT of the same rows", baseline_value=baseline,
                              note="target ≥ 1,000 rows/s"))
        with postgres_databases("import") as urls:
            value, baseline = measure(urls, data_dir)
        figures.append(Figure("subscriber CSV import, PostgreSQL", value, "rows/s",
                              baseline_name="raw executemany INSERT of the same rows", baseline_value=baseline,
                              note="target ≥ 1,000 rows/s"))
    return figures


if __name__ == "__main__":
    main(run)
