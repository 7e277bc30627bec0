"""Small per-process caches of rows, dropped whenever this process writes their table.

SQLite serves one bot process (several processes need PostgreSQL and Redis), so on SQLite a row read
once can be served from memory until this process writes the table again. Every Database installs
:func:`watch` on its engine: any statement that writes a watched table (ORM, Core or text, from any
engine of this process) clears the caches of that table when it runs and again when its connection
goes back to the pool (after the commit or rollback), so a reader that raced the writer cannot keep
what it read before the commit: a value is stored only if no write happened since the read began
(:attr:`TableCache.generation`). A short time to live bounds what another program's edits could leave.

A cache that writes its table itself (the FSM storage) passes ``execution_options(cache_owner=cache)``
and updates its own entries after the commit; other caches of the table are still dropped.
"""

from __future__ import annotations

import re
import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_MISSING = object()
_caches: dict[str, weakref.WeakSet[TableCache]] = {}
_patterns: dict[str, re.Pattern[str]] = {}
_READS = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN")


class TableCache:
    """key -> value for rows of ``table``; cleared on every write to the table by this process."""

    def __init__(self, table: str, *, ttl: float = 60.0, max_size: int = 50_000) -> None:
        self.table = table
        self.ttl = ttl
        self.max_size = max_size
        self.generation = 0
        self._data: dict[Any, tuple[float, Any]] = {}
        _caches.setdefault(table, weakref.WeakSet()).add(self)
        _patterns.setdefault(table, re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE))

    def get(self, key: Any) -> Any:
        """The cached value, or :data:`MISSING`."""
        entry = self._data.get(key)
        if entry is None:
            return _MISSING
        if entry[0] < time.monotonic():
            self._data.pop(key, None)
            return _MISSING
        return entry[1]

    def store(self, key: Any, value: Any, generation: int) -> None:
        """Keep what was read, unless the table was written since ``generation`` was taken."""
        if generation == self.generation:
            self._put(key, value)

    def put(self, key: Any, value: Any) -> None:
        """The owner wrote ``value`` (committed): readers that started before it must not store."""
        self.generation += 1
        self._put(key, value)

    def forget(self, key: Any) -> None:
        self.generation += 1
        self._data.pop(key, None)

    def clear(self) -> None:
        self.generation += 1
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def _put(self, key: Any, value: Any) -> None:
        if len(self._data) >= self.max_size and key not in self._data:
            for old in list(self._data)[: self.max_size // 2]:  # the oldest half
                del self._data[old]
        self._data[key] = (time.monotonic() + self.ttl, value)


MISSING = _MISSING


def _written_tables(statement: str) -> list[str]:
    head = statement.lstrip()[:9].upper()
    if head.startswith(_READS):
        return []
    return [table for table, pattern in _patterns.items() if _caches.get(table) and pattern.search(statement)]


def _invalidate(tables: set[tuple[str, Any]]) -> None:
    for table, owner in tables:
        for cache in list(_caches.get(table, ())):
            if cache is not owner:
                cache.clear()


def written(table: str, owner: TableCache | None = None) -> None:
    """For writes that bypass SQLAlchemy (a raw driver call): drop the other caches of ``table``."""
    _invalidate({(table, owner)})


def _before_cursor_execute(
    conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    tables = _written_tables(statement)
    if not tables:
        return
    owner = context.execution_options.get("cache_owner") if context is not None else None
    dirty = {(table, owner) for table in tables}
    conn.info.setdefault("cache_dirty", set()).update(dirty)
    _invalidate(dirty)


def _checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is None:
        return
    dirty = record.info.pop("cache_dirty", None)
    if dirty:
        _invalidate(dirty)


def watch(engine: Engine) -> None:
    """Drop the caches of every table this engine writes (see the module's docstring)."""
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(engine, "checkin", _checkin)
