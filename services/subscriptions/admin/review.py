"""The article review queue: read a submitted article, accept it, ask for changes or decline."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case, select
from werkzeug.wrappers import Response

from services.subscriptions.models import db
from services.subscriptions.newsletter import articles as article_cases
from services.subscriptions.newsletter.content import theme_labels
from services.subscriptions.newsletter.models import Article, ArticleStatus
from shared.errors import DomainError
from shared.web import current_language
from shared.web_auth import current_user

QUEUE = (ArticleStatus.SUBMITTED, ArticleStatus.RESUBMITTED)


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/articles", "articles", articles_page)
    blueprint.add_url_rule("/articles/<int:article_id>", "article", article_page)
    blueprint.add_url_rule("/articles/<int:article_id>/decision", "article_decision", decide, methods=["POST"])


def status_labels() -> dict[str, str]:
    return {"submitted": _("Waiting for review"), "resubmitted": _("Changed, waiting for review"),
            "changes-requested": _("Changes asked from the author"), "accepted": _("Accepted"),
            "rejected": _("Declined"), "published": _("Published"), "withdrawn": _("Withdrawn by the author")}


def decision_labels() -> list[tuple[str, str]]:
    return [("accepted", _("Accept")), ("changes-requested", _("Ask the author for changes")),
            ("rejected", _("Decline"))]


def articles_page() -> str:
    waiting_first = case((Article.status.in_(QUEUE), 0), else_=1)
    found = list(db.session().scalars(select(Article).order_by(waiting_first, Article.updated_at.desc()).limit(200)))
    return render_template("admin/newsletter/articles.html", articles=found, statuses=status_labels(),
                           queue=[a for a in found if a.status in QUEUE],
                           others=[a for a in found if a.status not in QUEUE])


def article_page(article_id: int, errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    article = article_cases.get_article(db.session(), article_id)
    return render_template("admin/newsletter/article.html", article=article, statuses=status_labels(),
                           decisions=decision_labels(), can_decide=article.status in QUEUE, errors=errors or {},
                           themes=theme_labels(list(article.themes), current_language())), status


def decide(article_id: int) -> Response | tuple[str, int]:
    choice = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip()
    if choice not in {value for value, _label in decision_labels()}:
        return article_page(article_id, {"decision": [_("Choose a decision.")]}, 422)
    if choice == "changes-requested" and not comment:
        return article_page(article_id, {"comment": [_("Tell the author what to change.")]}, 422)
    session = db.session()
    user = current_user()
    try:
        article_cases.decide(session, article_id, ArticleStatus(choice), role=user.role if user else "editor",
                             comment=comment or None, base_url=current_app.config["BASE_URL"],
                             secret_key=current_app.config["SECRET_KEY"])
    except DomainError as error:
        session.rollback()
        flash(_("The decision was not saved: %(reason)s", reason=error.detail), "error")
        return redirect(url_for(".article", article_id=article_id))
    session.commit()
    flash(_("Decision saved. The author gets an email."), "success")
    return redirect(url_for(".articles"))
