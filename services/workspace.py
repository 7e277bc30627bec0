"""The staff workspace: what waits for staff across features (the inbox), and the admin chat's
remembered forum topics and pinned count (table staff_topics). No aiogram here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, SQLColumnExpression, and_, func, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import Booking, BookingStatus, Consultation, Idea, IdeaStatus, Resource, StaffTopic
from db.models.consultations import OPEN_STATUSES
from db.models.events import Event
from db.models.showcase import CardStatus, ServiceCard, ServiceRequest, TrialApplication, TrialStatus
from services.numbers import number

INBOX_LIMIT = 200
"""At most this many rows per feature are read for the inbox (the oldest first)."""


@dataclass(frozen=True)
class Waiting:
    """One thing that waits for staff: its kind and id (a prefixed number), since when, a short
    title, and the staff member who took it (None: nobody yet)."""

    kind: str
    id: int
    since: datetime
    title: str
    taken_by: str | None = None

    @property
    def number(self) -> str:
        return number(self.kind, self.id)


@dataclass(frozen=True)
class Source:
    """One kind of thing in the inbox: its rows, since when it waits, its title (a column of the row,
    or of the table ``join`` brings), who took it, and what makes a row wait (None: it never does,
    though its number can still be looked up)."""

    model: Any
    since: SQLColumnExpression[datetime]
    title: SQLColumnExpression[str | None]
    waits: Callable[[datetime], ColumnElement[bool]] | None = None
    join: tuple[Any, ColumnElement[bool]] | None = None
    taken_by: SQLColumnExpression[str | None] | None = None

    def rows(self) -> Select[int, datetime, str | None, str | None]:
        """Each row's id, since when, title and who took it (or NULL)."""
        taken_by = null() if self.taken_by is None else self.taken_by
        query = select(self.model.id, self.since, self.title, taken_by)
        return query if self.join is None else query.join(*self.join)

    def item(self, kind: str, row: Row[int, datetime, str | None, str | None]) -> Waiting:
        ident, since, title, taken_by = row
        return Waiting(kind, ident, since, title or "", taken_by)


SOURCES: dict[str, Source] = {
    "consultation": Source(
        Consultation,
        Consultation.created_at,
        Consultation.question,
        lambda now: Consultation.status.in_(OPEN_STATUSES),
        taken_by=Consultation.assignee_name,
    ),
    "booking": Source(
        Booking,
        Booking.created_at,
        Resource.name,
        lambda now: and_(Booking.status == BookingStatus.PENDING, Booking.end_at > now),
        join=(Resource, Resource.id == Booking.resource_id),
    ),
    "idea": Source(Idea, Idea.submitted_at, Idea.title, lambda now: Idea.status == IdeaStatus.MODERATION),
    "card": Source(
        ServiceCard,
        ServiceCard.updated_at,
        ServiceCard.title,
        lambda now: ServiceCard.status == CardStatus.PENDING,
    ),
    "trial": Source(
        TrialApplication,
        TrialApplication.created_at,
        TrialApplication.organisation,
        lambda now: TrialApplication.status == TrialStatus.PENDING,
    ),
    "request": Source(
        ServiceRequest,
        ServiceRequest.created_at,
        ServiceCard.title,
        join=(ServiceCard, ServiceCard.id == ServiceRequest.card_id),
    ),
    "event": Source(Event, Event.starts_at, Event.title),
}
"""Every kind of prefixed number staff may look up; those with ``waits`` make the inbox."""


async def inbox(session: AsyncSession, now: datetime | None = None) -> list[Waiting]:
    """Everything waiting for staff across features, oldest first: open consultations, booking
    requests to approve, ideas and catalogue cards to moderate, trial-office applications."""
    now = now or utcnow()
    items: list[Waiting] = []
    for kind, source in SOURCES.items():
        if source.waits is not None:
            query = source.rows().where(source.waits(now)).order_by(source.since).limit(INBOX_LIMIT)
            items += [source.item(kind, row) for row in await session.execute(query)]
    items.sort(key=lambda item: (item.since, item.kind, item.id))
    return items


async def waiting_count(session: AsyncSession, now: datetime | None = None) -> int:
    """How many things wait for staff (the inbox's length without its per-feature cap)."""
    now = now or utcnow()
    queries = [
        select(func.count()).select_from(source.model).where(source.waits(now))
        for source in SOURCES.values()
        if source.waits is not None
    ]
    return sum([await session.scalar(query) or 0 for query in queries])


async def topic(session: AsyncSession, code: str) -> StaffTopic | None:
    return await session.get(StaffTopic, code)


async def remember(session: AsyncSession, code: str, chat_id: int, **values: object) -> None:
    """Store (or update) the row ``code``: a created topic's thread, the forum flag, the pin."""
    async with write(session):
        row = await session.get(StaffTopic, code)
        if row is None:
            row = StaffTopic(code=code, chat_id=chat_id)
            session.add(row)
        row.chat_id = chat_id
        for name, value in values.items():
            setattr(row, name, value)
        try:
            await session.flush()
        except IntegrityError:  # another instance stored it at the same moment: theirs stands
            await session.rollback()


async def find(session: AsyncSession, kind: str, ident: int) -> Waiting | None:
    """The object behind a prefixed number (waiting or not), as an inbox item; None if there is none."""
    source = SOURCES.get(kind)
    if source is None:
        return None
    row = (await session.execute(source.rows().where(source.model.id == ident))).first()
    return None if row is None else source.item(kind, row)
