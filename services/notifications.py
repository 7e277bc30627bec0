"""The notification outbox: queue and cancel. (The sender, the tick and the digest come with the
notifications engine; every feature queues its time-driven messages through this module.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification, NotificationStatus, User


def make_key(
    kind: str, ref_type: str | None, ref_id: int | None, user_id: int | None, extra: str = ""
) -> str:
    return ":".join(
        str(part) for part in (kind, ref_type or "-", ref_id or 0, user_id or 0, extra) if part != ""
    )


async def queue(
    session: AsyncSession,
    *,
    user: User,
    kind: str,
    due_at: datetime,
    ref_type: str | None = None,
    ref_id: int | None = None,
    payload: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    quiet: bool = False,
    key: str | None = None,
) -> Notification | None:
    """Queue one notice inside the caller's write transaction.

    Idempotent: a second call with the same key updates the pending row instead of adding another.
    Nothing is queued for a person who cannot be reached (blocked the bot, erased).
    """
    if user.tg_id is None or user.unreachable_at is not None:
        return None
    key = key or make_key(kind, ref_type, ref_id, user.id)
    existing = await session.scalar(select(Notification).where(Notification.key == key))
    if existing is not None:
        if existing.status in (NotificationStatus.PENDING, NotificationStatus.CANCELLED):
            existing.status = NotificationStatus.PENDING
            existing.due_at = due_at
            existing.expires_at = expires_at
            existing.payload = payload or {}
            existing.attempts = 0
            existing.claimed_until = None
        return existing
    row = Notification(
        key=key,
        user_id=user.id,
        chat_id=user.tg_id,
        kind=kind,
        ref_type=ref_type,
        ref_id=ref_id,
        payload=payload or {},
        due_at=due_at,
        expires_at=expires_at,
        quiet=quiet,
    )
    session.add(row)
    await session.flush()
    return row


async def cancel(
    session: AsyncSession,
    *,
    key: str | None = None,
    ref_type: str | None = None,
    ref_id: int | None = None,
    user_id: int | None = None,
    kind: str | None = None,
) -> int:
    """Cancel pending notices by key, or by the object they are about (optionally one person's)."""
    if key is None and (ref_type is None or ref_id is None):
        raise ValueError("cancel needs a key or an object")
    stmt = update(Notification).where(
        Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.CLAIMED))
    )
    if key is not None:
        stmt = stmt.where(Notification.key == key)
    else:
        stmt = stmt.where(Notification.ref_type == ref_type, Notification.ref_id == ref_id)
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    result = await session.execute(stmt.values(status=NotificationStatus.CANCELLED))
    return result.rowcount or 0  # type: ignore[attr-defined]
