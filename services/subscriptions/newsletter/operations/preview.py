"""The preview of an issue: the `newsletter-issue` email as a subscriber gets it, rendered by the mailer.

The context is the one the batch carries; the reader's own links are examples that lead to the
newsletter's page (the mailer fills in an example address).
"""

from __future__ import annotations

from services.subscriptions.newsletter.models import Issue
from services.subscriptions.newsletter.operations.content import TEMPLATE, issue_context, version_for
from shared.clients import ServiceCallFailed
from shared.clients.mailer import MailerClient
from shared.errors import ServiceUnavailable


def issue_html(issue: Issue, language: str, *, primary_language: str, base_url: str,
               mailer: MailerClient | None = None) -> str:
    """The HTML of the issue's version for `language`; ServiceUnavailable (503) when the mailer cannot render it."""
    version = version_for(issue, language, primary_language)
    newsletter_url = f"{base_url}/newsletter/"
    try:
        rendered = (mailer or MailerClient()).preview(
            TEMPLATE, version.language, issue_context(issue, version, base_url),
            personal={"unsubscribe_url": newsletter_url, "preferences_url": newsletter_url})
    except ServiceCallFailed as error:
        raise ServiceUnavailable("The mailer cannot render the preview just now; try again shortly.") from error
    return rendered.html
