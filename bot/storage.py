"""FSM storage kept in the bot's own SQL database, so a dialog survives a restart without Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any, Literal

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import QueuePool

from db import cache, messenger
from db.base import utcnow
from db.cache import MISSING, TableCache
from db.engine import Database, write
from db.models import FsmState

Row = tuple[str | None, str | None]  # (state, data as JSON); (None, None): no row
_EMPTY: Row = (None, None)
_TABLE = FsmState.__tablename__
_BATCH = 200
"""Rows per statement of a grouped write (4 parameters a row: well under SQLite's variable limit)."""


def _upsert(rows: int) -> str:
    """One statement writing ``rows`` whole rows (key, state, data, updated_at)."""
    values = ", ".join(["(?, ?, ?, ?)"] * rows)
    return (
        f"INSERT INTO {_TABLE} (key, state, data, updated_at) VALUES {values} ON CONFLICT (key) DO UPDATE "
        "SET state = excluded.state, data = excluded.data, updated_at = excluded.updated_at"
    )


def _delete(rows: int) -> str:
    return f"DELETE FROM {_TABLE} WHERE key IN ({', '.join(['?'] * rows)})"


class MessengerKeyBuilder(DefaultKeyBuilder):
    """Storage keys of people in another messenger than Telegram carry it after the prefix
    (``fsm:max:<chat>:<user>:…``), so a MAX id never shares a dialog with the same Telegram id; Telegram's
    keys are as before (db.messenger.current() says whose update is handled)."""

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        built = super().build(key, part)
        name = messenger.current()
        if name == messenger.TELEGRAM:
            return built
        head = self.prefix + self.separator
        return head + name + self.separator + built.removeprefix(head)


def _sqlite_now() -> str:
    """utcnow() as SQLAlchemy stores a naive UTC DATETIME on SQLite (see db.base.UTCDateTime)."""
    return utcnow().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class SQLStorage(BaseStorage):
    """On PostgreSQL it uses a connection pool of its own: an update already holds a connection of the
    main pool while its state is read or written, so sharing one pool could deadlock under a burst.
    On SQLite it shares the main database object, whose write lock also serialises its writes (and the
    pool there is cheap and larger than the concurrency limit).

    On SQLite (one process owns the database) rows are also kept in memory, written through: a state is
    read from SQL once, every write still goes to SQL (a restart keeps the dialog), and a write that
    changes nothing (``state.clear()`` with no dialog open) is skipped."""

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self._own = not db.is_sqlite
        self.db = (
            Database(db.url.render_as_string(hide_password=False), pool_size=5, max_overflow=20)
            if self._own
            else db
        )
        self.key_builder = key_builder or MessengerKeyBuilder(with_destiny=True)
        self.cache: TableCache | None = None if self._own else TableCache(FsmState.__tablename__)
        # the driver is reached directly for the hot write (see _write_sqlite): aiosqlite only
        self._driver_writes = self.cache is not None and self.db.engine.dialect.driver == "aiosqlite"
        self._queued: dict[str, Row] = {}  # rows waiting for the next grouped write, newest value last
        self._waiters: list[asyncio.Future[None]] = []  # their writers, woken once it is committed
        self._in_flight: dict[str, Row] = {}  # the rows of the grouped write under way
        self._writing = False  # a grouped write is under way (its writer or a task goes on with the queue)
        self._next_batch: asyncio.Task[None] | None = None

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def _read(self, key: str) -> Row:
        async with self.db.session() as session:
            row = (
                await session.execute(select(FsmState.state, FsmState.data).where(FsmState.key == key))
            ).first()
        return _EMPTY if row is None else (row[0], row[1])

    async def _row(self, key: str) -> Row:
        if self.cache is None:
            return await self._read(key)
        cached = self.cache.get(key)
        if cached is not MISSING:
            return cached
        generation = self.cache.generation
        row = await self._read(key)
        self.cache.store(key, row, generation)
        return row

    async def _set(self, storage_key: StorageKey, column: str, value: str | None) -> None:
        key = self._key(storage_key)
        known: Row | None = None if self.cache is None else self._unwritten(key) or await self._row(key)
        if known is not None:
            new = (value, known[1]) if column == "state" else (known[0], value)
            if new == known:
                return  # nothing changes: no transaction at all
        else:
            new = None
        if new is not None and self._driver_writes:
            await self._write_sqlite(key, new)
            return
        options = {"cache_owner": self.cache}
        async with self.db.session() as session, write(session):
            if new == _EMPTY:
                await session.execute(delete(FsmState).where(FsmState.key == key), execution_options=options)
            else:
                insert = sqlite_insert if self.db.is_sqlite else pg_insert
                stmt = insert(FsmState).values(key=key, **{column: value})
                # ON CONFLICT does not run the column's onupdate: set the time the draft was last touched
                # (drafts untouched for DRAFT_RETENTION_DAYS expire, services.privacy.apply_retention)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[FsmState.key], set_={column: value, "updated_at": utcnow()}
                )
                await session.execute(stmt, execution_options=options)
                if new is None:  # the other column is not known here: drop the row if both are empty
                    await session.execute(
                        delete(FsmState).where(
                            FsmState.key == key, FsmState.state.is_(None), FsmState.data.is_(None)
                        ),
                        execution_options=options,
                    )
        if self.cache is not None:
            if new is None:
                self.cache.forget(key)
            else:
                self.cache.put(key, new)

    def _unwritten(self, key: str) -> Row | None:
        """The row's value queued or being written (not committed yet), or None."""
        row = self._queued.get(key)
        return self._in_flight.get(key) if row is None else row

    async def _write_sqlite(self, key: str, new: Row) -> None:
        """Group commit: the row's next value is known, so it joins the rows of other people waiting
        for the next write; each grouped write is one statement (per 200 rows, and one more for rows
        that go), committed on its own (SQLite's autocommit is atomic) in one trip to the driver's
        thread. Returns once this row is committed (and cached); raises if its write failed.

        Before, every write held the write lock for its own trip to the driver's thread, and under a
        burst of people each trip also waited for the event loop to come round to it: 100 first
        registration steps at once queued ~100 such trips one behind another (a median of 104 ms, up
        to 300 ms a press). Now the writes that arrive while one is under way go together in the next."""
        self._queued[key] = new
        done = asyncio.get_running_loop().create_future()
        self._waiters.append(done)
        if not self._writing:
            self._writing = True
            await self._write_queued()
        await done

    async def _write_queued(self) -> None:
        """Write every queued row; rows queued meanwhile are written by a task started at the end
        (so that the writer that began this one is not kept waiting for the others)."""
        batch, waiters = self._queued, self._waiters
        self._queued, self._waiters = {}, []
        self._in_flight = batch
        error: BaseException | None = None
        try:
            await self._write_rows(batch)
        except Exception as exc:  # each writer raises it from its own waiter
            error = exc
        except BaseException as exc:  # cancelled: the rows' fate is unknown, so they are read again
            error = exc
            raise
        finally:
            self._in_flight = {}
            cache.written(_TABLE, self.cache)
            assert self.cache is not None
            for key, row in batch.items():
                if error is None:
                    self.cache.put(key, row)
                else:
                    self.cache.forget(key)
            for waiter in waiters:
                if waiter.done():
                    continue
                if error is None:
                    waiter.set_result(None)
                elif isinstance(error, Exception):
                    waiter.set_exception(error)
                else:
                    waiter.cancel()
            if self._queued:
                self._next_batch = asyncio.create_task(self._write_queued())
            else:
                self._writing = False

    async def _write_rows(self, batch: Mapping[str, Row]) -> None:
        async with self.db.write_lock:
            pool = self.db.engine.sync_engine.pool
            if isinstance(pool, QueuePool) and pool.checkedin() > 0:
                # An idle connection is taken from the pool as it is (no I/O, so no greenlet and no
                # AsyncConnection around it): a registration step's write took 376 us through
                # engine.connect(), 191 us so. Given back on the way out; autocommit left no
                # transaction open, so the pool's reset has nothing to roll back.
                fairy = pool.connect()
                try:
                    await self._execute_rows(fairy.driver_connection, batch)
                finally:
                    fairy.close()
                return
            async with self.db.engine.connect() as conn:  # none idle: the engine opens one
                raw = await conn.get_raw_connection()
                await self._execute_rows(raw.driver_connection, batch)

    @staticmethod
    async def _execute_rows(driver: Any, batch: Mapping[str, Row]) -> None:
        """The grouped upserts and deletes on aiosqlite's connection (each statement its own commit)."""
        assert driver is not None
        now = _sqlite_now()
        kept = [(key, row) for key, row in batch.items() if row != _EMPTY]
        gone = [key for key, row in batch.items() if row == _EMPTY]
        for start in range(0, len(kept), _BATCH):
            part = kept[start : start + _BATCH]
            params = [value for key, (state, data) in part for value in (key, state, data, now)]
            await driver.execute_fetchall(_upsert(len(part)), params)
        for start in range(0, len(gone), _BATCH):
            part_keys = gone[start : start + _BATCH]
            await driver.execute_fetchall(_delete(len(part_keys)), part_keys)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._set(key, "state", value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._row(self._key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        payload = json.dumps(dict(data), ensure_ascii=False) if data else None
        await self._set(key, "data", payload)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = (await self._row(self._key(key)))[1]
        return json.loads(data) if data else {}

    async def close(self) -> None:
        while self._next_batch is not None and not self._next_batch.done():
            await self._next_batch  # the rows queued last are committed before the database goes
        if self._own:
            await self.db.dispose()
