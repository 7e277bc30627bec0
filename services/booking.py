"""Coworking booking: the rules, availability, and every change to a booking.

Time model. A resource's opening hours are local (``tz``, the Center's zone) per ISO weekday; a day
is cut into slots of ``slot_minutes`` from opening time while a whole slot fits before closing. A
booking covers consecutive slots of one day (a *long* booking — the social-business trial office —
covers every open day's slots between two dates). Everything stored is UTC.

No double bookings. A booking holds one ``BookingSlot`` row per slot with a place number in
1..capacity; (resource, slot, place) and (resource, slot, person) are unique in the database. The
check-then-insert runs in one ``write()`` transaction: on SQLite that is ``BEGIN IMMEDIATE`` plus the
in-process writer lock; on PostgreSQL the resource row is locked (``FOR UPDATE``) first, so writers of
one resource queue up and each sees the places the previous one took. If anything slips through
anyway (another process on another schema), the unique constraints turn it into ``SlotTaken``.

For other features:
    create_long_booking(session, "trial_office", user_id, start_day, end_day, purpose)
        books whole open days (own transaction; raises SlotTaken / ValidationFailed);
    add_long_booking(...) does the same inside the caller's ``write()``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CompoundSelect,
    Select,
    bindparam,
    delete,
    func,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import Booking, BookingSlot, BookingStatus, Resource, User
from db.models.booking import ACTIVE_STATUSES
from services import audit, notifications
from services.digest import DigestItem
from services.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from services.rows import count_rows, locked, person_rows

REMINDER_KIND = "booking.reminder"
REF_TYPE = "booking"
REMINDERS = notifications.Reminders(REMINDER_KIND, REF_TYPE)
PURPOSE_MAX = 200
RESOURCE_NAME_MAX = 100
GUEST_NAME_MAX = 100
PAST_SHOWN = 5
UPCOMING_SHOWN = 10
LONG_BOOKING_MAX_DAYS = 366

# Callback data of the reminder buttons; keyboards.booking.BookingAction packs to the same strings
# (a test keeps them in step; services do not import aiogram keyboards).
COMING_CALLBACK = "bka:come:{id}"
CANCEL_CALLBACK = "bka:cancel:{id}"


class SlotTaken(Conflict):
    """The place was taken a moment ago (a race lost, or the person's view was stale)."""

    key = "booking.err_taken"


# --- defaults -------------------------------------------------------------------------------------

WEEKDAYS_9_18 = {str(d): ["09:00", "18:00"] for d in range(1, 6)}

DEFAULT_RESOURCES: list[dict[str, Any]] = [
    {
        "code": "coworking",
        "name": "Коворкинг",
        "name_en": "Coworking",
        "capacity": 6,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 480,
        "horizon_days": 14,
        "min_notice_minutes": 0,
        "cancel_cutoff_minutes": 30,
        "weekly_quota_minutes": 20 * 60,
        "org_weekly_quota_minutes": 0,
        "needs_approval": False,
        "hours": {**WEEKDAYS_9_18, "6": ["10:00", "15:00"]},
        "position": 1,
    },
    {
        "code": "meeting_room",
        "name": "Переговорная",
        "name_en": "Meeting room",
        "capacity": 1,
        "people": 10,
        "slot_minutes": 30,
        "min_minutes": 30,
        "max_minutes": 180,
        "horizon_days": 21,
        "min_notice_minutes": 60,
        "cancel_cutoff_minutes": 120,
        "weekly_quota_minutes": 6 * 60,
        "org_weekly_quota_minutes": 10 * 60,
        "needs_approval": False,
        "hours": dict(WEEKDAYS_9_18),
        "position": 2,
    },
    {
        "code": "expo_hall",
        "name": "ЭКСПО-зал",
        "name_en": "EXPO hall",
        "capacity": 1,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 540,
        "horizon_days": 60,
        "min_notice_minutes": 24 * 60,
        "cancel_cutoff_minutes": 24 * 60,
        "weekly_quota_minutes": 0,
        "org_weekly_quota_minutes": 0,
        "needs_approval": True,
        "hours": {**WEEKDAYS_9_18, "6": ["10:00", "15:00"]},
        "position": 3,
    },
    {
        "code": "trial_office",
        "name": "Офис для пробы социального бизнеса",
        "name_en": "Social business trial office",
        "capacity": 1,
        "slot_minutes": 540,
        "min_minutes": 540,
        "max_minutes": 540,
        "horizon_days": 90,
        "min_notice_minutes": 24 * 60,
        "cancel_cutoff_minutes": 24 * 60,
        "weekly_quota_minutes": 0,
        "org_weekly_quota_minutes": 0,
        "needs_approval": True,
        "hours": dict(WEEKDAYS_9_18),
        "position": 4,
    },
]


async def ensure_default_resources(session: AsyncSession) -> int:
    """Seed the default resources that do not exist yet (by code); returns how many were added.

    Idempotent: safe on every start and from several instances at once. Staff changes to existing
    resources are never overwritten; a resource staff switched off stays off.
    """
    existing = set(await session.scalars(select(Resource.code)))
    missing = [spec for spec in DEFAULT_RESOURCES if spec["code"] not in existing]
    if not missing:
        return 0
    try:
        async with write(session):
            existing = set(await session.scalars(select(Resource.code)))
            added = 0
            for spec in missing:
                if spec["code"] not in existing:
                    session.add(Resource(**spec, closed_dates=[], active=True))
                    added += 1
        return added
    except IntegrityError:  # another instance seeded them at the same moment
        return 0


# --- reading resources ----------------------------------------------------------------------------


async def resources(session: AsyncSession, *, include_inactive: bool = False) -> list[Resource]:
    stmt = select(Resource).order_by(Resource.position, Resource.id)
    if not include_inactive:
        stmt = stmt.where(Resource.active.is_(True))
    return list(await session.scalars(stmt))


CATALOGUE_ONLY = ("trial_office",)
"""Resources applied for only through the services catalogue (its trial-office application), not /book."""


async def bookable_resources(session: AsyncSession) -> list[Resource]:
    """What /book offers: the active resources except those applied for through the catalogue."""
    return [r for r in await resources(session) if r.code not in CATALOGUE_ONLY]


async def get_resource(session: AsyncSession, resource_id: int, *, active_only: bool = True) -> Resource:
    resource = await session.get(Resource, resource_id, populate_existing=True)
    if resource is None or (active_only and not resource.active):
        raise NotFound("booking.err_resource_gone")
    return resource


async def resource_by_code(session: AsyncSession, code: str) -> Resource:
    resource = await session.scalar(select(Resource).where(Resource.code == code))
    if resource is None:
        raise NotFound("booking.err_resource_gone")
    return resource


# --- the calendar ---------------------------------------------------------------------------------


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def opening(resource: Resource, day: date) -> tuple[time, time] | None:
    """Local opening hours of ``day``, or None if the resource is closed then."""
    if day.isoformat() in (resource.closed_dates or []):
        return None
    hours = (resource.hours or {}).get(str(day.isoweekday()))
    if not hours:
        return None
    start, end = _parse_time(hours[0]), _parse_time(hours[1])
    return (start, end) if start < end else None


def day_slots(resource: Resource, day: date, tz: ZoneInfo) -> list[datetime]:
    """UTC starts of every slot of ``day`` (empty if closed)."""
    hours = opening(resource, day)
    if hours is None:
        return []
    step = timedelta(minutes=resource.slot_minutes)
    current = datetime.combine(day, hours[0], tzinfo=tz)
    close = datetime.combine(day, hours[1], tzinfo=tz)
    starts = []
    while current + step <= close:
        starts.append(current.astimezone(UTC))
        current += step
    return starts


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def window(resource: Resource, now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """First and last day a person may book (inclusive)."""
    today = local_today(now, tz)
    return today, today + timedelta(days=resource.horizon_days)


def week_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    left: int  # free places
    mine: bool = False  # the person already holds a place here

    @property
    def free(self) -> bool:
        return self.left > 0 and not self.mine


async def _occupancy(
    session: AsyncSession, resource_id: int, start: datetime, end: datetime
) -> dict[datetime, int]:
    rows = await session.execute(
        select(BookingSlot.slot_start, func.count())
        .where(
            BookingSlot.resource_id == resource_id,
            BookingSlot.slot_start >= start,
            BookingSlot.slot_start < end,
        )
        .group_by(BookingSlot.slot_start)
    )
    return {slot_start: count for slot_start, count in rows}


async def _held_by(
    session: AsyncSession, resource_id: int, user_id: int | None, start: datetime, end: datetime
) -> set[datetime]:
    if user_id is None:
        return set()
    rows = await session.scalars(
        select(BookingSlot.slot_start).where(
            BookingSlot.resource_id == resource_id,
            BookingSlot.user_id == user_id,
            BookingSlot.slot_start >= start,
            BookingSlot.slot_start < end,
        )
    )
    return set(rows)


def _bookable(resource: Resource, slot_start: datetime, now: datetime) -> bool:
    return slot_start >= now + timedelta(minutes=resource.min_notice_minutes)


async def slots_of_day(
    session: AsyncSession,
    resource: Resource,
    day: date,
    *,
    tz: ZoneInfo,
    now: datetime | None = None,
    user_id: int | None = None,
    staff: bool = False,
) -> list[Slot]:
    """Every slot of ``day`` that is still ahead (given the notice), with its free places.

    ``staff=True``: no notice, and the slot running now is offered too (a walk-in).
    """
    now = now or utcnow()
    if staff:
        starts = [
            s for s in day_slots(resource, day, tz) if s + timedelta(minutes=resource.slot_minutes) > now
        ]
    else:
        starts = [s for s in day_slots(resource, day, tz) if _bookable(resource, s, now)]
    if not starts:
        return []
    end = starts[-1] + timedelta(minutes=resource.slot_minutes)
    taken = await _occupancy(session, resource.id, starts[0], end)
    mine = await _held_by(session, resource.id, user_id, starts[0], end)
    return [Slot(s, max(resource.capacity - taken.get(s, 0), 0), s in mine) for s in starts]


def start_options(resource: Resource, slots: list[Slot]) -> list[Slot]:
    """Slots a booking can start at: free for at least the minimum duration."""
    return [s for i, s in enumerate(slots) if _run_minutes(resource, slots, i) >= resource.min_minutes]


def _run_minutes(resource: Resource, slots: list[Slot], index: int) -> int:
    """Minutes of consecutive free slots from ``slots[index]`` (capped at the maximum duration)."""
    step = timedelta(minutes=resource.slot_minutes)
    minutes = 0
    expected = slots[index].start
    for slot in slots[index:]:
        if slot.start != expected or not slot.free or minutes >= resource.max_minutes:
            break
        minutes += resource.slot_minutes
        expected += step
    return minutes


def duration_options(
    resource: Resource, slots: list[Slot], start: datetime, limit: int | None = None
) -> list[int]:
    """Durations (minutes) allowed from ``start``: the rules, the free run of slots, the quota left."""
    index = next((i for i, s in enumerate(slots) if s.start == start), None)
    if index is None:
        return []
    run = _run_minutes(resource, slots, index)
    if limit is not None:
        run = min(run, limit)
    step = resource.slot_minutes
    return [m for m in range(step, run + 1, step) if resource.min_minutes <= m <= resource.max_minutes]


async def bookable_days(
    session: AsyncSession,
    resource: Resource,
    *,
    tz: ZoneInfo,
    now: datetime | None = None,
    user_id: int | None = None,
) -> list[date]:
    """Days inside the booking window that are open and still have a start free (one query)."""
    now = now or utcnow()
    first, last = window(resource, now, tz)
    all_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    starts_by_day = {
        d: [s for s in day_slots(resource, d, tz) if _bookable(resource, s, now)] for d in all_days
    }
    flat = [s for starts in starts_by_day.values() for s in starts]
    if not flat:
        return []
    end = flat[-1] + timedelta(minutes=resource.slot_minutes)
    taken = await _occupancy(session, resource.id, flat[0], end)
    mine = await _held_by(session, resource.id, user_id, flat[0], end)
    days = []
    for day, starts in starts_by_day.items():
        slots = [Slot(s, max(resource.capacity - taken.get(s, 0), 0), s in mine) for s in starts]
        if start_options(resource, slots):
            days.append(day)
    return days


# --- quotas ---------------------------------------------------------------------------------------


def _org_key(organisation: str | None) -> str | None:
    value = " ".join((organisation or "").split()).casefold()
    return value or None


def _week_minutes_query(
    resource_id: int, week: tuple[datetime, datetime], user_ids: list[int]
) -> Select[Any]:
    return select(func.coalesce(func.sum(Booking.minutes), 0)).where(
        Booking.resource_id == resource_id,
        Booking.user_id.in_(user_ids),
        Booking.status.in_(ACTIVE_STATUSES),
        Booking.is_long.is_(False),
        Booking.start_at >= week[0],
        Booking.start_at < week[1],
    )


async def _week_minutes(
    session: AsyncSession, resource_id: int, week: tuple[datetime, datetime], *, user_ids: list[int]
) -> int:
    if not user_ids:
        return 0
    total = await session.scalar(_week_minutes_query(resource_id, week, user_ids))
    return int(total or 0)


async def _org_member_ids(session: AsyncSession, organisation: str | None) -> list[int]:
    key = _org_key(organisation)
    if key is None:
        return []
    rows = await session.execute(select(User.id, User.organisation).where(User.organisation.is_not(None)))
    return [uid for uid, org in rows if _org_key(org) == key]


@dataclass
class QuotaLeft:
    minutes: int | None  # None: no limit
    reason: str | None = None  # "person" | "org": which limit is the tighter one
    used: int = 0
    limit: int = 0


async def quota_left(
    session: AsyncSession, resource: Resource, user: User, day: date, *, tz: ZoneInfo
) -> QuotaLeft:
    """How many minutes the person (and their organisation) may still book in the week of ``day``."""
    week = week_bounds(day, tz)
    person_used = org_used = 0
    if resource.weekly_quota_minutes:
        person_used = await _week_minutes(session, resource.id, week, user_ids=[user.id])
    if _counts_org(resource, user):
        org_used = await _week_minutes(
            session, resource.id, week, user_ids=await _org_member_ids(session, user.organisation)
        )
    return _quota(resource, user, person_used, org_used)


def _counts_org(resource: Resource, user: User) -> bool:
    return bool(resource.org_weekly_quota_minutes and _org_key(user.organisation))


def _quota(resource: Resource, user: User, person_used: int, org_used: int) -> QuotaLeft:
    """The tighter of the person's and the organisation's weekly limits, given the minutes used."""
    result = QuotaLeft(None)
    if resource.weekly_quota_minutes:
        result = QuotaLeft(
            max(resource.weekly_quota_minutes - person_used, 0),
            "person",
            person_used,
            resource.weekly_quota_minutes,
        )
    if _counts_org(resource, user):
        left = max(resource.org_weekly_quota_minutes - org_used, 0)
        if result.minutes is None or left < result.minutes:
            result = QuotaLeft(left, "org", org_used, resource.org_weekly_quota_minutes)
    return result


# --- the rules --------------------------------------------------------------------------------------


def check_rules(
    resource: Resource, start: datetime, minutes: int, *, now: datetime, tz: ZoneInfo
) -> list[datetime]:
    """Everything a booking must respect that does not depend on other bookings.

    Returns the UTC starts of the slots it covers. Raises a domain error whose message says, in one
    sentence, what is allowed.
    """
    if start.tzinfo is None:
        raise ValueError("aware datetime expected")
    local = start.astimezone(tz)
    day = local.date()
    _first, last = window(resource, now, tz)
    if start < now:
        raise NotAllowed("booking.err_past")
    if day > last:
        raise NotAllowed("booking.err_too_far", n=resource.horizon_days)
    if start < now + timedelta(minutes=resource.min_notice_minutes):
        raise NotAllowed("booking.err_notice", notice_min=resource.min_notice_minutes)
    return _check_shape(resource, start, minutes, tz)


def _check_shape(resource: Resource, start: datetime, minutes: int, tz: ZoneInfo) -> list[datetime]:
    """Open day, aligned to the slot grid, duration within the rules and before closing."""
    day = start.astimezone(tz).date()
    hours = opening(resource, day)
    if hours is None:
        raise NotAllowed("booking.err_closed")
    if minutes < resource.min_minutes:
        raise ValidationFailed("booking.err_too_short", min_min=resource.min_minutes)
    if minutes > resource.max_minutes:
        raise ValidationFailed("booking.err_too_long", max_min=resource.max_minutes)
    if minutes % resource.slot_minutes:
        raise ValidationFailed("booking.err_step", step_min=resource.slot_minutes)
    starts = day_slots(resource, day, tz)
    if start not in starts:
        raise NotAllowed(
            "booking.err_hours", open=hours[0].strftime("%H:%M"), close=hours[1].strftime("%H:%M")
        )
    index = starts.index(start)
    count = minutes // resource.slot_minutes
    covered = starts[index : index + count]
    if len(covered) < count:
        raise NotAllowed("booking.err_after_close", close=hours[1].strftime("%H:%M"))
    return covered


# --- making bookings --------------------------------------------------------------------------------


async def _lock_resource(session: AsyncSession, resource_id: int) -> Resource:
    resource = await locked(session, Resource, resource_id, "booking.err_resource_gone")
    if not resource.active:
        raise NotFound("booking.err_resource_gone")
    return resource


def _held_query(resource: Resource, starts: list[datetime]) -> Select[datetime, int, int | None]:
    return select(BookingSlot.slot_start, BookingSlot.place, BookingSlot.user_id).where(
        BookingSlot.resource_id == resource.id, BookingSlot.slot_start.in_(starts)
    )


async def _take_places(
    session: AsyncSession,
    resource: Resource,
    booking: Booking,
    starts: list[datetime],
    user_id: int | None,
    held: Sequence[Any] | None = None,
) -> None:
    """Hold one place in each slot (the lowest free number), or raise SlotTaken. ``held``: the places
    already held in those slots if the caller has read them in this transaction."""
    rows = held if held is not None else (await session.execute(_held_query(resource, starts))).all()
    used: dict[datetime, set[int]] = {s: set() for s in starts}
    for slot_start, place, holder in rows:
        used[slot_start].add(place)
        if user_id is not None and holder == user_id:
            raise Conflict("booking.err_already_yours")
    places = {}
    for s in starts:
        free = [p for p in range(1, resource.capacity + 1) if p not in used[s]]
        if not free:
            raise SlotTaken()
        places[s] = free[0]
    session.add(booking)
    await session.flush()
    session.add_all(
        BookingSlot(
            booking_id=booking.id, resource_id=resource.id, slot_start=s, place=places[s], user_id=user_id
        )
        for s in starts
    )
    await session.flush()


def reminder_payload(booking: Booking, resource: Resource, user: User, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "text": "booking.reminder",
        "params": {
            "resource": html.escape(resource.title(user.language)),
            "when": {
                "span": [booking.start_at.isoformat(), booking.end_at.isoformat()]
            },  # dated by the outbox
        },
        "buttons": [
            [
                ["booking.btn_coming", COMING_CALLBACK.format(id=booking.id)],
                ["booking.btn_cancel", CANCEL_CALLBACK.format(id=booking.id)],
            ]
        ],
    }


async def _queue_reminder(
    session: AsyncSession,
    booking: Booking,
    resource: Resource,
    user: User | None,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> None:
    if user is None or booking.status != BookingStatus.CONFIRMED:
        return
    payload = reminder_payload(booking, resource, user, tz)
    await REMINDERS.queue(session, user, booking.id, booking.start_at, payload, now=now)


def clean_purpose(text: str | None) -> str | None:
    value = " ".join((text or "").split())
    if not value:
        return None
    if len(value) > PURPOSE_MAX:
        raise ValidationFailed("booking.err_purpose_long", n=PURPOSE_MAX, length=len(value))
    return value


async def create_booking(
    session: AsyncSession,
    *,
    resource_id: int,
    user: User,
    start: datetime,
    minutes: int,
    purpose: str | None = None,
    tz: ZoneInfo,
    now: datetime | None = None,
    pending_limit: int = 1,
) -> Booking:
    """A person books ``minutes`` from ``start``. Pending if the resource needs staff approval; a person has
    at most ``pending_limit`` requests waiting for approval per resource (APPROVAL_PENDING_LIMIT).

    Raises SlotTaken when the place went a moment ago; NotAllowed / ValidationFailed for the rules.
    """
    now = now or utcnow()
    purpose = clean_purpose(purpose)
    try:
        async with write(session):
            resource = await _lock_resource(session, resource_id)
            starts = check_rules(resource, start, minutes, now=now, tz=tz)
            state = await _booking_state(
                session, resource, user, starts, start.astimezone(tz).date(), tz, now
            )
            _check_quota(resource, user, minutes, state)
            if resource.needs_approval and state.waiting >= pending_limit:
                raise Conflict("booking.err_pending_limit")
            booking = Booking(
                resource_id=resource.id,
                user_id=user.id,
                start_at=starts[0],
                end_at=starts[-1] + timedelta(minutes=resource.slot_minutes),
                minutes=minutes,
                purpose=purpose,
                status=BookingStatus.PENDING if resource.needs_approval else BookingStatus.CONFIRMED,
                created_at=now,
            )
            await _take_places(session, resource, booking, starts, user.id, state.held)
            await _queue_reminder(session, booking, resource, user, tz, now)
    except IntegrityError as exc:
        raise SlotTaken() from exc
    return booking


@dataclass
class _BookingState:
    """What a booking is checked against, read in one query under the write lock."""

    held: list[tuple[datetime, int, int | None]]  # (slot start, place, holder) in the slots asked for
    person_used: int = 0  # minutes booked this week by the person
    org_used: int = 0  # ... by their organisation
    waiting: int = 0  # the person's requests still waiting for approval


StateRow = tuple[Any, ...]
"""One row of the booking state query: its kind (h, p, o, w), then a held slot's start, place and holder,
or a count; the parts of the UNION differ in column types, so the row is typed loosely."""


def _state_query(person: bool, org: bool, approval: bool) -> CompoundSelect[*StateRow]:
    """The UNION ALL read by _booking_state for one shape of rules, with named parameters: built once
    per shape and kept (building and caching-keying it anew took longer than running it)."""
    resource_id = bindparam("resource_id")

    def week_minutes(user_ids: Any) -> Any:
        return (
            select(func.coalesce(func.sum(Booking.minutes), 0))
            .where(
                Booking.resource_id == resource_id,
                Booking.user_id.in_(user_ids),
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.is_long.is_(False),
                Booking.start_at >= bindparam("week_start"),
                Booking.start_at < bindparam("week_end"),
            )
            .scalar_subquery()
        )

    parts: list[Select[*StateRow]] = [
        select(
            literal("h"), BookingSlot.slot_start, BookingSlot.place, BookingSlot.user_id, literal(0)
        ).where(
            BookingSlot.resource_id == resource_id,
            BookingSlot.slot_start.in_(bindparam("starts", expanding=True)),
        )
    ]
    if person:
        parts.append(select(literal("p"), null(), null(), null(), week_minutes([bindparam("user_id")])))
    if org:
        parts.append(
            select(literal("o"), null(), null(), null(), week_minutes(bindparam("members", expanding=True)))
        )
    if approval:
        waiting = select(func.count()).where(
            Booking.resource_id == resource_id,
            Booking.user_id == bindparam("user_id"),
            Booking.status == BookingStatus.PENDING,
            Booking.end_at > bindparam("now"),
        )
        parts.append(select(literal("w"), null(), null(), null(), waiting.scalar_subquery()))
    return union_all(*parts)


_STATE_QUERIES: dict[tuple[bool, bool, bool], CompoundSelect[*StateRow]] = {}


async def _booking_state(
    session: AsyncSession,
    resource: Resource,
    user: User,
    starts: list[datetime],
    day: date,
    tz: ZoneInfo,
    now: datetime,
) -> _BookingState:
    """The places held in ``starts``, the week's minutes for the quotas and the pending requests, as one
    UNION ALL (one round trip inside the write lock instead of up to four). Rows are tagged by kind."""
    week = week_bounds(day, tz)
    members = await _org_member_ids(session, user.organisation) if _counts_org(resource, user) else []
    shape = (bool(resource.weekly_quota_minutes), bool(members), resource.needs_approval)
    statement = _STATE_QUERIES.get(shape)
    if statement is None:
        statement = _STATE_QUERIES[shape] = _state_query(*shape)
    params: dict[str, Any] = {
        "resource_id": resource.id,
        "starts": starts,
        "user_id": user.id,
        "members": members,
        "week_start": week[0],
        "week_end": week[1],
        "now": now,
    }
    state = _BookingState(held=[])
    for kind, slot_start, place, holder, n in await session.execute(statement, params):
        if kind == "h":
            state.held.append((slot_start, place, holder))
        elif kind == "p":
            state.person_used = int(n or 0)
        elif kind == "o":
            state.org_used = int(n or 0)
        else:
            state.waiting = int(n or 0)
    return state


def _check_quota(resource: Resource, user: User, minutes: int, state: _BookingState) -> None:
    left = _quota(resource, user, state.person_used, state.org_used)
    if left.minutes is not None and minutes > left.minutes:
        raise NotAllowed(
            "booking.err_quota_org" if left.reason == "org" else "booking.err_quota",
            limit_min=left.limit,
            left_min=left.minutes,
        )


def clean_guest_name(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not (2 <= len(value) <= GUEST_NAME_MAX) or not any(ch.isalpha() for ch in value):
        raise ValidationFailed("booking.err_guest_name", n=GUEST_NAME_MAX)
    return value


async def create_guest_booking(
    session: AsyncSession,
    *,
    resource_id: int,
    staff_tg_id: int,
    guest_name: str,
    guest_phone: str,
    start: datetime,
    minutes: int,
    purpose: str | None = None,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> Booking:
    """Staff book on behalf of a resident without Telegram: confirmed at once, no reminder.

    Opening hours, durations and capacity apply; the booking window, notice and quotas do not (staff
    may book a walk-in for the next hour).
    """
    from services.users import clean_phone

    now = now or utcnow()
    name = clean_guest_name(guest_name)
    phone = clean_phone(guest_phone)
    purpose = clean_purpose(purpose)
    try:
        async with write(session):
            resource = await _lock_resource(session, resource_id)
            if start < now - timedelta(minutes=resource.slot_minutes):
                raise NotAllowed("booking.err_past")
            starts = _check_shape(resource, start, minutes, tz)
            booking = Booking(
                resource_id=resource.id,
                user_id=None,
                guest_name=name,
                guest_phone=phone,
                booked_by_tg_id=staff_tg_id,
                start_at=starts[0],
                end_at=starts[-1] + timedelta(minutes=resource.slot_minutes),
                minutes=minutes,
                purpose=purpose,
                status=BookingStatus.CONFIRMED,
                created_at=now,
            )
            await _take_places(session, resource, booking, starts, None)
            audit.record(
                session, staff_tg_id, "booking.guest_book", "booking", booking.id, resource=resource.code
            )
    except IntegrityError as exc:
        raise SlotTaken() from exc
    return booking


async def add_long_booking(
    session: AsyncSession,
    resource_code: str,
    user_id: int,
    start_day: date,
    end_day: date,
    purpose: str | None = None,
    *,
    tz: ZoneInfo,
    staff_tg_id: int | None = None,
) -> Booking:
    """Inside the caller's ``write()``: book every open slot from ``start_day`` to ``end_day``.

    For approved applications (the trial office): confirmed at once; the window, notice, duration
    and quota rules do not apply, opening hours, closed dates and capacity do.
    """
    if end_day < start_day:
        raise ValidationFailed("booking.err_long_dates")
    if (end_day - start_day).days >= LONG_BOOKING_MAX_DAYS:
        raise ValidationFailed("booking.err_long_dates")
    resource = await session.scalar(select(Resource).where(Resource.code == resource_code).with_for_update())
    if resource is None:
        raise NotFound("booking.err_resource_gone")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("booking.err_not_found")
    starts = [
        s
        for n in range((end_day - start_day).days + 1)
        for s in day_slots(resource, start_day + timedelta(days=n), tz)
    ]
    if not starts:
        raise ValidationFailed("booking.err_long_closed")
    booking = Booking(
        resource_id=resource.id,
        user_id=user.id,
        start_at=starts[0],
        end_at=starts[-1] + timedelta(minutes=resource.slot_minutes),
        minutes=len(starts) * resource.slot_minutes,
        purpose=clean_purpose(purpose),
        status=BookingStatus.CONFIRMED,
        is_long=True,
        decided_by_tg_id=staff_tg_id,
        decided_at=utcnow() if staff_tg_id else None,
    )
    await _take_places(session, resource, booking, starts, user.id)
    await _queue_reminder(session, booking, resource, user, tz)
    if staff_tg_id is not None:
        audit.record(session, staff_tg_id, "booking.long_book", "booking", booking.id, resource=resource_code)
    return booking


async def create_long_booking(
    session: AsyncSession,
    resource_code: str,
    user_id: int,
    start_day: date,
    end_day: date,
    purpose: str | None = None,
    *,
    tz: ZoneInfo | None = None,
    staff_tg_id: int | None = None,
) -> Booking:
    """``add_long_booking`` in a transaction of its own (call it outside any ``write()``).

    Raises SlotTaken if any of those days is already booked, ValidationFailed if the dates are wrong
    or every day in them is closed.
    """
    tz = tz or ZoneInfo("Asia/Krasnoyarsk")
    try:
        async with write(session):
            return await add_long_booking(
                session, resource_code, user_id, start_day, end_day, purpose, tz=tz, staff_tg_id=staff_tg_id
            )
    except IntegrityError as exc:
        raise SlotTaken() from exc


# --- changing bookings -----------------------------------------------------------------------------


async def _lock_booking(session: AsyncSession, booking_id: int) -> Booking:
    return await locked(session, Booking, booking_id, "booking.err_not_found")


def _clean_reason(reason: str | None) -> str:
    """The staff's reason for a cancellation or a refusal: required, at most 500 characters."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise ValidationFailed("booking.err_reason", n=500)
    return reason


async def _free(session: AsyncSession, booking: Booking) -> None:
    await session.execute(delete(BookingSlot).where(BookingSlot.booking_id == booking.id))
    await notifications.cancel(session, ref_type=REF_TYPE, ref_id=booking.id)


@dataclass
class Changed:
    booking: Booking
    resource: Resource
    user: User | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def cancel_own(
    session: AsyncSession, booking_id: int, user_id: int, *, now: datetime | None = None
) -> Changed:
    """The person cancels their own booking (respecting the cut-off); the places are free at once."""
    now = now or utcnow()
    async with write(session):
        booking = await _lock_booking(session, booking_id)
        if booking.user_id != user_id:
            raise NotFound("booking.err_not_found")
        if booking.status not in ACTIVE_STATUSES:
            raise Conflict("booking.err_not_active")
        resource = await session.get(Resource, booking.resource_id)
        assert resource is not None
        if booking.start_at <= now:
            raise NotAllowed("booking.err_started")
        cutoff = timedelta(minutes=resource.cancel_cutoff_minutes)
        if booking.status == BookingStatus.CONFIRMED and now > booking.start_at - cutoff:
            raise NotAllowed("booking.err_cutoff", cutoff_min=resource.cancel_cutoff_minutes)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        await _free(session, booking)
    return Changed(booking, resource)


async def cancel_by_staff(
    session: AsyncSession, booking_id: int, staff_tg_id: int, reason: str, *, now: datetime | None = None
) -> Changed:
    now = now or utcnow()
    reason = _clean_reason(reason)
    async with write(session):
        booking = await _lock_booking(session, booking_id)
        if booking.status not in ACTIVE_STATUSES:
            raise Conflict("booking.err_not_active")
        if booking.end_at <= now:
            raise NotAllowed("booking.err_over")
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.reason = reason
        booking.decided_by_tg_id = staff_tg_id
        await _free(session, booking)
        audit.record(session, staff_tg_id, "booking.cancel", "booking", booking.id, reason=reason)
        resource = await session.get(Resource, booking.resource_id)
        user = await session.get(User, booking.user_id) if booking.user_id else None
    assert resource is not None
    return Changed(booking, resource, user)


async def decide(
    session: AsyncSession,
    booking_id: int,
    staff_tg_id: int,
    *,
    approve: bool,
    reason: str | None = None,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> Changed:
    """Staff approve or reject a pending request (a reason is required to reject)."""
    now = now or utcnow()
    if not approve:
        reason = _clean_reason(reason)
    async with write(session):
        booking = await _lock_booking(session, booking_id)
        if booking.status != BookingStatus.PENDING:
            raise Conflict("booking.err_decided")
        resource = await session.get(Resource, booking.resource_id)
        user = await session.get(User, booking.user_id) if booking.user_id else None
        assert resource is not None
        booking.decided_by_tg_id = staff_tg_id
        booking.decided_at = now
        if approve:
            if booking.end_at <= now:
                raise NotAllowed("booking.err_over")
            booking.status = BookingStatus.CONFIRMED
            await _queue_reminder(session, booking, resource, user, tz, now)
        else:
            booking.status = BookingStatus.REJECTED
            booking.reason = reason
            await _free(session, booking)
        audit.record(
            session,
            staff_tg_id,
            "booking.approve" if approve else "booking.reject",
            "booking",
            booking.id,
            reason=reason,
        )
    return Changed(booking, resource, user)


async def mark_no_show(
    session: AsyncSession, booking_id: int, staff_tg_id: int, *, now: datetime | None = None
) -> Changed:
    now = now or utcnow()
    async with write(session):
        booking = await _lock_booking(session, booking_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise Conflict("booking.err_not_active")
        if booking.start_at > now:
            raise NotAllowed("booking.err_not_started")
        booking.status = BookingStatus.NO_SHOW
        await notifications.cancel(session, ref_type=REF_TYPE, ref_id=booking.id)
        audit.record(session, staff_tg_id, "booking.no_show", "booking", booking.id)
        resource = await session.get(Resource, booking.resource_id)
    assert resource is not None
    return Changed(booking, resource)


async def mark_coming(
    session: AsyncSession, booking_id: int, user_id: int, *, now: datetime | None = None
) -> Changed:
    """The person answered «Приду» to the reminder."""
    now = now or utcnow()
    async with write(session):
        booking = await _lock_booking(session, booking_id)
        if booking.user_id != user_id:
            raise NotFound("booking.err_not_found")
        if booking.status != BookingStatus.CONFIRMED or booking.end_at <= now:
            raise Conflict("booking.err_not_active")
        booking.coming_at = booking.coming_at or now
        resource = await session.get(Resource, booking.resource_id)
    assert resource is not None
    return Changed(booking, resource)


# --- reading bookings ------------------------------------------------------------------------------


async def get_booking(session: AsyncSession, booking_id: int) -> tuple[Booking, Resource, User | None]:
    row = (
        await session.execute(
            select(Booking, Resource, User)
            .join(Resource, Resource.id == Booking.resource_id)
            .outerjoin(User, User.id == Booking.user_id)
            .where(Booking.id == booking_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound("booking.err_not_found")
    return row[0], row[1], row[2]


async def own_booking(session: AsyncSession, booking_id: int, user_id: int) -> tuple[Booking, Resource]:
    booking, resource, _user = await get_booking(session, booking_id)
    if booking.user_id != user_id:
        raise NotFound("booking.err_not_found")
    return booking, resource


async def upcoming(
    session: AsyncSession, user_id: int, *, now: datetime | None = None, limit: int = UPCOMING_SHOWN
) -> list[tuple[Booking, Resource]]:
    now = now or utcnow()
    rows = await session.execute(
        select(Booking, Resource)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.user_id == user_id, Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)
        .order_by(Booking.start_at)
        .limit(limit)
    )
    return [(b, r) for b, r in rows]


async def past(
    session: AsyncSession, user_id: int, *, now: datetime | None = None, limit: int = PAST_SHOWN
) -> list[tuple[Booking, Resource]]:
    """The last few that are over, cancelled, rejected or missed."""
    now = now or utcnow()
    rows = await session.execute(
        select(Booking, Resource)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Booking.user_id == user_id,
            (Booking.end_at <= now) | Booking.status.not_in(ACTIVE_STATUSES),
        )
        .order_by(Booking.start_at.desc())
        .limit(limit)
    )
    return [(b, r) for b, r in rows]


@dataclass
class DaySchedule:
    resource: Resource
    day: date
    slots: list[tuple[datetime, int]]  # (UTC start, places taken)
    bookings: list[tuple[Booking, User | None]]


async def schedule(session: AsyncSession, resource_id: int, day: date, *, tz: ZoneInfo) -> DaySchedule:
    """A resource's day for staff: occupancy per slot and every booking touching the day."""
    resource = await get_resource(session, resource_id, active_only=False)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = start + timedelta(days=1)
    taken = await _occupancy(session, resource.id, start, end)
    rows = await session.execute(
        select(Booking, User)
        .outerjoin(User, User.id == Booking.user_id)
        .where(
            Booking.resource_id == resource.id,
            Booking.start_at < end,
            Booking.end_at > start,
            Booking.status.in_((*ACTIVE_STATUSES, BookingStatus.NO_SHOW)),
        )
        .order_by(Booking.start_at, Booking.id)
    )
    slots = [(s, taken.get(s, 0)) for s in day_slots(resource, day, tz)]
    return DaySchedule(resource, day, slots, [(b, u) for b, u in rows])


async def pending_requests(session: AsyncSession) -> list[tuple[Booking, Resource, User | None]]:
    rows = await session.execute(
        select(Booking, Resource, User)
        .join(Resource, Resource.id == Booking.resource_id)
        .outerjoin(User, User.id == Booking.user_id)
        .where(Booking.status == BookingStatus.PENDING, Booking.end_at > utcnow())
        .order_by(Booking.start_at)
    )
    return [(b, r, u) for b, r, u in rows]


# --- staff manage resources ------------------------------------------------------------------------

# Editable numeric fields: name -> (minimum, maximum)
NUMERIC_FIELDS: dict[str, tuple[int, int]] = {
    "capacity": (1, 200),
    "people": (0, 500),  # how many people a room holds; 0: not said
    "slot_minutes": (15, 720),
    "min_minutes": (15, 1440),
    "max_minutes": (15, 1440 * 7),
    "horizon_days": (1, 365),
    "min_notice_minutes": (0, 60 * 24 * 30),
    "cancel_cutoff_minutes": (0, 60 * 24 * 30),
    "weekly_quota_minutes": (0, 60 * 24 * 7),
    "org_weekly_quota_minutes": (0, 60 * 24 * 7),
}


def _validate_resource(values: dict[str, Any]) -> None:
    slot = values["slot_minutes"]
    if values["min_minutes"] % slot or values["max_minutes"] % slot:
        raise ValidationFailed("booking.err_res_multiple", slot_min=slot)
    if values["min_minutes"] > values["max_minutes"]:
        raise ValidationFailed("booking.err_res_min_max")


async def update_resource(
    session: AsyncSession, resource_id: int, staff_tg_id: int, field_name: str, value: Any
) -> Resource:
    """Change one setting of a resource (validated), recorded in the audit log.

    Existing bookings keep their places; a smaller capacity or shorter hours only affect new ones.
    """
    async with write(session):
        resource = await _lock_resource_any(session, resource_id)
        if field_name in NUMERIC_FIELDS:
            low, high = NUMERIC_FIELDS[field_name]
            if not isinstance(value, int) or not low <= value <= high:
                raise ValidationFailed("booking.err_res_range", low=low, high=high)
            values = {f: getattr(resource, f) for f in NUMERIC_FIELDS}
            values[field_name] = value
            _validate_resource(values)
            if field_name == "people":
                value = value or None
        elif field_name in ("name", "name_en"):
            value = " ".join(str(value or "").split())
            if not 2 <= len(value) <= RESOURCE_NAME_MAX:
                raise ValidationFailed("booking.err_res_name", n=RESOURCE_NAME_MAX)
        elif field_name in ("needs_approval", "active"):
            value = bool(value)
        elif field_name == "hours":
            value = _validated_hours(value)
        elif field_name == "closed_dates":
            value = sorted({date.fromisoformat(v).isoformat() for v in value})
        else:
            raise ValueError(f"unknown resource field {field_name}")
        old = getattr(resource, field_name)
        setattr(resource, field_name, value)
        audit.record(
            session,
            staff_tg_id,
            "booking.resource_edit",
            "resource",
            resource.id,
            field=field_name,
            old=old,
            new=value,
        )
    return resource


def _validated_hours(value: dict[str, Any]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for weekday, span in value.items():
        if str(weekday) not in {str(d) for d in range(1, 8)}:
            raise ValidationFailed("booking.err_res_hours")
        if not span:
            continue
        start, end = _parse_time(span[0]), _parse_time(span[1])
        if start >= end:
            raise ValidationFailed("booking.err_res_hours")
        result[str(weekday)] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return result


async def _lock_resource_any(session: AsyncSession, resource_id: int) -> Resource:
    return await locked(session, Resource, resource_id, "booking.err_resource_gone")


async def create_resource(session: AsyncSession, staff_tg_id: int, name: str) -> Resource:
    """A new resource with the coworking's rules as a start (capacity 1); staff then adjust it."""
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= RESOURCE_NAME_MAX:
        raise ValidationFailed("booking.err_res_name", n=RESOURCE_NAME_MAX)
    async with write(session):
        position = (await session.scalar(select(func.max(Resource.position)))) or 0
        count = await count_rows(session, Resource)
        code = f"res{count + 1}"
        while await session.scalar(select(Resource.id).where(Resource.code == code)):
            count += 1
            code = f"res{count + 1}"
        spec = {**DEFAULT_RESOURCES[0], "code": code, "name": name, "name_en": None, "capacity": 1}
        spec["position"] = position + 1
        resource = Resource(**spec, closed_dates=[], active=True)
        session.add(resource)
        await session.flush()
        audit.record(session, staff_tg_id, "booking.resource_create", "resource", resource.id, name=name)
    return resource


# --- figures, privacy, digest ----------------------------------------------------------------------


async def figures(session: AsyncSession, since: datetime, until: datetime) -> dict[str, dict[str, int]]:
    """Per resource code: bookings, booked hours, no-shows, cancellations between two moments."""
    rows = await session.execute(
        select(Resource.code, Booking.status, func.count(), func.coalesce(func.sum(Booking.minutes), 0))
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.start_at >= since, Booking.start_at < until)
        .group_by(Resource.code, Booking.status)
    )
    result: dict[str, dict[str, int]] = {}
    for code, status, count, minutes in rows:
        entry = result.setdefault(code, {"bookings": 0, "hours": 0, "no_show": 0, "cancelled": 0})
        if status in (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW):
            entry["bookings"] += count
            entry["hours"] += int(minutes) // 60
        if status == BookingStatus.NO_SHOW:
            entry["no_show"] += count
        if status == BookingStatus.CANCELLED:
            entry["cancelled"] += count
    return result


async def export_bookings(session: AsyncSession, user: User) -> tuple[str, Any]:
    rows = await person_rows(session, Booking, Resource, user.id, Booking.start_at)
    return "bookings", [
        {
            "resource": resource.name,
            "start": booking.start_at.isoformat(),
            "end": booking.end_at.isoformat(),
            "status": booking.status,
            "purpose": booking.purpose,
            "reason": booking.reason,
            "created_at": booking.created_at.isoformat(),
        }
        for booking, resource in rows
    ]


async def erase_bookings(session: AsyncSession, user: User) -> None:
    """Free text the person wrote goes; the bookings stay, anonymous, for the Center's figures."""
    await session.execute(update(Booking).where(Booking.user_id == user.id).values(purpose=None, reason=None))


_display_tz = ZoneInfo("Asia/Krasnoyarsk")


def set_timezone(tz: ZoneInfo) -> None:
    """The zone times are shown in where no settings reach (the weekly digest); set at start-up."""
    global _display_tz
    _display_tz = tz


async def digest_bookings(
    session: AsyncSession, users: Sequence[User], now: datetime, until: datetime
) -> dict[int, list[DigestItem]]:
    """The weekly digest: each person's own bookings in the coming week (one query for the batch)."""
    by_id = {user.id: user for user in users}
    rows = await session.execute(
        select(Booking, Resource)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Booking.user_id.in_(by_id),
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at >= now,
            Booking.start_at < until,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    found: dict[int, list[DigestItem]] = {}
    for booking, resource in rows:
        owner = by_id.get(booking.user_id or 0)
        if owner is None:
            continue
        text = html.escape(f"{resource.title(owner.language)}: ", quote=False)
        found.setdefault(owner.id, []).append(DigestItem(text=text, when=(booking.start_at, booking.end_at)))
    return found
