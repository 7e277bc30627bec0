"""The person's data across features: export for /privacy.

Each feature that keeps personal data adds an exporter to EXPORTERS: an async function
(session, user) -> (section name, JSON-safe data). Erasure anonymises the user row (services.users.erase);
features whose rows hold free text about the person register an eraser in ERASERS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import write
from db.models import Notification, NotificationStatus, User
from db.repositories import users as users_repo
from services import users as users_service
from services.errors import NotFound

Exporter = Callable[[AsyncSession, User], Awaitable[tuple[str, Any]]]
Eraser = Callable[[AsyncSession, User], Awaitable[None]]

EXPORTERS: list[Exporter] = []
ERASERS: list[Eraser] = []


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    data = users_service.export(user, await users_repo.consents(session, user.id))
    for exporter in EXPORTERS:
        name, section = await exporter(session, user)
        data[name] = section
    return data


async def erase(session: AsyncSession, tg_id: int, policy_version: str) -> None:
    """Erase the person's identity everywhere, in one transaction; pending notices are cancelled."""
    async with write(session):
        user = await users_repo.by_tg_id(session, tg_id)
        if user is None:
            raise NotFound("privacy.nothing_stored")
        for eraser in ERASERS:
            await eraser(session, user)
        await session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED)
        )
        users_service.anonymise(session, user, policy_version)
