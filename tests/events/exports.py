"""Reading the CSV exports as a spreadsheet would: shared.csvfile's UTF-8 with BOM, `;` and CRLF."""

from __future__ import annotations

import csv
import io
from typing import Any


def read_export(response: Any) -> list[dict[str, str]]:
    """The rows of a CSV download by header, after checking the file is in shared.csvfile's form."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
