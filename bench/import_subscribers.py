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


WARM = 1_000  # rows imported (and inserted raw) first, so neither measurement pays the process's first use
ROUNDS = 3  # of each, interleaved; the best of each counts
NOTE = (f"every row's consent recorded; best of {ROUNDS} interleaved rounds of each, "
        f"after a warm-up of {WARM:,} rows")


def measure(urls: dict[str, str], data_dir: Path) -> tuple[float, float]:
    """(import rows/s, raw executemany rows/s) on these databases: the best of ROUNDS interleaved rounds of
    each, after a warm-up of WARM rows."""
    import sqlalchemy as sa

    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import ConsentEvent, Subscriber
    from services.subscriptions.subscribers.operations.importing import import_csv

    def imported(prefix: str, count: int) -> float:
        text = sample_csv(prefix, count)
        with stopwatch() as watch:
            session = db.session()
            report = import_csv(session, text)
            session.commit()
        if report.created != count or report.errors:
            raise RuntimeError(f"the import did not go as planned: {report.as_dict()}")
        return watch.seconds

    def inserted(prefix: str, count: int) -> float:
        rows = [{"email": f"{prefix}{n}@example.fi", "email_hash": secrets.token_hex(32), "name": f"{FIRST[n % 10]}",
                 "organisation": ORGANISATIONS[n % 5], "language": "fi", "status": "confirmed", "source": "import",
                 "consent_wording_version": "import", "token_key": secrets.token_hex(8), "confirmations_sent": 0}
                for n in range(count)]
        with stopwatch() as raw, db.engine.begin() as connection:
            connection.execute(sa.insert(Subscriber), rows)
        return raw.seconds

    with subscriptions_app(urls, data_dir):
        imported("warm", WARM)
        inserted("warmraw", WARM)
        import_seconds, raw_seconds = [], []
        for round_number in range(ROUNDS):  # interleaved, so a busy moment of the machine hits both
            import_seconds.append(imported(f"import{round_number}-", ROWS))
            raw_seconds.append(inserted(f"raw{round_number}-", ROWS))
        with db.engine.connect() as connection:
            consents = connection.execute(sa.select(sa.func.count()).select_from(ConsentEvent)).scalar_one()
        if consents != WARM + ROUNDS * ROWS:
            raise RuntimeError(f"{WARM + ROUNDS * ROWS} rows imported but {consents} consents recorded")
    return rate(ROWS, min(import_seconds)), rate(ROWS, min(raw_seconds))


def run() -> list[Figure]:
    """Importing 10,000 CSV rows (all valid, with recorded consent) on SQLite and on PostgreSQL."""
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as directory:
        data_dir = Path(directory)
        with sqlite_databases(data_dir) as urls:
            value, baseline = measure(urls, data_dir)
        figures.append(Figure("subscriber CSV import, SQLite", value, "rows/s",
                              baseline_name="raw executemany INSERT of the same rows", baseline_value=baseline,
                              note=NOTE).target_value(1000))
        with postgres_databases("import") as urls:
            value, baseline = measure(urls, data_dir)
        figures.append(Figure("subscriber CSV import, PostgreSQL", value, "rows/s",
                              baseline_name="raw executemany INSERT of the same rows", baseline_value=baseline,
                              note=NOTE).target_ratio(0.6))
    return figures


if __name__ == "__main__":
    main(run)
