"""One trip to aiosqlite's thread per statement instead of three or four.

SQLAlchemy's aiosqlite adapter sends each statement to the driver's thread in steps: open a cursor,
execute, fetch the rows, close the cursor, each step a hand-off between the event loop and the
thread. On a busy 2-core machine a hand-off costs far more than SQLite's own work, so a booking (seven
statements) spent most of its time in them. This cursor does the four steps in one function run in
the driver's thread, and keeps what SQLAlchemy reads afterwards (description, rowcount, lastrowid, the
rows). The connection adapter is switched to it when a connection is made (db.engine); if SQLAlchemy's
or aiosqlite's internals are not what this expects, nothing is switched and the stock adapter runs.
"""

from __future__ import annotations

import collections
from typing import Any

try:  # both are internals of SQLAlchemy 2.1 and aiosqlite; checked in usable()
    from sqlalchemy.dialects.sqlite.aiosqlite import (
        AsyncAdapt_aiosqlite_connection,
        AsyncAdapt_aiosqlite_cursor,
    )
    from sqlalchemy.util import await_
except ImportError:  # pragma: no cover - another SQLAlchemy
    AsyncAdapt_aiosqlite_connection = None  # type: ignore[assignment,misc]
    AsyncAdapt_aiosqlite_cursor = object  # type: ignore[assignment,misc]


def _run(sqlite_connection: Any, operation: str, parameters: Any, many: bool) -> tuple[Any, ...]:
    """In the driver's thread: execute, fetch everything, close."""
    cursor = sqlite_connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):  # type: ignore[misc,valid-type]
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no trip: the cursor is made in _run
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return None

    def _go(self, operation: Any, parameters: Any, many: bool) -> None:
        try:
            self._description, self._rowcount, self._lastrowid, rows = await_(
                self._in_thread(operation, parameters, many)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        else:
            self._rows = collections.deque(rows)

    async def _in_thread(self, operation: Any, parameters: Any, many: bool) -> tuple[Any, ...]:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            return await connection._execute(_run, connection._conn, operation, parameters, many)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._go(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._go(operation, seq_of_parameters, True)


if AsyncAdapt_aiosqlite_connection is not None:

    class OneTripConnection(AsyncAdapt_aiosqlite_connection):  # type: ignore[misc,valid-type]
        __slots__ = ()
        _cursor_cls = OneTripCursor


def usable(dbapi_connection: Any) -> bool:
    if (
        AsyncAdapt_aiosqlite_connection is None
        or type(dbapi_connection) is not AsyncAdapt_aiosqlite_connection
    ):
        return False
    driver = getattr(dbapi_connection, "_connection", None)
    return (
        callable(getattr(driver, "_execute", None))
        and getattr(driver, "_conn", None) is not None
        and hasattr(dbapi_connection, "_execute_mutex")
        and hasattr(dbapi_connection, "_handle_exception")
    )


def switch(dbapi_connection: Any) -> bool:
    """Make this adapted aiosqlite connection's cursors take one trip per statement."""
    if not usable(dbapi_connection):
        return False
    dbapi_connection.__class__ = OneTripConnection
    return True
