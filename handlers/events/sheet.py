"""The registration sheet of an event as XLSX: one row per participant, a column to sign at the door."""

from __future__ import annotations

import io
from typing import Any

from aiogram.utils.i18n import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from db.models import Event
from services import events as ev
from services.spreadsheet import append_row

HEADER = ("n", "name", "org", "group", "district", "phone", "status", "signed_up", "checked_in", "signature")
WIDTHS = (5, 30, 28, 20, 18, 16, 16, 17, 17, 18)


def _row(number: int, signup: Any, person: Any) -> list[Any]:
    return [
        number,
        person.full_name or "",
        person.organisation or "",
        _("group." + person.target_group) if person.target_group else "",
        _("district." + person.district) if person.district else "",
        person.phone or "",
        _(f"events.status_{signup.status}"),
        ev.fmt_dt(signup.created_at),
        ev.fmt_dt(signup.checked_in_at) if signup.checked_in_at else "",
        "",
    ]


def participants_xlsx(event: Event, people: list[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("events.xlsx_sheet")[:31]
    append_row(sheet, [event.title])
    sheet["A1"].font = Font(bold=True, size=13)
    append_row(sheet, [ev.fmt_when(event), event.place])
    append_row(sheet, [])
    append_row(sheet, [_(f"events.xlsx_{name}") for name in HEADER])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, (signup, person) in enumerate(people, start=1):
        append_row(sheet, _row(number, signup, person))
    for column, width in zip("ABCDEFGHIJ", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
