"""Consultations: the person's /consult dialog and requests (``create_router``, private chats) and the
staff side in the admin chat (``create_admin_router``).

Modules: dialog (/consult), resident (/my requests, writing, rating), admin (the card's buttons,
replies, lists, topics), meeting (day → time → place), delivery (the card, notes and relays under
it, notices to the person, the overdue job, LinkedReply), views (texts both sides show), states."""

from __future__ import annotations

from aiogram import Router

from handlers.common import feature_router, resident_router
from handlers.consultations import admin, dialog, meeting, resident


def create_router() -> Router:
    """The person's side, private chats, registered people only."""
    return resident_router("consultations", dialog.register, resident.register)


def create_admin_router() -> Router:
    """The staff side; the admin router above it admits only staff in the admin chat."""
    return feature_router("admin-consultations", admin.register, meeting.register)
