"""The public archive: sent issues as web pages (no personal links) and an Atom feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import Issue, IssueStatus, IssueVersion
from services.subscriptions.newsletter.operations.content import issue_context, version_for
from services.subscriptions.newsletter.operations.issues import sent_issues
from shared.db import utcnow
from shared.errors import NotFound

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class WebVersion:
    issue: Issue
    version: IssueVersion
    context: dict[str, Any]
    languages: list[str]


def listing(session: Session) -> list[Issue]:
    return sent_issues(session)


def web_version(session: Session, issue_id: int, language: str, *, primary_language: str,
                base_url: str) -> WebVersion:
    """A sent issue in the reader's language, with the content of its email and no personal links."""
    issue = session.get(Issue, issue_id)
    if issue is None or issue.status != IssueStatus.SENT:
        raise NotFound("No sent issue with this number.")
    version = version_for(issue, language, primary_language)
    context = issue_context(issue, version, base_url)
    return WebVersion(issue, version, context, [v.language for v in issue.versions])


def atom_feed(session: Session, base_url: str, network_name: str) -> bytes:
    ET.register_namespace("", ATOM)
    sent = sent_issues(session)
    root = ET.Element(f"{{{ATOM}}}feed")
    archive_url = f"{base_url}/newsletter/archive/"
    _text(root, "title", f"{network_name}: uutiskirje · nyhetsbrev · newsletter")
    _text(root, "id", archive_url)
    _text(root, "updated", (sent[0].sent_at if sent and sent[0].sent_at else utcnow()).isoformat())
    ET.SubElement(root, f"{{{ATOM}}}link", href=archive_url, rel="alternate", type="text/html")
    ET.SubElement(root, f"{{{ATOM}}}link", href=f"{archive_url}feed.atom", rel="self",
                  type="application/atom+xml")
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", network_name)
    host = urlsplit(base_url).hostname or "localhost"
    for issue in sent:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        version = issue.primary
        sent_at = issue.sent_at or issue.created_at
        _text(entry, "title", version.title)
        _text(entry, "id", f"tag:{host},{sent_at.date().isoformat()}:newsletter-issue-{issue.id}")
        _text(entry, "updated", sent_at.isoformat())
        _text(entry, "published", sent_at.isoformat())
        ET.SubElement(entry, f"{{{ATOM}}}link", href=f"{archive_url}{issue.id}", rel="alternate", type="text/html",
                      hreflang=issue.language)
        summary = version.introduction.strip() or ", ".join(item.article.title for item in version.items)
        _text(entry, "summary", summary)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + document


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text
