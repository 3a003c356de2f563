"""The deployment tests use the reliability harness (separate processes on PostgreSQL + RabbitMQ)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.conftest import backend, keep_postgres_only, processes, pytest_runtest_makereport

__all__ = ["backend", "processes", "pytest_runtest_makereport"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep_postgres_only(config, items, Path(__file__).resolve().parent)
