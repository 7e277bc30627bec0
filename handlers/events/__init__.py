"""Events: the person's side (list, card, sign-up, wait-list, check-in, feedback) and the staff side
(the list, cards, the create/edit dialog, participants, door codes)."""

from __future__ import annotations

from typing import Any

from aiogram import Router

from handlers.common import feature_router
from handlers.events import admin, checkin, form, resident
from services import events as ev


def create_router(settings: Any | None = None) -> Router:
    """The person's side: deep links first (before registration's /start), then the rest."""
    if settings is not None:
        ev.set_timezone(settings.tz)
    router = Router(name="events")
    router.include_router(checkin.create_deeplink_router())
    router.include_router(resident.create_router())
    router.include_router(checkin.create_router())
    return router


def create_admin_router() -> Router:
    """The staff side, included under the admin router (admin chat and staff only)."""
    return feature_router("admin-events", admin.register_list, form.register, admin.register_cards)
