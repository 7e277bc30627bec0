"""Kept for the admin router's import: the staff side of booking lives in handlers/booking/."""

from __future__ import annotations

from handlers.booking import create_admin_router as create_router

__all__ = ["create_router"]
