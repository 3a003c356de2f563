"""Browser tests: the composed gateway served from threads (one server per session), driven by Debian's Chromium.

They run on the SQLite backend with the in-process (Stub) broker and a worker in threads, like
`elo up`. One browser for the whole session; each test gets a fresh browser context (cookies).
Without /usr/bin/chromium they skip with the reason, unless ELO_REQUIRE_SERVERS=1 (then fail).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from services import SERVICES
from shared.settings import Settings, load_settings
from tests.conftest import Backend, _migrated, serving

CHROMIUM = Path(os.environ.get("ELO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ("fi", "sv", "en")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = (f"browser tests need Debian's Chromium at {CHROMIUM} "
                  "(apt-get install chromium; .ci/run installs it)")
        if os.environ.get("ELO_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{reason}; ELO_REQUIRE_SERVERS=1 requires it")
        print(f"\nSKIPPED browser tests: {reason}")  # noqa: T201 - the reason must show in `make test` output
        pytest.skip(f"{reason}; set ELO_REQUIRE_SERVERS=1 to fail instead")
    return CHROMIUM


# --- the server: SQLite + StubBroker, like `elo up` ------------------------------------------------

@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """Browser tests run on SQLite only (the server-backed paths are covered by the service tests)."""
    data_dir = tmp_path_factory.mktemp("elo-e2e")
    urls = {info.name: f"sqlite:///{data_dir / (info.name + '.db')}" for info in SERVICES}
    return _migrated(Backend("sqlite", urls, None, data_dir))


class _Slot:
    """The session's one server serves whichever test's gateway is in the slot (503 between tests)."""

    def __init__(self) -> None:
        self.wsgi: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.wsgi is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test is running"]
        return self.wsgi(environ, start_response)


_slots: dict[int, _Slot] = {}


@pytest.fixture(scope="session")
def live_port() -> Iterator[int]:
    """The port of this session's server, which bound it itself (port 0) before any app is built:
    the apps' ELO_BASE_URL (links in emails) needs it."""
    slot = _Slot()
    with serving(slot, threads=6) as port:
        _slots[port] = slot
        yield port
        del _slots[port]


@pytest.fixture
def settings(backend: Backend, live_port: int) -> Settings:
    return load_settings(backend.env(ELO_BASE_URL=f"http://127.0.0.1:{live_port}"))


@pytest.fixture
def live_server(apps: dict[str, Flask], worker: Any, settings: Settings, live_port: int) -> Iterator[str]:
    """The whole URL space at http://127.0.0.1:<port>, with the worker delivering messages."""
    from services import landing
    from services.gateway import compose

    slot = _slots[live_port]
    slot.wsgi = compose(apps, landing.create_app({"ELO_SETTINGS": settings, "TESTING": True}))
    try:
        yield f"http://127.0.0.1:{live_port}"
    finally:
        slot.wsgi = None


# --- the browser -----------------------------------------------------------------------------------

_running: dict[str, Any] = {}


def shared_browser(chromium_path: Path, config: pytest.Config) -> Any:
    """One Chromium for the whole test session, whichever package asks first: Playwright's sync API
    allows one running instance per thread (tests/security imports these fixtures too)."""
    if "browser" not in _running:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        launched = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        _running.update(playwright=playwright, browser=launched)

        def stop() -> None:
            _running.pop("browser").close()
            _running.pop("playwright").stop()

        config.add_cleanup(stop)
    return _running["browser"]


@pytest.fixture(scope="session")
def browser(chromium_path: Path, pytestconfig: pytest.Config) -> Any:
    return shared_browser(chromium_path, pytestconfig)


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="fi-FI", viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


# --- accessibility ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def check_a11y(axe: Any) -> Callable[[Any], None]:
    """Fail with axe-core's report when the page has WCAG 2.1 A/AA violations."""

    def check(page: Any) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                         "resultTypes": ["violations"]})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
