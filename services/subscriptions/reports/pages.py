"""The annual report in the coordinator workspace (/newsletter/admin/reports/<year>, coordinators only): the page
with charts, its XLSX and PDF downloads, and "Finalise the year" (a confirmation first, then a POST with
`confirm=yes`). A finalised year shows the figures stored when it was finalised."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.subscriptions.models import db
from services.subscriptions.reports import pdf, xlsx
from services.subscriptions.reports.operations import compose
from services.subscriptions.reports.operations.compose import Report
from services.subscriptions.reports.operations.sections import Section, cell_text, sections
from shared.charts import Bar, bars
from shared.errors import DomainError
from shared.formatting import format_datetime
from shared.spreadsheet import XLSX_MIMETYPE
from shared.web import current_language
from shared.web_auth import current_user, login_required

PDF_MIMETYPE = "application/pdf"


def add_routes(blueprint: Blueprint) -> None:
    coordinator = login_required("coordinator")
    blueprint.add_url_rule("/reports", "reports", coordinator(latest))
    blueprint.add_url_rule("/reports/<int:year>", "report", coordinator(report_page))
    blueprint.add_url_rule("/reports/<int:year>.xlsx", "report_xlsx", coordinator(report_xlsx))
    blueprint.add_url_rule("/reports/<int:year>.pdf", "report_pdf", coordinator(report_pdf))
    blueprint.add_url_rule("/reports/<int:year>/finalise", "report_finalise", coordinator(finalise),
                           methods=["POST"])


def latest() -> Response:
    """The last year that has ended."""
    return redirect(url_for(".report", year=compose.current_year() - 1))


def title(year: int) -> str:
    return str(_("Annual report %(year)s", year=year))


def network_name() -> str:
    return str(current_app.config["ELO_SETTINGS"].network_name_in(current_language()))


def status_text(found: Report) -> str:
    if found.finalised_at is not None:
        return str(_("Finalised on %(date)s by %(who)s. The figures are stored as they were then.",
                     date=format_datetime(found.finalised_at, current_language()), who=found.finalised_by or ""))
    return str(_("Live figures: they change when the data changes, until the year is finalised."))


def chart_bars(section: Section) -> list[list[Bar]]:
    """The bars of each table of the section (empty when the table has no chart or nothing to draw)."""
    drawn = []
    for table in section.tables:
        values = [(str(row[0]), row[table.chart]) for row in table.rows] if table.chart is not None else []
        numbers = [(label, value) for label, value in values if isinstance(value, int)]
        drawn.append(bars(numbers) if any(value for _label, value in numbers) else [])
    return drawn


def report_page(year: int) -> str:
    found = compose.report(db.session(), year)
    language = current_language()
    shown = sections(found.figures, language)
    return render_template("admin/reports/report.html", year=year, report=found, title=title(year),
                           network=network_name(), status=status_text(found), sections=shown,
                           charts=[chart_bars(section) for section in shown],
                           cell=lambda value: cell_text(value, language),
                           can_finalise=not found.finalised and year < compose.current_year(),
                           first_year=compose.FIRST_YEAR, next_year=year + 1 if year < compose.current_year() else None)


def report_xlsx(year: int) -> Response:
    found = compose.report(db.session(), year)
    content = xlsx.workbook(year, sections(found.figures, current_language()), status_text(found))
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="annual-report-{year}.xlsx"'})


def report_pdf(year: int) -> Response:
    found = compose.report(db.session(), year)
    language = current_language()
    content = pdf.document(title(year), network_name(), status_text(found), sections(found.figures, language),
                           language)
    return Response(content, mimetype=PDF_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="annual-report-{year}.pdf"'})


def finalise(year: int) -> Response | tuple[str, int]:
    session = db.session()
    found = compose.report(session, year)
    if request.form.get("confirm") != "yes":
        return render_template("admin/reports/finalise_confirm.html", year=year, title=title(year),
                               report=found), 200
    user = current_user()
    try:
        compose.finalise(session, year, by=(user.name or user.email) if user else "")
    except DomainError:
        session.rollback()
        flash(str(_("The year was not finalised: %(reason)s", reason=_refusal(year))), "error")
    else:
        session.commit()
        flash(str(_("The annual report %(year)s is finalised.", year=year)), "success")
    return redirect(url_for(".report", year=year))


def _refusal(year: int) -> str:
    if compose.stored(db.session(), year) is not None:
        return str(_("it is already finalised."))
    if year >= compose.current_year():
        return str(_("the year is not over yet."))
    return str(_("the events service did not answer. Try again in a moment."))
