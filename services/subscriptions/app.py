"""App factory of the subscriptions service (mounted at /newsletter): its two parts, subscribers and newsletter,
each add their JSON API, their public pages and their pages in the one coordinator workspace."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.subscriptions import metrics
from services.subscriptions.announcements import api as announcements_api
from services.subscriptions.announcements import pages as announcement_pages
from services.subscriptions.announcements import workspace as announcement_workspace
from services.subscriptions.models import db
from services.subscriptions.newsletter import api as newsletter_api
from services.subscriptions.newsletter import pages as newsletter_pages
from services.subscriptions.reports import api as reports_api
from services.subscriptions.reports import pages as report_pages
from services.subscriptions.subscribers import api as subscriber_api
from services.subscriptions.subscribers import pages as subscriber_pages
from services.subscriptions.surveys import api as surveys_api
from services.subscriptions.surveys import pages as survey_pages
from services.subscriptions.surveys import workspace as survey_workspace
from shared import apps
from shared.web import create_service_app
from shared.web_auth import admin_blueprint, init_admin

SERVICE = "subscriptions"
PREFIX = "/newsletter"
WORKSPACE = "newsletter_admin"  # the workspace blueprint (endpoints `newsletter_admin.…`, at /newsletter/admin/)
HERE = Path(__file__).parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app, api = create_service_app(service=SERVICE, import_name=__name__, prefix=PREFIX, db=db,
                                  title="Newsletter", service_dir=HERE, config=config,
                                  translation_dirs=[HERE / "translations", HERE / "newsletter" / "translations",
                                                     HERE / "surveys" / "translations"])
    workspace = admin_blueprint(WORKSPACE, __name__, roles=("editor",), home_endpoint="dashboard")
    for pages in (subscriber_pages, newsletter_pages):
        pages.register(app)
        pages.add_workspace_routes(workspace)
    announcement_pages.register(app)
    announcement_workspace.add_routes(workspace)
    survey_pages.register(app)
    survey_workspace.add_routes(workspace)
    report_pages.add_routes(workspace)
    for part_api in (subscriber_api, newsletter_api, announcements_api, reports_api, surveys_api):
        part_api.register(api)
    init_admin(app, workspace)
    metrics.register(app)
    return app


apps.register_factory(SERVICE, create_app)
