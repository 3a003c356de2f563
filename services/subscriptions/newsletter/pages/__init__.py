"""HTML pages of the newsletter part.

public      article submission and status, the archive and its feed (at /newsletter/…)
workspace   the coordinator workspace's article review and issues (at /newsletter/admin/…)
sending     an issue's send form, confirmation step, pause/resume/cancel and progress (in the workspace)
languages   an issue's email as the subscribers of one language get it (in the workspace)
"""

from __future__ import annotations

from flask import Blueprint, Flask

from services.subscriptions.newsletter.pages import languages, public, sending, workspace


def register(app: Flask) -> None:
    """Add the public pages to the subscriptions app."""
    public.add_routes(app)


def add_workspace_routes(blueprint: Blueprint) -> None:
    """Add the review and issue pages to the service's workspace blueprint (before it is registered)."""
    workspace.add_routes(blueprint)
    sending.add_routes(blueprint)
    languages.add_routes(blueprint)
