"""A refused write: ended without a reload when it only read, rolled back whenever it wrote anything.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, inspect, select, update

from db.engine import Database, write
from db.models import Booking, BookingSlot, User
from services import booking as svc
from tests.test_booking_race import TZ, at, make_users, next_monday


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split())[:60])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_a_loser_of_the_last_place_reads_twice_and_reloads_nothing(db: Database) -> None:
    async with db.session() as s:
        await svc.ensure_default_resources(s)
        cow = await svc.resource_by_code(s, "coworking")
    start = at(next_monday(), 10)
    users = await make_users(db, cow.capacity + 1, first_tg=81000)
    for user in users[: cow.capacity]:
        async with db.session() as s:
            await svc.create_booking(s, resource_id=cow.id, user=user, start=start, minutes=60, tz=TZ)

    async with db.session() as s:
        late = await s.get(User, users[-1].id)
        assert late is not None
        with statements(db) as seen, pytest.raises(svc.SlotTaken):
            await svc.create_booking(s, resource_id=cow.id, user=late, start=start, minutes=60, tz=TZ)
        # The resource under the lock, then places, quota and pending in one query; nothing refreshed.
        assert len(seen) == 2, seen
        assert all(statement.startswith("SELECT") for statement in seen), seen
        assert not inspect(late).expired_attributes
        assert late.full_name  # usable at once, as the handler needs it
        assert not s.in_transaction()

    async with db.session() as s:
        held = await s.scalar(
            select(func.count()).select_from(BookingSlot).where(BookingSlot.slot_start == start)
        )
        assert held == cow.capacity
        assert (
            await s.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == late.id)) == 0
        )


async def test_a_refused_write_that_updated_rows_is_rolled_back(db: Database) -> None:
    (user,) = await make_users(db, 1, first_tg=82000)
    async with db.session() as s:
        with pytest.raises(RuntimeError):
            async with write(s):
                await s.execute(update(User).where(User.id == user.id).values(full_name="Не сохранять"))
                raise RuntimeError("refused after an UPDATE")
        person = await s.get(User, user.id)
        assert person is not None and person.full_name == user.full_name


async def test_a_refused_write_with_unsaved_changes_is_rolled_back_and_reloaded(db: Database) -> None:
    (user,) = await make_users(db, 1, first_tg=83000)
    async with db.session() as s:
        person = await s.get(User, user.id)
        assert person is not None
        with pytest.raises(RuntimeError):
            async with write(s):
                await s.scalar(select(func.count()).select_from(User))
                person.full_name = "Не сохранять"
                s.add(User(tg_id=83999, full_name="Тоже нет"))
                raise RuntimeError("refused before the flush")
        assert person.full_name == user.full_name  # reloaded after the rollback
    async with db.session() as s:
        assert (await s.get(User, user.id)).full_name == user.full_name  # type: ignore[union-attr]
        assert await s.scalar(select(func.count()).select_from(User).where(User.tg_id == 83999)) == 0
