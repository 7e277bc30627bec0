"""The notification outbox: queue and cancel. Every feature queues its time-driven messages here.

Payload contract (rendered by the sender at send time, in the recipient's language):
    {"text": "<locale key>", "params": {...already HTML-escaped values...},
     "buttons": [[["<label locale key>", "<callback data>"], ...], ...],   # optional rows
     "event_at": "<ISO UTC of the thing reminded about>"}                  # reminders only
A notice whose ``expires_at`` has passed is dropped, not sent late. ``quiet=True`` notices (digests,
announcements) wait for the end of quiet hours; reminders are never held back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
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


async def queue_reminder(
    session: AsyncSession,
    *,
    user: User,
    kind: str,
    ref_type: str,
    ref_id: int,
    event_at: datetime,
    payload: dict[str, Any],
    lead: timedelta | None = None,
    key_suffix: str = "",
) -> Notification | None:
    """Queue a reminder before ``event_at`` (inside the caller's write transaction).

    Honours the person's settings: nothing if reminders are off; the lead time is theirs unless
    ``lead`` is given (e.g. a fixed "two hours before"). Expires when the thing starts.
    """
    if not user.reminders_enabled:
        return None
    now = utcnow()
    if event_at <= now:
        return None
    own_lead = lead is None
    lead = lead if lead is not None else timedelta(minutes=user.reminder_lead_minutes)
    due_at = max(event_at - lead, now)
    payload = {**payload, "event_at": event_at.isoformat(), "own_lead": own_lead}
    return await queue(
        session,
        user=user,
        kind=kind,
        due_at=due_at,
        ref_type=ref_type,
        ref_id=ref_id,
        payload=payload,
        expires_at=event_at,
        key=make_key(kind, ref_type, ref_id, user.id, key_suffix),
    )
