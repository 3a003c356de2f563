"""Demo content of the newsletter part, written from the seeds (the Pohjois-Pohjanmaa action plan
2024-2028, the Kainuu strategy, the national development projects and the Swedish ELO-group text):
accepted and submitted articles, one sent issue in the archive and one draft. The Swedish-first
Österbotten network gets its own: Swedish articles and one sent issue in Swedish and Finnish."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import (
    Article,
    ArticleDecision,
    ArticleStatus,
    Issue,
    IssueArticle,
    IssueDelivery,
    IssueStatus,
    IssueVersion,
)
from services.subscriptions.newsletter.operations.content import render_markdown
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from shared.db import utcnow

S = ArticleStatus

ARTICLES: list[dict[str, Any]] = [
    {
        "key": "digiohjaus", "status": S.PUBLISHED, "language": "fi", "themes": ["digital", "accessible"],
        "title": "Kohti saavutettavaa digiohjausta",
        "summary": "OSAO kehittää digitaalisia ohjauspalveluita osaksi opiskelijan ohjauspolkua. "
                   "Verkossa tapahtuva uraohjaus tavoittaa myös ne, joille matka oppilaitokselle on pitkä.",
        "body": "Koulutuksessa digitaalisuus on arkipäivää, mutta ohjauksen työkaluissa on yhä paljon "
                "kehitettävää. Ohjaajien ja asiakkaiden digitaidot ovat myös rajallisia.\n\n"
                "**Kohti saavutettavaa digiohjausta** -hankkeessa digitaalisia palveluita kehitetään osana "
                "ohjauspolkua, opiskelijan tarpeista lähtien:\n\n"
                "- ohjausta kasvokkain tai etänä asiakkaan tarpeen mukaan, asuinpaikasta riippumatta\n"
                "- selkokieliset ohjeet digipalveluiden käyttöön\n"
                "- yhteiset välineet oppilaitosten ohjaajille\n\n"
                "Lue lisää valtakunnallisista palveluista: [Opintopolku](https://opintopolku.fi).",
        "author_name": "Anna Korhonen", "email": "anna.korhonen@osao.example.fi",
        "organisation": "Oulun seudun ammattiopisto OSAO",
    },
    {
        "key": "jod", "status": S.PUBLISHED, "language": "fi", "themes": ["digital", "knowledge"],
        "title": "JOD: jatkuvan oppimisen digitaalinen palvelukokonaisuus",
        "summary": "Työmarkkinatori, Opintopolku ja opin.fi tarjoavat aiempaa laajemmin tietoa koulutuksesta, "
                   "ammateista ja avoimista työpaikoista.",
        "body": "Valtakunnallisia digitaalisia alustoja on kehitetty aktiivisesti osana JODia. Palvelun "
                "beetaversio otettiin käyttöön heinäkuussa 2024.\n\n"
                "Ohjaajalle uudistus tarkoittaa, että tieto koulutustarjonnasta ja työelämästä löytyy "
                "yhä useammin yhdestä paikasta. Ohjausta verkossa.fi -palvelu päättyi 31.12.2023, joten "
                "kannattaa tutustua uusiin välineisiin jo nyt.",
        "author_name": "Väinö Heikkinen", "email": "vaino.heikkinen@te-toimisto.example.fi",
        "organisation": "Pohjois-Pohjanmaan TE-toimisto",
    },
    {
        "key": "elogrupper", "status": S.PUBLISHED, "language": "sv", "themes": ["coordinated"],
        "title": "ELO-grupperna: vägledning som samarbete",
        "summary": "De regionala ELO-grupperna samlar NTM-centralen, arbets- och näringsbyrån, läroanstalterna "
                   "och kommunerna kring livslång vägledning.",
        "body": "Regionala ELO-grupper började inrättas i början av år 2013. Gruppernas arbete har inletts i "
                "alla NTM-centralers områden och som ett **tvåspråkigt arbete** i de svenskspråkiga "
                "områdena.\n\nI grupperna finns oftast NTM-centralerna, AN-byråerna, högskolorna och "
                "yrkesutbildningen, landskapsförbundet och det fria bildningsarbetet. Också ungdomsverkstäder "
                "och det uppsökande ungdomsarbetet är med i över hälften av grupperna.",
        "author_name": "Elsa Lindqvist", "email": "elsa.lindqvist@ely-keskus.example.fi",
        "organisation": "Pohjois-Pohjanmaan ELY-keskus",
    },
    {
        "key": "tyopajat", "status": S.ACCEPTED, "language": "fi", "themes": ["equitable", "coordinated"],
        "title": "Työpajoilta työelämään",
        "summary": "Hanke rakentaa osallistujille yksilöllisiä työ- ja opiskelupolkuja ja kehittää uudenlaisen "
                   "Green Care -työpajan.",
        "body": "Oulun Diakonissalaitoksen säätiön ESR+-hanke kehittää palvelua, jossa työpajan osallistujan "
                "työ- ja opiskelupolku rakentuu yksilöllisesti ja työnantajien kanssa yhdessä.\n\n"
                "Hankkeessa kehitetään myös muualla kuin oppilaitoksessa tapahtuvaa oppimista ja osaamisen "
                "tunnistamista opinnollistamisen avulla.",
        "author_name": "Petri Rautio", "email": "petri.rautio@ouka.example.fi",
        "organisation": "Oulun kaupunki / Byström nuorten palvelut",
    },
    {
        "key": "vihrea", "status": S.ACCEPTED, "language": "fi", "themes": ["equitable", "quality"],
        "title": "Mitä vihreä siirtymä tarkoittaa uraohjaukselle?",
        "summary": "Vihreä siirtymä muuttaa aloja, työpaikkoja ja osaamistarpeita. Ohjaajat pohtivat "
                   "työpajassa, miten muutos näkyy ohjauksessa.",
        "body": "Täydennyskoulutuksen työpajassa kysyttiin: *mitä tarkoittaa vihreä siirtymä?* Osallistujat "
                "kokosivat esimerkkejä aloista, joilla osaamistarpeet muuttuvat nopeimmin.\n\n"
                "Työpajan jälkeen ideat viedään valtakunnalliseen kehittämiseen ja Uraohjaus-seminaariin.",
        "author_name": "Jari Kinnunen", "email": "jari.kinnunen@opo-oulu.example.fi",
        "organisation": "Oulun läänin opinto-ohjaajat ry",
    },
    {
        "key": "kainuu", "status": S.SUBMITTED, "language": "fi", "themes": ["coordinated", "quality"],
        "title": "Kainuun ELO-strategia käsikirjaksi",
        "summary": "Kainuun strategia selkeyttää ohjaustyötä tekevien roolit ja tehtävät ja tiivistää "
                   "yhteistyötä.",
        "body": "Kainuun elinikäisen ohjauksen strategian tavoitteena on vakiinnuttaa alueen ohjaustyön "
                "verkoston toiminta. Strategia rakentuu konkreettisista toimista, joille on määritelty "
                "vastuutahot ja resurssit.\n\nTarkoituksena on, että strategiasta muodostuu käsikirja "
                "verkoston työhön.",
        "author_name": "Minna Kärkkäinen", "email": "minna.karkkainen@pohjois-pohjanmaa.example.fi",
        "organisation": "Pohjois-Pohjanmaan liitto",
    },
    {
        "key": "selkokieli", "status": S.CHANGES_REQUESTED, "language": "fi", "themes": ["accessible"],
        "title": "Selkokieli ohjauksessa",
        "summary": "Luku- ja kirjoitustaidon heikkeneminen vaikuttaa myös digipalveluiden käyttöön.",
        "body": "Selkokielinen ja monikielinen palvelu auttaa maahanmuuttajia ja kaikkia, joille "
                "digipalveluiden käyttö on vaikeaa.",
        "author_name": "Helmi Mäkinen", "email": "helmi.makinen@luovi.example.fi",
        "organisation": "Ammattiopisto Luovi",
        "comment": "Kiitos! Voisitko lisätä esimerkin siitä, miten selkokieltä käytetään Luovissa?",
    },
]

SWEDISH_REGION_ARTICLES: list[dict[str, Any]] = [
    {
        "key": "tvasprakig", "status": S.PUBLISHED, "language": "sv", "themes": ["coordinated", "accessible"],
        "title": "Vägledning på två språk i Österbotten",
        "summary": "ELO-gruppen i Österbotten samlar vägledare från skolor, läroanstalter, kommuner och "
                   "arbets- och näringsbyrån. Arbetet sker på svenska och finska.",
        "body": "I Österbotten är vägledningen tvåspråkig. Den som söker råd ska få dem på sitt eget språk, "
                "oberoende av om hen bor i Vasa, Närpes eller Jakobstad.\n\n"
                "ELO-gruppen har därför kommit överens om några gemensamma principer:\n\n"
                "- information om utbildning och arbete finns på både svenska och finska\n"
                "- vägledarna känner till varandras tjänster över språkgränsen\n"
                "- nätverksträffarna hålls på båda språken\n\n"
                "Utbildningar i hela landet hittar du på [Studieinfo](https://studieinfo.fi).",
        "author_name": "Karin Björkqvist", "email": "karin.bjorkqvist@ntm-osterbotten.example",
        "organisation": "Österbottens NTM-central",
    },
    {
        "key": "uppsokande", "status": S.PUBLISHED, "language": "sv", "themes": ["equitable", "knowledge"],
        "title": "Uppsökande ungdomsarbete når dem som står utanför",
        "summary": "Vasa stads ungdomstjänster berättar hur det uppsökande arbetet och vägledningen stöder unga "
                   "som saknar studieplats eller arbete.",
        "body": "Varje år blir en del unga utan studieplats efter grundskolan, och andra avbryter sina studier. "
                "Det uppsökande ungdomsarbetet tar kontakt med dem och följer med till vägledningen.\n\n"
                "Samarbetet med läroanstalterna och arbets- och näringsbyrån är avgörande: när vi känner "
                "varandra hittar den unga rätt tjänst snabbare.",
        "author_name": "Camilla Nyholm", "email": "camilla.nyholm@vasa.example",
        "organisation": "Vasa stad, ungdomstjänster",
    },
    {
        "key": "kaksikielinen", "status": S.PUBLISHED, "language": "fi", "themes": ["coordinated", "accessible"],
        "title": "Ohjausta kahdella kielellä Pohjanmaalla",
        "summary": "Pohjanmaan ELO-ryhmä kokoaa yhteen ohjaajat kouluista, oppilaitoksista, kunnista ja "
                   "TE-toimistosta. Työtä tehdään ruotsiksi ja suomeksi.",
        "body": "Pohjanmaalla ohjaus on kaksikielistä. Neuvoa pitää saada omalla kielellä, asuipa "
                "Vaasassa, Närpiössä tai Pietarsaaressa.\n\n"
                "Siksi tieto koulutuksesta ja työstä on saatavilla ruotsiksi ja suomeksi, ja "
                "verkostotapaamiset pidetään molemmilla kielillä.",
        "author_name": "Tiina Mäkinen", "email": "tiina.makinen@vamia.example",
        "organisation": "Vamia",
    },
    {
        "key": "distans", "status": S.SUBMITTED, "language": "sv", "themes": ["digital", "quality"],
        "title": "Gemensam fortbildning i vägledning på distans",
        "summary": "Yrkesakademin föreslår en fortbildning för hela regionen om verktyg och arbetssätt i "
                   "vägledning på nätet.",
        "body": "Allt fler studerande vill träffa sin studiehandledare på distans. Vi föreslår att ELO-gruppen "
                "ordnar en gemensam fortbildning om verktyg och arbetssätt för vägledning på nätet.",
        "author_name": "Mats Granholm", "email": "mats.granholm@yrkesakademin.example",
        "organisation": "Yrkesakademin i Österbotten",
    },
]


def seed(session: Session) -> None:
    """Add this part's demo rows to an empty database."""
    if session.scalar(select(Article.id).limit(1)) is not None:
        return
    now = utcnow()
    articles = {data["key"]: _article(session, data, now) for data in ARTICLES}
    sent = Issue(language="fi", status=IssueStatus.SENT, started_at=now - dt.timedelta(days=30),
                 sent_at=now - dt.timedelta(days=30), created_at=now - dt.timedelta(days=32))
    sent.versions = [
        _version("fi", "ELO-uutiskirje 1/2026",
                 "Hyvä lukija,\n\ntässä numerossa kerromme digitaalisen ohjauksen kehittämisestä ja "
                 "jatkuvan oppimisen uusista palveluista. Kiitos kaikille kirjoittajille!",
                 [articles["digiohjaus"], articles["jod"]]),
        _version("sv", "ELO-nyhetsbrev 1/2026",
                 "Bästa läsare,\n\ni det här numret berättar vi om hur ELO-grupperna arbetar tillsammans.",
                 [articles["elogrupper"]]),
    ]
    session.add(sent)
    session.flush()
    _mark_delivered(session, sent)
    draft = Issue(language="fi", status=IssueStatus.DRAFT, include_events=True, events=None)
    draft.versions = [_version("fi", "ELO-uutiskirje 2/2026",
                               "Hyvä lukija,\n\nsyksyn numerossa puhutaan työpajoista ja vihreästä siirtymästä.",
                               [articles["tyopajat"], articles["vihrea"]])]
    session.add(draft)
    session.flush()


def seed_swedish_region(session: Session) -> None:
    """The Swedish-first region's articles and its sent issue (Swedish first, with a Finnish version)."""
    if session.scalar(select(Article.id).limit(1)) is not None:
        return
    now = utcnow()
    articles = {data["key"]: _article(session, data, now) for data in SWEDISH_REGION_ARTICLES}
    sent = Issue(language="sv", status=IssueStatus.SENT, started_at=now - dt.timedelta(days=21),
                 sent_at=now - dt.timedelta(days=21), created_at=now - dt.timedelta(days=23))
    sent.versions = [
        _version("sv", "ELO-nyhetsbrev för Österbotten 1/2026",
                 "Bästa läsare,\n\ni det här numret berättar vi hur vägledningen fungerar på två språk och hur "
                 "det uppsökande ungdomsarbetet når unga som står utanför studier och arbete. "
                 "Tack till alla som har skrivit!",
                 [articles["tvasprakig"], articles["uppsokande"]]),
        _version("fi", "Pohjanmaan ELO-uutiskirje 1/2026",
                 "Hyvä lukija,\n\ntässä numerossa kerromme, miten ohjaus toimii kahdella kielellä. "
                 "Kiitos kaikille kirjoittajille!",
                 [articles["kaksikielinen"]]),
    ]
    session.add(sent)
    session.flush()
    _mark_delivered(session, sent)


def _article(session: Session, data: dict[str, Any], now: dt.datetime) -> Article:
    article = Article(status=data["status"], title=data["title"], summary=data["summary"],
                      body_markdown=data["body"], body_html=render_markdown(data["body"]),
                      author_name=data["author_name"], author_email=data["email"],
                      organisation=data["organisation"], themes=data["themes"], language=data["language"],
                      created_at=now - dt.timedelta(days=40), updated_at=now - dt.timedelta(days=35))
    if data["status"] != S.SUBMITTED:
        decided = S.ACCEPTED if data["status"] == S.PUBLISHED else data["status"]
        article.decisions.append(ArticleDecision(from_status=S.SUBMITTED, to_status=decided, by_role="coordinator",
                                                 comment=data.get("comment")))
    session.add(article)
    return article


def _version(language: str, title: str, introduction: str, articles: list[Article]) -> IssueVersion:
    return IssueVersion(language=language, title=title, introduction=introduction,
                        items=[IssueArticle(article=a, position=n) for n, a in enumerate(articles)])


def _mark_delivered(session: Session, issue: Issue) -> None:
    """The sent demo issue counts the demo's confirmed subscribers as its recipients (no mail is sent)."""
    readers = session.execute(select(Subscriber.id, Subscriber.language)
                              .where(Subscriber.status == SubscriberStatus.CONFIRMED)).all()
    for subscriber_id, language in readers:
        version_language = language if issue.version(language) else issue.language
        session.add(IssueDelivery(issue_id=issue.id, subscriber_id=subscriber_id, language=version_language))
    issue.total = len(readers)
    issue.last_subscriber_id = max((row[0] for row in readers), default=0)
    # as the mailer reported when it was done: one address bounced earlier and was suppressed
    issue.handed_over_at = issue.started_at
    issue.sent_count, issue.failed_count, issue.suppressed_count = max(issue.total - 1, 0), 0, min(issue.total, 1)
