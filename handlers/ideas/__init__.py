"""Project ideas: the form (/idea), published ideas and support (/ideas), the person's own ideas in
/my, writing to supporters; and the staff's queue and moderation in the admin chat."""

from __future__ import annotations

from aiogram import Router

from handlers.common import feature_router, resident_router
from handlers.ideas import admin, form, resident, updates


def create_router() -> Router:
    """The resident's side, in private chats, for registered people."""
    return resident_router(
        "ideas", form.register, resident.register_own, updates.register, resident.register_public
    )


def create_admin_router() -> Router:
    """The staff's side; included under the admin router (admin chat, staff only)."""
    return feature_router("admin-ideas", admin.register)
