"""gunicorn settings for the web services: `gunicorn --config python:services.gunicorn_conf …`.

Prometheus counts with several workers: each worker writes its metrics to files in
PROMETHEUS_MULTIPROC_DIR and `/<prefix>/metrics` sums them (prometheus-client's multiprocess mode).
When the variable is unset, a fresh directory is made here, when gunicorn reads this file: before
the app is imported (also with --preload) and before any worker forks. A directory given from outside
is emptied of earlier runs' files at start. A worker that exits has its live gauges removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _multiproc_dir() -> tuple[Path, bool]:
    """The directory, and whether it is ours (made here, removed when gunicorn stops)."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        return Path(given), False
    made = Path(tempfile.mkdtemp(prefix="elo-prometheus-"))
    os.environ[MULTIPROC_DIR] = str(made)
    return made, True


_DIRECTORY, _OURS = _multiproc_dir()


def on_starting(server: Any) -> None:
    """Once, in the master, before the workers start: forget the counts of an earlier run."""
    _DIRECTORY.mkdir(parents=True, exist_ok=True)
    for stale in _DIRECTORY.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_DIRECTORY))  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """The master stops (not run by workers, which exit on their own while it goes on)."""
    if _OURS:
        shutil.rmtree(_DIRECTORY, ignore_errors=True)
