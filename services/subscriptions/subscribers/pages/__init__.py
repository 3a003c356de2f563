"""HTML pages of the subscribers part.

public      subscribe, the links in emails (confirm, unsubscribe), the preference centre
my_data     ask for a single-use "my data" link; open it to download or erase everything held about you
workspace   the coordinator's subscriber pages (search, counts, import) and the workspace's front page
exports     the subscriber downloads for people (CSV and Excel)
"""

from __future__ import annotations

from flask import Blueprint, Flask

# my_data adds its routes to public's blueprint when imported
from services.subscriptions.subscribers.pages import exports, my_data, public, workspace  # noqa: F401


def register(app: Flask) -> None:
    """Add the public pages (with the "my data" routes of `my_data`) to the subscriptions app."""
    public.register(app)


def add_workspace_routes(blueprint: Blueprint) -> None:
    """Add the subscriber pages and the front page to the service's workspace blueprint (before it is registered)."""
    workspace.add_routes(blueprint)
    exports.add_routes(blueprint)
