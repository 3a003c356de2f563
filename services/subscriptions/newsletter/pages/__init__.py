"""HTML pages of the newsletter part.

public      article submission and status, the archive and its feed (at /newsletter/…)
workspace   the coordinator workspace's article review and issues (at /newsletter/admin/…)
"""

from __future__ import annotations

from flask import Blueprint, Flask

from services.subscriptions.newsletter.pages import public, workspace


def register(app: Flask) -> None:
    """Add the public pages to the subscriptions app."""
    public.add_routes(app)


def add_workspace_routes(blueprint: Blueprint) -> None:
    """Add the review and issue pages to the service's workspace blueprint (before it is registered)."""
    workspace.add_routes(blueprint)
