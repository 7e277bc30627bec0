"""The reach report: staff ask for it (/report) and correct the providers' offline-recipients answers
(/offline_fix); providers answer the monthly question with a number pad."""

from __future__ import annotations

from aiogram import Router

from handlers.report import admin, offline


def create_router() -> Router:
    """The providers' side (private chats)."""
    return offline.create_router()


def create_admin_router() -> Router:
    """The staff side, included under the admin router (admin chat and staff only)."""
    router = Router(name="admin-report-all")
    router.include_router(admin.create_router())
    router.include_router(admin.create_offline_router())
    return router
