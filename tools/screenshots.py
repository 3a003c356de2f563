"""Screenshots of the main pages (in Finnish) for the README.

    python -m tools.screenshots [--out docs/screenshots]

Starts `elo up --demo --port 0` (it binds a free port and prints it) with a fresh data directory,
creates a coordinator login, and photographs the pages with Debian's Chromium (Playwright), then
stops the server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
EMAIL = "koordinaattori@ely.example.fi"
PASSWORD = "demo-salasana-2026"  # noqa: S105 - a throwaway login in a throwaway data directory

PUBLIC_PAGES = [
    ("01-landing", "/"),
    ("02-subscribe", "/newsletter/"),
    ("03-events", "/events/"),
    ("04-year", "/events/year/{year}"),
    ("05-event", "{first_event}"),
    ("06-archive", "/newsletter/archive/"),
    ("07-submit-article", "/newsletter/submit"),
]
WORKSPACE_PAGES = [
    ("10-newsletter-workspace", "/newsletter/admin/"),
    ("11-subscribers", "/newsletter/admin/subscribers"),
    ("12-review-queue", "/newsletter/admin/articles"),
    ("13-issue-composer", "/newsletter/admin/issues/new"),
    ("14-events-workspace", "/events/admin/"),
    ("15-event-registrations", "{first_admin_event}"),
]


def started_at(server: subprocess.Popen[str]) -> str:
    """The address `elo up --port 0` prints once it has bound a free port."""
    assert server.stdout is not None
    for line in server.stdout:
        if "running at " in line:
            return line.split("running at ", 1)[1].split()[0].rstrip("/")
    raise SystemExit("the demo server stopped before it served")


def wait_for(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the demo server did not answer at {url}")


def elo(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="elo-shots-") as data_dir:
        env = {**os.environ, "ELO_DATA_DIR": data_dir, "ELO_NEW_USER_PASSWORD": PASSWORD}
        subprocess.run(elo("create-user", "--email", EMAIL, "--role", "coordinator", "--name", "Koordinaattori"),  # noqa: S603
                       env=env, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(elo("up", "--demo", "--port", "0"), env=env, text=True,  # noqa: S603
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            base = started_at(server)
            wait_for(f"{base}/events/healthz")
            shoot(base, out)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"screenshots written to {out}/")  # noqa: T201 - a command-line tool reports what it did


def shoot(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, locale="fi-FI", viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.goto("/events/?lang=fi")
        first_event = page.locator("main a[href^='/events/']:not([href*='year']):not([href$='.ics'])").first
        values = {"year": str(time.gmtime().tm_year),
                  "first_event": first_event.get_attribute("href") if first_event.count() else "/events/"}
        for name, path in PUBLIC_PAGES:
            page.goto(path.format(**values))
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        for prefix in ("/newsletter", "/events"):
            page.goto(f"{prefix}/admin/login")
            page.fill("#f-email", EMAIL)
            page.fill("#f-password", PASSWORD)
            page.locator("form.narrow-form button[type=submit]").click()
            page.wait_for_load_state()
        page.goto("/events/admin/")
        admin_event = page.locator("main table a").first
        values["first_admin_event"] = admin_event.get_attribute("href") if admin_event.count() else "/events/admin/"
        for name, path in WORKSPACE_PAGES:
            page.goto(path.format(**values))
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
