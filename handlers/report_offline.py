"""Moved to handlers/report; kept for handlers.admin (``create_admin_router``: /offline_fix)."""

from handlers.report.admin import create_offline_router as create_admin_router
from handlers.report.offline import create_router

__all__ = ["create_admin_router", "create_router"]
