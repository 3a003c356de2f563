"""The newsletter's finished demo year (2025) for the annual report (issue #17), in the default network: three
issues sent with the articles members wrote (themes from the network strategy, seed 003; topics from the action
plan and the trainings named in seeds 000-002), two articles that were not published, and the subscriber list's
year as consent history: people on the list since 2024, people who joined month by month (most after an issue
or the seminar) and a few who left.

The events' 2025 is the events service's own demo (`services.events.demo_year`) and the survey is the surveys
part's. The year is left live here (not finalised): this runs before the events demo, so the events figures
are not there yet; the coordinator finalises it from the report page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import (
    Article,
    ArticleDecision,
    ArticleStatus,
    Issue,
    IssueArticle,
    IssueStatus,
    IssueVersion,
)
from services.subscriptions.newsletter.operations.content import render_markdown
from services.subscriptions.subscribers.models import (
    CONSENT_WORDING_VERSION,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
)
from shared.formatting import HELSINKI
from shared.privacy import email_hash

YEAR = 2025
S = ArticleStatus


def _at(month: int, day: int, hour: int = 10, year: int = YEAR) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=HELSINKI).astimezone(dt.UTC)


# (key, status, themes, submitted (month, day), title, summary, author, organisation)
ARTICLES: list[tuple[str, ArticleStatus, list[str], tuple[int, int], str, str, str, str]] = [
    ("vuosikello", S.PUBLISHED, ["coordinated"], (2, 3), "Yhteistyöryhmän vuosikello valmistui",
     "Vuosikello kokoaa ryhmän kokoukset, koulutukset ja vuosiseminaarin yhteen näkymään.",
     "Minna Kärkkäinen", "Pohjois-Pohjanmaan liitto"),
    ("kieli", S.PUBLISHED, ["accessible", "equitable"], (2, 20), "Kieli- ja kulttuuritietoisuus ohjauksessa",
     "Kevään koulutuksessa harjoiteltiin selkokieltä ja ohjausta maahan muuttaneiden kanssa.",
     "Amira Hassan", "Oulun seudun ammattiopisto"),
    ("jod", S.PUBLISHED, ["digital", "knowledge"], (4, 14), "JOD-palvelut ohjaajan työkaluna",
     "Jatkuvan oppimisen digitaaliset palvelut kokoavat tiedon koulutuksesta ja työstä yhteen paikkaan.",
     "Väinö Heikkinen", "Pohjois-Pohjanmaan TE-toimisto"),
    ("tasa-arvo", S.PUBLISHED, ["equitable"], (5, 6), "Sukupuolten tasa-arvo uravalinnoissa",
     "Miten ohjaaja voi purkaa sukupuolen mukaan eriytyneitä koulutusvalintoja?",
     "Saara Koskinen", "Oulun yliopisto"),
    ("vihrea", S.PUBLISHED, ["equitable", "quality"], (9, 2), "Vihreä siirtymä ja ohjaajan osaaminen",
     "Syksyn koulutuksessa pohdittiin, mitä vihreä siirtymä tarkoittaa työelämälle ja ohjaukselle.",
     "Oskari Laitinen", "Raahen koulutuskuntayhtymä"),
    ("seminaari", S.PUBLISHED, ["coordinated", "knowledge"], (10, 1), "Vuosiseminaari kokosi 120 ohjaajaa",
     "Seminaarissa kuultiin alueen ohjauksen tilannekuva ja sovittiin ensi vuoden painopisteet.",
     "Elsa Lindqvist", "Pohjois-Pohjanmaan ELY-keskus"),
    ("etaohjaus", S.REJECTED, ["digital"], (6, 12), "Etäohjauksen välineet vertailussa",
     "Vertailimme kolmea etäohjauksen välinettä ohjaajien näkökulmasta.",
     "Tuomas Ylikoski", "Oulun Aikuiskoulutuskeskus Oy"),
    ("nuoret", S.SUBMITTED, ["accessible"], (11, 24), "Etsivä nuorisotyö tavoittaa syrjäkylien nuoret",
     "Etsivä nuorisotyö kulkee sinne, missä nuoret ovat, myös kuntakeskusten ulkopuolella.",
     "Petri Rautio", "Oulun kaupunki / Byström nuorten palvelut"),
]

# (title, sent (month, day), the articles, recipients)
ISSUES: list[tuple[str, tuple[int, int], list[str], int]] = [
    ("ELO-uutiskirje 1/2025", (3, 18), ["vuosikello", "kieli"], 14),
    ("ELO-uutiskirje 2/2025", (6, 10), ["jod", "tasa-arvo"], 19),
    ("ELO-uutiskirje 3/2025", (11, 20), ["vihrea", "seminaari"], 25),
]

FIRST = ("Aleksi", "Ella", "Juho", "Noora", "Ville", "Iida", "Teemu", "Sofia", "Antti", "Emilia", "Lauri", "Veera",
         "Mikko", "Aada", "Tommi", "Kerttu", "Niklas", "Hanna", "Samuel", "Julia", "Eero", "Pinja", "Otto", "Maria",
         "Rasmus", "Anni", "Elias", "Oona", "Joel", "Siiri")
LAST = ("Rautio", "Kangas", "Ollila", "Pesonen", "Kemppainen", "Alatalo", "Haapala", "Lehtola", "Karjalainen",
        "Suorsa", "Pelkonen", "Väyrynen", "Törmänen", "Jokela", "Keränen", "Määttä", "Holmberg", "Lindqvist",
        "Sundqvist", "Tapio", "Kinnunen", "Niskanen", "Vähäkangas", "Ylitalo", "Honkala", "Seppänen", "Juntunen",
        "Mustonen", "Heikkilä", "Kyllönen")
DOMAINS = ("osao", "oamk", "oulu", "ouka", "te-toimisto", "luovi", "jedu", "raahe", "ksak", "msl")
# Joined (year, month, day); left (month, day, how) or None. Six were on the list when the year began.
HISTORY: list[tuple[tuple[int, int, int], tuple[int, int, ConsentAction] | None]] = [
    ((2024, 9, 3), None), ((2024, 9, 25), (4, 2, ConsentAction.UNSUBSCRIBE)), ((2024, 10, 8), None),
    ((2024, 11, 19), None), ((2024, 12, 2), (10, 14, ConsentAction.BOUNCE)), ((2024, 12, 12), None),
    ((2025, 1, 9), None), ((2025, 1, 15), None), ((2025, 1, 28), (7, 3, ConsentAction.UNSUBSCRIBE)),
    ((2025, 2, 11), None), ((2025, 2, 24), None),
    ((2025, 3, 19), None), ((2025, 3, 19), None), ((2025, 3, 21), None), ((2025, 3, 27), None),
    ((2025, 4, 16), None), ((2025, 5, 20), None), ((2025, 6, 11), None), ((2025, 6, 12), None),
    ((2025, 8, 14), None), ((2025, 8, 19), (12, 8, ConsentAction.UNSUBSCRIBE)), ((2025, 8, 28), None),
    ((2025, 9, 4), None), ((2025, 9, 11), None), ((2025, 9, 24), None), ((2025, 9, 30), None),
    ((2025, 10, 6), None), ((2025, 10, 23), None), ((2025, 11, 21), None), ((2025, 12, 3), None),
]
LEFT = {ConsentAction.UNSUBSCRIBE: SubscriberStatus.UNSUBSCRIBED, ConsentAction.BOUNCE: SubscriberStatus.BOUNCED}


def seed(session: Session) -> None:
    """The 2025 rows, once (nothing when an issue was already sent in 2025)."""
    start, end = _at(1, 1, 0), _at(1, 1, 0, YEAR + 1)
    if session.scalar(select(Issue.id).where(Issue.sent_at >= start, Issue.sent_at < end).limit(1)) is not None:
        return
    articles = {data[0]: _article(session, data) for data in ARTICLES}
    for title, (month, day), keys, recipients in ISSUES:
        sent_at = _at(month, day, 9)
        issue = Issue(language="fi", status=IssueStatus.SENT, started_at=sent_at, handed_over_at=sent_at,
                      sent_at=sent_at + dt.timedelta(minutes=20), total=recipients, sent_count=recipients,
                      failed_count=0, suppressed_count=0, created_at=sent_at - dt.timedelta(days=3))
        issue.versions = [IssueVersion(language="fi", title=title,
                                       introduction="Hyvä lukija,\n\ntässä numerossa jäsenten kirjoittamia juttuja.",
                                       items=[IssueArticle(article=articles[key], position=n)
                                              for n, key in enumerate(keys)])]
        session.add(issue)
        for key in keys:
            _published(articles[key], sent_at + dt.timedelta(minutes=20))
    _subscribers(session)
    session.flush()


def _article(session: Session, data: tuple[Any, ...]) -> Article:
    _key, status, themes, (month, day), title, summary, author, organisation = data
    body = f"{summary}\n\nKirjoittaja: {author}, {organisation}."
    submitted = _at(month, day)
    local = author.lower().replace(" ", ".").translate(str.maketrans("äöå", "aoa"))
    article = Article(status=status, title=title, summary=summary, body_markdown=body, body_html=render_markdown(body),
                      author_name=author, author_email=f"{local}@example.fi", organisation=organisation,
                      themes=themes, language="fi", created_at=submitted, updated_at=submitted)
    if status is not S.SUBMITTED:
        decided = S.ACCEPTED if status is S.PUBLISHED else status
        article.decisions.append(ArticleDecision(from_status=S.SUBMITTED, to_status=decided, by_role="coordinator",
                                                 created_at=submitted + dt.timedelta(days=4)))
    session.add(article)
    return article


def _published(article: Article, when: dt.datetime) -> None:
    article.decisions.append(ArticleDecision(from_status=S.ACCEPTED, to_status=S.PUBLISHED, by_role="system",
                                             created_at=when))
    article.updated_at = when


def _subscribers(session: Session) -> None:
    secret = str(current_app.config["SECRET_KEY"])
    for index, ((year, month, day), left) in enumerate(HISTORY):
        first, last = FIRST[index], LAST[index]
        local = f"{first}.{last}".lower().translate(str.maketrans("äöå", "aoa"))
        email = f"{local}@{DOMAINS[index % len(DOMAINS)]}.example"
        joined = _at(month, day, 8 + index % 10, year)
        status = LEFT[left[2]] if left else SubscriberStatus.CONFIRMED
        subscriber = Subscriber(email=email, email_hash=email_hash(secret, email), name=f"{first} {last}",
                                language="fi", status=status, source=ConsentSource.FORM,
                                consent_wording_version=CONSENT_WORDING_VERSION, created_at=joined,
                                confirmed_at=joined + dt.timedelta(minutes=9),
                                unsubscribed_at=_at(left[0], left[1]) if left else None)
        subscriber.set_topics(["newsletter", "events"] if index % 3 else ["newsletter"])
        session.add(subscriber)
        steps = [(ConsentAction.SUBSCRIBE, joined), (ConsentAction.CONFIRM, joined + dt.timedelta(minutes=9))]
        if left:
            steps.append((left[2], _at(left[0], left[1])))
        for action, when in steps:
            session.add(ConsentEvent(subscriber=subscriber, email_hash=subscriber.email_hash, action=action,
                                     source=ConsentSource.DEMO, wording_version=CONSENT_WORDING_VERSION,
                                     language="fi", topics=" ".join(subscriber.topic_names), occurred_at=when))
