"""The staff workspace: what waits for staff across features (the inbox), and the admin chat's
remembered forum topics and pinned count (table staff_topics). No aiogram here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
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


async def inbox(session: AsyncSession, now: datetime | None = None) -> list[Waiting]:
    """Everything waiting for staff across features, oldest first: open consultations, booking
    requests to approve, ideas and catalogue cards to moderate, trial-office applications."""
    now = now or utcnow()
    items: list[Waiting] = []
    consultations = await session.scalars(
        select(Consultation)
        .where(Consultation.status.in_(OPEN_STATUSES))
        .order_by(Consultation.created_at)
        .limit(INBOX_LIMIT)
    )
    for c in consultations:
        items.append(Waiting("consultation", c.id, c.created_at, c.question or "", c.assignee_name))
    bookings = await session.execute(
        select(Booking, Resource.name)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.status == BookingStatus.PENDING, Booking.end_at > now)
        .order_by(Booking.created_at)
        .limit(INBOX_LIMIT)
    )
    for booking, resource in bookings:
        items.append(Waiting("booking", booking.id, booking.created_at, resource))
    ideas = await session.scalars(
        select(Idea)
        .where(Idea.status == IdeaStatus.MODERATION)
        .order_by(Idea.submitted_at)
        .limit(INBOX_LIMIT)
    )
    for idea in ideas:
        items.append(Waiting("idea", idea.id, idea.submitted_at, idea.title))
    cards = await session.scalars(
        select(ServiceCard)
        .where(ServiceCard.status == CardStatus.PENDING)
        .order_by(ServiceCard.updated_at)
        .limit(INBOX_LIMIT)
    )
    for card in cards:
        items.append(Waiting("card", card.id, card.updated_at, card.title))
    trials = await session.scalars(
        select(TrialApplication)
        .where(TrialApplication.status == TrialStatus.PENDING)
        .order_by(TrialApplication.created_at)
        .limit(INBOX_LIMIT)
    )
    for trial in trials:
        items.append(Waiting("trial", trial.id, trial.created_at, trial.organisation))
    items.sort(key=lambda item: (item.since, item.kind, item.id))
    return items


async def waiting_count(session: AsyncSession, now: datetime | None = None) -> int:
    """How many things wait for staff (the inbox's length without its per-feature cap)."""
    now = now or utcnow()
    queries = (
        select(func.count()).select_from(Consultation).where(Consultation.status.in_(OPEN_STATUSES)),
        select(func.count())
        .select_from(Booking)
        .where(Booking.status == BookingStatus.PENDING, Booking.end_at > now),
        select(func.count()).select_from(Idea).where(Idea.status == IdeaStatus.MODERATION),
        select(func.count()).select_from(ServiceCard).where(ServiceCard.status == CardStatus.PENDING),
        select(func.count())
        .select_from(TrialApplication)
        .where(TrialApplication.status == TrialStatus.PENDING),
    )
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
    if kind == "consultation":
        c = await session.get(Consultation, ident)
        return None if c is None else Waiting(kind, c.id, c.created_at, c.question or "", c.assignee_name)
    if kind == "booking":
        found = (
            await session.execute(
                select(Booking, Resource.name)
                .join(Resource, Resource.id == Booking.resource_id)
                .where(Booking.id == ident)
            )
        ).first()
        return None if found is None else Waiting(kind, found[0].id, found[0].created_at, found[1])
    if kind == "idea":
        idea = await session.get(Idea, ident)
        return None if idea is None else Waiting(kind, idea.id, idea.submitted_at, idea.title)
    if kind == "card":
        card = await session.get(ServiceCard, ident)
        return None if card is None else Waiting(kind, card.id, card.updated_at, card.title)
    if kind == "trial":
        trial = await session.get(TrialApplication, ident)
        return None if trial is None else Waiting(kind, trial.id, trial.created_at, trial.organisation)
    if kind == "request":
        found = (
            await session.execute(
                select(ServiceRequest, ServiceCard.title)
                .join(ServiceCard, ServiceCard.id == ServiceRequest.card_id)
                .where(ServiceRequest.id == ident)
            )
        ).first()
        return None if found is None else Waiting(kind, found[0].id, found[0].created_at, found[1])
    if kind == "event":
        event = await session.get(Event, ident)
        return None if event is None else Waiting(kind, event.id, event.starts_at, event.title)
    return None
