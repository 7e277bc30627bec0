"""Moved to handlers/events (the staff side is ``create_admin_router``); kept for handlers.admin."""

from handlers.events import create_admin_router as create_router

__all__ = ["create_router"]
