"""The annual report as a PDF (fpdf2): the same sections and tables as the page, for printing and for sending on
to the ministries. The core Helvetica font covers Latin-1, which holds every Finnish and Swedish letter
(ä, ö, å, Å); the few typographic marks outside it become their plain forms, anything else a question mark."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.subscriptions.reports.operations.sections import Section, Table, cell_text

FONT = "helvetica"
_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201a": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2026": "...", "\u2022": "-",
                        "\u202f": " ", "\u2009": " "})


def latin1(text: str) -> str:
    """The text as the core font can write it."""
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def document(title: str, subtitle: str, status: str, sections: list[Section], language: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_lang(language)
    pdf.set_creator("ELO")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    _line(pdf, title, size=18, bold=True)
    _line(pdf, subtitle, size=11)
    _line(pdf, status, size=10)
    for section in sections:
        pdf.ln(4)
        _line(pdf, section.title, size=14, bold=True)
        if section.note:
            _line(pdf, section.note, size=10)
        for table in section.tables:
            _table(pdf, table, language)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, *, size: int, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, table: Table, language: str) -> None:
    pdf.ln(2)
    _line(pdf, table.title, size=11, bold=True)
    pdf.set_font(FONT, "", 9)
    columns = len(table.header)
    first = 90 if columns == 2 else 70
    rest = (pdf.epw - first) / max(columns - 1, 1)
    widths = (first, *([rest] * (columns - 1))) if columns > 1 else (pdf.epw,)
    align = ("LEFT", *(["RIGHT"] * (columns - 1)))
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=align,
                   first_row_as_headings=True, line_height=5) as grid:
        heading = grid.row()
        for name in table.header:
            heading.cell(latin1(name))
        for row in table.rows:
            cells = grid.row()
            for value in row:
                cells.cell(latin1(cell_text(value, language)))
