"""The annual report as an Excel workbook: one sheet per section, each of its tables under a bold header row
whose first cell names the table. Numbers stay numbers, dates are date cells, no text is ever a formula
(shared.spreadsheet)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from services.subscriptions.reports.operations.sections import Section
from shared.spreadsheet import Block, xlsx_sheets_bytes


def workbook(year: int, sections: list[Section], finalised_note: str) -> bytes:
    cover: list[list[Any]] = [[_("Year"), year], [_("Status"), finalised_note]]
    sheets: list[tuple[str, list[Block]]] = [(_("Annual report"), [([_("Annual report"), ""], cover)])]
    for section in sections:
        blocks: list[Block] = [([table.title, *table.header[1:]], table.rows) for table in section.tables]
        if section.note:
            blocks.insert(0, ([section.title], [[section.note]]))
        sheets.append((section.title, blocks or [([section.title], [])]))
    return xlsx_sheets_bytes(sheets)
