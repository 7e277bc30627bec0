"""Audit trail of staff actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog


def record(
    session: AsyncSession,
    actor_tg_id: int,
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    **details: Any,
) -> AuditLog:
    """Add an audit row to the caller's write transaction (call inside ``write``)."""
    entry = AuditLog(
        actor_tg_id=actor_tg_id, action=action, object_type=object_type, object_id=object_id, details=details
    )
    session.add(entry)
    return entry
