"""Queries about people."""

from __future__ import annotations

import copy

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

    def __init__(self, ttl: float = 60.0, max_size: int = 50_000) -> None:
        super().__init__(User.__tablename__, ttl=ttl, max_size=max_size)


_JSON_COLUMNS = ("interest_districts", "interest_topics")


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
