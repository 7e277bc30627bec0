"""/my at a glance: what is coming for a person (the next bookings, sign-ups, open requests) and which
of their sections have anything in them, in a few counting queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Booking, Consultation, Idea, User
from db.models.consultations import OPEN_STATUSES
from db.models.showcase import ServiceCard, ServiceRequest
from services import booking, events
from services.showcase import OPEN_REQUEST, is_provider

COMING_SHOWN = 6


@dataclass(frozen=True)
class Coming:
    """One thing ahead: ``kind`` is booking, event, consult or request; ``at``–``until`` its time, if any
    (the handler words it in the reader's language)."""

    kind: str
    title: str
    number: int = 0
    at: datetime | None = None
    until: datetime | None = None


@dataclass
class Overview:
    coming: list[Coming] = field(default_factory=list[Coming])
    sections: set[str] = field(default_factory=set[str])
    """The /my sections (MySection values) that have something for this person."""


async def _count(session: AsyncSession, *where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).where(*where)) or 0)


async def overview(session: AsyncSession, user: User, now: datetime) -> Overview:
    out = Overview()
    ahead: list[Coming] = []
    for item, resource in await booking.upcoming(session, user.id, now=now, limit=COMING_SHOWN):
        ahead.append(Coming("booking", resource.name, item.id, item.start_at, item.end_at))
    for _signup, event in (await events.my_signups(session, user.id, now))[:COMING_SHOWN]:
        ahead.append(Coming("event", event.title, event.id, event.starts_at, event.ends_at))
    ahead.sort(key=lambda c: (c.at or now, c.number))
    consults = await session.scalars(
        select(Consultation)
        .where(Consultation.user_id == user.id, Consultation.status.in_(OPEN_STATUSES))
        .order_by(Consultation.id)
        .limit(COMING_SHOWN)
    )
    ahead += [Coming("consult", "", number=c.id) for c in consults]
    requests = await session.execute(
        select(ServiceRequest.id, ServiceCard.title)
        .join(ServiceCard, ServiceCard.id == ServiceRequest.card_id)
        .where(ServiceRequest.resident_id == user.id, ServiceRequest.status.in_(OPEN_REQUEST))
        .order_by(ServiceRequest.id)
        .limit(COMING_SHOWN)
    )
    ahead += [Coming("request", title, number=request_id) for request_id, title in requests]
    out.coming = ahead[:COMING_SHOWN]

    if await _count(session, Booking.user_id == user.id):
        out.sections.add("bookings")
    if await _count(session, Idea.author_id == user.id):
        out.sections.add("ideas")
    if await _count(session, Consultation.user_id == user.id):
        out.sections.add("consult")
    if any(c.kind == "event" for c in ahead):
        out.sections.add("events")
    if await _count(session, ServiceRequest.resident_id == user.id):
        out.sections.add("sc_req")
    if is_provider(user):  # the provider's side only to providers
        out.sections.add("sc_prov")
    return out
