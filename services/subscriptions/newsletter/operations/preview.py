"""The preview of an issue: the `newsletter-issue` email as a subscriber gets it.

The mailer exposes no render endpoint, so this renders the very template files the mailer
renders (services/mailer/templates/email) with the same Jinja settings and MJML compiler, and
fills the per-recipient placeholders with example links. The context is the one the batch carries.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from mjml import mjml2html

from services.subscriptions.newsletter import issues as issue_cases
from services.subscriptions.newsletter.models import Issue

EMAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "mailer" / "templates" / "email"
HELSINKI = ZoneInfo("Europe/Helsinki")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


class ExamplePersonal:
    """The recipient's values in a preview: example links that lead nowhere personal."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self._values.get(key, "")

    def __getitem__(self, key: str) -> str:
        return self.__getattr__(key)


def issue_html(issue: Issue, language: str) -> str:
    primary = str(current_app.config["PRIMARY_LANGUAGE"])
    version = issue_cases.version_for(issue, language, primary)
    base_url = str(current_app.config["BASE_URL"])
    settings = current_app.config["ELO_SETTINGS"]
    newsletter_url = f"{base_url}/newsletter/"
    variables: dict[str, Any] = {
        **issue_cases.email_context(issue, version, base_url),
        "network_name": settings.network_name, "base_url": base_url, "postal_address": settings.postal_address,
        "language": version.language, "list_mail": True,
        "personal": ExamplePersonal({"name": "", "email": "lukija@example.fi", "unsubscribe_url": newsletter_url,
                                     "preferences_url": newsletter_url}),
    }
    source = _environment().get_template(f"{issue_cases.TEMPLATE}/body.{version.language}.mjml").render(variables)
    return str(mjml2html(source))


@functools.cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(EMAIL_TEMPLATES)), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["local_datetime"] = _local_datetime
    return env


@pass_context
def _local_datetime(context: Context, value: Any) -> Markup | str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(HELSINKI)
    language = context.get("language", "fi")
    day = f"{moment.day} {MONTHS_EN[moment.month - 1]} {moment.year}" if language == "en" else \
        f"{moment.day}.{moment.month}.{moment.year}"
    word = {"fi": "klo", "sv": "kl."}.get(language, "at")
    return f"{day} {word} {moment.hour}.{moment.minute:02d}"
