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

Row-level invalidation: a cache may name the columns its key is made of (``key_columns``) and how to
find the keys of a row id (``keys_of_id``). Then a statement whose very shape says which one row it
writes, ``INSERT INTO t (cols) VALUES (?, …)`` or ``UPDATE t SET cols WHERE t.id = ?`` (what the ORM's
unit of work sends), drops only that row's keys (and still bumps the generation); every other write
(Core, text, bulk, DELETE, an UPDATE of a key column, another parameter style) clears the whole table
as before. After :func:`db.engine.write` commits, caches of the same database (``database``) are
given the fresh values of the rows written (:meth:`TableCache.load` inside the write transaction, which
holds the write lock, so nothing can come between that read and the commit): write-through, so the
next update of that person finds them warm.
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

    key_columns: tuple[str, ...] | None = None
    """Columns whose values in an INSERT make the key (one column: the value; several: a tuple)."""
    tracks_ids: bool = False
    """True if :meth:`keys_of_id` knows the cached keys of a row id (an UPDATE by id drops only them)."""

    def __init__(self, table: str, *, ttl: float = 60.0, max_size: int = 50_000) -> None:
        self.table = table
        self.database: object | None = None
        """The Database whose rows this cache holds; with :meth:`load`, gets write-through values."""
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

    def forget_rows(self, rows: list[tuple[str, Any]]) -> None:
        """Drop what ``rows`` (("key", key) or ("id", primary key)) may have changed; readers under way
        do not store (the generation moves on)."""
        self.generation += 1
        for kind, value in rows:
            if kind == "key":
                self._data.pop(value, None)
            else:
                for key in self.keys_of_id(value) or ():
                    self._data.pop(key, None)

    def keys_of_id(self, row_id: Any) -> list[Any] | None:
        """The cached keys of the row with this primary key; None: not known (UPDATEs clear the table)."""
        return None

    async def load(self, session: Any, row: tuple[str, Any]) -> list[tuple[Any, Any]]:
        """Write-through: (key, value) pairs for ``row`` read in ``session`` (inside the write
        transaction); none by default."""
        return []

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


_INSERT = re.compile(
    r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(\?(?:, \?)*\)(?: RETURNING [\w., ]+)?", re.ASCII
)
_UPDATE = re.compile(r"UPDATE (\w+) SET ((?:\w+=\?, )*\w+=\?) WHERE (\w+)\.id = \?", re.ASCII)


def _row_keys(cache: TableCache, statement: str, params: Any, many: bool) -> list[tuple[str, Any]] | None:
    """The rows of ``cache``'s table this statement writes, ("key", key) or ("id", primary key), when
    its shape names its one row per parameter set; None: anything may have changed (clear the table)."""
    if params is None or isinstance(params, dict):
        return None
    rows = list(params) if many else [params]
    if not rows or not all(isinstance(row, (tuple, list)) for row in rows):
        return None
    insert = _INSERT.fullmatch(statement)
    if insert is not None:
        if insert.group(1) != cache.table or cache.key_columns is None:
            return None
        columns = insert.group(2).split(", ")
        if any(column not in columns for column in cache.key_columns):
            return None
        where = [columns.index(column) for column in cache.key_columns]
        if any(len(row) != len(columns) for row in rows):
            return None
        if len(where) == 1:
            return [("key", row[where[0]]) for row in rows]
        return [("key", tuple(row[i] for i in where)) for row in rows]
    update = _UPDATE.fullmatch(statement)
    if update is None or update.group(1) != cache.table or update.group(3) != cache.table:
        return None
    columns = [assignment.split("=", 1)[0] for assignment in update.group(2).split(", ")]
    if "id" in columns or any(column in columns for column in cache.key_columns or ()):
        return None  # the row's key itself changes
    if not cache.tracks_ids or any(len(row) != len(columns) + 1 for row in rows):
        return None  # keys not known by id (the cache's table is cleared), or not one row each
    return [("id", row[-1]) for row in rows]


def _invalidate(tables: set[tuple[str, Any]]) -> None:
    for table, owner in tables:
        for cache in list(_caches.get(table, ())):
            if cache is not owner:
                cache.clear()


def written(table: str, owner: TableCache | None = None) -> None:
    """For writes that bypass SQLAlchemy (a raw driver call): drop the other caches of ``table``."""
    _invalidate({(table, owner)})


def _before_cursor_execute(
    conn: Any, _cursor: Any, statement: str, params: Any, context: Any, many: bool
) -> None:
    tables = _written_tables(statement)
    if not tables:
        return
    owner = context.execution_options.get("cache_owner") if context is not None else None
    if len(tables) == 1 and owner is None:
        rows = _row_writes(tables[0], statement, params, many)
        if rows is not None:
            written_rows: list[tuple[TableCache, list[tuple[str, Any]]]] = conn.info.setdefault(
                "cache_rows", []
            )
            written_rows.extend(rows)
            for cache, keys in rows:
                cache.forget_rows(keys)
            return
    dirty = {(table, owner) for table in tables}
    conn.info.setdefault("cache_dirty", set()).update(dirty)
    _invalidate(dirty)


def _row_writes(
    table: str, statement: str, params: Any, many: bool
) -> list[tuple[TableCache, list[tuple[str, Any]]]] | None:
    """(cache, keys) for every cache of ``table`` if the statement writes known rows only, else None."""
    caches = list(_caches.get(table, ()))
    found: list[tuple[TableCache, list[tuple[str, Any]]]] = []
    for cache in caches:
        keys = _row_keys(cache, statement, params, many)
        if keys is None:
            return None
        found.append((cache, keys))
    return found


def rows_written(connection_info: dict[str, Any]) -> list[tuple[TableCache, list[tuple[str, Any]]]]:
    """What row-level writes the transaction on this connection made so far (see the docstring)."""
    return list(connection_info.get("cache_rows", ()))


def _checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is None:
        return
    rows = record.info.pop("cache_rows", None)
    if rows:
        for cache, keys in rows:
            cache.forget_rows(keys)
    dirty = record.info.pop("cache_dirty", None)
    if dirty:
        _invalidate(dirty)


def watch(engine: Engine) -> None:
    """Drop the caches of every table this engine writes (see the module's docstring)."""
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(engine, "checkin", _checkin)
