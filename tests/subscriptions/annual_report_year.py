"""A year whose every annual-report figure is known by construction (issue #17), across the services.

Events are made next year through the real use-cases (registration needs a future event), checked in and given
feedback, then moved two years back into YEAR (last year). The newsletter's issues, articles and consent history
and the survey are rows with their YEAR dates. Beside every row: what it adds. `EXPECTED` holds the report's
tables in English: {table caption: {row label: [values]}}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from werkzeug.test import Client

from services.events.models import Event, Registration
from services.events.models import db as events_db
from services.events.operations import feedback
from services.subscriptions.models import db
from services.subscriptions.newsletter.models import (
    Article,
    ArticleDecision,
    ArticleStatus,
    Issue,
    IssueStatus,
    IssueVersion,
)
from services.subscriptions.subscribers.models import ConsentAction, ConsentEvent, ConsentSource
from services.subscriptions.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyStatus
from shared.db import utcnow
from shared.formatting import HELSINKI
from tests.events.factories import make_event, register
from tests.subscriptions.newsletter_factories import make_article

YEAR = utcnow().astimezone(HELSINKI).year - 1
PLANNED = YEAR + 2  # events are made then, and moved back two years


def helsinki(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


# --- events ------------------------------------------------------------------------------------------------------

def _event(app: Flask, title: str, starts: dt.datetime, **values: Any) -> int:
    event = make_event(app, title={"fi": title, "sv": title, "en": title}, starts_at=starts.isoformat(),
                       ends_at=(starts + dt.timedelta(hours=3)).isoformat(), **values)
    return event.id


def _check_in(client: Client, headers: dict[str, str], registration_id: int) -> None:
    answer = client.patch(f"/events/api/v1/registrations/{registration_id}", json={"checked_in": True},
                          headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)


def _feedback(app: Flask, registration_id: int, answers: dict[str, str]) -> None:
    with app.app_context(), events_db.transaction() as session:
        feedback.submit_feedback(session, session.get_one(Registration, registration_id), answers)


def build_events(app: Flask, client: Client, organizer: dict[str, str]) -> dict[str, int]:
    seminar = _event(app, "Vuosiseminaari", helsinki(PLANNED, 3, 12, 10), kind="seminar", mode="hybrid",
                     themes=["coordinated", "knowledge"], capacity=2)
    aino = register(app, seminar, "aino@example.fi", organisation="Oulun yliopisto", sector="education",
                    participation="onsite")  # confirmed, checked in, feedback 5 and 4
    bo = register(app, seminar, "bo@example.fi", organisation="Oulun yliopisto", sector="higher_education",
                  participation="remote")  # cancelled by the organiser
    cecilia = register(app, seminar, "cecilia@example.fi", organisation="TE-toimisto Pohjois-Pohjanmaa",
                       sector="employment_services", participation="onsite")  # waiting list, then Bo's seat
    assert cecilia.status.value == "waitlisted"
    cancelled = client.post(f"/events/api/v1/registrations/{bo.id}/cancel", headers=organizer)
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    for person in (aino.id, cecilia.id):
        _check_in(client, organizer, person)
    _feedback(app, aino.id, {"overall": "5", "useful": "4"})

    training = _event(app, "Digiohjauksen koulutus", helsinki(PLANNED, 6, 10, 9), kind="training", mode="online",
                      themes=["digital"], capacity=None, address="")
    erkki = register(app, training, "erkki@example.fi", organisation="", participation="remote")  # no sector
    fanny = register(app, training, "fanny@example.fi", organisation="Ålands landskapsregering", sector="business",
                     participation="remote")
    _check_in(client, organizer, erkki.id)
    _feedback(app, erkki.id, {"overall": "4"})
    _feedback(app, fanny.id, {"overall": "3"})

    called_off = _event(app, "Peruttu kokous", helsinki(PLANNED, 4, 1, 13), kind="group-meeting", mode="online",
                        themes=["quality"], capacity=None, address="")
    register(app, called_off, "xavier@example.fi", sector="other", participation="remote")
    assert client.post(f"/events/api/v1/events/{called_off}/cancel", headers=organizer).status_code == 200

    # Half past midnight on New Year's Day in Helsinki (still YEAR in UTC): the next year's.
    next_year = _event(app, "Ensi vuoden koulutus", helsinki(PLANNED + 1, 1, 1, 0, 30), kind="training",
                       mode="onsite", themes=["digital"], capacity=None, online_url="")
    register(app, next_year, "zoe@example.fi", sector="other", participation="onsite", organisation="Muu")
    ids = {"seminar": seminar, "training": training, "called_off": called_off, "next_year": next_year,
           "cecilia": cecilia.id}
    _move_back(app, [seminar, training, called_off, next_year])
    return ids


def _move_back(app: Flask, event_ids: list[int]) -> None:
    """The same Helsinki wall-clock times two years earlier (`PLANNED` → `YEAR`)."""
    def earlier(moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        local = moment.astimezone(HELSINKI)
        return local.replace(year=local.year - (PLANNED - YEAR)).astimezone(dt.UTC)

    with app.app_context(), events_db.transaction() as session:
        for event_id in event_ids:
            event = session.get_one(Event, event_id)
            event.starts_at, event.ends_at = earlier(event.starts_at), earlier(event.ends_at)  # type: ignore[assignment]
            event.registration_opens_at = earlier(event.registration_opens_at)
            event.registration_closes_at = earlier(event.registration_closes_at)


# --- newsletter ----------------------------------------------------------------------------------------------------

def add_issue(title: str, sent_at: dt.datetime, recipients: int, status: IssueStatus = IssueStatus.SENT) -> int:
    with db.transaction() as session:
        issue = Issue(language="fi", status=status, sent_at=sent_at if status is IssueStatus.SENT else None,
                      total=recipients, sent_count=recipients, failed_count=0, suppressed_count=0)
        issue.versions.append(IssueVersion(language="fi", title=title, introduction=""))
        session.add(issue)
        session.flush()
        return issue.id


def _article(themes: list[str], submitted: dt.datetime, published: dt.datetime | None) -> None:
    article_id = make_article(ArticleStatus.PUBLISHED if published else ArticleStatus.SUBMITTED, themes=themes)
    with db.transaction() as session:
        article = session.get_one(Article, article_id)
        article.created_at = submitted
        if published:
            session.add(ArticleDecision(article_id=article_id, from_status=ArticleStatus.ACCEPTED,
                                        to_status=ArticleStatus.PUBLISHED, by_role="system", created_at=published))


def consent(address: str, action: ConsentAction, when: dt.datetime) -> None:
    with db.transaction() as session:
        session.add(ConsentEvent(subscriber_id=None, email_hash=f"hash-{address}", action=action,
                                 source=ConsentSource.DEMO, wording_version="test", language="fi", topics="newsletter",
                                 occurred_at=when))


def build_newsletter() -> None:
    add_issue("Uutiskirje 1", helsinki(YEAR, 3, 15), 3)
    add_issue("Nyhetsbrev 2", helsinki(YEAR, 10, 1), 4)
    add_issue("Edellisen vuoden numero", helsinki(YEAR - 1, 12, 20), 9)  # another year
    add_issue("Luonnos", helsinki(YEAR, 5, 1), 0, IssueStatus.DRAFT)  # not sent

    _article(["digital", "accessible"], helsinki(YEAR, 2, 1), helsinki(YEAR, 3, 15))
    _article(["digital"], helsinki(YEAR, 5, 1), helsinki(YEAR, 10, 1))
    _article(["knowledge"], helsinki(YEAR, 11, 1), None)
    _article(["quality"], helsinki(YEAR - 1, 11, 1), helsinki(YEAR, 3, 15))  # submitted the year before
    _article(["equitable"], helsinki(YEAR, 12, 31, 23, 30), None)
    _article(["equitable"], helsinki(YEAR + 1, 1, 1, 0, 30), None)  # still YEAR in UTC: the next year's

    c, u = ConsentAction.CONFIRM, ConsentAction.UNSUBSCRIBE
    for address, action, when in (
        ("h1", c, helsinki(YEAR - 1, 5, 1)), ("h1", u, helsinki(YEAR, 4, 10)),  # on at the start, left April
        ("h2", c, helsinki(YEAR - 1, 6, 1)),  # on all year
        ("h3", ConsentAction.SUBSCRIBE, helsinki(YEAR, 1, 20)), ("h3", c, helsinki(YEAR, 1, 21)),  # joined January
        ("h4", ConsentAction.SUBSCRIBE, helsinki(YEAR, 3, 2)),  # never confirmed
        ("h5", c, helsinki(YEAR, 3, 5)), ("h5", ConsentAction.BOUNCE, helsinki(YEAR, 8, 1)),  # March, bounced August
        ("h6", ConsentAction.IMPORT, helsinki(YEAR, 6, 15)), ("h6", ConsentAction.CHANGE, helsinki(YEAR, 7, 1)),
        ("h7", ConsentAction.ERASE, helsinki(YEAR, 9, 9)),  # erased: its history went with it
        ("h8", c, helsinki(YEAR, 1, 1, 0, 30)),  # New Year's night in Helsinki: January
        ("h9", c, helsinki(YEAR + 1, 1, 1, 0, 30)),  # the next year's
        ("h10", c, helsinki(YEAR, 2, 10)), ("h10", u, helsinki(YEAR, 11, 11)), ("h10", c, helsinki(YEAR, 12, 1)),
    ):
        consent(address, action, when)


# --- survey --------------------------------------------------------------------------------------------------------

def _three(text: str) -> dict[str, str]:
    return {"fi": text, "sv": text, "en": text}


def build_survey() -> None:
    with db.transaction() as session:
        survey = Survey(title=_three("Network survey"), year=YEAR, status=SurveyStatus.CLOSED, invited=4, answered=2,
                        audience={"group": True})
        survey.questions = [
            SurveyQuestion(position=1, kind="rating", text=_three("How useful was the work?"), options={}),
            SurveyQuestion(position=2, kind="single", text=_three("Did you take part?"),
                           options={"fi": ["Kyllä", "Ei"], "sv": ["Ja", "Nej"], "en": ["Yes", "No"]}),
            SurveyQuestion(position=3, kind="text", text=_three("What next?"), options={})]
        session.add(survey)
        session.add(Survey(title=_three("Last year's survey"), year=YEAR - 1, status=SurveyStatus.CLOSED, invited=9,
                           answered=9))
        session.flush()
        rating, single, text = (question.id for question in survey.questions)
        for values in ({rating: 5, single: 0, text: "Lisää koulutusta"}, {rating: 4, single: 0}):
            session.add(SurveyResponse(survey_id=survey.id, submitted_on=dt.date(YEAR, 10, 10),
                                       answers=[SurveyAnswer(question_id=key, value=value)
                                                for key, value in values.items()]))


def build_year(apps: dict[str, Flask], client: Client, organizer: dict[str, str]) -> dict[str, int]:
    ids = build_events(apps["events"], client, organizer)
    build_newsletter()
    build_survey()
    return ids


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
GROWTH = [(2, 0), (1, 0), (1, 0), (0, 1), (0, 0), (1, 0), (0, 0), (0, 1), (0, 0), (0, 0), (0, 1), (1, 0)]


def _growth() -> dict[str, list[Any]]:
    rows, on_list = {}, 2
    for month, (joined, left) in zip(MONTHS, GROWTH, strict=True):
        on_list += joined - left
        rows[month] = [joined, left, on_list]
    return rows


EXPECTED: dict[str, dict[str, list[Any]]] = {
    "What the network did under each theme": {
        "Accessible and client-centred": [0, 0, 0, 1], "Digital": [1, 2, 1, 2], "Quality and competence": [0, 0, 0, 1],
        "Equitable and sustainable": [0, 0, 0, 0], "Cross-sectoral and coordinated": [1, 2, 2, 0],
        "Knowledge-based": [1, 2, 2, 0]},
    "Events in the year": {"Events": [2], "Cancelled events": [1]},
    "Events by kind": {"Annual seminar": [1], "Training": [1], "Network meeting": [0], "Group meeting": [0]},
    "Events by mode": {"On site": [0], "Online": [1], "On site and online": [1]},
    "Events by theme": {"Accessible and client-centred": [0], "Digital": [1], "Quality and competence": [0],
                        "Equitable and sustainable": [0], "Cross-sectoral and coordinated": [1],
                        "Knowledge-based": [1]},
    "Registrations and attendance": {
        "Registrations": [5], "Confirmed seats": [4], "Attended (checked in)": [3], "Took part remotely": [2],
        "Remote share (%)": [50.0], "Cancelled registrations": [1], "Promoted from the waiting list": [1]},
    "Participants by sector": {
        "Education: basic, upper secondary or vocational": [1], "Employment services": [1],
        "Municipal youth or social services": [0], "Higher education": [0],
        "Association or foundation (third sector)": [0], "Business": [1], "Other": [0], "Not asked": [1]},
    "Participants by organisation": {"Oulun yliopisto": [1], "TE-toimisto Pohjois-Pohjanmaa": [1],
                                     "Ålands landskapsregering": [1]},
    "Feedback averages per event (scale 1-5)": {
        "Vuosiseminaari": [dt.date(YEAR, 3, 12), 1, 4.5], "Digiohjauksen koulutus": [dt.date(YEAR, 6, 10), 2, 3.5]},
    "The newsletter in the year": {
        "Issues sent": [2], "Recipients of the issues": [7], "Subscribers on 1 January": [2],
        "Subscribers on 31 December": [5], "Joined": [6], "Left": [3], "Unsubscribes": [2], "Erased their data": [1]},
    "Issues sent": {"Uutiskirje 1": [dt.date(YEAR, 3, 15), 3], "Nyhetsbrev 2": [dt.date(YEAR, 10, 1), 4]},
    "Growth by month": _growth(),
    "Articles by theme": {
        "Accessible and client-centred": [1, 1], "Digital": [2, 2], "Quality and competence": [0, 1],
        "Equitable and sustainable": [1, 0], "Cross-sectoral and coordinated": [0, 0], "Knowledge-based": [1, 0],
        "Articles in all": [4, 3]},
    "Network survey": {"Invited": [4], "Answered": [2], "Response rate (%)": [50.0]},
    "How useful was the work?": {"Average": [4.5]},
    "Did you take part?": {"Yes": [2], "No": [0]},
    "What next?": {"Written answers": [1]},
}
