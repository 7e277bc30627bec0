"""Queries about people."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from db import messenger
from db.cache import MISSING, TableCache
from db.models import ConsentLog, User, UserStatus


def is_person(tg_id: int, messenger_name: str | None = None) -> ColumnElement[bool]:
    """The condition for the person with this id in ``messenger_name`` (default: the current update's)."""
    return and_(User.tg_id == tg_id, User.messenger == (messenger_name or messenger.current()))


async def by_tg_id(session: AsyncSession, tg_id: int) -> User | None:
    return await session.scalar(select(User).where(is_person(tg_id)))


async def registered_by_tg_id(session: AsyncSession, tg_id: int) -> User | None:
    return await session.scalar(select(User).where(is_person(tg_id), User.status == UserStatus.REGISTERED))


async def consents(session: AsyncSession, user_id: int) -> list[ConsentLog]:
    rows = await session.scalars(
        select(ConsentLog).where(ConsentLog.user_id == user_id).order_by(ConsentLog.at, ConsentLog.id)
    )
    return list(rows)


class PersonCache(TableCache):
    """People by Telegram id (None: not known yet), for the per-update lookup of the current person.

    Only where one process owns the database (SQLite): every write to ``users`` by this process drops it.
    Entries are detached snapshots; each update gets its own copy merged into its session, no SQL."""

    key_columns = ("messenger", "tg_id")
    tracks_ids = True

    def __init__(self, ttl: float = 60.0, max_size: int = 50_000, *, database: object | None = None) -> None:
        super().__init__(User.__tablename__, ttl=ttl, max_size=max_size)
        self.database = database
        self._ids: dict[int, Any] = {}

    def keys_of_id(self, row_id: Any) -> list[Any] | None:
        key = self._ids.get(row_id)
        return [] if key is None else [key]

    def _put(self, key: Any, value: Any) -> None:
        super()._put(key, value)
        if value is not None:
            if len(self._ids) >= 2 * self.max_size:
                self._ids = {v.id: k for k, (_, v) in self._data.items() if v is not None}
            self._ids[value.id] = key

    def clear(self) -> None:
        super().clear()
        self._ids.clear()

    async def load(self, session: Any, row: tuple[str, Any]) -> list[tuple[Any, Any]]:
        """The person's committed row as a snapshot (write-through; see db.cache)."""
        kind, value = row
        if kind == "key":
            condition = is_person(value[1], value[0])
        else:
            condition = User.id == value
        found = (await session.execute(select(*_COLUMNS).where(condition))).first()
        if found is None:
            return [(value, None)] if kind == "key" else []
        snapshot = User(**{attr.key: found[i] for i, attr in enumerate(_ATTRS)})
        make_transient_to_detached(snapshot)
        return [((snapshot.messenger, snapshot.tg_id), snapshot)]


_JSON_COLUMNS = ("interest_districts", "interest_topics")
_ATTRS = tuple(sa_inspect(User).column_attrs)
_COLUMNS = tuple(attr.columns[0] for attr in _ATTRS)


def _snapshot(user: User) -> User:
    values = {attr.key: copy.deepcopy(getattr(user, attr.key)) for attr in sa_inspect(User).column_attrs}
    snapshot = User(**values)
    make_transient_to_detached(snapshot)
    return snapshot


async def current(session: AsyncSession, tg_id: int, cache: PersonCache | None) -> User | None:
    """The person with this id (in the current update's messenger), read once per update; from ``cache``
    when it holds them."""
    if cache is None:
        return await by_tg_id(session, tg_id)
    key = (messenger.current(), tg_id)
    cached = cache.get(key)
    if cached is MISSING:
        generation = cache.generation
        user = await by_tg_id(session, tg_id)
        cache.store(key, None if user is None else _snapshot(user), generation)
        return user
    if cached is None:
        return None
    user = session.sync_session.merge(cached, load=False)  # no SQL: the snapshot is clean
    for key in _JSON_COLUMNS:  # the snapshot's lists are never shared with a handler
        set_committed_value(user, key, copy.deepcopy(getattr(cached, key)))
    return user
