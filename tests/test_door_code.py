"""The door check-in code is renewed for each event day, and staff see when (issue #14)."""

from __future__ import annotations

from typing import Any

import pytest

from db.models import User
from db.models.events import Event
from services import events as ev
from services.errors import NotAllowed, ValidationFailed
from tests.client import TgClient
from tests.conftest import local


async def _three_day_event(db: Any) -> tuple[int, int]:
    async with db.session() as s:
        event = Event(
            title="Школа НКО",
            kind="training",
            starts_at=local(2026, 12, 14, 10, 0),
            ends_at=local(2026, 12, 16, 17, 0),
            place_kind="center",
            reg_deadline=local(2026, 12, 13, 10, 0),
            status="published",
            checkin_code="ABC234",
            created_by=5001,
        )
        person = User(tg_id=92001, full_name="Гость", status="registered")
        s.add_all([event, person])
        await s.commit()
        return event.id, person.id


async def checkin(db: Any, event_id: int, person_id: int, code: str, now: Any) -> None:
    async with db.session() as s:
        person = await s.get(User, person_id)
        await ev.self_checkin(s, person, event_id, code, now=now)


async def test_each_event_day_has_its_own_code(db: Any) -> None:
    event_id, person_id = await _three_day_event(db)
    async with db.session() as s:
        event = await s.get(Event, event_id)
        codes = {day: ev.day_code(event, day) for day in (local(2026, 12, d).date() for d in (14, 15, 16))}
    assert len(set(codes.values())) == 3 and codes[local(2026, 12, 14).date()] == "ABC234"
    with pytest.raises(NotAllowed):  # more than an hour before the start: still refused
        await checkin(db, event_id, person_id, "ABC234", local(2026, 12, 14, 8, 30))
    # the second day: yesterday's code (a photo of yesterday's QR) no longer works
    with pytest.raises(ValidationFailed):
        await checkin(db, event_id, person_id, "ABC234", local(2026, 12, 15, 9, 30))
    await checkin(db, event_id, person_id, codes[local(2026, 12, 15).date()], local(2026, 12, 15, 9, 30))
    with pytest.raises(NotAllowed):  # after the end
        await checkin(db, event_id, person_id, codes[local(2026, 12, 16).date()], local(2026, 12, 16, 17, 1))


async def test_staff_see_the_code_of_the_day_and_when_it_was_renewed(
    db: Any, staff: TgClient, clock: Any
) -> None:
    event_id, _person = await _three_day_event(db)
    clock.set(local(2026, 12, 15, 9, 0))
    await staff.press_data(f"eva:code:{event_id}:0")
    caption = staff.last_text
    async with db.session() as s:
        event = await s.get(Event, event_id)
        today = ev.day_code(event, local(2026, 12, 15).date())
    assert f"Код на вт, 15 декабря: <code>{today}</code>" in caption
    assert "Обновлён вт, 15 декабря, 00:00" in caption and "действует до ср, 16 декабря, 00:00" in caption
    assert f"ci_{event_id}_{today}" in caption
