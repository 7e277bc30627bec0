"""A person's accounts in Telegram and MAX linked with a one-time code (/link), so reports count them once.

The account that asks for the code is the one linked to; the account that enters it points at it
(``User.linked_to_id``). A code is six digits, lives CODE_MINUTES and works once, from the other messenger.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import User, UserStatus
from services.errors import ValidationFailed

CODE_MINUTES = 15
"""The texts say «четверть часа» (locales max.link_code)."""


async def new_code(session: AsyncSession, user: User, now: datetime | None = None) -> str:
    """A fresh code for ``user`` (the previous one stops working)."""
    now = now or utcnow()
    code = f"{secrets.randbelow(10**6):06d}"
    async with write(session):
        user.link_code = code
        user.link_code_until = now + timedelta(minutes=CODE_MINUTES)
    return code


async def link(session: AsyncSession, user: User, code: str, now: datetime | None = None) -> User:
    """Link ``user`` to the account in the other messenger that was given ``code``; returns that account.
    A wrong, used or expired code, or one from the same messenger, is refused."""
    now = now or utcnow()
    code = code.strip()
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationFailed("max.link_bad_code")
    async with write(session):
        other = await session.scalar(
            select(User).where(
                User.link_code == code,
                User.link_code_until > now,
                User.messenger != user.messenger,
                User.status == UserStatus.REGISTERED,
            )
        )
        if other is None:
            raise ValidationFailed("max.link_bad_code")
        other.link_code = None
        other.link_code_until = None
        user.linked_to_id = other.linked_to_id or other.id
        if other.linked_to_id == user.id:  # linked the other way before: one direction only
            other.linked_to_id = None
    return other
