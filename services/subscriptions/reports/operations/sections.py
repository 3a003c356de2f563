"""The annual report as sections of tables in the reader's language: the one layout the page, the XLSX (a sheet
per section) and the PDF all show, so the three say the same. Cells are real values (numbers stay numbers, dates
stay dates); `cell_text` writes one as people read it. A table's `chart` names the column drawn as bars."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from babel.dates import get_month_names
from flask_babel import gettext as _

from shared.formatting import format_date, format_number, local, parse_moment
from shared.labels import kind_label, mode_label, sector_label, theme_label


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]
    chart: int | None = None  # the column drawn as a bar chart (labels from the first)


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    note: str = ""


def cell_text(value: Any, language: str) -> str:
    if value is None:
        return "\N{EN DASH}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_number(value, language)
    if isinstance(value, float):
        return format_number(value, language, 1)
    if isinstance(value, dt.date):
        return format_date(value, language)
    return str(value)


def percent(share: float | None) -> float | None:
    return None if share is None else round(float(share) * 100, 1)


def _day(value: Any) -> dt.date | None:
    """The Helsinki date of an ISO time (as the services answer times)."""
    moment = parse_moment(value)
    return None if moment is None else local(moment).date()


def _text(texts: Any, language: str) -> str:
    if isinstance(texts, dict):
        return str(texts.get(language) or texts.get("fi") or next(iter(texts.values()), "") or "")
    return str(texts or "")


def sections(figures: dict[str, Any], language: str) -> list[Section]:
    events = figures.get("events")
    return [_themes(figures, language), *_event_sections(events, language), *_newsletter_sections(figures, language),
            _surveys(figures.get("surveys") or [], language)]


def _themes(figures: dict[str, Any], language: str) -> Section:
    rows = [[theme_label(row["theme"], language), row["events"], row["registrations"], row["attended"],
             row["published_articles"]] for row in figures["themes"]]
    table = Table(_("What the network did under each theme"),
                  [_("Theme"), _("Events"), _("Registrations"), _("Attended"), _("Published articles")], rows, chart=1)
    return Section("themes", _("Strategic themes"), [table])


def _counts(title: str, heading: str, counts: dict[str, int], name: Any, language: str) -> Table:
    rows = [[name(key, language), number] for key, number in counts.items()]
    return Table(title, [heading, _("Events")], rows, chart=1)


def _event_sections(events: dict[str, Any] | None, language: str) -> list[Section]:
    missing = _("The events service did not answer, so its figures are missing. Try again later.")
    if events is None:
        return [Section(key, title, note=missing) for key, title in (
            ("events", _("Events")), ("registrations", _("Registrations")),
            ("participants", _("Participants")), ("feedback", _("Feedback")))]
    counted, registrations = events["events"], events["registrations"]
    summary = Table(_("Events in the year"), [_("Figure"), _("Number")],
                    [[_("Events"), counted["total"]], [_("Cancelled events"), counted["cancelled"]]])
    event_section = Section("events", _("Events"), [
        summary,
        _counts(_("Events by kind"), _("Kind"), counted.get("by_kind") or {}, kind_label, language),
        _counts(_("Events by mode"), _("Mode"), counted.get("by_mode") or {}, mode_label, language),
        _counts(_("Events by theme"), _("Theme"), counted.get("by_theme") or {}, theme_label, language)])
    registration_rows = [
        [_("Registrations"), registrations["total"]], [_("Confirmed seats"), registrations["confirmed"]],
        [_("Attended (checked in)"), registrations["attended"]], [_("Took part remotely"), registrations["remote"]],
        [_("Remote share (%)"), percent(registrations["remote_share"])],
        [_("Cancelled registrations"), registrations["cancelled"]],
        [_("Promoted from the waiting list"), registrations["promoted_from_waiting_list"]]]
    registration_section = Section("registrations", _("Registrations"), [
        Table(_("Registrations and attendance"), [_("Figure"), _("Number")], registration_rows)])
    sectors = [[_("Not asked") if key == "unknown" else sector_label(key, language), number]
               for key, number in (events.get("participants_by_sector") or {}).items()]
    organisations = [[row["organisation"], row["count"]] for row in events.get("participants_by_organisation") or []]
    participant_section = Section("participants", _("Participants"), [
        Table(_("Participants by sector"), [_("Sector"), _("Participants")], sectors, chart=1),
        Table(_("Participants by organisation"), [_("Organisation"), _("Participants")], organisations)])
    feedback = [[_text(row.get("title"), language), _day(row.get("starts_at")), row["responses"],
                 None if row.get("average") is None else round(float(row["average"]), 1)]
                for row in events.get("feedback") or []]
    feedback_section = Section("feedback", _("Feedback"), [
        Table(_("Feedback averages per event (scale 1-5)"), [_("Event"), _("Date"), _("Responses"), _("Average")],
              feedback)])
    return [event_section, registration_section, participant_section, feedback_section]


def _newsletter_sections(figures: dict[str, Any], language: str) -> list[Section]:
    newsletter = figures["newsletter"]
    people = newsletter["subscribers"]
    summary = Table(_("The newsletter in the year"), [_("Figure"), _("Number")], [
        [_("Issues sent"), newsletter["issues_sent"]], [_("Recipients of the issues"), newsletter["recipients"]],
        [_("Subscribers on 1 January"), people["subscribers_at_start"]],
        [_("Subscribers on 31 December"), people["subscribers_at_end"]],
        [_("Joined"), people["joined"]], [_("Left"), people["left"]],
        [_("Unsubscribes"), people["unsubscribes"]], [_("Erased their data"), people["erased"]]])
    issues = Table(_("Issues sent"), [_("Issue"), _("Sent"), _("Recipients")],
                   [[issue["title"], _day(issue["sent_at"]), issue["recipients"]] for issue in newsletter["issues"]])
    months = get_month_names("wide", context="stand-alone", locale=language)
    on_list = people["subscribers_at_start"]
    growth_rows = []
    for month in people["by_month"]:
        on_list += month["joined"] - month["left"]
        growth_rows.append([str(months[month["month"]]).capitalize(), month["joined"], month["left"], on_list])
    growth = Table(_("Growth by month"), [_("Month"), _("Joined"), _("Left"), _("Subscribers at the month's end")],
                   growth_rows, chart=3)
    articles = newsletter["articles"]
    theme_rows = [[theme_label(key, language), articles["submitted_by_theme"].get(key, 0), published]
                  for key, published in articles["published_by_theme"].items()]
    article_table = Table(_("Articles by theme"), [_("Theme"), _("Submitted"), _("Published")],
                          [*theme_rows, [_("Articles in all"), articles["submitted"], articles["published"]]],
                          chart=2)
    return [Section("newsletter", _("Newsletter"), [summary, issues, growth]),
            Section("articles", _("Articles"), [article_table])]


def _surveys(surveys: list[dict[str, Any]], language: str) -> Section:
    section = Section("surveys", _("Survey"), note="" if surveys else _("No survey in the year."))
    for survey in surveys:
        title = _text(survey.get("title"), language)
        section.tables.append(Table(title, [_("Figure"), _("Number")], [
            [_("Invited"), survey.get("invited")], [_("Answered"), survey.get("answered")],
            [_("Response rate (%)"), percent(survey.get("response_rate"))]]))
        for question in survey.get("questions") or []:
            rows: list[list[Any]] = [[_text(option.get("label"), language), option.get("count")]
                                     for option in question.get("options") or []]
            if question.get("average") is not None:
                rows.append([_("Average"), round(float(question["average"]), 1)])
            written = question.get("text_answers")
            if written:
                rows.append([_("Written answers"), len(written) if isinstance(written, list) else written])
            section.tables.append(Table(_text(question.get("text"), language), [_("Answer"), _("Answers")], rows,
                                        chart=1 if question.get("options") else None))
    return section
