"""The public archive: sent issues as web pages (no personal links) and an Atom feed."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import Article, Issue, IssueArticle, IssueStatus, IssueVersion
from services.subscriptions.newsletter.operations.content import issue_context, version_for
from services.subscriptions.newsletter.operations.issues import sent_issues
from shared.errors import NotFound

ATOM = "http://www.w3.org/2005/Atom"
# The `updated` of a feed without entries: a fixed instant, so an unchanged empty feed is the same document.
EMPTY_FEED_UPDATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


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


@dataclass(frozen=True)
class FeedStamp:
    """The Atom feed's ETag and Last-Modified, read without building the feed."""

    etag: str
    last_modified: dt.datetime


def feed_stamp(session: Session, base_url: str, network_name: str) -> FeedStamp:
    """Made of every sent issue's id and times and the last change of an article in one of them: a sent
    issue's versions can no longer be edited, so an entry changes only with its articles' titles."""
    issues = session.execute(select(Issue.id, Issue.sent_at, Issue.created_at, Issue.updated_at)
                             .where(Issue.status == IssueStatus.SENT).order_by(Issue.id)).all()
    articles_changed = session.scalar(
        select(func.max(Article.updated_at)).join(IssueArticle, IssueArticle.article_id == Article.id)
        .join(IssueVersion, IssueVersion.id == IssueArticle.version_id)
        .join(Issue, Issue.id == IssueVersion.issue_id).where(Issue.status == IssueStatus.SENT))
    times = [time for row in issues for time in (row.sent_at or row.created_at, row.updated_at)]
    last_modified = max([*times, *([articles_changed] if articles_changed else [])], default=EMPTY_FEED_UPDATED)
    version = ";".join(f"{row.id}.{(row.sent_at or row.created_at).timestamp():.6f}.{row.updated_at.timestamp():.6f}"
                       for row in issues)
    version += f"|{articles_changed.timestamp() if articles_changed else ''}|{base_url}|{network_name}"
    return FeedStamp(hashlib.sha256(version.encode()).hexdigest()[:32], last_modified)


def atom_feed(session: Session, base_url: str, network_name: str) -> bytes:
    ET.register_namespace("", ATOM)
    sent = sent_issues(session)
    root = ET.Element(f"{{{ATOM}}}feed")
    archive_url = f"{base_url}/newsletter/archive/"
    _text(root, "title", f"{network_name}: uutiskirje · nyhetsbrev · newsletter")
    _text(root, "id", archive_url)
    _text(root, "updated", (sent[0].sent_at if sent and sent[0].sent_at else EMPTY_FEED_UPDATED).isoformat())
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
