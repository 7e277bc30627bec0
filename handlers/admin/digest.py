"""Moved to handlers/broadcasts: its ``create_admin_router`` carries the digest's staff side too."""

from aiogram import Router


def create_router() -> Router:
    """Nothing left here (handlers.admin still calls it): an empty router."""
    return Router(name="admin-digest-moved")
