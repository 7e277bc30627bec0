"""XLSX cells from people, written safely: every export goes through ``append_row``.

A value a person typed (a name, an organisation, a comment, a title) that starts with = + - @ (or a tab or
a carriage return) would be taken by openpyxl, and then by Excel or LibreOffice, as a formula: a name
such as ``=HYPERLINK("http://…")`` in a sign-up sheet runs when staff open it. Such cells are written as
text (an inline string with the quote prefix), never a formula; characters XLSX cannot hold are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """``sheet.append(values)`` with every string a plain text cell, whatever it starts with."""
    row = [clean_text(v) if isinstance(v, str) else v for v in values]
    sheet.append(row)
    if not row:
        return
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True
