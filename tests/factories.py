"""Rows for tests and benches with ordinary values, so that a caller names only what its check depends on
(the title, the capacity, when it starts): an event's draft and a published event made from it through
services.events; a published idea; a person registered straight in the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from db.base import utcnow
from db.engine import Database, write
from db.models import Event, Idea, User, UserStatus
from services import events as ev
from tests.client import TgClient

STAFF = 5001


def event_draft(
    *,
    starts_in: timedelta = timedelta(days=3),
    lasts: timedelta = timedelta(hours=2),
    closes_in: timedelta | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> ev.Draft:
    """An event ``starts_in`` from ``now`` (the clock's), lasting ``lasts``; sign-up closes ``closes_in``
    from now (at the start unless given). ``fields`` override any other field of the draft."""
    now = now or utcnow()
    values: dict[str, Any] = {
        "title": "Школа НКО: гранты",
        "description": "Как подать заявку на президентский грант",
        "kind": "training",
        "starts_at": now + starts_in,
        "ends_at": now + starts_in + lasts,
        "place_kind": "center",
        "place": "Большой зал",
        "district": "krasnoturansky",
        "capacity": 2,
        "reg_deadline": now + (starts_in if closes_in is None else closes_in),
        "audience": [],
    }
    values.update(fields)
    return ev.Draft(**values)


async def published_event(
    db: Database, *, by: int = STAFF, now: datetime | None = None, **draft: Any
) -> Event:
    """An event created and published (no announcement) by staff member ``by``; ``draft`` as event_draft's."""
    async with db.session() as s:
        event = await ev.create_event(s, by, event_draft(now=now, **draft), now=now)
        await ev.publish(s, by, event.id, announce=False, now=now)
    return event


async def published_idea(db: Database, author_id: int, **fields: Any) -> int:
    """A published idea of the person with the id ``author_id``; ``fields`` override the idea's columns."""
    values: dict[str, Any] = {
        "title": "Идея",
        "problem": "Проблема",
        "description": "Описание",
        "district": "krasnoturansky",
        "audience": "youth",
        "help_needed": ["space"],
        "media": [],
        "status": "published",
        "published_at": utcnow(),
    }
    values.update(fields)
    async with db.session() as s, write(s):
        idea = Idea(author_id=author_id, **values)
        s.add(idea)
    return idea.id


async def registered_person(db: Database, client: TgClient, **columns: Any) -> User:
    """``client``'s person, registered straight in the database (the registration dialog has tests of its
    own); ``columns`` set the person's other columns (target_group, district, organisation, phone, …)."""
    async with db.session() as s, write(s):
        user = User(
            tg_id=client.user.id,
            full_name=client.user.full_name,
            status=UserStatus.REGISTERED,
            registered_at=utcnow(),
            **columns,
        )
        s.add(user)
    return user
