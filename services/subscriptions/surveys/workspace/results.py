"""A survey's results: the response rate, a chart with a table per question, the free-text answers, and the
anonymous XLSX export (one row per response, one column per question, the day only)."""

from __future__ import annotations

from flask import Response, render_template
from flask_babel import gettext as _

from services.subscriptions.models import db
from services.subscriptions.surveys.models import in_language
from services.subscriptions.surveys.operations import results
from services.subscriptions.surveys.operations.sending import survey_of
from services.subscriptions.surveys.workspace.builder import figures, kind_labels, primary, title_of
from shared.charts import bars
from shared.formatting import format_number
from shared.spreadsheet import xlsx_response
from shared.web import current_language


def results_page(survey_id: int) -> str:
    session = db.session()
    survey = survey_of(session, survey_id)
    language = current_language()
    questions = [{"number": number, "kind": figure.question.kind,
                  "text": in_language(figure.question.text, language, primary()),
                  "answers": figure.answers, "average": figure.average, "texts": figure.texts,
                  "average_text": format_number(figure.average, language, 1) if figure.average is not None else "",
                  "bars": bars(results.option_rows(figure, language, primary()))
                  if figure.question.kind != "text" else []}
                 for number, figure in enumerate(results.question_figures(session, survey), start=1)]
    return render_template("admin/surveys/results.html", survey=survey, title=title_of(survey),
                           figures=figures(survey), questions=questions, kinds=kind_labels())


def export_xlsx(survey_id: int) -> Response:
    session = db.session()
    survey = survey_of(session, survey_id)
    header, rows = results.export_table(session, survey, current_language(), primary(),
                                        (str(_("Response")), str(_("Date"))))
    return xlsx_response(f"survey-{survey.id}-results.xlsx", header, rows, title=str(_("Results")))
