"""The workspace's front page: what waits for the coordinator."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article, ArticleStatus, Issue, IssueStatus
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus

WAITING_FOR_REVIEW = (ArticleStatus.SUBMITTED, ArticleStatus.RESUBMITTED)


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "dashboard", dashboard)


def dashboard() -> str:
    session = db.session()
    confirmed = session.scalar(select(func.count()).select_from(Subscriber)
                               .where(Subscriber.status == SubscriberStatus.CONFIRMED)) or 0
    pending = session.scalar(select(func.count()).select_from(Subscriber)
                             .where(Subscriber.status == SubscriberStatus.PENDING)) or 0
    to_review = session.scalar(select(func.count()).select_from(Article)
                               .where(Article.status.in_(WAITING_FOR_REVIEW))) or 0
    drafts = session.scalar(select(func.count()).select_from(Issue).where(Issue.status == IssueStatus.DRAFT)) or 0
    return render_template("admin/newsletter/dashboard.html", confirmed=confirmed, pending=pending,
                           to_review=to_review, drafts=drafts)
