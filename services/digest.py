"""The weekly digest: what goes into it.

Each feature contributes a section through SOURCES: a name and an async function
(session, user, now, until) -> list[DigestItem]. The section title is the locale key
``digest.section.<name>``. Items carry already-escaped HTML text and at most one button
(label locale key, callback data). An empty digest is not sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User


@dataclass(frozen=True)
class DigestItem:
    text: str
    button: tuple[str, str] | None = None  # (label locale key, callback data)


DigestSource = Callable[[AsyncSession, User, datetime, datetime], Awaitable[list[DigestItem]]]

# (section name, source), in the order the digest shows them. Features append.
SOURCES: list[tuple[str, DigestSource]] = []
