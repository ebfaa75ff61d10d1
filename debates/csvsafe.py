"""CSV exports that are safe to open in a spreadsheet.

A cell starting with = + - @ (or a tab / carriage return) is read as a formula by Excel and LibreOffice — an
injection vector when the text comes from the public. safe_cell prefixes such a cell with a single quote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The text of one cell, neutralised against formula injection (None → empty)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def csv_response(filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A UTF-8 CSV download (with a BOM so that spreadsheets read accents right); every cell goes through safe_cell."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return response
