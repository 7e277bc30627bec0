"""The fast path of an update: what is cached, what is never asked of the database, and that every
write this process makes (or another engine of it makes) is seen by the next update at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage import SQLStorage
from db.engine import Database, write
from db.models import FsmState, User
from db.repositories.users import PersonCache
from services import privacy
from tests.client import TgClient
from tests.conftest import REDIS_URL, register


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent through SQLAlchemy while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def sqlite_only(db: Database) -> None:
    if not db.is_sqlite or REDIS_URL:
        pytest.skip("the in-process caches serve SQLite with the SQL FSM storage only")


async def test_help_and_a_stale_button_ask_nothing_of_the_database(client: TgClient, db: Database) -> None:
    sqlite_only(db)
    await register(client)
    await client.send("/help")  # the person and their state are read once
    with statements(db) as seen:
        await client.send("/help")
        assert client.last_text
        await client.press_data("zzz:1")
        assert client.alerts(), "a stale button is still answered"
    assert seen == []


async def test_a_write_by_another_engine_reaches_the_next_update(
    client: TgClient, db: Database, settings
) -> None:
    sqlite_only(db)
    await register(client)
    await client.send("/help")
    russian = client.all_text()
    other = Database(settings.database_url)  # e.g. a staff tool: another engine of this process
    try:
        async with other.session() as s, write(s):
            await s.execute(update(User).where(User.tg_id == client.user.id).values(language="en"))
    finally:
        await other.dispose()
    await client.send("/help")
    assert client.all_text() != russian, "the cached person must be dropped by the write"


async def test_erasure_drops_the_cached_person(client: TgClient, db: Database) -> None:
    await register(client)
    await client.send("/profile")
    assert "Иван Петров" in client.last_text
    await client.send("/profile")  # served from the cache: the same person
    assert "Иван Петров" in client.last_text
    async with db.session() as s:
        await privacy.erase(s, client.user.id, "1.0")
    await client.send("/profile")
    assert "152-ФЗ" in client.last_text  # a person the bot no longer knows: asked for consent


async def test_fsm_state_is_kept_in_sql_and_survives_a_new_storage(db: Database) -> None:
    storage = SQLStorage(db)
    key = StorageKey(bot_id=1, chat_id=7, user_id=7)
    await storage.set_state(key, "Reg:name")
    await storage.set_data(key, {"name": "Анна", "n": 1})
    data = await storage.get_data(key)
    data["name"] = "changed by a handler"  # a handler's copy: the cache must not share it
    assert (await storage.get_data(key))["name"] == "Анна"
    async with db.session() as s:
        row = await s.get(FsmState, storage.key_builder.build(key))
        assert row is not None and row.state == "Reg:name" and row.updated_at is not None
    restarted = SQLStorage(db)
    assert await restarted.get_state(key) == "Reg:name"
    assert await restarted.get_data(key) == {"name": "Анна", "n": 1}
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    async with db.session() as s:
        assert await s.get(FsmState, storage.key_builder.build(key)) is None
    assert await SQLStorage(db).get_state(key) is None
    await storage.close()
    await restarted.close()


async def test_clearing_an_empty_state_writes_nothing(db: Database) -> None:
    sqlite_only(db)
    storage = SQLStorage(db)
    key = StorageKey(bot_id=1, chat_id=8, user_id=8)
    assert await storage.get_state(key) is None
    with statements(db) as seen:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        assert await storage.get_state(key) is None
    assert seen == []


async def test_another_storage_writing_the_same_key_drops_this_ones_copy(db: Database) -> None:
    first, second = SQLStorage(db), SQLStorage(db)
    key = StorageKey(bot_id=1, chat_id=9, user_id=9)
    await first.set_state(key, "A:one")
    assert await first.get_state(key) == "A:one"
    await second.set_state(key, "A:two")
    assert await first.get_state(key) == "A:two"


async def test_a_stale_button_runs_no_filter_in_a_thread(
    client: TgClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[object] = []
    real = asyncio.to_thread

    async def counting(function, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        hops.append(function)
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    await client.send("/start")
    await client.press_data("zzz:1")
    assert client.alerts()
    await client.press_data("nav:cancel")
    assert hops == []


async def test_person_cache_refuses_what_was_read_before_a_write() -> None:
    cache = PersonCache()
    generation = cache.generation
    cache.clear()  # a write happened while the read was under way
    cache.store(1, None, generation)
    assert len(cache) == 0
    cache.store(1, None, cache.generation)
    assert len(cache) == 1


async def test_statements_keep_their_results_and_errors(db: Database) -> None:
    async with db.session() as s, write(s):
        s.add_all([User(tg_id=1), User(tg_id=2)])
    async with db.session() as s, write(s):
        result = await s.execute(update(User).values(language="en"))
        assert result.rowcount == 2
    async with db.session() as s:
        assert [u.tg_id for u in await s.scalars(select(User).order_by(User.tg_id))] == [1, 2]
    with pytest.raises(IntegrityError):
        async with db.session() as s, write(s):
            s.add(User(tg_id=1))
    async with db.session() as s:  # the connection is fine after the error
        assert len(list(await s.scalars(select(User)))) == 2


def test_start_up_objects_are_frozen_out_of_the_garbage_collector() -> None:
    """What exists when the bot is ready is moved out of the collector's sight (full collections no
    longer walk it in the middle of updates); the bot is still collected as before afterwards."""
    import gc

    from bot.factory import freeze_startup_objects

    gc.unfreeze()
    tracked_before = len(gc.get_objects())
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        assert len(gc.get_objects()) < tracked_before / 2
        assert gc.isenabled()
    finally:
        gc.unfreeze()
