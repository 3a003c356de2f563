"""Demo content for the events service, from the seeds (`elo seed-demo`).

- The annual seminar (seed 004: "every year a regional seminar on lifelong guidance"): Pohjois-Pohjanmaan
  ELO-foorumi, hybrid in Oulu, full, with a waiting list.
- Continuing-education trainings named in seed 002: digital guidance skills, language and cultural
  awareness, gender equality, green transition.
- The cooperation group's regular remote meeting (seed 000: "meetings may be fully remote"; seed 001:
  vuosikello, regular meetings) as a recurring event with one exception.
- A Swedish-language information meeting (seed 004).
- A past network meeting with anonymous feedback (seed 000: the network's wishes were gathered as feedback).
- A finished year, 2025, for the annual report (`demo_year`): ten events under the six themes.
Participants' names are invented; organisations are the members listed in seed 000.

The Swedish-first Österbotten network (`seed_swedish_region`, run inside that network; seed 004: the work is
bilingual in the Swedish-speaking regions, with information meetings and a yearly regional seminar): a remote
training open to all, an on-site network meeting in Vasa and a bilingual seminar; and its finished year 2025.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events import demo_year
from services.events.models import Event, EventKind, EventMode, Participation, Registration, RegistrationStatus
from services.events.operations import events, feedback, registrations
from services.events.schemas import EventInput
from shared.formatting import HELSINKI

ORGANISATIONS = [
    "Ammattiopisto Luovi", "Haapaveden opisto", "Jokilaaksojen koulutuskuntayhtymä JEDU",
    "Koillis-Suomen Aikuiskoulutus", "Oulun Aikuiskoulutuskeskus Oy", "Oulun ammattikorkeakoulu",
    "Oulun kaupunki / Byström nuorten palvelut", "Oulun kaupunki / Koordinaatti", "Oulun kaupunki / lukiot",
    "Oulun kaupunki / peruskoulut", "Oulun seudun ammattiopisto", "Oulun yliopisto", "Pohjois-Pohjanmaan TE-toimisto",
    "Pohjois-Pohjanmaan liitto", "Raahen koulutuskuntayhtymä", "Oulun läänin opinto-ohjaajat ry",
]
FIRST_NAMES = ["Aino", "Eero", "Helmi", "Juho", "Kaisa", "Lauri", "Maria", "Mikko", "Noora", "Olli", "Pirjo",
               "Riikka", "Sami", "Tiina", "Ville", "Anneli", "Heikki", "Johanna", "Markku", "Satu"]
LAST_NAMES = ["Mäkelä", "Korhonen", "Virtanen", "Nieminen", "Heikkinen", "Koskinen", "Järvinen", "Lehtonen",
              "Pesonen", "Kärkkäinen", "Rautio", "Tervo", "Haapala", "Kangas", "Ylitalo", "Pikkarainen"]
SWEDISH_NAMES = ["Anna Lindqvist", "Johan Björklund", "Maria Sjöberg", "Erik Holmström", "Sofia Nyman",
                 "Mikael Forsman", "Linnea Wikström", "Henrik Ekholm"]
COORDINATOR = {"organiser_name": "Pohjois-Pohjanmaan ELY-keskus, ELO-koordinaattori",
               "organiser_email": "elo-koordinaattori@example.fi"}

SWEDISH_REGION_COORDINATOR = {"organiser_name": "NTM-centralen i Österbotten, ELO-koordinator",
                              "organiser_email": "elo-koordinator@example.fi"}
# (name, organisation, language)
SWEDISH_REGION_PEOPLE = [
    ("Karin Björkqvist", "Österbottens NTM-central", "sv"),
    ("Mats Granholm", "Yrkesakademin i Österbotten", "sv"),
    ("Frida Strandberg", "Yrkeshögskolan Novia", "sv"),
    ("Jonas Backman", "Åbo Akademi", "sv"),
    ("Camilla Nyholm", "Vasa stad, ungdomstjänster", "sv"),
    ("Peter Lassila", "Arbets- och näringsbyrån i Österbotten", "sv"),
    ("Tiina Mäkinen", "Vamia", "fi"),
    ("Antti Koivisto", "Vaasan yliopisto", "fi"),
    ("Riitta Hautala", "Pohjanmaan liitto", "fi"),
]


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local Helsinki time `days` from today (so the demo stays upcoming whenever it is loaded)."""
    day = dt.datetime.now(HELSINKI).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI)


def _event(session: Session, starts: dt.datetime, hours: float, **values: Any) -> Event:
    data = EventInput().load({"starts_at": starts.isoformat(),
                              "ends_at": (starts + dt.timedelta(hours=hours)).isoformat(), **COORDINATOR, **values})
    return events.create_event(session, data)


def _people() -> itertools.cycle[tuple[str, str]]:
    pairs = [(f"{first} {last}", ORGANISATIONS[(i * 7) % len(ORGANISATIONS)])
             for i, (first, last) in enumerate(zip(FIRST_NAMES * 3, LAST_NAMES * 4, strict=False))]
    return itertools.cycle(pairs)


def _register(session: Session, event: Event, name: str, organisation: str, **extra: Any) -> Registration:
    local = name.lower().replace(" ", ".").translate(str.maketrans("äöåé", "aoae"))
    raw = {"name": name, "email": f"{local}@example.fi", "organisation": organisation, **extra}
    outcome = registrations.register(session, event.id, raw, secret_key=current_app.config["SECRET_KEY"])
    if outcome.registration.status is RegistrationStatus.PENDING:  # the demo people confirmed from the email
        registrations.confirm_address(session, outcome.registration.id)
    return outcome.registration


def seed(session: Session) -> None:
    """Add the demo rows; called once, on an empty database."""
    people = _people()
    seminar = _annual_seminar(session)
    for n in range(46):  # 40 seats and a waiting list of six
        name, organisation = next(people)
        _register(session, seminar, name, organisation,
                  participation="onsite" if n % 3 else "remote", language="fi",
                  dietary_needs="kasvis" if n % 7 == 0 else "",
                  answers={"workshop": ("digi", "green", "culture")[n % 3], "lunch": "yes"})
    trainings = _trainings(session)
    for index, training in enumerate(trainings):
        offered = [p.value for p in training.ways_to_take_part()]
        for n in range(6 + 3 * index):
            name, organisation = next(people)
            _register(session, training, name, organisation, participation=offered[n % len(offered)])
    group = _group_meeting(session)
    for _ in range(10):
        name, organisation = next(people)
        _register(session, group, name, organisation, participation="remote")
    swedish = _swedish_event(session)
    for n, name in enumerate(SWEDISH_NAMES):
        _register(session, swedish, name, "Raahen koulutuskuntayhtymä" if n % 2 else "Pohjois-Pohjanmaan TE-toimisto",
                  participation="remote" if n % 2 else "onsite", language="sv")
    _past_meeting_with_feedback(session, people)
    demo_year.seed_year(session, COORDINATOR)


def seed_swedish_region(session: Session) -> None:
    """The Swedish-first region's events with a few registrations (does nothing when it has events)."""
    if session.scalar(select(Event.id).limit(1)) is not None:
        return
    region_events = [_remote_training(session), _vasa_network_meeting(session), _bilingual_seminar(session)]
    for index, event in enumerate(region_events):
        offered = [p.value for p in event.ways_to_take_part()]
        for n, (name, organisation, language) in enumerate(SWEDISH_REGION_PEOPLE[index:]):
            _register(session, event, name, organisation, participation=offered[n % len(offered)], language=language)
    demo_year.seed_year(session, SWEDISH_REGION_COORDINATOR, demo_year.OSTERBOTTEN_YEAR, demo_year.OSTERBOTTEN)


def _remote_training(session: Session) -> Event:
    return _event(
        session, _at(17, 13), 2.5, kind="training", mode="online", capacity=None, themes=["digital", "quality"],
        languages=["sv"], online_url="https://meet.example.fi/elo-osterbotten-utbildning", **SWEDISH_REGION_COORDINATOR,
        title={"sv": "Vägledning på distans: verktyg och arbetssätt", "fi": "Etäohjaus: välineet ja työtavat",
               "en": "Guidance at a distance: tools and ways of working"},
        description={"sv": "En fortbildning på distans för alla som arbetar med vägledning: studiehandledare, "
                           "karriärvägledare, ungdomsarbetare och projektpersonal. Utbildningen är avgiftsfri och "
                           "öppen för alla, också för dem som inte hör till nätverket.\n\n"
                           "Länken till mötet skickas till dem som har anmält sig.",
                     "fi": "Maksuton etäkoulutus kaikille ohjaustyötä tekeville. Koulutus on ruotsinkielinen."})


def _vasa_network_meeting(session: Session) -> Event:
    return _event(
        session, _at(38, 9), 3, kind="network-meeting", mode="onsite", capacity=30, themes=["coordinated"],
        languages=["sv"], address="Yrkeshögskolan Novia, Wolffskavägen 33, 65200 Vasa", **SWEDISH_REGION_COORDINATOR,
        title={"sv": "Nätverksträff i Vasa", "fi": "Verkostotapaaminen Vaasassa", "en": "Network meeting in Vaasa"},
        description={"sv": "Nätverksträff för vägledare i Österbotten. Vi går igenom ELO-gruppens verksamhetsplan "
                           "och delar erfarenheter av vägledning i olika övergångsskeden. Vi bjuder på kaffe.",
                     "fi": "Verkostotapaaminen Pohjanmaan ohjaajille Vaasassa. Tapaaminen on ruotsinkielinen."})


def _bilingual_seminar(session: Session) -> Event:
    return _event(
        session, _at(52, 9), 6, kind="seminar", mode="hybrid", capacity=60, themes=["coordinated", "knowledge"],
        languages=["sv", "fi"], address="Academill, Strandgatan 2, 65100 Vasa",
        online_url="https://meet.example.fi/elo-osterbotten-seminarium", **SWEDISH_REGION_COORDINATOR,
        title={"sv": "Regionalt seminarium om livslång vägledning", "fi": "Elinikäisen ohjauksen alueseminaari",
               "en": "Regional seminar on lifelong guidance"},
        description={"sv": "Det årliga seminariet för alla som arbetar med vägledning i Österbotten. Programmet är "
                           "på svenska och finska. Du kan delta på plats i Vasa eller på distans.",
                     "fi": "Vuosittainen seminaari kaikille Pohjanmaan ohjaustoimijoille. Ohjelma on ruotsiksi ja "
                           "suomeksi. Voit osallistua paikan päällä Vaasassa tai etänä."})


def _annual_seminar(session: Session) -> Event:
    return _event(
        session, _at(24, 9), 6.5, kind="seminar", mode="hybrid", capacity=40, themes=["coordinated", "knowledge"],
        languages=["fi"], slug="elo-foorumi",
        address="Oulun kaupungintalo, Torikatu 10, 90100 Oulu", online_url="https://meet.example.fi/elo-foorumi",
        title={"fi": "Pohjois-Pohjanmaan ELO-foorumi: vuosiseminaari",
               "sv": "ELO-forum i Norra Österbotten: årligt seminarium",
               "en": "North Ostrobothnia ELO forum: annual seminar"},
        description={"fi": "Elinikäisen ohjauksen vuosiseminaari koko alueen ohjaustoimijoille: ajankohtaiset asiat, "
                           "jatkuvan oppimisen digitaalinen palvelukokonaisuus (JOD) ja työpajat.\n\n"
                           "Voit osallistua paikan päällä Oulussa tai etänä. Etäyhteyden linkki lähetetään "
                           "ilmoittautuneille.",
                     "sv": "Det årliga seminariet om livslång vägledning för alla vägledare i regionen. "
                           "Du kan delta på plats i Uleåborg eller på distans."},
        questions=[{"key": "workshop", "type": "single", "required": True,
                    "label": {"fi": "Iltapäivän työpaja", "sv": "Eftermiddagens workshop", "en": "Afternoon workshop"},
                    "options": [{"value": "digi", "label": {"fi": "Digitaaliset ohjauspalvelut",
                                                            "sv": "Digitala vägledningstjänster"}},
                                {"value": "green", "label": {"fi": "Vihreä siirtymä", "sv": "Grön omställning"}},
                                {"value": "culture", "label": {"fi": "Kieli- ja kulttuuritietoisuus",
                                                               "sv": "Språk- och kulturmedvetenhet"}}]},
                   {"key": "lunch", "type": "yes-no", "label": {"fi": "Osallistun lounaalle", "sv": "Jag äter lunch"}},
                   {"key": "wishes", "type": "text", "label": {"fi": "Toiveet seminaarille",
                                                               "sv": "Önskemål för seminariet"}}],
    )


def _trainings(session: Session) -> list[Event]:
    specs = [
        ("Digitaaliset ohjaustaidot", "Digitala vägledningsfärdigheter", "Digital guidance skills", ["digital"],
         "online", 38),
        ("Kieli- ja kulttuuritietoisuus ohjauksessa", "Språk- och kulturmedvetenhet i vägledningen",
         "Language and cultural awareness in guidance", ["equitable", "accessible"], "hybrid", 52),
        ("Sukupuolten tasa-arvon edistäminen ohjauksessa", "Att främja jämställdhet i vägledningen",
         "Promoting gender equality in guidance", ["equitable"], "onsite", 66),
        ("Vihreä siirtymä ja ohjaustyö", "Den gröna omställningen och vägledningen",
         "Green transition and guidance work", ["equitable", "quality"], "hybrid", 80),
    ]
    events = []
    for fi, sv, en, themes, mode, days in specs:
        events.append(_event(
            session, _at(days, 12, 30), 3, kind="training", mode=mode, capacity=30, themes=themes, languages=["fi"],
            address="" if mode == "online" else "Oulun seudun ammattiopisto, Kaitoväylä 7, 90570 Oulu",
            online_url="https://meet.example.fi/elo-koulutus", title={"fi": fi, "sv": sv, "en": en},
            description={"fi": f"Täydennyskoulutus ohjaustoimijoille: {fi.lower()}. Koulutus on maksuton "
                               "verkoston jäsenille.",
                         "sv": f"Fortbildning för vägledare: {sv.lower()}."}))
    return events


def _group_meeting(session: Session) -> Event:
    first = _at(9, 13)
    skipped = (first + dt.timedelta(weeks=12)).date().isoformat()
    return _event(
        session, first, 2, kind="group-meeting", mode="online", capacity=None, themes=["coordinated"],
        languages=["fi"], online_url="https://meet.example.fi/elo-ryhma", rrule="FREQ=WEEKLY;INTERVAL=6;COUNT=8",
        exdates=[skipped],
        title={"fi": "ELO-yhteistyöryhmän kokous", "sv": "ELO-gruppens möte", "en": "ELO cooperation group meeting"},
        description={"fi": "Yhteistyöryhmän säännöllinen etäkokous vuosikellon mukaan. Jäsenet ja varajäsenet.",
                     "sv": "Gruppens regelbundna distansmöte enligt årsklockan."})


def _swedish_event(session: Session) -> Event:
    return _event(
        session, _at(31, 14), 2, kind="network-meeting", mode="hybrid", capacity=25, themes=["accessible"],
        languages=["sv"], address="Raahen koulutuskuntayhtymä, Kauppakatu 28, 92100 Raahe",
        online_url="https://meet.example.fi/elo-sv",
        title={"fi": "Ruotsinkielinen infotilaisuus: elinikäinen ohjaus",
               "sv": "Informationsmöte på svenska: livslång vägledning",
               "en": "Information meeting in Swedish: lifelong guidance"},
        description={"sv": "Informationsmöte om aktuella ärenden i samarbete med arbets- och näringsförvaltningen och "
                           "utbildningsaktörerna. Vi presenterar också ELO-nätverkets verksamhetsplan.",
                     "fi": "Ruotsinkielinen infotilaisuus ajankohtaisista asioista."})


def _past_meeting_with_feedback(session: Session, people: itertools.cycle[tuple[str, str]]) -> None:
    starts = _at(-14, 9)
    event = Event(**_past_values(starts))
    event.slug = events.unique_slug(session, event.title["fi"], starts)
    session.add(event)
    session.flush()
    answers = [("5", "4", "Hyvä ja käytännönläheinen päivä."), ("4", "4", "Lisää aikaa verkostoitumiselle."),
               ("5", "5", ""), ("3", "4", "Etäyhteys pätki välillä."), ("4", "5", "Kiitos työpajoista!")]
    for n in range(8):
        name, organisation = next(people)
        registration = Registration(
            event_id=event.id, email=f"past{n}@example.fi", email_hash=f"demo-past-{n:02d}".ljust(64, "0"),
            name=name, organisation=organisation, participation=Participation.ONSITE, language="fi",
            status=RegistrationStatus.CONFIRMED, checked_in=n < 6, queued_at=starts - dt.timedelta(days=10 - n),
            # the feedback request went to the six who arrived, so the page shows a response rate (5 of 6)
            feedback_requested_at=starts + dt.timedelta(hours=4) if n < 6 else None)
        session.add(registration)
        session.flush()
        if n < len(answers):
            overall, useful, comment = answers[n]
            feedback.submit_feedback(session, registration, {"overall": overall, "useful": useful,
                                                             "comments": comment})


def _past_values(starts: dt.datetime) -> dict[str, Any]:
    return {
        "kind": EventKind.NETWORK_MEETING, "mode": EventMode.HYBRID,
        "title": {"fi": "Syksyn verkostotapaaminen", "sv": "Höstens nätverksträff", "en": "Autumn network meeting"},
        "description": {"fi": "Verkoston toiveiden kerääminen ja toimintasuunnitelman päivitys."},
        "themes": ["coordinated", "knowledge"], "languages": ["fi"], "starts_at": starts.astimezone(dt.UTC),
        "ends_at": (starts + dt.timedelta(hours=3)).astimezone(dt.UTC), "address": "Pohjois-Pohjanmaan liitto, "
        "Isokatu 3, 90100 Oulu", "online_url": "https://meet.example.fi/elo-verkosto", "capacity": 40,
        "feedback_questions": events.DEFAULT_FEEDBACK_QUESTIONS, **COORDINATOR,
    }
