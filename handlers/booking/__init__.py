"""Booking of the Center's rooms and places: the resident's /book dialog and bookings
(``create_router``, private chats) and the staff side in the admin chat (``create_admin_router``).

Modules: dialog (/book), resident (/my bookings, cancel, «Приду»), admin (schedules, decisions),
admin_guest (booking for someone without Telegram), admin_resources (the resources' settings),
views (texts and keyboards both sides show), parsing (what staff type), states, seed (start-up)."""

from __future__ import annotations

from aiogram import Router

from handlers.booking import admin, admin_guest, admin_resources, dialog, resident
from handlers.booking.seed import seed_resources
from handlers.common import RequireRegistration
from handlers.filters import private_only

__all__ = ["create_admin_router", "create_router", "seed_resources"]


def create_router() -> Router:
    """The resident's side, private chats, registered people only."""
    router = Router(name="booking")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())
    dialog.register(router)
    resident.register(router)
    return router


def create_admin_router() -> Router:
    """The staff side; the admin router above it admits only staff in the admin chat."""
    router = Router(name="admin-booking")
    admin.register(router)
    admin_guest.register(router)
    admin_resources.register(router)
    admin.register_housekeeping(router)
    return router
