"""Demo content of the subscribers part: people from the member organisations of the Pohjois-Pohjanmaa
ELO group (seed 000), in Finnish, Swedish and English, with mixed statuses and topics; and a few people of
the Swedish-first Österbotten network (seed 004), in Swedish and Finnish."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import (
    CONSENT_WORDING_VERSION,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
)
from shared.db import utcnow
from shared.privacy import email_hash

# (name, organisation from seed 000, mail domain, language, status, topics)
PEOPLE = [
    ("Aino Virtanen", "Oulun kaupunki / Koordinaatti - nuorten tieto- ja neuvontapalvelut", "ouka", "fi",
     "confirmed", "newsletter events trainings"),
    ("Eino Korhonen", "Oulun seudun ammattiopisto", "osao", "fi", "confirmed", "newsletter trainings"),
    ("Helmi Mäkinen", "Ammattiopisto Luovi", "luovi", "fi", "confirmed", "newsletter"),
    ("Väinö Heikkinen", "Pohjois-Pohjanmaan TE-toimisto", "te-toimisto", "fi", "confirmed", "newsletter events"),
    ("Saara Koskinen", "Oulun yliopisto", "oulu", "fi", "confirmed", "newsletter events"),
    ("Matti Järvinen", "Oulun Ammattikorkeakoulu", "oamk", "fi", "confirmed", "trainings"),
    ("Linnea Nieminen", "Jokilaaksojen koulutuskuntayhtymä JEDU", "jedu", "fi", "confirmed", "newsletter"),
    ("Oskari Laitinen", "Raahen koulutuskuntayhtymä", "raahe", "fi", "confirmed", "newsletter events trainings"),
    ("Kaisa Pirttikoski", "Haapaveden opisto", "haapavedenopisto", "fi", "confirmed", "events trainings"),
    ("Jari Kinnunen", "Oulun läänin opinto-ohjaajat ry", "opo-oulu", "fi", "confirmed", "newsletter trainings"),
    ("Sanna Hietala", "Oulun kaupunki / lukiot", "ouka", "fi", "confirmed", "newsletter"),
    ("Petri Rautio", "Oulun kaupunki / Byström nuorten palvelut, nuorisotakuu", "ouka", "fi", "confirmed",
     "newsletter events"),
    ("Riikka Luokkala", "Koillis-Suomen Aikuiskoulutus", "ksak", "fi", "confirmed", "trainings"),
    ("Tuomas Ylikoski", "Oulun Aikuiskoulutuskeskus Oy", "oakk", "fi", "confirmed", "newsletter"),
    ("Minna Kärkkäinen", "Pohjois-Pohjanmaan liitto", "pohjois-pohjanmaa", "fi", "confirmed", "newsletter events"),
    ("Heikki Vuorma", "Oulun Kauppakamari", "kauppakamari", "fi", "confirmed", "newsletter"),
    ("Anu Rantala", "Pohjois-Pohjanmaan Yrittäjät", "yrittajat", "fi", "pending", "newsletter"),
    ("Janne Törmänen", "Oulun ammattikorkeakoulun opiskelijakunta (OSAKO)", "osako", "fi", "pending",
     "events"),
    ("Leena Alatalo", "Maaseudun Sivistysliitto", "msl", "fi", "unsubscribed", "newsletter"),
    ("Marko Sipilä", "Suomen Ammattiliittojen Keskusjärjestö SAK", "sak", "fi", "unsubscribed", "newsletter"),
    ("Pirjo Kemppainen", "Pohjois-Suomen aluehallintovirasto", "avi", "fi", "bounced", "newsletter"),
    ("Elsa Lindqvist", "Pohjois-Pohjanmaan ELY-keskus / Osaaminen ja työelämä -yksikkö", "ely-keskus", "sv",
     "confirmed", "newsletter events trainings"),
    ("Johan Sundström", "Oulun yliopisto", "oulu", "sv", "confirmed", "newsletter"),
    ("Ebba Holmberg", "Oulun kaupunki / peruskoulut", "ouka", "sv", "confirmed", "newsletter trainings"),
    ("Axel Nyström", "Elinkeinoelämän keskusliitto / Teknologiateollisuus ry, Pohjois-Suomen alueyksikkö", "ek",
     "sv", "confirmed", "events"),
    ("Ingrid Westerlund", "Pohjois-Pohjanmaan TE-toimisto", "te-toimisto", "sv", "pending", "newsletter"),
    ("Fredrik Åberg", "Raahen koulutuskuntayhtymä", "raahe", "sv", "complained", "newsletter"),
    ("Amira Hassan", "Oulun seudun ammattiopisto", "osao", "en", "confirmed", "newsletter trainings"),
    ("Daniel Okoro", "Oulun yliopisto", "oulu", "en", "confirmed", "newsletter events"),
    ("Olena Kovalenko", "Oulun kaupunki / Koordinaatti - nuorten tieto- ja neuvontapalvelut", "ouka", "en",
     "pending", "events trainings"),
]

# The Swedish-speaking region of Österbotten (seed 004: the work is bilingual there): mostly Swedish, some Finnish.
SWEDISH_REGION_PEOPLE = [
    ("Karin Björkqvist", "Österbottens NTM-central", "ntm-osterbotten", "sv", "confirmed",
     "newsletter events trainings"),
    ("Mats Granholm", "Yrkesakademin i Österbotten", "yrkesakademin", "sv", "confirmed", "newsletter trainings"),
    ("Frida Strandberg", "Yrkeshögskolan Novia", "novia", "sv", "confirmed", "newsletter events"),
    ("Jonas Backman", "Åbo Akademi, Vasa", "abo", "sv", "confirmed", "newsletter"),
    ("Camilla Nyholm", "Vasa stad, ungdomstjänster", "vasa", "sv", "confirmed", "events trainings"),
    ("Peter Lassila", "Arbets- och näringsbyrån i Österbotten", "te-osterbotten", "sv", "confirmed",
     "newsletter events"),
    ("Emma Sjöholm", "Korsholms gymnasium", "korsholm", "sv", "pending", "newsletter"),
    ("Tiina Mäkinen", "Vamia", "vamia", "fi", "confirmed", "newsletter trainings"),
    ("Antti Koivisto", "Vaasan yliopisto", "uwasa", "fi", "confirmed", "newsletter events"),
    ("Riitta Hautala", "Pohjanmaan liitto", "pohjanmaa", "fi", "confirmed", "newsletter"),
]

_ACTIONS = {"confirmed": [ConsentAction.SUBSCRIBE, ConsentAction.CONFIRM],
            "pending": [ConsentAction.SUBSCRIBE],
            "unsubscribed": [ConsentAction.SUBSCRIBE, ConsentAction.CONFIRM, ConsentAction.UNSUBSCRIBE],
            "bounced": [ConsentAction.SUBSCRIBE, ConsentAction.CONFIRM, ConsentAction.BOUNCE],
            "complained": [ConsentAction.SUBSCRIBE, ConsentAction.CONFIRM, ConsentAction.COMPLAINT]}


def address_of(name: str, domain: str) -> str:
    local = name.lower().replace(" ", ".")
    for plain, accented in (("a", "ä"), ("o", "ö"), ("a", "å")):
        local = local.replace(accented, plain)
    return f"{local}@{domain}.example"


def seed(session: Session) -> None:
    """Add this part's demo rows to an empty database (does nothing when subscribers exist)."""
    _add_people(session, PEOPLE)


def seed_swedish_region(session: Session) -> None:
    """The Swedish-first region's subscribers, in its own database (does nothing when subscribers exist)."""
    _add_people(session, SWEDISH_REGION_PEOPLE)


def _add_people(session: Session, people: list[tuple[str, str, str, str, str, str]]) -> None:
    if session.scalar(select(func.count(Subscriber.id))):
        return
    secret = str(current_app.config["SECRET_KEY"])
    now = utcnow()
    for index, (name, organisation, domain, language, status, topics) in enumerate(people):
        joined = now - dt.timedelta(days=400 - index * 11)
        email = address_of(name, domain)
        subscriber = Subscriber(email=email, email_hash=email_hash(secret, email), name=name,
                                organisation=organisation, language=language, status=SubscriberStatus(status),
                                source=ConsentSource.FORM if index % 3 else ConsentSource.IMPORT,
                                consent_wording_version=CONSENT_WORDING_VERSION, created_at=joined,
                                confirmed_at=None if status == "pending" else joined + dt.timedelta(minutes=7),
                                unsubscribed_at=now - dt.timedelta(days=30) if status == "unsubscribed" else None)
        subscriber.set_topics(topics.split())
        session.add(subscriber)
        for step, action in enumerate(_ACTIONS[status]):
            session.add(ConsentEvent(subscriber=subscriber, email_hash=subscriber.email_hash, action=action,
                                     source=ConsentSource.DEMO, wording_version=CONSENT_WORDING_VERSION,
                                     language=language, topics=topics,
                                     occurred_at=joined + dt.timedelta(days=step * 20, minutes=step * 7)))
    session.flush()
