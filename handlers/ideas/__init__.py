"""Project ideas: the form (/idea), published ideas and support (/ideas), the person's own ideas in
/my, writing to supporters; and the staff's queue and moderation in the admin chat."""

from __future__ import annotations

from aiogram import Router

from handlers.common import RequireRegistration
from handlers.filters import private_only
from handlers.ideas import admin, form, resident, updates


def create_router() -> Router:
    """The resident's side, in private chats, for registered people."""
    router = Router(name="ideas")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())
    form.register(router)
    resident.register_own(router)
    updates.register(router)
    resident.register_public(router)
    return router


def create_admin_router() -> Router:
    """The staff's side; included under the admin router (admin chat, staff only)."""
    router = Router(name="admin-ideas")
    admin.register(router)
    return router
