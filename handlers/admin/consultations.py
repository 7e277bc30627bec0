"""Kept for old imports: the admin router and the scheduler's overdue job. The staff side of
consultations lives in handlers/consultations/ (admin.py, meeting.py, delivery.py)."""

from __future__ import annotations

from handlers.consultations import create_admin_router as create_router
from handlers.consultations.delivery import raise_overdue

__all__ = ["create_router", "raise_overdue"]
