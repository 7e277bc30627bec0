"""Queries about people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConsentLog, User, UserStatus


async def by_tg_id(session: AsyncSession, tg_id: int) -> User | None:
    return await session.scalar(select(User).where(User.tg_id == tg_id))


async def registered_by_tg_id(session: AsyncSession, tg_id: int) -> User | None:
    return await session.scalar(select(User).where(User.tg_id == tg_id, User.status == UserStatus.REGISTERED))


async def consents(session: AsyncSession, user_id: int) -> list[ConsentLog]:
    rows = await session.scalars(
        select(ConsentLog).where(ConsentLog.user_id == user_id).order_by(ConsentLog.at, ConsentLog.id)
    )
    return list(rows)
