"""Engine, session factory and the write-transaction boundary.

Reads use the per-update session as it comes. Writes go through :func:`write`, which ends any read
snapshot, opens the transaction and commits it. On SQLite the transaction is started with
``BEGIN IMMEDIATE`` (it takes the write lock up front, so a check-then-write cannot be raced by another
process) and writers of this process queue on one asyncio lock, which keeps SQLite's busy-waiting out
of the hot path. On PostgreSQL services use row locks or guarded updates where they check-then-write.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

from db import cache

SQLITE_BUSY_TIMEOUT_MS = 10_000
_WROTE = "ccbot_wrote"
_TX_CONNECTION = "ccbot_tx_connection"


class _SyncSession(Session):
    """Session class whose transactions start with the BEGIN this database needs."""


@event.listens_for(_SyncSession, "after_begin")
def _sqlite_begin(session: Session, transaction: Any, connection: Any) -> None:
    # Whether this transaction has sent anything but a SELECT: see _note_writes and write().
    connection.info[_WROTE] = False
    session.info[_TX_CONNECTION] = connection.info
    if connection.dialect.name == "sqlite":
        sql = "BEGIN IMMEDIATE" if session.info.get("write") else "BEGIN"
        driver = _aiosqlite(connection.connection.dbapi_connection)
        if driver is not None:
            # One trip to aiosqlite's thread instead of three (cursor, execute, close): each trip is
            # a thread hand-off, and on a busy machine the hand-offs are most of a short transaction.
            await_(driver.execute_fetchall(sql))
        else:
            connection.exec_driver_sql(sql)


def _aiosqlite(dbapi_connection: Any) -> Any:
    """The aiosqlite connection under SQLAlchemy's adapter, or None (another driver)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    return driver if driver is not None and hasattr(driver, "execute_fetchall") else None


def _note_writes(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """Mark the connection's transaction as having written when a statement other than a SELECT runs
    (INSERT, UPDATE, DELETE, anything unknown: erring towards "wrote" only costs a rollback)."""
    if not statement.lstrip()[:6].upper() == "SELECT":
        conn.info[_WROTE] = True


def _sqlite_reset(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
    """Roll back a connection going back to the pool only if a transaction is open on it: after a
    commit (every write) the pool's unconditional rollback is one more trip to the driver's thread."""
    if not reset_state.asyncio_safe or reset_state.transaction_was_reset:
        return
    driver = _aiosqlite(dbapi_connection)
    if driver is None or driver.in_transaction:
        dbapi_connection.rollback()


class Database:
    """The engine and session factory of one database."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 40) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            kwargs["pool_reset_on_return"] = None  # see _sqlite_reset
        else:
            kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max_overflow
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_on_connect)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
        cache.watch(self.engine.sync_engine)
        event.listen(self.engine.sync_engine, "before_cursor_execute", _note_writes)
        self.write_lock = asyncio.Lock()
        self.sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=_SyncSession,
            info={"db": self},
        )

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's session (not the driver) decide where transactions begin; see _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@asynccontextmanager
async def write(session: AsyncSession) -> AsyncGenerator[AsyncSession, None]:
    """One short write transaction on ``session``: commits on success, rolls back on error.

    A service function wraps its writes in this; nothing inside may wait on the network.
    """
    if session.in_transaction():
        # End the read snapshot first: a deferred read transaction cannot safely become a writer.
        await session.commit()
    db: Database | None = session.info.get("db")
    lock = db.write_lock if db is not None and db.is_sqlite else None
    if lock is not None:
        await lock.acquire()
    session.info["write"] = True
    session.info.pop(_TX_CONNECTION, None)
    failed = False
    try:
        yield session
        await _commit(session, db)
    except Exception:
        failed = not (_read_only(session) and await _end_unwritten(session))
        if failed:
            await session.rollback()
        raise
    except BaseException:  # cancellation: just roll back
        await session.rollback()
        raise
    finally:
        session.info["write"] = False
        if lock is not None:
            lock.release()
        if failed:  # outside the write lock, as a plain read
            await _reload_after_rollback(session)


async def _commit(session: AsyncSession, db: Database | None) -> None:
    """Commit; then put into this database's caches the fresh values of the rows written row by row
    (db.cache write-through), read inside the transaction so that nothing can come between."""
    fresh: list[tuple[cache.TableCache, Any, Any]] = []
    if db is not None and db.is_sqlite:
        await session.flush()
        info = session.info.get(_TX_CONNECTION)
        for table_cache, rows in cache.rows_written(info) if info is not None else ():
            if table_cache.database is db:
                for row in rows:
                    fresh.extend(
                        (table_cache, key, value) for key, value in await table_cache.load(session, row)
                    )
    await session.commit()
    for table_cache, key, value in fresh:  # no await since the commit: no other write came between
        table_cache.put(key, value)


def _read_only(session: AsyncSession) -> bool:
    """True if the open write transaction has sent only SELECTs and holds no unflushed changes."""
    info = session.info.get(_TX_CONNECTION)
    if info is None or info.get(_WROTE, True) or not session.in_transaction():
        return False
    sync = session.sync_session
    transaction = sync.get_transaction()
    if transaction is None or not transaction.is_active:
        return False
    return not (sync.new or sync.dirty or sync.deleted)


async def _end_unwritten(session: AsyncSession) -> bool:
    """End a refused write that sent only SELECTs (the slot was taken, a rule said no) with COMMIT: the
    database is left as a ROLLBACK would leave it, but the session's objects are not expired, so
    nothing has to be reloaded afterwards. False if that failed (the caller rolls back)."""
    try:
        await session.commit()
    except Exception:
        return False
    return True


async def _reload_after_rollback(session: AsyncSession) -> None:
    """A rollback expires every loaded object, and touching an expired one in async code fails.
    Reload what the session still holds (usually the current person) so the handler can go on and
    tell the person what went wrong."""
    for obj in list(session.identity_map.values()):
        try:
            await session.refresh(obj)
        except Exception:  # gone meanwhile: forget it rather than fail the error path
            session.expunge(obj)
    if session.in_transaction():
        await session.commit()  # end the read snapshot at once
