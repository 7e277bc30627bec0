"""Row helpers the feature services share."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from db.engine import write
from db.models import Base
from services.errors import NotFound

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Base)
P = TypeVar("P", bound=Base)


def in_language(title: str, title_en: str | None, language: str | None) -> str:
    """A staff-written name in the person's language: the English one where there is one."""
    return title_en if language == "en" and title_en else title


async def locked(session: AsyncSession, model: type[M], row_id: int, missing: str | None = None) -> M:
    """The row by primary key, locked for the transaction (FOR UPDATE on PostgreSQL) and read afresh
    rather than taken from the session's identity map; NotFound(``missing``) when there is none."""
    row = await session.get(model, row_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(missing)
    return row


async def person_rows(
    session: AsyncSession, model: type[M], parent: type[P], user_id: int, *order_by: QueryableAttribute[Any]
) -> list[tuple[M, P]]:
    """A person's rows of ``model`` (by its ``user_id``), each with the ``parent`` row its foreign key
    points to: what /privacy exports of bookings, sign-ups..."""
    rows = await session.execute(
        select(model, parent).join(parent).where(model.__table__.c.user_id == user_id).order_by(*order_by)
    )
    return [(row, parent_row) for row, parent_row in rows]


async def count_rows(session: AsyncSession, model: type[Base], *where: ColumnElement[bool]) -> int:
    """How many rows of ``model`` match ``where``."""
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def seed_once(
    session: AsyncSession, model: type[Base], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Fill an empty table with ``rows`` (values for ``fields``; each row's ``position`` is its place in
    ``rows``). A table with rows is left alone, and so is one another process seeded at the same moment
    (its unique codes clash)."""
    if await count_rows(session, model):
        return
    try:
        async with write(session):
            if await count_rows(session, model):
                return
            session.add_all(
                model(**dict(zip(fields, row, strict=True)), position=position)
                for position, row in enumerate(rows)
            )
    except IntegrityError:
        log.debug("%s was seeded concurrently", model.__tablename__)


async def listed(session: AsyncSession, model: type[M], *, active_only: bool) -> list[M]:
    """A staff-ordered list's rows (topics, categories) in their order; ``active_only``: the hidden left out."""
    columns = model.__table__.c
    stmt = select(model).order_by(columns.position, columns.id)
    if active_only:
        stmt = stmt.where(columns.active.is_(True))
    return list(await session.scalars(stmt))
