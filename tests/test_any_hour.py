"""What a calendar brings: the bot at 00:30 and 23:30 local, on the last day of a month, on 29 February,
inside and outside the quiet hours, and as a year turns over.

Every test here sets the moment it needs on the one clock (tests/conftest.py); nothing reads the
machine's date or hour, so the suite gives the same answers whenever it runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import create_i18n
from db.clock import PinnedClock
from db.engine import Database, write
from db.models import Booking, BookingStatus, Notification, Resource, User, UserStatus
from services import booking as booking_service
from services import digest as digest_service
from services import events as ev
from services.digest import DigestItem
from services.errors import NotAllowed
from services.outbox import in_quiet_hours
from tests.client import TgClient
from tests.conftest import TZ, local
from tests.test_booking import day_buttons, registered, to_confirm
from tests.test_events_service import STAFF, add_people, draft

# (moment, inside the default quiet hours 22:00–08:00)
MOMENTS = {
    "00:30": (local(2026, 12, 9, 0, 30), True),
    "23:30": (local(2026, 12, 9, 23, 30), True),
    "month's last day 23:30": (local(2027, 1, 31, 23, 30), True),
    "29 February 00:10": (local(2028, 2, 29, 0, 10), True),
    "15 July 01:30": (local(2027, 7, 15, 1, 30), True),
    "New Year's Eve 23:30": (local(2026, 12, 31, 23, 30), True),
    "morning 08:00": (local(2027, 3, 1, 8, 0), False),
    "evening 21:59": (local(2027, 3, 1, 21, 59), False),
}
at_every_moment = pytest.mark.parametrize("moment", [m for m, _q in MOMENTS.values()], ids=list(MOMENTS))


@pytest.mark.parametrize(("moment", "quiet"), list(MOMENTS.values()), ids=list(MOMENTS))
def test_quiet_hours_at_each_moment(moment: datetime, quiet: bool, settings: Any) -> None:
    assert in_quiet_hours(moment, TZ, settings.quiet_hours_start, settings.quiet_hours_end) is quiet
    # the same instant given in UTC (the day before, for the small hours) is judged the same way
    assert in_quiet_hours(moment.astimezone(UTC), TZ, time(22, 0), time(8, 0)) is quiet


@at_every_moment
async def test_the_booking_calendar_and_a_booking_at_any_hour(
    moment: datetime, clock: PinnedClock, client: TgClient, db: Database
) -> None:
    clock.set(moment)
    async with db.session() as s:
        await booking_service.ensure_default_resources(s)
    await registered(db, client)
    async with db.session() as s:
        room = await booking_service.resource_by_code(s, "meeting_room")
        horizon = room.horizon_days
        notice = timedelta(minutes=room.min_notice_minutes)

    await client.send("/book")
    await client.press("Переговорная")
    offered = [
        datetime.strptime(data.rsplit(":", 1)[1], "%Y%m%d").date()
        for _m, _label, data in day_buttons(client, "fm:Book:day:p:2")
    ]
    # the window is counted in local days: at 00:30 local it is already the next day (in UTC it is not)
    today = date(moment.year, moment.month, moment.day)
    assert offered and all(today <= day <= today + timedelta(days=horizon) for day in offered)
    assert offered == sorted(offered)

    await client.send("/cancel")
    await to_confirm(client, "Переговорная", day=0, time=0, duration="1 ч")
    await client.press("Забронировать")
    async with db.session() as s:
        [booking] = list(await s.scalars(select(Booking)))
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.start_at >= moment + notice  # never in the past, never inside the minimum notice
    assert booking.start_at.astimezone(TZ).date() == offered[0]


@at_every_moment
def test_booking_rules_across_midnight(moment: datetime) -> None:
    """A start a minute before now is refused; the last bookable day is counted from the local date."""
    room = Resource(
        code="x",
        name="x",
        capacity=1,
        slot_minutes=30,
        min_minutes=30,
        max_minutes=120,
        horizon_days=14,
        min_notice_minutes=0,
        cancel_cutoff_minutes=0,
        hours={str(d): ["00:00", "23:59"] for d in range(1, 8)},
        closed_dates=[],
        needs_approval=False,
    )
    first, last = booking_service.window(room, moment, TZ)
    assert first == date(moment.year, moment.month, moment.day)
    assert last == first + timedelta(days=14)
    with pytest.raises(NotAllowed):
        booking_service.check_rules(room, moment - timedelta(minutes=30), 30, now=moment, tz=TZ)


@pytest.mark.parametrize(
    "deadline",
    [
        local(2026, 12, 10, 0, 0),  # midnight
        local(2027, 2, 1, 0, 0),  # midnight that starts a month
        local(2028, 3, 1, 0, 0),  # the midnight after 29 February
        local(2027, 1, 1, 0, 0),  # the midnight that starts a year
    ],
    ids=["midnight", "month", "after-29-feb", "new-year"],
)
async def test_event_registration_deadline_across_midnight(
    deadline: datetime, clock: PinnedClock, db: Database
) -> None:
    clock.set(deadline - timedelta(days=2))
    starts = deadline + timedelta(days=1, hours=10)
    async with db.session() as s:
        event = await ev.create_event(
            s,
            STAFF,
            draft(5, starts_at=starts, ends_at=starts + timedelta(hours=2), reg_deadline=deadline),
            now=clock.now(),
        )
        await ev.publish(s, STAFF, event.id, announce=False, now=clock.now())
    early, late = await add_people(db, 2)

    clock.set(deadline - timedelta(minutes=1))  # 23:59 the evening before
    async with db.session() as s:
        result = await ev.sign_up(s, early, event.id)  # no ``now`` given: the one clock decides
    assert result.status == "confirmed"

    clock.set(deadline + timedelta(minutes=1))  # 00:01
    async with db.session() as s:
        with pytest.raises(NotAllowed):
            await ev.sign_up(s, late, event.id)


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (local(2026, 12, 28, 10, 0), "2026-W53"),  # Monday of ISO week 53
        (local(2026, 12, 31, 23, 30), "2026-W53"),
        (local(2027, 1, 1, 0, 30), "2026-W53"),  # a new calendar year, still the old ISO week
        (local(2027, 1, 3, 23, 59), "2026-W53"),
        (local(2027, 1, 4, 0, 0), "2027-W01"),
        (local(2026, 12, 28, 0, 30), "2026-W53"),  # 17:30 UTC on Sunday the 27th: the local day counts
        (local(2028, 2, 29, 0, 10), "2028-W09"),
    ],
)
def test_digest_week_key(moment: datetime, week: str) -> None:
    assert digest_service.week_key(moment.astimezone(UTC), TZ) == week


async def test_digest_once_per_week_as_the_year_turns(db: Database, monkeypatch: Any, settings: Any) -> None:
    async def news_source(
        session: Any, users: list[User], now: datetime, until: datetime
    ) -> dict[int, list[DigestItem]]:
        return {user.id: [DigestItem(text="Ярмарка НКО")] for user in users}

    monkeypatch.setattr(digest_service, "SOURCES", [("events", news_source)])
    async with db.session() as s, write(s):
        s.add(User(tg_id=1, full_name="Анна Смирнова", status=UserStatus.REGISTERED, digest_enabled=True))
    i18n = create_i18n("ru")

    monday_53 = local(2026, 12, 28, 10, 0)
    assert await digest_service.queue_weekly(db, i18n, TZ, monday_53) == 1
    await digest_service.queue_weekly(db, i18n, TZ, local(2027, 1, 1, 10, 0))  # same ISO week: nothing
    await digest_service.queue_weekly(db, i18n, TZ, local(2027, 1, 4, 10, 0))  # week 1 of 2027
    async with db.session() as s:
        keys = sorted(r.key for r in await s.scalars(select(Notification)))
    assert [k[-8:] for k in keys] == ["2026-W53", "2027-W01"]


def test_a_moved_machine_clock_still_lets_the_suite_sleep_and_wait() -> None:
    """CI runs this suite under Debian's faketime; there, sleeping and waiting for a child process with
    a timeout must work (with DONT_FAKE_MONOTONIC libfaketime makes Python 3.12's time.sleep fail with
    EINVAL, which broke a subprocess test at random in stop 27's CI; tests/conftest.py sleeps by select
    then). The child closes its output first, so the wait after it has to sleep."""
    import subprocess
    import sys
    import time as clock

    clock.sleep(0.001)
    child = "import os, select; print('awake', flush=True); os.close(1); select.select([], [], [], 0.3)"
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "awake")
