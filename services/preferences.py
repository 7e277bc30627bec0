"""A person's notification settings (/settings): reminders, how early, the digest, interests, language.

Every change applies to what is already queued: reminders off cancels the pending ones (on brings
them back while their moment is ahead), a new lead moves the reminders that follow the person's lead,
the digest off cancels a digest still waiting. Interests are what the digest selects by:
``User.interest_districts`` (codes of services.users.DISTRICTS: what its sections pick) and
``User.interest_topics`` (TOPICS: which of its sections come at all); an empty list means "any".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import Notification, User, UserStatus
from db.repositories.users import is_person
from services import digest as digest_service
from services.errors import NotFound, ValidationFailed
from services.notifications import apply_reminder_settings
from services.users import DISTRICTS

TOPICS = digest_service.TOPICS
"""What a person may choose to get in the news of the week (its sections: events, new services, ideas,
the Center's news); labels are ``flows.settings.topic.<code>``. Nothing else in the digest carries a
theme (events, ideas and services have no topic of their own), so the themes are its sections."""

LEAD_CHOICES = (15, 60, 180, 1440, 2880)
"""How early a reminder comes, minutes: 15 min, 1 hour, 3 hours, 1 day, 2 days."""

INTEREST_DISTRICTS = tuple(d for d in DISTRICTS if d != "other")


async def _registered(session: AsyncSession, tg_id: int) -> User:
    user = await session.scalar(select(User).where(is_person(tg_id), User.status == UserStatus.REGISTERED))
    if user is None:
        raise NotFound("reg.not_registered")
    return user


async def set_reminders(
    session: AsyncSession, tg_id: int, enabled: bool, now: datetime | None = None
) -> User:
    async with write(session):
        user = await _registered(session, tg_id)
        user.reminders_enabled = enabled
        await apply_reminder_settings(session, user, now)
    return user


async def set_lead(session: AsyncSession, tg_id: int, minutes: int, now: datetime | None = None) -> User:
    if minutes not in LEAD_CHOICES:
        raise ValidationFailed("settings.pick_button")
    async with write(session):
        user = await _registered(session, tg_id)
        user.reminder_lead_minutes = minutes
        await apply_reminder_settings(session, user, now)
    return user


async def set_digest(session: AsyncSession, tg_id: int, enabled: bool) -> User:
    return await digest_service.set_subscription(session, tg_id, enabled)


async def toggle_interest(session: AsyncSession, tg_id: int, field: str, value: str) -> User:
    """Add or remove one district (field "district") or topic (field "topic") of interest."""
    if field == "district":
        allowed, column = INTEREST_DISTRICTS, "interest_districts"
    elif field == "topic":
        allowed, column = TOPICS, "interest_topics"
    else:
        raise ValidationFailed("settings.pick_button")
    if value not in allowed:
        raise ValidationFailed("settings.pick_button")
    async with write(session):
        user = await _registered(session, tg_id)
        current = list(getattr(user, column) or [])
        if value in current:
            current.remove(value)
        else:
            current.append(value)
        # keep the canonical order; a new list so the JSON column sees the change
        setattr(user, column, [code for code in allowed if code in current])
    return user


async def clear_interests(session: AsyncSession, tg_id: int, field: str) -> User:
    """«Любые»: no filter on districts (or topics)."""
    column = {"district": "interest_districts", "topic": "interest_topics"}.get(field)
    if column is None:
        raise ValidationFailed("settings.pick_button")
    async with write(session):
        user = await _registered(session, tg_id)
        setattr(user, column, [])
    return user


async def mark_reachable(session: AsyncSession, tg_id: int, reachable: bool) -> bool:
    """The person unblocked (or blocked) the bot: notices may (or may not) be queued for them again."""
    async with write(session):
        result = await session.execute(
            update(User)
            .where(
                is_person(tg_id),
                User.unreachable_at.is_(None) if not reachable else User.unreachable_at.is_not(None),
            )
            .values(unreachable_at=None if reachable else utcnow())
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the person's data (/privacy) -----------------------------------------------------------------


async def export_notifications(session: AsyncSession, user: User) -> tuple[str, Any]:
    rows = await session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.due_at)
    )
    return "notifications", [
        {
            "kind": row.kind,
            "about": f"{row.ref_type}:{row.ref_id}" if row.ref_type else None,
            "due_at": row.due_at.isoformat(),
            "status": row.status,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        }
        for row in rows
    ]


async def erase_notifications(session: AsyncSession, user: User) -> None:
    """Texts rendered for the person (their name in a digest) go; the counts for reports stay."""
    await session.execute(update(Notification).where(Notification.user_id == user.id).values(payload={}))
