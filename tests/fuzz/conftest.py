"""The fuzzed apps run fully configured: with ELO_BOUNCE_SECRET set, the bounce webhook is exercised
(a request without the secret is refused with 401/403) instead of answering 503 "not configured"."""

from __future__ import annotations

import pytest

from shared.settings import Settings, load_settings
from tests.conftest import Backend


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return load_settings(backend.env(ELO_BOUNCE_SECRET="fuzz-bounce-secret-" + "f" * 24))
