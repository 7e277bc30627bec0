"""Broadcasts and the digest's staff side: the recipient's «Отписаться»; in the admin chat the
/broadcast dialog, its schedule and control, the history, the digest's news and preview, /outbox."""

from __future__ import annotations

from aiogram import Router

from handlers.broadcasts import admin, control, digest, news, outbox, resident
from handlers.common import feature_router


def create_router() -> Router:
    """The recipient's side (private chats)."""
    return resident.create_router()


def create_admin_router() -> Router:
    """The staff side, included under the admin router (admin chat and staff only)."""
    return feature_router(
        "admin-broadcasts", admin.register, control.register, digest.register, news.register, outbox.register
    )
