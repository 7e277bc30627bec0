"""The dispatcher's start-up hook of booking: the default resources on a fresh install."""

from __future__ import annotations

import logging
from typing import Any

from services import booking as svc

log = logging.getLogger(__name__)


async def seed_resources(db: Any, settings: Any) -> None:
    """Dispatcher start-up: the default resources on a fresh install (idempotent)."""
    svc.set_timezone(settings.tz)
    async with db.session() as session:
        added = await svc.ensure_default_resources(session)
    if added:
        log.info("booking: seeded %d default resources", added)
