"""The SQL FSM storage on SQLite groups the writes of people acting at once (issue 19): writes that
arrive while one is under way go together in the next trip to the driver, and each writer returns only
once its own row is committed."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from bot.storage import SQLStorage
from db.engine import Database
from db.models import FsmState
from tests.conftest import REDIS_URL


@pytest.fixture
def storage(db: Database) -> SQLStorage:
    if not db.is_sqlite or REDIS_URL or db.engine.dialect.driver != "aiosqlite":
        pytest.skip("the grouped write is the SQLite (aiosqlite) storage's")
    return SQLStorage(db)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement sent straight to the aiosqlite driver (the storage's writes bypass SQLAlchemy)."""
    sent: list[str] = []
    real = aiosqlite.Connection.execute_fetchall

    async def counting(self: aiosqlite.Connection, sql: str, parameters: Any = None) -> Any:
        sent.append(sql)
        return await real(self, sql, parameters)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", counting)
    return sent


def key(n: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=n, user_id=n)


async def rows(db: Database) -> dict[str, tuple[str | None, str | None]]:
    async with db.session() as s:
        found = await s.execute(select(FsmState.key, FsmState.state, FsmState.data))
        return {k: (state, data) for k, state, data in found}


async def test_people_writing_at_once_share_trips_and_all_is_committed(
    storage: SQLStorage, db: Database, trips: list[str]
) -> None:
    async def person(n: int) -> None:
        await storage.set_state(key(n), f"Reg:step{n}")
        await storage.set_data(key(n), {"n": n, "name": "Анна"})

    for n in range(60):  # known to the storage already, as in a dialog under way
        assert await storage.get_state(key(n)) is None
    await asyncio.gather(*(person(n) for n in range(60)))
    upserts = [sql for sql in trips if sql.startswith("INSERT INTO fsm_state")]
    assert 2 <= len(upserts) <= 6, "120 writes of 60 people at once go in a few trips, not one each"
    stored = await rows(db)
    assert len(stored) == 60
    for n in range(60):
        built = storage.key_builder.build(key(n))
        assert stored[built][0] == f"Reg:step{n}"
        assert stored[built][1] is not None and f'"n": {n}' in stored[built][1]
    fresh = SQLStorage(db)  # read back from SQL, not from this storage's memory
    assert await fresh.get_state(key(7)) == "Reg:step7"
    assert await fresh.get_data(key(7)) == {"n": 7, "name": "Анна"}


async def test_a_grouped_write_keeps_each_rows_other_column_and_deletes_the_emptied(
    storage: SQLStorage, db: Database
) -> None:
    await storage.set_state(key(1), "A:one")
    await storage.set_data(key(1), {"x": 1})
    await storage.set_state(key(2), "B:one")

    await asyncio.gather(
        storage.set_state(key(1), "A:two"),  # the data stays
        storage.set_state(key(2), None),  # no data either: the row goes
        storage.set_data(key(3), {"y": 3}),  # a new row with data only
    )
    stored = await rows(db)
    assert stored[storage.key_builder.build(key(1))] == ("A:two", '{"x": 1}')
    assert storage.key_builder.build(key(2)) not in stored
    assert stored[storage.key_builder.build(key(3))] == (None, '{"y": 3}')
    assert await SQLStorage(db).get_data(key(1)) == {"x": 1}


async def test_a_failed_grouped_write_fails_every_writer_in_it_and_nothing_stale_is_kept(
    storage: SQLStorage, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await storage.set_state(key(1), "A:one")
    await storage.set_state(key(2), "B:one")
    real = SQLStorage._write_rows

    async def broken(self: SQLStorage, batch: Any) -> None:
        await asyncio.sleep(0)  # the other writer joins the batch meanwhile
        raise OSError("disk I/O error")

    monkeypatch.setattr(SQLStorage, "_write_rows", broken)
    results = await asyncio.gather(
        storage.set_state(key(1), "A:two"), storage.set_state(key(2), "B:two"), return_exceptions=True
    )
    assert [type(r) for r in results] == [OSError, OSError]
    monkeypatch.setattr(SQLStorage, "_write_rows", real)
    # what the database holds is what the storage answers: the failed values were not kept
    assert await storage.get_state(key(1)) == "A:one"
    assert await storage.get_state(key(2)) == "B:one"
    await storage.set_state(key(1), "A:three")  # and it writes again afterwards
    assert (await rows(db))[storage.key_builder.build(key(1))][0] == "A:three"


async def test_writes_queued_behind_a_running_one_are_committed_before_close(
    storage: SQLStorage, db: Database
) -> None:
    first = asyncio.ensure_future(storage.set_state(key(1), "A:one"))
    await asyncio.sleep(0)  # the first write is under way; these queue behind it
    later = [asyncio.ensure_future(storage.set_state(key(n), "A:one")) for n in range(2, 6)]
    await asyncio.gather(first, *later)
    await storage.close()
    assert len(await rows(db)) == 5


async def test_a_write_the_database_refuses_gives_its_connection_back_and_the_next_one_goes_through(
    storage: SQLStorage, db: Database
) -> None:
    """The grouped write borrows an idle pooled connection without SQLAlchemy's wrapper: when SQLite
    refuses the statement, the writer gets the error, the connection is back in the pool with no
    transaction left open, and the next write (on that same connection) is committed."""
    async with db.engine.begin() as conn:  # a refusal from inside SQLite, on one key only
        await conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON fsm_state WHEN NEW.data LIKE '%refused%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
        )
    pool = db.engine.sync_engine.pool
    await storage.set_state(key(1), "A:one")
    assert await storage.get_state(key(1)) == "A:one"
    idle = pool.checkedin()  # type: ignore[attr-defined]
    assert idle > 0, "the borrowed path needs an idle connection"
    with pytest.raises(Exception, match="refused by the database"):
        await storage.set_data(key(1), {"note": "refused"})
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert pool.checkedin() == idle  # type: ignore[attr-defined]
    assert await storage.get_data(key(1)) == {}  # not kept: what the database holds
    await storage.set_data(key(1), {"note": "kept"})
    assert (await rows(db))[storage.key_builder.build(key(1))] == ("A:one", '{"note": "kept"}')
