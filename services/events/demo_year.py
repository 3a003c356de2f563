"""A finished demo year (2025) for the annual report (issue #17): events under all six strategy themes with
registrations (sectors and organisations), check-ins, cancellations, a promotion from the waiting list,
a cancelled event and feedback, so `GET /events/api/v1/reports/years/2025` has real content on first run.

Written as rows in bulk (a few flushes, no use-cases): the year is over, nobody is emailed and no job is
scheduled. Titles follow the seeds: the network's action plan and year calendar (000, 001), the trainings
named in 002 (digital guidance skills and JOD, language and cultural awareness, gender equality, the green
transition, the evaluation of guidance training), the yearly seminar and the Swedish information meeting
(004). Organisations are the cooperation group's members (000); people's names are invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from services.events.models import (
    Event,
    EventKind,
    EventMode,
    EventStatus,
    FeedbackResponse,
    Participation,
    Registration,
    RegistrationStatus,
    Sector,
)
from services.events.operations.events import DEFAULT_FEEDBACK_QUESTIONS, unique_slug
from shared.formatting import HELSINKI
from shared.privacy import email_hash

YEAR = 2025

# The cooperation group's members (seed 000) and the sector each works in.
MEMBERS: list[tuple[str, Sector]] = [
    ("Ammattiopisto Luovi", Sector.EDUCATION),
    ("Oulun yliopisto", Sector.HIGHER_EDUCATION),
    ("Pohjois-Pohjanmaan TE-toimisto", Sector.EMPLOYMENT_SERVICES),
    ("Oulun kaupunki / Byström nuorten palvelut", Sector.YOUTH_AND_SOCIAL_SERVICES),
    ("Oulun seudun ammattiopisto", Sector.EDUCATION),
    ("Oulun ammattikorkeakoulu", Sector.HIGHER_EDUCATION),
    ("Oulun läänin opinto-ohjaajat ry", Sector.THIRD_SECTOR),
    ("Oulun kaupunki / lukiot", Sector.EDUCATION),
    ("Oulun kaupunki / Koordinaatti", Sector.YOUTH_AND_SOCIAL_SERVICES),
    ("Pohjois-Pohjanmaan Yrittäjät", Sector.BUSINESS),
    ("Jokilaaksojen koulutuskuntayhtymä JEDU", Sector.EDUCATION),
    ("Maaseudun Sivistysliitto", Sector.THIRD_SECTOR),
    ("Oulun kaupunki / peruskoulut", Sector.EDUCATION),
    ("Pohjois-Pohjanmaan liitto", Sector.OTHER),
    ("Raahen koulutuskuntayhtymä", Sector.EDUCATION),
    ("Oulun Kauppakamari", Sector.BUSINESS),
    ("Koillis-Suomen Aikuiskoulutus", Sector.EDUCATION),
]
# Österbotten's actors (the Swedish-first region of the demo, seed 004) and their sectors.
OSTERBOTTEN_MEMBERS: list[tuple[str, Sector]] = [
    ("Yrkesakademin i Österbotten", Sector.EDUCATION),
    ("Yrkeshögskolan Novia", Sector.HIGHER_EDUCATION),
    ("Arbets- och näringsbyrån i Österbotten", Sector.EMPLOYMENT_SERVICES),
    ("Vasa stad, ungdomstjänster", Sector.YOUTH_AND_SOCIAL_SERVICES),
    ("Åbo Akademi", Sector.HIGHER_EDUCATION),
    ("Vamia", Sector.EDUCATION),
    ("Vasa övningsskola", Sector.EDUCATION),
    ("Österbottens förbund", Sector.OTHER),
    ("Vaasan yliopisto", Sector.HIGHER_EDUCATION),
    ("Svenska Österbottens Ungdomsförbund", Sector.THIRD_SECTOR),
]


@dataclass(frozen=True)
class People:
    """Who registers: names made of first and last names (a different person for each of the first
    len(first) * len(last) registrations of an event), their organisations and language."""

    first: Sequence[str]
    last: Sequence[str]
    members: Sequence[tuple[str, Sector]]
    language: str

    def name(self, n: int, number: int) -> str:
        first, last = (n + number) % len(self.first), (n // len(self.first) + number) % len(self.last)
        return f"{self.first[first]} {self.last[last]}"

    def member(self, n: int, number: int) -> tuple[str, Sector]:
        return self.members[(n * 5 + number) % len(self.members)]


FINNISH = People(["Aino", "Eero", "Helmi", "Juho", "Kaisa", "Lauri", "Maria", "Mikko", "Noora", "Olli", "Pirjo",
                  "Riikka", "Sami", "Tiina", "Ville", "Anneli", "Heikki", "Johanna", "Markku", "Satu"],
                 ["Mäkelä", "Korhonen", "Virtanen", "Nieminen", "Heikkinen", "Koskinen", "Järvinen", "Lehtonen",
                  "Pesonen", "Kärkkäinen", "Rautio", "Tervo", "Haapala", "Kangas", "Ylitalo", "Pikkarainen"],
                 MEMBERS, "fi")
SWEDISH_NAMES = (["Anna", "Johan", "Maria", "Erik", "Sofia", "Mikael", "Linnea", "Henrik", "Karin", "Mats"],
                 ["Lindqvist", "Björklund", "Sjöberg", "Holmström", "Nyman", "Forsman", "Wikström", "Ekholm"])
# The Swedish information meeting in Raahe (seed 004): members with Swedish-speaking staff.
SWEDISH_IN_NORTH = People(*SWEDISH_NAMES, [MEMBERS[14], MEMBERS[2], MEMBERS[5]], "sv")
OSTERBOTTEN = People(*SWEDISH_NAMES, OSTERBOTTEN_MEMBERS, "sv")
COMMENTS = {"fi": ["Hyvä ja käytännönläheinen päivä.", "Lisää aikaa verkostoitumiselle.", "Kiitos työpajoista!",
                   "Etäyhteys toimi hyvin.", "Esimerkit omasta alueesta olivat parasta antia."],
            "sv": ["Bra och praktiskt.", "Mer tid för diskussion, tack.", "Det var fint att träffas på plats."]}

MATERIALS = {"fi": "Tapahtuman aineistot ovat verkoston jäsenten saatavilla ELO-torilla (peda.net/hankkeet/elotori).",
             "sv": "Materialet från evenemanget finns för nätverkets medlemmar på ELO-torget "
                   "(peda.net/hankkeet/elotori)."}


@dataclass(frozen=True)
class YearEvent:
    """One event of the demo year: when (month, day, hour), what, and how many registered."""

    when: tuple[int, int, int]
    kind: EventKind
    mode: EventMode
    themes: list[str]
    title: dict[str, str]
    registered: int
    capacity: int | None = None
    address: str = "Pohjois-Pohjanmaan liitto, Isokatu 3, 90100 Oulu"
    people: People | None = None  # who takes part, when not the region's people
    cancelled: bool = False


NORTH_OSTROBOTHNIA = [
    YearEvent((1, 28, 9), EventKind.NETWORK_MEETING, EventMode.HYBRID, ["coordinated"],
              {"fi": "Kevään verkostotapaaminen: toimintasuunnitelma 2025", "sv": "Vårens nätverksträff: "
               "verksamhetsplanen 2025", "en": "Spring network meeting: the 2025 action plan"}, 24),
    YearEvent((2, 20, 13), EventKind.TRAINING, EventMode.ONLINE, ["digital", "knowledge"],
              {"fi": "Jatkuvan oppimisen digitaalinen palvelukokonaisuus (JOD) ohjaustyössä",
               "sv": "Den digitala tjänstehelheten för kontinuerligt lärande (JOD) i vägledningen",
               "en": "The digital service for continuous learning (JOD) in guidance work"}, 38),
    YearEvent((3, 18, 12), EventKind.TRAINING, EventMode.HYBRID, ["equitable", "accessible"],
              {"fi": "Kieli- ja kulttuuritietoisuus ohjauksessa", "sv": "Språk- och kulturmedvetenhet i vägledningen",
               "en": "Language and cultural awareness in guidance"}, 27,
              address="Oulun seudun ammattiopisto, Kaitoväylä 7, 90570 Oulu"),
    YearEvent((4, 10, 12), EventKind.TRAINING, EventMode.ONSITE, ["equitable", "quality"],
              {"fi": "Vihreä siirtymä uraohjaajan osaamisalueena: työpaja", "sv": "Den gröna omställningen som "
               "vägledarens kompetensområde: workshop", "en": "The green transition in career guidance: workshop"},
              21, capacity=30, address="Oulun ammattikorkeakoulu, Yliopistokatu 9, 90570 Oulu"),
    YearEvent((5, 6, 13), EventKind.GROUP_MEETING, EventMode.ONLINE, ["coordinated"],
              {"fi": "ELO-yhteistyöryhmän kevätkokous", "sv": "ELO-gruppens vårmöte",
               "en": "ELO cooperation group's spring meeting"}, 14),
    YearEvent((5, 27, 12), EventKind.TRAINING, EventMode.ONLINE, ["equitable"],
              {"fi": "Sukupuolten tasa-arvon edistäminen ohjauksessa", "sv": "Att främja jämställdhet i vägledningen",
               "en": "Promoting gender equality in guidance"}, 9, cancelled=True),
    YearEvent((9, 16, 14), EventKind.NETWORK_MEETING, EventMode.HYBRID, ["accessible"],
              {"fi": "Ruotsinkielinen infotilaisuus: elinikäinen ohjaus", "sv": "Informationsmöte på svenska: "
               "livslång vägledning", "en": "Information meeting in Swedish: lifelong guidance"}, 10,
              address="Raahen koulutuskuntayhtymä, Kauppakatu 28, 92100 Raahe", people=SWEDISH_IN_NORTH),
    YearEvent((10, 14, 12), EventKind.TRAINING, EventMode.HYBRID, ["quality"],
              {"fi": "Ohjausosaaminen ja laatu: ohjaajakoulutusten kokonaisarviointi",
               "sv": "Vägledningskompetens och kvalitet: utvärderingen av vägledarutbildningarna",
               "en": "Guidance skills and quality: the evaluation of guidance training"}, 26),
    YearEvent((11, 20, 9), EventKind.SEMINAR, EventMode.HYBRID, ["coordinated", "knowledge"],
              {"fi": "Pohjois-Pohjanmaan ELO-foorumi 2025: vuosiseminaari", "sv": "ELO-forum i Norra Österbotten "
               "2025: årligt seminarium", "en": "North Ostrobothnia ELO forum 2025: annual seminar"}, 44,
              capacity=42, address="Oulun kaupungintalo, Torikatu 10, 90100 Oulu"),
    YearEvent((12, 4, 13), EventKind.NETWORK_MEETING, EventMode.ONLINE, ["knowledge", "digital"],
              {"fi": "Ohjauksen tietopohja: alueen ohjauspalvelujen kartoitus", "sv": "Kunskapsunderlaget för "
               "vägledningen: kartläggningen av regionens tjänster", "en": "The knowledge base of guidance: a "
               "survey of the region's services"}, 19),
]

VASA = "Academill, Strandgatan 2, 65100 Vasa"
# Österbotten's year (seed 004: information meetings, trainings and a yearly regional seminar, in Swedish and Finnish).
OSTERBOTTEN_YEAR = [
    YearEvent((2, 11, 13), EventKind.TRAINING, EventMode.ONLINE, ["digital", "accessible"],
              {"sv": "Vägledning på distans: verktyg och arbetssätt", "fi": "Etäohjaus: välineet ja työtavat",
               "en": "Guidance at a distance: tools and ways of working"}, 22),
    YearEvent((4, 8, 9), EventKind.NETWORK_MEETING, EventMode.ONSITE, ["coordinated", "equitable"],
              {"sv": "Nätverksträff i Vasa: vägledning i övergångsskeden", "fi": "Verkostotapaaminen Vaasassa: "
               "ohjaus siirtymävaiheissa", "en": "Network meeting in Vaasa: guidance at transitions"}, 17,
              capacity=16, address="Yrkeshögskolan Novia, Wolffskavägen 33, 65200 Vasa"),
    YearEvent((9, 23, 13), EventKind.TRAINING, EventMode.HYBRID, ["quality"],
              {"sv": "Kvalitet i vägledningen: kvalitetskriterier i praktiken", "fi": "Ohjauksen laatu: "
               "laatukriteerit käytännössä", "en": "Quality in guidance: quality criteria in practice"}, 20,
              address=VASA),
    YearEvent((11, 6, 9), EventKind.SEMINAR, EventMode.HYBRID, ["coordinated", "knowledge"],
              {"sv": "Regionalt seminarium om livslång vägledning 2025", "fi": "Elinikäisen ohjauksen alueseminaari "
               "2025", "en": "Regional seminar on lifelong guidance 2025"}, 36, address=VASA),
]


def seed_year(session: Session, coordinator: dict[str, str], specs: Sequence[YearEvent] = NORTH_OSTROBOTHNIA,
              people: People = FINNISH) -> None:
    """Add the finished year's events, registrations and feedback (on an empty database)."""
    secret = current_app.config["SECRET_KEY"]
    for number, spec in enumerate(specs):
        who = spec.people or people
        event = _event_row(session, spec, coordinator, who.language)
        registered = _registrations(event, spec, number, who, secret)
        session.add_all(registered)
        session.flush()
        session.add_all(_feedback(event, spec, registered, who.language))
    session.flush()


def _local(spec: YearEvent) -> dt.datetime:
    month, day, hour = spec.when
    return dt.datetime(YEAR, month, day, hour, tzinfo=HELSINKI)


def _event_row(session: Session, spec: YearEvent, coordinator: dict[str, str], language: str) -> Event:
    starts = _local(spec)
    online = spec.mode is not EventMode.ONSITE
    event = Event(
        kind=spec.kind, mode=spec.mode, title=spec.title, themes=spec.themes, languages=[language],
        description=MATERIALS,
        starts_at=starts.astimezone(dt.UTC), ends_at=(starts + dt.timedelta(hours=3)).astimezone(dt.UTC),
        address="" if spec.mode is EventMode.ONLINE else spec.address,
        online_url="https://meet.example.fi/elo-2025" if online else "", capacity=spec.capacity,
        feedback_questions=DEFAULT_FEEDBACK_QUESTIONS, created_at=(starts - dt.timedelta(days=45)).astimezone(dt.UTC),
        announced_at=(starts - dt.timedelta(days=45)).astimezone(dt.UTC), **coordinator)
    if spec.cancelled:
        event.status, event.sequence = EventStatus.CANCELLED, 1
        event.cancelled_at = (starts - dt.timedelta(days=10)).astimezone(dt.UTC)
    event.slug = unique_slug(session, spec.title[language], starts)
    session.add(event)
    session.flush()
    return event


def _participation(mode: EventMode, n: int) -> Participation:
    if mode is EventMode.ONSITE:
        return Participation.ONSITE
    if mode is EventMode.ONLINE:
        return Participation.REMOTE
    return Participation.REMOTE if n % 3 == 2 else Participation.ONSITE


def _registrations(event: Event, spec: YearEvent, number: int, people: People, secret: str) -> list[Registration]:
    """`spec.registered` people: every eleventh cancels; those past the capacity waited and got the seats
    the cancellations freed; most of those with a seat arrive."""
    starts = _local(spec)
    rows = []
    for n in range(spec.registered):
        name = people.name(n, number)
        organisation, sector = people.member(n, number)
        email = name.lower().replace(" ", ".").translate(str.maketrans("äöåé", "aoae")) + "@example.fi"
        registered = (starts - dt.timedelta(days=30 - n % 20, hours=n)).astimezone(dt.UTC)
        row = Registration(
            email=email, email_hash=email_hash(secret, email), name=name, organisation=organisation,
            sector=sector if n % 13 != 12 else None,  # a few registered before the sector was asked
            participation=_participation(spec.mode, n), language=people.language,
            status=RegistrationStatus.CONFIRMED, queued_at=registered, created_at=registered, updated_at=registered,
            address_confirmed_at=registered, event_id=event.id)
        if n % 11 == 10:
            row.status, row.cancelled_at = RegistrationStatus.CANCELLED, registered + dt.timedelta(days=3)
        elif spec.capacity is not None and n >= spec.capacity:  # waited, then got a seat someone cancelled
            row.promoted_at = (starts - dt.timedelta(days=2)).astimezone(dt.UTC)
        row.checked_in = row.status is RegistrationStatus.CONFIRMED and not spec.cancelled and n % 7 != 4
        rows.append(row)
    return rows


def _feedback(event: Event, spec: YearEvent, people: list[Registration], language: str) -> list[FeedbackResponse]:
    """About two in three who arrived answer the feedback request sent after the event."""
    if spec.cancelled:
        return []
    asked_at = (_local(spec) + dt.timedelta(hours=4)).astimezone(dt.UTC)
    comments = COMMENTS[language]
    answers = []
    for n, person in enumerate(person for person in people if person.checked_in):
        person.feedback_requested_at = asked_at
        if n % 3 == 2:
            continue
        overall = 5 if n % 4 in (0, 3) else 4 if n % 4 == 1 else 3
        texts: dict[str, Any] = {"comments": comments[n % len(comments)]} if n % 2 == 0 else {}
        answers.append(FeedbackResponse(event_id=event.id, registration_id=person.id, texts=texts,
                                        ratings={"overall": overall, "useful": max(3, overall - n % 2)},
                                        submitted_at=asked_at + dt.timedelta(hours=2 + n)))
    return answers
