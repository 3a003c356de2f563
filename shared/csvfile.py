"""The one CSV writer for every export: opens in Finnish Excel, runs no formulas.

- UTF-8 with a byte-order mark, so Excel reads ä, ö and å.
- `;` between cells: Finnish and Swedish Excel use `;` as the list separator, so a double-click
  opens the file in columns. Our importers read `;` and `,`.
- CRLF line ends (RFC 4180).
- A cell that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading apostrophe, so a spreadsheet
  shows it as text instead of running it; `plain_cell` takes the apostrophe off again on import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Response

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell's text; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):  # numbers are data, a minus sign is no formula
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain_cell(text: str) -> str:
    """Undo `safe_cell` on import: an apostrophe before a formula character is taken off."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The file piece by piece (BOM and header first), for streaming large exports."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return "".join(csv_lines(header, rows))


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of the rows as `filename` (a plain ASCII name such as `subscribers-2026-12-02.csv`)."""
    return Response(csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
