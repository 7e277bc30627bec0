"""Moved to handlers/broadcasts (the staff side, the digest's too, is ``create_admin_router``)."""

from handlers.broadcasts import create_admin_router as create_router

__all__ = ["create_router"]
