"""Article submission (page and API), the review workflow, and the author's link."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article, ArticleStatus
from services.subscriptions.newsletter.operations.articles import TRANSITIONS
from tests.subscriptions.conftest import emails_to
from tests.subscriptions.newsletter_factories import XSS, active_content, article_body, make_article, make_issue

API = "/newsletter/api/v1/articles"


def _only_article() -> Article:
    with db.transaction() as session:
        articles = list(session.query(Article).all())
        assert len(articles) == 1
        session.expunge_all()
        return articles[0]


def _status_url(address: str = "anna.korhonen@example.fi") -> str:
    receipt = emails_to(address, "article-received")[-1]
    url: str = receipt["context"]["personal"]["status_url"]
    return url.removeprefix("http://127.0.0.1:8000")


def test_api_submission_stores_sanitised_article_and_sends_receipt(client: Client) -> None:
    response = client.post(API, json=article_body(body="Hei [linkki](https://ely.fi) <script>alert(1)</script>",
                                                   image_url="https://example.fi/kuva.jpg",
                                                   image_alt="Ohjaaja ja nuori"))
    assert response.status_code == 202
    assert response.get_json() == {"status": "submitted"}
    article = _only_article()
    assert article.status == ArticleStatus.SUBMITTED
    assert "<script" not in article.body_html
    assert 'rel="noopener noreferrer"' in article.body_html
    receipt = emails_to("anna.korhonen@example.fi", "article-received")
    assert len(receipt) == 1
    assert receipt[0]["language"] == "fi"
    assert "/newsletter/articles/" in receipt[0]["context"]["personal"]["status_url"]


@pytest.mark.parametrize(("field", "value"), [
    ("themes", ["digital", "weather"]), ("themes", []), ("language", "de"), ("email", "not-an-address"),
    ("image_url", "http://example.fi/kuva.jpg"), ("title", ""),
])
def test_api_refuses_bad_fields_by_name(client: Client, field: str, value: Any) -> None:
    response = client.post(API, json=article_body(**{field: value}))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert emails_to("anna.korhonen@example.fi") == []


def test_image_needs_alt_text(client: Client) -> None:
    response = client.post(API, json=article_body(image_url="https://example.fi/kuva.jpg"))
    assert response.status_code == 422
    assert "image_alt" in response.get_json()["errors"]


def test_honeypot_answers_the_same_and_stores_nothing(client: Client) -> None:
    response = client.post(API, json=article_body(website="http://spam.example"))
    assert response.status_code == 202
    with db.transaction() as session:
        assert session.query(Article).count() == 0


def test_submissions_are_rate_limited(client: Client) -> None:
    statuses = [client.post(API, json=article_body()).status_code for _ in range(7)]
    assert statuses[:5] == [202] * 5
    assert statuses[-1] == 429


def test_submit_page_shows_errors_next_to_fields_in_finnish(client: Client) -> None:
    page = client.get("/newsletter/submit?lang=fi")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="website"' in html
    assert "Saavutettavasti ja asiakaslähtöisesti" in html
    response = client.post("/newsletter/submit?lang=fi", data={"title": "", "email": "x", "language": "fi"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-email-error"' in html
    assert 'aria-invalid="true"' in html
    assert "error-summary" in html
    assert "Kirjoita sähköpostiosoite" in html


def test_submit_page_accepts_a_form(client: Client) -> None:
    form = {**article_body(), "themes": ["digital", "quality"]}
    response = client.post("/newsletter/submit", data=form)
    assert response.status_code == 303
    assert _only_article().themes == ["digital", "quality"]


def test_xss_in_every_field_is_neutralised_on_the_status_page(client: Client) -> None:
    fields = {name: f"{name} {XSS}" for name in ("title", "summary", "body", "author_name", "organisation")}
    response = client.post(API, json=article_body(**fields, image_url="https://example.fi/a.jpg?x=\"><script>",
                                                  image_alt=f"alt {XSS}"))
    assert response.status_code == 202
    html = client.get(_status_url()).get_data(as_text=True)
    assert "<script>alert" not in html
    assert active_content(html) == []
    assert "&lt;script&gt;" in html  # shown as text, not run


def _decide(client: Client, headers: dict[str, str], article_id: int, decision: str,
            comment: str | None = None) -> Any:
    return client.post(f"{API}/{article_id}/decision", json={"decision": decision, "comment": comment},
                       headers=headers)


def test_review_needs_an_editor_token(client: Client, admin_headers: Any) -> None:
    article_id = make_article(ArticleStatus.SUBMITTED)
    assert _decide(client, {}, article_id, "accepted").status_code == 401
    assert _decide(client, admin_headers("organizer"), article_id, "accepted").status_code == 403
    assert _decide(client, admin_headers("editor"), article_id, "accepted").status_code == 200


def test_changes_requested_then_resubmitted_then_accepted(client: Client, admin_headers: Any) -> None:
    client.post(API, json=article_body(language="sv", email="kaj@example.fi"))
    article = _only_article()
    editor = admin_headers("editor")
    response = _decide(client, editor, article.id, "changes-requested", "Lägg till kontaktuppgifter, tack.")
    assert response.status_code == 200
    assert response.get_json()["status"] == "changes-requested"
    decision_mail = emails_to("kaj@example.fi", "article-decision")[-1]
    assert decision_mail["language"] == "sv"
    assert decision_mail["context"]["comment"] == "Lägg till kontaktuppgifter, tack."
    status_url = _status_url("kaj@example.fi")
    page = client.get(status_url).get_data(as_text=True)
    assert "Lägg till kontaktuppgifter" in page
    assert 'value="resubmit"' in page
    form = {**article_body(language="sv", title="Vägledning på distans i Österbotten"), "action": "resubmit"}
    form.pop("email")
    assert client.post(status_url, data=form).status_code == 303
    article = _only_article()
    assert article.status == ArticleStatus.RESUBMITTED
    assert article.revision == 2
    assert article.author_email == "kaj@example.fi"
    assert len(emails_to("kaj@example.fi", "article-received")) == 2  # a receipt for the new version too
    assert _decide(client, editor, article.id, "accepted", None).status_code == 200
    assert _only_article().status == ArticleStatus.ACCEPTED


def test_invalid_transition_is_409_problem(client: Client, admin_headers: Any) -> None:
    editor = admin_headers("editor")
    article_id = make_article(ArticleStatus.REJECTED)
    response = _decide(client, editor, article_id, "accepted")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    published = make_article(ArticleStatus.PUBLISHED)
    assert _decide(client, editor, published, "changes-requested").status_code == 409


def test_author_withdraws_through_the_link_once(client: Client, admin_headers: Any) -> None:
    client.post(API, json=article_body())
    status_url = _status_url()
    assert client.post(status_url, data={"action": "withdraw"}).status_code == 303
    assert _only_article().status == ArticleStatus.WITHDRAWN
    assert client.post(status_url, data={"action": "withdraw"}).status_code == 409
    assert _decide(client, admin_headers("editor"), _only_article().id, "accepted").status_code == 409


def test_a_tampered_link_is_not_found(client: Client) -> None:
    client.post(API, json=article_body())
    assert client.get(_status_url() + "x").status_code == 404


def test_the_transition_table_has_exactly_the_documented_edges() -> None:
    edges = {(a.value, b.value) for a, b in TRANSITIONS}
    assert ("submitted", "accepted") in edges
    assert ("changes-requested", "resubmitted") in edges
    assert ("accepted", "published") in edges
    assert ("rejected", "accepted") not in edges
    assert not any(target == "withdrawn" and source in ("rejected", "published", "withdrawn")
                   for source, target in edges)


def test_editor_lists_articles_by_status(client: Client, admin_headers: Any) -> None:
    make_article(ArticleStatus.SUBMITTED)
    make_article(ArticleStatus.ACCEPTED)
    response = client.get(f"{API}?status=accepted", headers=admin_headers("editor"))
    assert response.status_code == 200
    assert [a["status"] for a in response.get_json()] == ["accepted"]


def test_an_authors_data_is_exported_and_erased(client: Client, admin_headers: Any) -> None:
    from services.subscriptions.newsletter.privacy import ERASED_ADDRESS, erase_author, export_author

    published = make_article(ArticleStatus.PUBLISHED, email="Anna.K@example.fi")
    in_a_draft = make_article(ArticleStatus.ACCEPTED, email="anna.k@example.fi")
    make_issue(client, admin_headers("editor"), article_ids=[in_a_draft])
    make_article(ArticleStatus.SUBMITTED, email="someone.else@example.fi")
    with db.transaction() as session:
        exported = export_author(session, "anna.k@example.fi")
        assert [a["status"] for a in exported] == ["published", "accepted"]
        assert erase_author(session, "ANNA.K@example.fi") == 2
    with db.transaction() as session:
        remaining = {a.id: a.author_email for a in session.query(Article)}
        assert remaining[published] == ERASED_ADDRESS
        assert len(remaining) == 3  # the draft issue's own article and the other author's stay
        assert export_author(session, "anna.k@example.fi") == []


def test_the_same_article_sent_twice_moments_apart_is_one_article_with_one_receipt(client: Client) -> None:
    answers = [client.post(API, json=article_body()) for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].get_json() == answers[1].get_json()
    _only_article()
    assert len(emails_to("anna.korhonen@example.fi", "article-received")) == 1
    client.post(API, json=article_body(title="Toinen juttu"))  # a different article is a new one
    with db.transaction() as session:
        assert session.query(Article).count() == 2


def test_a_double_click_at_the_same_moment_stores_one_article(client: Client) -> None:
    import threading

    codes: list[int] = []
    start = threading.Barrier(2)

    def submit() -> None:
        start.wait()
        codes.append(client.post(API, json=article_body()).status_code)

    clicks = [threading.Thread(target=submit) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    assert codes == [202, 202]
    _only_article()
    assert len(emails_to("anna.korhonen@example.fi", "article-received")) == 1
