"""The coordinator workspace of the newsletter at /newsletter/admin/: subscribers, article review, issues.

Pages only; they call the subscribers' and newsletter's use-cases. Login, CSRF and the session
come from shared.web_auth.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from shared.web_auth import admin_blueprint, init_admin

BLUEPRINT = "newsletter_admin"


def register(app: Flask) -> None:
    from services.subscriptions.admin import dashboard, issues, review, subscribers

    blueprint = admin_blueprint(BLUEPRINT, __name__, roles=("editor",), home_endpoint="dashboard")
    for module in (dashboard, subscribers, review, issues):
        module.add_routes(blueprint)
    init_admin(app, blueprint, Path(__file__).parent / "translations")
