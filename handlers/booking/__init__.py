"""Booking of the Center's rooms and places: the resident's /book dialog and bookings
(``create_router``, private chats) and the staff side in the admin chat (``create_admin_router``).

Modules: dialog (/book), resident (/my bookings, cancel, «Приду»), admin (the staff's menu: schedules,
pending requests, figures), admin_decisions (approve, reject or cancel with a reason, no-show),
admin_guest (booking for someone without Telegram), admin_resources (the resources' settings),
views (texts and keyboards both sides show), parsing (what staff type), states, seed (start-up)."""

from __future__ import annotations

from aiogram import Router

from handlers.booking import admin, admin_decisions, admin_guest, admin_resources, dialog, resident
from handlers.booking.seed import seed_resources
from handlers.common import feature_router, resident_router

__all__ = ["create_admin_router", "create_router", "seed_resources"]


def create_router() -> Router:
    """The resident's side, private chats, registered people only."""
    return resident_router("booking", dialog.register, resident.register)


def create_admin_router() -> Router:
    """The staff side; the admin router above it admits only staff in the admin chat."""
    return feature_router(
        "admin-booking",
        admin.register,
        admin_decisions.register,
        admin_guest.register,
        admin_resources.register,
        admin.register_housekeeping,
    )
