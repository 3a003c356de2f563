"""Exports for people: the same (header, rows) as an Excel workbook, and as readable CSV cells.

A table for people holds real values: aware datetimes, numbers, words. `xlsx_response` writes them
as an .xlsx a double click opens (openpyxl): a bold, frozen header row, column widths, date-time
cells formatted d.m.yyyy h:mm in Helsinki time (Excel stores no zone), numbers as numbers (Excel
shows the decimal comma by the reader's locale) and text always as text: a cell "=HYPERLINK(…)" is a
string, never a formula. `readable_row` turns the same cells into CSV text in the reader's language
(`22.11.2026 klo 9.00`, `4,2`) for `shared.csvfile`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from shared.csvfile import FORMULA_STARTS
from shared.formatting import HELSINKI, format_date, format_datetime

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "d.m.yyyy h:mm"
DATE_FORMAT = "d.m.yyyy"
MAX_TEXT = 32767  # Excel's limit for one cell
MIN_WIDTH, MAX_WIDTH = 8, 60
WIDTH_SAMPLE = 500  # rows looked at for column widths
SHEET_TITLE_LENGTH = 31  # Excel's limit


def local_naive(moment: dt.datetime) -> dt.datetime:
    """The wall-clock time in Helsinki without a zone (what a spreadsheet cell holds); naive means UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(HELSINKI).replace(tzinfo=None, microsecond=0)


def readable_cell(value: Any, language: str) -> Any:
    """A cell for CSV: times in Helsinki as the language writes them, a decimal comma in fi and sv."""
    if isinstance(value, dt.datetime):
        return format_datetime(value, language)
    if isinstance(value, dt.date):
        return format_date(value, language)
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return text.replace(".", ",") if language in ("fi", "sv") else text
    return value


def readable_row(row: Sequence[Any], language: str) -> list[Any]:
    return [readable_cell(value, language) for value in row]


def readable_rows(rows: Iterable[Sequence[Any]], language: str) -> Iterable[list[Any]]:
    return (readable_row(row, language) for row in rows)


def clean_text(value: str) -> str:
    """Text a workbook may hold: control characters XML forbids taken out, cut at Excel's limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]


def _cell(sheet: WriteOnlyWorksheet, value: Any, *, bold: bool = False) -> Cell:
    stored: Any = value
    if isinstance(value, dt.datetime):
        stored = local_naive(value)
    elif not isinstance(value, dt.date | bool | int | float | Decimal) and value is not None:
        stored = clean_text(str(value))
    cell = WriteOnlyCell(sheet, stored)
    if isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif isinstance(stored, str):
        cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
        cell.quotePrefix = stored.startswith(FORMULA_STARTS)  # Excel keeps it text even when edited
    if bold:
        cell.font = Font(bold=True)
    return cell


def _shown_length(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = "" if value is None else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def column_widths(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    widths = [len(str(name)) + 2 for name in header]
    for row in rows[:WIDTH_SAMPLE]:
        for index, value in enumerate(row[:len(widths)]):
            widths[index] = max(widths[index], _shown_length(value) + 2)
    return [min(max(width, MIN_WIDTH), MAX_WIDTH) for width in widths]


def _sheet_title(title: str) -> str:
    return clean_text(title).translate(str.maketrans("[]:*?/\\", "       "))[:SHEET_TITLE_LENGTH] or "Export"


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Export") -> bytes:
    """The workbook: one sheet, a bold frozen header row, then the rows."""
    table = [list(row) for row in rows]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(title))
    for index, width in enumerate(column_widths(header, table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, name, bold=True) for name in header])
    for row in table:
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


Block = tuple[Sequence[str], Sequence[Sequence[Any]]]  # one table: its header and its rows


def xlsx_sheets_bytes(sheets: Iterable[tuple[str, Sequence[Block]]]) -> bytes:
    """A workbook of several sheets (title, tables): each table a bold header row and its rows, a blank row
    between tables; the first row frozen. Cells as in `xlsx_bytes`."""
    book = Workbook(write_only=True)
    for title, blocks in sheets:
        sheet = book.create_sheet(_sheet_title(title))
        widths: dict[int, int] = {}
        for header, rows in blocks:
            for index, width in enumerate(column_widths(header, rows), start=1):
                widths[index] = max(width, widths.get(index, 0))
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        for number, (header, rows) in enumerate(blocks):
            if number:
                sheet.append([])
            sheet.append([_cell(sheet, name, bold=True) for name in header])
            for row in rows:
                sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                  title: str = "Export") -> Response:
    """A download of the rows as `filename` (a plain ASCII name ending in .xlsx)."""
    return Response(xlsx_bytes(header, rows, title), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
