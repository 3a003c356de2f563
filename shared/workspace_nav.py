"""The one workspace navigation on every workspace page, whichever service shows it: items and heading by role.

- coordinator: newsletter, articles, issues, subscribers, announcements, surveys, annual report, events,
  new event (and the captured mail in the embedded run);
- editor: newsletter, articles, issues;
- organizer: events, new event.
Links are paths of the whole URL space, so they work from every service (and under a network's prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import gettext as _

from shared.settings import SERVICE_PREFIXES


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


# (path under the site root, who sees it, a section: current also on the pages below it)
_ITEMS: tuple[tuple[str, str, frozenset[str], bool], ...] = (
    ("Newsletter", "/newsletter/admin/", frozenset({"coordinator", "editor"}), False),
    ("Articles", "/newsletter/admin/articles", frozenset({"coordinator", "editor"}), True),
    ("Issues", "/newsletter/admin/issues", frozenset({"coordinator", "editor"}), True),
    ("Subscribers", "/newsletter/admin/subscribers", frozenset({"coordinator"}), True),
    ("Announcements", "/newsletter/admin/announcements", frozenset({"coordinator"}), True),
    ("Surveys", "/newsletter/admin/surveys", frozenset({"coordinator"}), True),
    ("Annual report", "/newsletter/admin/reports", frozenset({"coordinator"}), True),
    ("Events", "/events/admin/", frozenset({"coordinator", "organizer"}), False),
    ("New event", "/events/admin/events/new", frozenset({"coordinator", "organizer"}), False),
)
_OUTBOX = "/mailer/outbox/"


def site_root() -> str:
    """The path the services hang under: "" or a network's "/<slug>" (the script root without the service)."""
    prefix = SERVICE_PREFIXES.get(str(current_app.config.get("SERVICE", "")), "")
    root = request.script_root
    return root[: -len(prefix)] if prefix and root.endswith(prefix) else root


def role_home(role: str) -> str:
    """Where a person of this role starts when they did not ask for a page."""
    return site_root() + ("/events/admin/" if role == "organizer" else "/newsletter/admin/")


def workspace_nav(role: str) -> list[NavItem]:
    root = site_root()
    here = request.script_root + request.path
    labels = {"Newsletter": _("Newsletter"), "Articles": _("Articles"), "Issues": _("Issues"),
              "Subscribers": _("Subscribers"), "Announcements": _("Announcements"),
              "Surveys": _("Surveys"), "Annual report": _("Annual report"), "Events": _("Events"),
              "New event": _("New event")}
    items = [NavItem(labels[label], root + path, here == root + path or (section and here.startswith(root + path)))
             for label, path, roles, section in _ITEMS if role in roles]
    if role == "coordinator" and current_app.config.get("ELO_EMBEDDED"):
        items.append(NavItem(_("Test mailbox"), root + _OUTBOX, here.startswith(root + _OUTBOX)))
    return items


def workspace_heading(role: str | None) -> str:
    headings = {"coordinator": _("Coordinator workspace"), "editor": _("Editor's workspace"),
                "organizer": _("Organizer's workspace")}
    return str(headings.get(role or "", _("Workspace")))
