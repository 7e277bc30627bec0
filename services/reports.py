"""Figures the Center reports to its funders."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User, UserStatus


@dataclass
class Overview:
    registered: int = 0
    by_group: dict[str, int] = field(default_factory=dict)
    by_district: dict[str, int] = field(default_factory=dict)
    news_subscribers: int = 0


async def overview(session: AsyncSession) -> Overview:
    """Registered people (erased identities still count: their rows stay, anonymous)."""
    counted = User.status.in_((UserStatus.REGISTERED, UserStatus.ERASED)) & User.registered_at.is_not(None)
    result = Overview()
    result.registered = await session.scalar(select(func.count()).where(counted)) or 0
    for group, count in await session.execute(
        select(User.target_group, func.count()).where(counted).group_by(User.target_group)
    ):
        result.by_group[group or "unknown"] = count
    for district, count in await session.execute(
        select(User.district, func.count()).where(counted).group_by(User.district)
    ):
        result.by_district[district or "unknown"] = count
    result.news_subscribers = (
        await session.scalar(
            select(func.count()).where(User.status == UserStatus.REGISTERED, User.news_opt_in.is_(True))
        )
        or 0
    )
    return result
