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


class _SyncSession(Session):
    """Session class whose transactions start with the BEGIN this database needs."""


@event.listens_for(_SyncSession, "after_begin")
def _sqlite_begin(session: Session, transaction: Any, connection: Any) -> None:
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
    failed = False
    try:
        yield session
        await session.commit()
    except BaseException as exc:
        await session.rollback()
        failed = isinstance(exc, Exception)  # not on cancellation
        raise
    finally:
        session.info["write"] = False
        if lock is not None:
            lock.release()
        if failed:  # outside the write lock, as a plain read
            await _reload_after_rollback(session)


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
