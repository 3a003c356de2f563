"""HTML pages of the subscribers part.

public      subscribe, the links in emails (confirm, unsubscribe), the preference centre with export and erase
workspace   the coordinator's subscriber pages (search, counts, import, export) and the workspace's front page
"""

from __future__ import annotations

from flask import Blueprint, Flask

from services.subscriptions.subscribers.pages import public, workspace


def register(app: Flask) -> None:
    """Add the public pages to the subscriptions app."""
    public.register(app)


def add_workspace_routes(blueprint: Blueprint) -> None:
    """Add the subscriber pages and the front page to the service's workspace blueprint (before it is registered)."""
    workspace.add_routes(blueprint)
