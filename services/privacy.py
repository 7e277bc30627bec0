"""The person's data across features: export for /privacy.

Each feature that keeps personal data adds an exporter to EXPORTERS: an async function
(session, user) -> (section name, JSON-safe data). Erasure anonymises the user row (services.users.erase);
features whose rows hold free text about the person register an eraser in ERASERS.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import messenger
from db.engine import write
from db.models import AuditLog, Booking, Consultation, FsmState, Idea, Notification, NotificationStatus, User
from db.models.showcase import ServiceCard, TrialApplication
from db.repositories import users as users_repo
from services import users as users_service
from services.errors import NotFound

Exporter = Callable[[AsyncSession, User], Awaitable[tuple[str, Any]]]
Eraser = Callable[[AsyncSession, User], Awaitable[None]]

StaffMessages = Callable[[AsyncSession, User], Awaitable[list[tuple[int, int]]]]

EXPORTERS: list[Exporter] = []
ERASERS: list[Eraser] = []
STAFF_MESSAGES: list[StaffMessages] = []
"""Features list here the (chat id, message id) of the bot's staff-chat messages that show the person;
they are collected before the erasers run and edited by the caller after the erasure commits."""


AUDITED: list[tuple[str, Any]] = [
    ("idea", lambda user: select(Idea.id).where(Idea.author_id == user.id)),
    ("booking", lambda user: select(Booking.id).where(Booking.user_id == user.id)),
    ("consultation", lambda user: select(Consultation.id).where(Consultation.user_id == user.id)),
    ("showcase_card", lambda user: select(ServiceCard.id).where(ServiceCard.provider_id == user.id)),
    ("showcase_trial", lambda user: select(TrialApplication.id).where(TrialApplication.user_id == user.id)),
]


async def export_audit(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """What staff did about the person and their things (who did it is the staff's data, left out)."""
    conditions = [(AuditLog.object_type == "user") & (AuditLog.object_id == user.id)]
    for object_type, ids in AUDITED:
        conditions.append((AuditLog.object_type == object_type) & AuditLog.object_id.in_(ids(user)))
    rows = await session.scalars(select(AuditLog).where(or_(*conditions)).order_by(AuditLog.id))
    return [
        {
            "action": r.action,
            "object": f"{r.object_type}:{r.object_id}",
            "details": r.details,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    data = users_service.export(user, await users_repo.consents(session, user.id))
    for exporter in EXPORTERS:
        name, section = await exporter(session, user)
        data[name] = section
    data["staff_actions_about_you"] = await export_audit(session, user)
    return data


ERASED_MARK = {"erased": True}


def _identifying_values(user: User) -> list[str]:
    """What would identify the person inside a stored text: their name, phone, username, organisation."""
    values = [user.full_name, user.phone, user.username, user.organisation]
    return [v for v in values if v and len(v) >= 3]


async def _forget_fsm_rows(session: AsyncSession, tg_id: int) -> None:
    """FSM state and drafts kept in SQL (bot.storage.SQLStorage) for any chat of the person. Keys are
    ``fsm:<chat>:<user>:<destiny>`` (a thread id may follow the chat); a row goes when the person is its
    chat or its user."""
    needle = f"%:{tg_id}:%"
    keys = list(await session.scalars(select(FsmState.key).where(FsmState.key.like(needle))))
    mine = [k for k in keys if str(tg_id) in k.split(":")[1:-1] and messenger.owns_storage_key(k)]
    if mine:
        await session.execute(delete(FsmState).where(FsmState.key.in_(mine)))


async def _sweep_quotes(session: AsyncSession, user: User) -> None:
    """Notices to others and audit details that quote the person (their name or phone in a payload)
    lose that text; the rows stay for the counts."""
    targets: tuple[tuple[type[Notification] | type[AuditLog], Any, dict[str, Any]], ...] = (
        (Notification, Notification.payload, {}),
        (AuditLog, AuditLog.details, ERASED_MARK),
    )
    for model, column, blank in targets:
        for value in _identifying_values(user):
            # as stored: plain (PostgreSQL's JSONB as text) or \\u-escaped (SQLite's JSON text)
            for form in {value, json.dumps(value)[1:-1]}:
                pattern = "%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                await session.execute(
                    update(model)
                    .where(cast(column, String).like(pattern, escape="\\"))
                    .values({column.key: blank})
                    .execution_options(synchronize_session=False)
                )


async def apply_retention(
    session: AsyncSession, now: datetime, *, guest_days: int = 90, draft_days: int = 30
) -> tuple[int, int]:
    """Retention (152-ФЗ): guests booked by staff (name, phone) are erased ``guest_days`` after their
    booking ended; FSM state and drafts kept in SQL that nobody touched for ``draft_days`` go (Redis keys
    expire by their TTL). Returns (guests erased, drafts deleted)."""
    async with write(session):
        guests = await session.execute(
            update(Booking)
            .where(
                Booking.end_at < now - timedelta(days=guest_days),
                (Booking.guest_name.is_not(None)) | (Booking.guest_phone.is_not(None)),
            )
            .values(guest_name=None, guest_phone=None, purpose=None, reason=None)
            .execution_options(synchronize_session=False)
        )
        drafts = await session.execute(
            delete(FsmState)
            .where(FsmState.updated_at < now - timedelta(days=draft_days))
            .execution_options(synchronize_session=False)
        )
    return guests.rowcount or 0, drafts.rowcount or 0  # type: ignore[attr-defined]


async def erase(session: AsyncSession, tg_id: int, policy_version: str) -> list[tuple[int, int]]:
    """Erase the person's identity everywhere, in one transaction; pending notices are cancelled.

    Returns the bot's own staff-chat messages that show the person (request cards, relayed messages):
    the caller edits them to «данные удалены по запросу» after this transaction has committed."""
    async with write(session):
        user = await users_repo.by_tg_id(session, tg_id)
        if user is None:
            raise NotFound("privacy.nothing_stored")
        staff_messages: list[tuple[int, int]] = []
        for finder in STAFF_MESSAGES:
            staff_messages += await finder(session, user)
        for eraser in ERASERS:
            await eraser(session, user)
        await session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED)
        )
        await session.execute(
            update(Notification)
            .where(Notification.user_id == user.id)
            .values(chat_id=0, payload={}, last_error=None)
            .execution_options(synchronize_session=False)
        )
        await _sweep_quotes(session, user)
        await _forget_fsm_rows(session, tg_id)
        users_service.anonymise(session, user, policy_version)
    return list(dict.fromkeys(staff_messages))
