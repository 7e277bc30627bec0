"""Events: staff publish them, people sign up, wait, get offers, check in and give feedback.

The core rules, all enforced inside one short write transaction each:

* A place is held by a CONFIRMED sign-up or by an OFFERED one (a freed place offered from the
  wait-list, held until ``offer_expires_at``). Held places never exceed ``capacity``.
* Every write that can change who holds a place first locks the event row (``SELECT ... FOR UPDATE``
  on PostgreSQL; on SQLite :func:`db.engine.write` already serialises writers with
  ``BEGIN IMMEDIATE``), expires overdue offers, and then fills free places from the wait-list in
  order: after each write either every place is held or nobody is waiting.
* One sign-up row per (event, person) (a unique constraint); cancelling and signing up again reuses it.

Messages to people (offers, reminders, cancellations, feedback questions) are notification outbox
rows queued in the same transaction (see services.notifications), so nothing is sent from inside it.
"""

from __future__ import annotations

import hmac
import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import AuditLog, Event, EventSignup, EventStatus, Notification, SignupStatus, User, UserStatus
from db.models.events import ACTIVE, HOLDING
from services import audit, dates, notifications
from services.digest import DigestItem
from services.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from services.rows import count_rows, locked, person_rows

KINDS = ("training", "seminar", "expo", "meeting", "online")
PLACE_KINDS = ("center", "address", "online")
TITLE_MAX = 150
DESCRIPTION_MAX = 2000
PLACE_MAX = 300
COMMENT_MAX = 1000
CAPACITY_MAX = 10_000
CENTER_DISTRICT = "krasnoturansky"
DEFAULT_OFFER_TTL = timedelta(hours=12)
CHECKIN_EARLY = timedelta(hours=1)
"""Self check-in opens this long before the start and closes at the end."""
FEEDBACK_WINDOW = timedelta(days=7)
REMINDER_FIXED_LEAD = timedelta(hours=2)
DIGEST_HORIZON = timedelta(days=14)
REF = "event"

# Notice kinds (the outbox sender renders payload["text"] with payload["params"]).
N_REMINDER = "event.reminder"
REMINDERS = notifications.Reminders(N_REMINDER, REF)
N_OFFER = "event.offer"
N_OFFER_EXPIRED = "event.offer_expired"
N_CANCELLED = "event.cancelled"
N_CHANGED = "event.changed"
N_ANNOUNCE = "event.announce"
N_FEEDBACK = "event.feedback"
N_PROMOTED = "event.promoted"

_tz: ZoneInfo = ZoneInfo("Asia/Krasnoyarsk")


def set_timezone(tz: ZoneInfo) -> None:
    """The zone event times are shown in (settings.tz); set once when the bot is wired."""
    global _tz
    _tz = tz
    dates.set_zone(tz)


def display_tz() -> ZoneInfo:
    return _tz


# --- errors ---------------------------------------------------------------------------------------


class EventFull(Conflict):
    key = "events.err_full"


# --- formatting (used for notices queued here and by the handlers) ----------------------------------


def fmt_dt(value: datetime, tz: ZoneInfo | None = None, gettext: dates.Gettext | None = None) -> str:
    """«пт, 5 декабря, 14:00» with the reader's ``gettext`` (services.dates); without one (a spreadsheet
    cell, a text baked here) the plain «05.12.2026 14:00»."""
    if gettext is not None:
        return dates.moment_text(value, tz or _tz, gettext)
    return value.astimezone(tz or _tz).strftime("%d.%m.%Y %H:%M")


def fmt_when(event: Event, tz: ZoneInfo | None = None, gettext: dates.Gettext | None = None) -> str:
    """«пт, 5 декабря, 14:00–16:00» with the reader's ``gettext``; the plain style without one."""
    tz = tz or _tz
    if gettext is not None:
        return dates.span_text(event.starts_at, event.ends_at, tz, gettext)
    start = event.starts_at.astimezone(tz)
    end = event.ends_at.astimezone(tz)
    if start.date() == end.date():
        return f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}"
    return f"{start:%d.%m.%Y %H:%M} – {end:%d.%m.%Y %H:%M}"


def _params(event: Event, participant: bool = False, **extra: Any) -> dict[str, Any]:
    """Notice parameters. An online event's link is only shown to those who hold a place."""
    place: Any = _quote(event.place)
    if event.place_kind == "online" and not participant:
        place = {"t": "events.place_online_short"}  # translated by the outbox sender
    return {
        "title": _quote(event.title),
        "when": {"span": [event.starts_at.isoformat(), event.ends_at.isoformat()]},  # dated by the outbox
        "place": place,
        "event_id": event.id,
        **extra,
    }


def _cb(action: str, event_id: int, value: int = 0) -> str:
    """Callback data of the person's event buttons (keyboards.events.EvCb packs the same)."""
    return f"ev:{action}:{event_id}:{value}"


# --- input validation (pure) ----------------------------------------------------------------------

_SPACES = re.compile(r"[ \t]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DATE_TIME = re.compile(
    r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\s*(?:,|\s)\s*(\d{1,2})[:.](\d{2})\s*$"
)
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def clean_text(text: str | None, max_len: int, key: str, min_len: int = 2, multiline: bool = False) -> str:
    value = (text or "").strip()
    if not multiline:
        value = " ".join(value.split())
    else:
        value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.splitlines()).strip()
    if _CONTROL.search(value) or not (min_len <= len(value) <= max_len):
        raise ValidationFailed(key, n=max_len)
    return value


def clean_title(text: str | None) -> str:
    return clean_text(text, TITLE_MAX, "events.bad_title")


def clean_description(text: str | None) -> str:
    return clean_text(text, DESCRIPTION_MAX, "events.bad_description", multiline=True)


def clean_place(place_kind: str, text: str | None) -> str:
    if place_kind == "online":
        value = (text or "").strip()
        if len(value) > PLACE_MAX or not _URL.match(value):
            raise ValidationFailed("events.bad_url")
        return value
    return clean_text(text, PLACE_MAX, "events.bad_place")


def clean_comment(text: str | None) -> str:
    return clean_text(text, COMMENT_MAX, "events.bad_comment", min_len=1, multiline=True)


def clean_capacity(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isdigit() or not (1 <= int(value) <= CAPACITY_MAX):
        raise ValidationFailed("events.bad_capacity", max=CAPACITY_MAX)
    return int(value)


def parse_local(text: str | None, now: datetime, tz: ZoneInfo | None = None) -> datetime:
    """«25.12.2026 14:00», «25.12 14:00» (the next such date) -> an aware UTC datetime."""
    tz = tz or _tz
    match = _DATE_TIME.match(text or "")
    if not match:
        raise ValidationFailed("events.bad_datetime")
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(tz)
    try:
        if year is None:
            value = datetime(local_now.year, int(month), int(day), int(hour), int(minute), tzinfo=tz)
            if value < local_now - timedelta(days=1):
                value = value.replace(year=local_now.year + 1)
        else:
            full_year = int(year) + 2000 if len(year) == 2 else int(year)
            value = datetime(full_year, int(month), int(day), int(hour), int(minute), tzinfo=tz)
    except ValueError as exc:
        raise ValidationFailed("events.bad_datetime") from exc
    return value.astimezone(now.tzinfo)


def parse_end(text: str | None, start: datetime, tz: ZoneInfo | None = None) -> datetime:
    """The end: «16:30» (the same day as the start) or a full date and time."""
    tz = tz or _tz
    match = _TIME.match(text or "")
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise ValidationFailed("events.bad_end")
        local = start.astimezone(tz)
        value = datetime.combine(local.date(), time(hour, minute), tzinfo=tz).astimezone(start.tzinfo)
    else:
        try:
            value = parse_local(text, start, tz)
        except ValidationFailed as exc:
            raise ValidationFailed("events.bad_end") from exc
    if value <= start:
        raise ValidationFailed("events.end_before_start")
    return value


def _quote(value: str) -> str:
    """HTML-escape people's text for a message (quotes left as they are)."""
    return html.escape(value, quote=False)


@dataclass
class Draft:
    """A validated event as staff entered it (FSM data holds its JSON form, see to_data/from_data)."""

    title: str
    description: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    place_kind: str
    place: str
    district: str | None
    capacity: int | None
    reg_deadline: datetime
    audience: list[str] = field(default_factory=list)
    poster_file_id: str | None = None


def draft_from_data(data: dict[str, Any]) -> Draft:
    """Validate FSM data of the staff dialog; raises ValidationFailed naming the first bad field."""
    from services.users import DISTRICTS, TARGET_GROUPS

    try:
        starts_at = datetime.fromisoformat(data["starts_at"])
        ends_at = datetime.fromisoformat(data["ends_at"])
        deadline = datetime.fromisoformat(data["reg_deadline"]) if data.get("reg_deadline") else starts_at
        kind = data["kind"]
        place_kind = data["place_kind"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed("events.draft_incomplete") from exc
    if kind not in KINDS or place_kind not in PLACE_KINDS:
        raise ValidationFailed("events.draft_incomplete")
    if ends_at <= starts_at:
        raise ValidationFailed("events.end_before_start")
    if deadline > starts_at:
        raise ValidationFailed("events.deadline_after_start")
    district = data.get("district")
    if district is not None and district not in DISTRICTS:
        raise ValidationFailed("events.draft_incomplete")
    capacity = data.get("capacity")
    if capacity is not None and not (isinstance(capacity, int) and 1 <= capacity <= CAPACITY_MAX):
        raise ValidationFailed("events.bad_capacity", max=CAPACITY_MAX)
    audience = [g for g in data.get("audience") or [] if g in TARGET_GROUPS]
    return Draft(
        title=clean_title(data.get("title")),
        description=clean_description(data.get("description")),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        place_kind=place_kind,
        place=clean_place(place_kind, data.get("place")),
        district=None if place_kind == "online" else district,
        capacity=capacity,
        reg_deadline=deadline,
        audience=audience,
        poster_file_id=data.get("poster_file_id"),
    )


def event_to_data(event: Event) -> dict[str, Any]:
    """An event as the staff dialog's FSM data (for editing)."""
    return {
        "title": event.title,
        "description": event.description,
        "kind": event.kind,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place_kind": event.place_kind,
        "place": event.place,
        "district": event.district,
        "capacity": event.capacity,
        "reg_deadline": event.reg_deadline.isoformat(),
        "audience": list(event.audience or []),
        "poster_file_id": event.poster_file_id,
    }


# --- reads ----------------------------------------------------------------------------------------


async def get_event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id, populate_existing=True)


async def holding_count(session: AsyncSession, event_id: int) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(EventSignup)
            .where(EventSignup.event_id == event_id, EventSignup.status.in_(HOLDING))
        )
        or 0
    )


async def counts(session: AsyncSession, event_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(EventSignup.status, func.count())
        .where(EventSignup.event_id == event_id)
        .group_by(EventSignup.status)
    )
    result = {str(status): count for status, count in rows}
    checked = await session.scalar(
        select(func.count())
        .select_from(EventSignup)
        .where(EventSignup.event_id == event_id, EventSignup.checked_in_at.is_not(None))
    )
    result["checked_in"] = checked or 0
    rated, average = (
        await session.execute(
            select(func.count(EventSignup.rating), func.avg(EventSignup.rating)).where(
                EventSignup.event_id == event_id, EventSignup.rating.is_not(None)
            )
        )
    ).one()
    result["rated"] = rated or 0
    result["rating_x10"] = round(float(average) * 10) if average is not None else 0
    return result


async def feedback(session: AsyncSession, event_id: int, limit: int = 30) -> list[tuple[EventSignup, User]]:
    """The newest ratings of the event, with the people who gave them."""
    rows = await session.execute(
        select(EventSignup, User)
        .join(User, User.id == EventSignup.user_id)
        .where(EventSignup.event_id == event_id, EventSignup.rating.is_not(None))
        .order_by(EventSignup.feedback_at.desc(), EventSignup.id.desc())
        .limit(limit)
    )
    return [(signup, user) for signup, user in rows]


def places_left(event: Event, holding: int) -> int | None:
    return None if event.capacity is None else max(event.capacity - holding, 0)


async def signup_of(session: AsyncSession, user_id: int, event_id: int) -> EventSignup | None:
    return await session.scalar(
        select(EventSignup)
        .where(EventSignup.event_id == event_id, EventSignup.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def waiting_position(session: AsyncSession, signup: EventSignup) -> int:
    ahead = await count_rows(
        session,
        EventSignup,
        EventSignup.event_id == signup.event_id,
        EventSignup.status == SignupStatus.WAITING,
        or_(
            EventSignup.created_at < signup.created_at,
            and_(EventSignup.created_at == signup.created_at, EventSignup.id < signup.id),
        ),
    )
    return ahead + 1


async def upcoming(
    session: AsyncSession, now: datetime, offset: int = 0, limit: int = 5
) -> tuple[list[tuple[Event, int]], int]:
    """Published events that have not started, soonest first, with the places each holds."""
    where = (Event.status == EventStatus.PUBLISHED, Event.starts_at > now)
    total = await session.scalar(select(func.count()).select_from(Event).where(*where)) or 0
    events = list(
        await session.scalars(
            select(Event).where(*where).order_by(Event.starts_at, Event.id).offset(offset).limit(limit)
        )
    )
    held = await _held_by(session, [e.id for e in events])
    return [(e, held.get(e.id, 0)) for e in events], total


async def _held_by(session: AsyncSession, event_ids: Sequence[int]) -> dict[int, int]:
    if not event_ids:
        return {}
    rows = await session.execute(
        select(EventSignup.event_id, func.count())
        .where(EventSignup.event_id.in_(event_ids), EventSignup.status.in_(HOLDING))
        .group_by(EventSignup.event_id)
    )
    return {event_id: count for event_id, count in rows}


async def my_signups(session: AsyncSession, user_id: int, now: datetime) -> list[tuple[EventSignup, Event]]:
    """The person's active sign-ups for published events that have not ended yet."""
    rows = await session.execute(
        select(EventSignup, Event)
        .join(Event, Event.id == EventSignup.event_id)
        .where(
            EventSignup.user_id == user_id,
            EventSignup.status.in_(ACTIVE),
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at > now,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [(signup, event) for signup, event in rows]


async def participants(session: AsyncSession, event_id: int) -> list[tuple[EventSignup, User]]:
    """Active sign-ups (confirmed and offered first, then the wait-list in order)."""
    order = {SignupStatus.CONFIRMED: 0, SignupStatus.OFFERED: 1, SignupStatus.WAITING: 2}
    rows = await session.execute(
        select(EventSignup, User)
        .join(User, User.id == EventSignup.user_id)
        .where(EventSignup.event_id == event_id, EventSignup.status.in_(ACTIVE))
        .order_by(EventSignup.created_at, EventSignup.id)
    )
    result = [(signup, user) for signup, user in rows]
    result.sort(key=lambda pair: order.get(SignupStatus(pair[0].status), 9))
    return result


async def staff_events(session: AsyncSession, now: datetime, limit: int = 30) -> list[tuple[Event, int]]:
    """Drafts and published events not ended more than a week ago, plus recently cancelled ones."""
    events = list(
        await session.scalars(
            select(Event)
            .where(Event.ends_at > now - timedelta(days=7))
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
    )
    held = await _held_by(session, [e.id for e in events])
    return [(e, held.get(e.id, 0)) for e in events]


def matches(event: Event, user: User) -> bool:
    """The event fits the person's interests: audience and districts (online fits everyone)."""
    if event.audience and user.target_group not in event.audience:
        return False
    if event.district is None:
        return True
    districts = set(user.interest_districts or [])
    if user.district:
        districts.add(user.district)
    return not districts or event.district in districts


# --- locking helpers ------------------------------------------------------------------------------


async def _lock_event(session: AsyncSession, event_id: int) -> Event:
    return await locked(session, Event, event_id, "events.err_not_found")


async def _lock_signup(session: AsyncSession, event_id: int, user_id: int) -> EventSignup | None:
    return await session.scalar(
        select(EventSignup)
        .where(EventSignup.event_id == event_id, EventSignup.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _bookable(event: Event, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise NotAllowed("events.err_cancelled")
    if event.status != EventStatus.PUBLISHED:
        raise NotFound("events.err_not_found")
    if now >= event.starts_at:
        raise NotAllowed("events.err_started")
    if now > event.reg_deadline:
        raise NotAllowed("events.err_deadline", deadline=event.reg_deadline)


# --- notices --------------------------------------------------------------------------------------


async def _queue_reminders(session: AsyncSession, user: User, event: Event, now: datetime) -> None:
    """A day before (the person's own lead) and two hours before; a moment already past is skipped
    (no reminder right after signing up for an event later today)."""
    buttons = [
        [["events.btn_will_come", _cb("yes", event.id)], ["events.btn_cant_come", _cb("no", event.id)]]
    ]
    payload = {"text": "events.n_reminder", "params": _params(event, participant=True), "buttons": buttons}
    own_lead = timedelta(minutes=user.reminder_lead_minutes)
    leads: dict[str, timedelta | None] = {"1d": None}  # None: the person's own lead
    if own_lead > REMINDER_FIXED_LEAD:
        leads["2h"] = REMINDER_FIXED_LEAD
    for suffix, lead in leads.items():
        if event.starts_at - (lead or own_lead) > now:
            await REMINDERS.queue(
                session, user, event.id, event.starts_at, payload, lead=lead, key_suffix=suffix, now=now
            )


async def _notice(
    session: AsyncSession,
    user: User,
    event: Event,
    kind: str,
    text: str,
    now: datetime,
    *,
    buttons: list[list[list[str]]] | None = None,
    expires_at: datetime | None = None,
    due_at: datetime | None = None,
    quiet: bool = False,
    extra: str = "",
    participant: bool = False,
    **params: Any,
) -> None:
    payload: dict[str, Any] = {"text": text, "params": _params(event, participant, **params)}
    if buttons:
        payload["buttons"] = buttons
    await notifications.queue(
        session,
        user=user,
        kind=kind,
        due_at=due_at or now,
        ref_type=REF,
        ref_id=event.id,
        payload=payload,
        expires_at=expires_at,
        quiet=quiet,
        key=notifications.make_key(kind, REF, event.id, user.id, extra),
    )


async def _cancel_person_notices(session: AsyncSession, event_id: int, user_id: int, *kinds: str) -> None:
    for kind in kinds:
        await notifications.cancel(session, ref_type=REF, ref_id=event_id, user_id=user_id, kind=kind)


# --- the wait-list engine ---------------------------------------------------------------------------


async def _expire_offers(session: AsyncSession, event: Event, now: datetime) -> list[EventSignup]:
    """Overdue offers of this event become EXPIRED (their holders are told). Call with the event locked."""
    expired = list(
        await session.scalars(
            select(EventSignup)
            .where(
                EventSignup.event_id == event.id,
                EventSignup.status == SignupStatus.OFFERED,
                EventSignup.offer_expires_at <= now,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    for signup in expired:
        signup.status = SignupStatus.EXPIRED
        signup.cancelled_at = now
        user = await session.get(User, signup.user_id)
        await _cancel_person_notices(session, event.id, signup.user_id, N_OFFER)
        if user is not None:
            await _notice(
                session,
                user,
                event,
                N_OFFER_EXPIRED,
                "events.n_offer_expired",
                now,
                expires_at=now + timedelta(days=1),
                extra=str(int(now.timestamp())),
            )
    await session.flush()
    return expired


async def _fill_places(session: AsyncSession, event: Event, now: datetime, offer_ttl: timedelta) -> int:
    """Offer free places to the wait-list, first come first served. Call with the event locked."""
    if event.status != EventStatus.PUBLISHED or now >= event.starts_at:
        return 0
    waiting_query = (
        select(EventSignup)
        .where(EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITING)
        .order_by(EventSignup.created_at, EventSignup.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if event.capacity is None:
        promoted = list(await session.scalars(waiting_query))
        for signup in promoted:
            signup.status = SignupStatus.CONFIRMED
            signup.confirmed_at = now
            user = await session.get(User, signup.user_id)
            if user is not None:
                await _notice(
                    session,
                    user,
                    event,
                    N_PROMOTED,
                    "events.n_promoted",
                    now,
                    participant=True,
                    extra=str(int(now.timestamp())),
                )
                await _queue_reminders(session, user, event, now)
        await session.flush()
        return len(promoted)
    free = event.capacity - await holding_count(session, event.id)
    if free <= 0:
        return 0
    expires = min(now + offer_ttl, event.starts_at)
    offered = 0
    for signup in await session.scalars(waiting_query):
        if offered >= free:
            break
        user = await session.get(User, signup.user_id)
        if user is None or user.unreachable_at is not None or user.tg_id is None:
            # blocked the bot or erased: an offer could not reach them, so it goes to the next person
            signup.status = SignupStatus.EXPIRED
            signup.cancelled_at = now
            continue
        signup.status = SignupStatus.OFFERED
        signup.offered_at = now
        signup.offer_expires_at = expires
        offered += 1
        buttons = [
            [["events.btn_offer_yes", _cb("oy", event.id)], ["events.btn_offer_no", _cb("on", event.id)]]
        ]
        await _notice(
            session,
            user,
            event,
            N_OFFER,
            "events.n_offer",
            now,
            buttons=buttons,
            expires_at=expires,
            extra=str(int(now.timestamp())),
            until={"at": expires.isoformat()},  # dated by the outbox
        )
    await session.flush()
    return offered


# --- what a person does -----------------------------------------------------------------------------


@dataclass
class SignupResult:
    signup: EventSignup
    event: Event
    status: str
    position: int = 0  # on the wait-list


async def sign_up(
    session: AsyncSession,
    user: User,
    event_id: int,
    *,
    waitlist: bool = False,
    now: datetime | None = None,
    offer_ttl: timedelta = DEFAULT_OFFER_TTL,
) -> SignupResult:
    """Sign the person up (a place if one is free), or put them on the wait-list if ``waitlist``.

    Raises EventFull when no place is free and ``waitlist`` is False; Conflict when already signed up.
    """
    now = now or utcnow()
    try:
        async with write(session):
            event = await _lock_event(session, event_id)
            _bookable(event, now)
            if await _expire_offers(session, event, now):
                # the invariant (full, or nobody waiting) holds after every write; only an expiry breaks it
                await _fill_places(session, event, now, offer_ttl)
            signup = await _lock_signup(session, event_id, user.id)
            if signup is not None and signup.status in ACTIVE:
                raise Conflict("events.err_already_" + signup.status)
            held = await holding_count(session, event_id)
            if event.capacity is None or held < event.capacity:
                status = SignupStatus.CONFIRMED
            elif waitlist:
                status = SignupStatus.WAITING
            else:
                raise EventFull()
            if signup is None:
                signup = EventSignup(event_id=event_id, user_id=user.id, status=status, created_at=now)
                session.add(signup)
            else:
                signup.status = status
                signup.created_at = now
                signup.cancelled_at = signup.offered_at = signup.offer_expires_at = None
                signup.will_come_at = signup.checked_in_at = signup.checked_in_by = None
            signup.confirmed_at = now if status == SignupStatus.CONFIRMED else None
            await session.flush()
            if status == SignupStatus.CONFIRMED:
                await _queue_reminders(session, user, event, now)
            position = await waiting_position(session, signup) if status == SignupStatus.WAITING else 0
    except IntegrityError as exc:
        raise Conflict("events.err_already_confirmed") from exc
    return SignupResult(signup, event, status, position)


async def cancel_signup(
    session: AsyncSession,
    user: User,
    event_id: int,
    *,
    now: datetime | None = None,
    offer_ttl: timedelta = DEFAULT_OFFER_TTL,
) -> EventSignup:
    """The person cancels (or says «Не смогу»): the place goes to the first person waiting."""
    now = now or utcnow()
    async with write(session):
        event = await _lock_event(session, event_id)
        signup = await _lock_signup(session, event_id, user.id)
        if signup is None or signup.status not in ACTIVE:
            raise Conflict("events.err_not_signed_up")
        if now >= event.starts_at and event.status == EventStatus.PUBLISHED:
            raise NotAllowed("events.err_started")
        signup.status = SignupStatus.CANCELLED
        signup.cancelled_at = now
        signup.offer_expires_at = None
        await session.flush()
        await _cancel_person_notices(session, event_id, user.id, N_REMINDER, N_OFFER, N_FEEDBACK)
        await _expire_offers(session, event, now)
        await _fill_places(session, event, now, offer_ttl)
    return signup


async def _resolve_offer(
    session: AsyncSession, user: User, event_id: int, accept: bool, now: datetime, offer_ttl: timedelta
) -> EventSignup:
    error: DomainError | None = None
    async with write(session):
        event = await _lock_event(session, event_id)
        signup = await _lock_signup(session, event_id, user.id)
        if signup is None or signup.status != SignupStatus.OFFERED:
            if signup is not None and signup.status == SignupStatus.CONFIRMED and accept:
                return signup  # pressed twice
            raise Conflict("events.err_no_offer")
        if event.status == EventStatus.CANCELLED:
            raise NotAllowed("events.err_cancelled")
        if signup.offer_expires_at is not None and signup.offer_expires_at <= now:
            # The job has not got to it yet: expire it now, pass the place on, and say so.
            await _expire_offers(session, event, now)
            await _fill_places(session, event, now, offer_ttl)
            error = Conflict("events.err_offer_expired")
        elif accept:
            signup.status = SignupStatus.CONFIRMED
            signup.confirmed_at = now
            signup.offer_expires_at = None
            await _cancel_person_notices(session, event_id, user.id, N_OFFER)
            await _queue_reminders(session, user, event, now)
        else:
            signup.status = SignupStatus.DECLINED
            signup.cancelled_at = now
            signup.offer_expires_at = None
            await session.flush()
            await _cancel_person_notices(session, event_id, user.id, N_OFFER)
            await _fill_places(session, event, now, offer_ttl)
    if error is not None:
        raise error
    return signup


async def confirm_offer(
    session: AsyncSession,
    user: User,
    event_id: int,
    *,
    now: datetime | None = None,
    offer_ttl: timedelta = DEFAULT_OFFER_TTL,
) -> EventSignup:
    return await _resolve_offer(session, user, event_id, True, now or utcnow(), offer_ttl)


async def decline_offer(
    session: AsyncSession,
    user: User,
    event_id: int,
    *,
    now: datetime | None = None,
    offer_ttl: timedelta = DEFAULT_OFFER_TTL,
) -> EventSignup:
    return await _resolve_offer(session, user, event_id, False, now or utcnow(), offer_ttl)


async def will_come(
    session: AsyncSession, user: User, event_id: int, *, now: datetime | None = None
) -> Event:
    """«Буду» on a reminder."""
    now = now or utcnow()
    async with write(session):
        event = await _lock_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise NotAllowed("events.err_cancelled")
        signup = await _lock_signup(session, event_id, user.id)
        if signup is None or signup.status != SignupStatus.CONFIRMED:
            raise Conflict("events.err_not_signed_up")
        signup.will_come_at = now
    return event


async def expire_offers(
    session: AsyncSession, *, now: datetime | None = None, offer_ttl: timedelta = DEFAULT_OFFER_TTL
) -> int:
    """Expire every overdue offer and pass the places on (the periodic job). Returns offers expired."""
    now = now or utcnow()
    event_ids = list(
        await session.scalars(
            select(EventSignup.event_id)
            .where(EventSignup.status == SignupStatus.OFFERED, EventSignup.offer_expires_at <= now)
            .distinct()
        )
    )
    total = 0
    for event_id in event_ids:
        async with write(session):
            event = await _lock_event(session, event_id)
            total += len(await _expire_offers(session, event, now))
            await _fill_places(session, event, now, offer_ttl)
    return total


# --- check-in and feedback ----------------------------------------------------------------------------


async def _queue_feedback(session: AsyncSession, user: User, event: Event, now: datetime) -> None:
    buttons = [[[f"events.btn_rate_{n}", _cb("rate", event.id, n)] for n in range(1, 6)]]
    await _notice(
        session,
        user,
        event,
        N_FEEDBACK,
        "events.n_feedback",
        now,
        buttons=buttons,
        due_at=max(event.ends_at, now),
        expires_at=event.ends_at + FEEDBACK_WINDOW,
    )


async def toggle_checkin(
    session: AsyncSession, actor_tg_id: int, event_id: int, signup_id: int, *, now: datetime | None = None
) -> EventSignup:
    """Staff tick (or untick) a participant as present."""
    now = now or utcnow()
    async with write(session):
        event = await _lock_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise NotAllowed("events.err_cancelled")
        signup = await session.scalar(
            select(EventSignup)
            .where(EventSignup.id == signup_id, EventSignup.event_id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if signup is None or signup.status not in HOLDING:
            raise Conflict("events.err_not_participant")
        user = await session.get(User, signup.user_id)
        if signup.checked_in_at is None:
            if signup.status == SignupStatus.OFFERED:
                signup.status = SignupStatus.CONFIRMED
                signup.confirmed_at = now
                signup.offer_expires_at = None
                await _cancel_person_notices(session, event_id, signup.user_id, N_OFFER)
            signup.checked_in_at = now
            signup.checked_in_by = actor_tg_id
            if user is not None:
                await _queue_feedback(session, user, event, now)
        else:
            signup.checked_in_at = None
            signup.checked_in_by = None
            await _cancel_person_notices(session, event_id, signup.user_id, N_FEEDBACK)
        audit.record(
            session,
            actor_tg_id,
            "event.checkin" if signup.checked_in_at else "event.checkin_undo",
            REF,
            event_id,
            signup_id=signup.id,
        )
    return signup


@dataclass
class CheckinResult:
    event: Event
    signup: EventSignup
    already: bool = False
    walk_in: bool = False


async def self_checkin(
    session: AsyncSession, user: User, event_id: int, code: str, *, now: datetime | None = None
) -> CheckinResult:
    """The person scanned the code at the door. Someone not signed up is let in if a place is free."""
    now = now or utcnow()
    async with write(session):
        event = await _lock_event(session, event_id)
        expected = day_code(event, checkin_day(event, now))  # each event day has its own code
        if not hmac.compare_digest(expected.encode(), (code or "").upper().encode()):
            raise ValidationFailed("events.err_bad_code")
        if event.status == EventStatus.CANCELLED:
            raise NotAllowed("events.err_cancelled")
        if event.status != EventStatus.PUBLISHED:
            raise NotFound("events.err_not_found")
        if now < event.starts_at - CHECKIN_EARLY:
            raise NotAllowed("events.err_checkin_early", when=event.starts_at - CHECKIN_EARLY)
        if now > event.ends_at:
            raise NotAllowed("events.err_checkin_over")
        await _expire_offers(session, event, now)
        signup = await _lock_signup(session, event_id, user.id)
        if signup is not None and signup.checked_in_at is not None and signup.status in HOLDING:
            return CheckinResult(event, signup, already=True)
        walk_in = False
        if signup is None or signup.status not in HOLDING:
            held = await holding_count(session, event_id)
            if event.capacity is not None and held >= event.capacity:
                raise EventFull("events.err_checkin_full")
            walk_in = True
            if signup is None:
                signup = EventSignup(
                    event_id=event_id, user_id=user.id, status=SignupStatus.CONFIRMED, created_at=now
                )
                session.add(signup)
            else:
                signup.created_at = now
                signup.cancelled_at = None
        if signup.status == SignupStatus.OFFERED:
            await _cancel_person_notices(session, event_id, user.id, N_OFFER)
        signup.status = SignupStatus.CONFIRMED
        signup.confirmed_at = signup.confirmed_at or now
        signup.offer_expires_at = None
        signup.checked_in_at = now
        signup.checked_in_by = None
        await session.flush()
        await _cancel_person_notices(session, event_id, user.id, N_REMINDER)
        await _queue_feedback(session, user, event, now)
    return CheckinResult(event, signup, walk_in=walk_in)


async def rate(
    session: AsyncSession, user: User, event_id: int, rating: int, *, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    if not 1 <= rating <= 5:
        raise ValidationFailed("events.bad_rating")
    async with write(session):
        event = await _lock_event(session, event_id)
        signup = await _lock_signup(session, event_id, user.id)
        if signup is None or signup.checked_in_at is None:
            raise NotAllowed("events.err_feedback_not_present")
        if now > event.ends_at + FEEDBACK_WINDOW:
            raise NotAllowed("events.err_feedback_closed")
        signup.rating = rating
        signup.feedback_at = now
        await _cancel_person_notices(session, event_id, user.id, N_FEEDBACK)
    return event


async def comment(session: AsyncSession, user: User, event_id: int, text: str | None) -> None:
    value = clean_comment(text)
    async with write(session):
        signup = await _lock_signup(session, event_id, user.id)
        if signup is None or signup.rating is None:
            raise NotAllowed("events.err_feedback_not_present")
        signup.comment = value


# --- what staff do ------------------------------------------------------------------------------------


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def checkin_day(event: Event, now: datetime) -> date:
    """The event day a check-in at ``now`` belongs to (local): today, kept within the event's days."""
    tz = display_tz()
    first, last = event.starts_at.astimezone(tz).date(), event.ends_at.astimezone(tz).date()
    return min(max(now.astimezone(tz).date(), first), last)


def day_code(event: Event, day: date) -> str:
    """The door code of one event day. The first day's is the stored code; every further day gets its own,
    derived from the stored (secret) code and the date, so yesterday's photo of the QR does not work today."""
    if day <= event.starts_at.astimezone(display_tz()).date():
        return event.checkin_code
    digest = hmac.new(
        event.checkin_code.encode(), f"{event.id}:{day.isoformat()}".encode(), "sha256"
    ).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:6])


@dataclass
class DoorCode:
    code: str
    day: date
    renewed_at: datetime  # when this code came into force (the day began, or staff renewed it)
    valid_until: datetime


async def door_code(session: AsyncSession, event: Event, now: datetime) -> DoorCode:
    """The code to show at the door now, with when it was renewed and until when it works."""
    tz = display_tz()
    day = checkin_day(event, now)
    day_start = datetime.combine(day, time(0, 0), tzinfo=tz)
    renewed = max(event.starts_at - CHECKIN_EARLY, day_start)
    manual = await session.scalar(
        select(func.max(AuditLog.at)).where(
            AuditLog.action == "event.new_code", AuditLog.object_type == REF, AuditLog.object_id == event.id
        )
    )
    if manual is not None and manual > renewed and manual.astimezone(tz).date() == day:
        renewed = manual
    valid_until = min(event.ends_at, day_start + timedelta(days=1))
    return DoorCode(day_code(event, day), day, renewed, valid_until)


async def create_event(
    session: AsyncSession, actor_tg_id: int, draft: Draft, *, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    if draft.starts_at <= now:
        raise ValidationFailed("events.start_in_past")
    async with write(session):
        event = Event(
            title=draft.title,
            description=draft.description,
            kind=draft.kind,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            place_kind=draft.place_kind,
            place=draft.place,
            district=draft.district,
            capacity=draft.capacity,
            reg_deadline=draft.reg_deadline,
            audience=draft.audience,
            poster_file_id=draft.poster_file_id,
            status=EventStatus.DRAFT,
            checkin_code=new_code(),
            created_by=actor_tg_id,
            created_at=now,
        )
        session.add(event)
        await session.flush()
        audit.record(session, actor_tg_id, "event.create", REF, event.id, title=draft.title)
    return event


@dataclass
class UpdateResult:
    event: Event
    changed: list[str]
    told: int = 0


async def update_event(
    session: AsyncSession,
    actor_tg_id: int,
    event_id: int,
    draft: Draft,
    *,
    now: datetime | None = None,
    offer_ttl: timedelta = DEFAULT_OFFER_TTL,
) -> UpdateResult:
    """Apply staff edits. Changed time or place: everyone signed up is told, reminders move."""
    now = now or utcnow()
    async with write(session):
        event = await _lock_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise NotAllowed("events.err_cancelled")
        fields = (
            "title", "description", "kind", "starts_at", "ends_at", "place_kind", "place", "district",
            "capacity", "reg_deadline", "audience", "poster_file_id",
        )  # fmt: skip
        changed = [name for name in fields if getattr(event, name) != getattr(draft, name)]
        if not changed:
            return UpdateResult(event, [])
        if ("starts_at" in changed or "ends_at" in changed) and draft.starts_at <= now < event.starts_at:
            raise ValidationFailed("events.start_in_past")
        held = await holding_count(session, event_id)
        if draft.capacity is not None and draft.capacity < held:
            raise ValidationFailed("events.err_capacity_below", held=held)
        for name in changed:
            setattr(event, name, getattr(draft, name))
        await session.flush()
        told = 0
        if event.status == EventStatus.PUBLISHED and {"starts_at", "ends_at", "place", "place_kind"} & set(
            changed
        ):
            rows = await session.execute(
                select(EventSignup, User)
                .join(User, User.id == EventSignup.user_id)
                .where(EventSignup.event_id == event_id, EventSignup.status.in_(ACTIVE))
            )
            for signup, user in rows:
                await _notice(
                    session, user, event, N_CHANGED, "events.n_changed", now, extra=str(int(now.timestamp()))
                )
                told += 1
                if signup.status == SignupStatus.CONFIRMED and ("starts_at" in changed):
                    await _cancel_person_notices(session, event_id, user.id, N_REMINDER)
                    await _queue_reminders(session, user, event, now)
                if signup.checked_in_at is not None and "ends_at" in changed:
                    await _queue_feedback(session, user, event, now)
        if event.status == EventStatus.PUBLISHED:
            await _expire_offers(session, event, now)
            await _fill_places(session, event, now, offer_ttl)
        audit.record(session, actor_tg_id, "event.update", REF, event_id, fields=changed)
    return UpdateResult(event, changed, told)


async def publish(
    session: AsyncSession, actor_tg_id: int, event_id: int, *, announce: bool, now: datetime | None = None
) -> tuple[Event, int]:
    """Publish a draft; with ``announce``, subscribers whose interests match get a (quiet) notice."""
    now = now or utcnow()
    announced = 0
    async with write(session):
        event = await _lock_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise NotAllowed("events.err_cancelled")
        if event.starts_at <= now:
            raise NotAllowed("events.err_started")
        if event.status == EventStatus.PUBLISHED and not announce:
            raise Conflict("events.err_already_published")
        event.status = EventStatus.PUBLISHED
        event.published_at = event.published_at or now
        if announce:
            people = await session.scalars(
                select(User).where(
                    User.status == UserStatus.REGISTERED,
                    User.news_opt_in.is_(True),
                    User.unreachable_at.is_(None),
                    User.tg_id.is_not(None),
                )
            )
            signed_up = set(
                await session.scalars(
                    select(EventSignup.user_id).where(
                        EventSignup.event_id == event_id, EventSignup.status.in_(ACTIVE)
                    )
                )
            )
            for user in people:
                if user.id in signed_up or not matches(event, user):
                    continue
                await _notice(
                    session,
                    user,
                    event,
                    N_ANNOUNCE,
                    "events.n_announce",
                    now,
                    buttons=[[["events.btn_open", _cb("card", event.id)]]],
                    expires_at=event.reg_deadline,
                    quiet=True,
                )
                announced += 1
        audit.record(session, actor_tg_id, "event.publish", REF, event_id, announced=announced)
    return event, announced


async def cancel_event(
    session: AsyncSession, actor_tg_id: int, event_id: int, *, now: datetime | None = None
) -> tuple[Event, int]:
    """Cancel the event: pending notices are withdrawn and everyone signed up is told."""
    now = now or utcnow()
    async with write(session):
        event = await _lock_event(session, event_id)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.err_cancelled")
        if now >= event.ends_at:
            raise NotAllowed("events.err_over")
        was_published = event.status == EventStatus.PUBLISHED
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now
        await notifications.cancel(session, ref_type=REF, ref_id=event_id)
        told = 0
        if was_published:
            rows = await session.execute(
                select(User)
                .join(EventSignup, EventSignup.user_id == User.id)
                .where(EventSignup.event_id == event_id, EventSignup.status.in_(ACTIVE))
            )
            for (user,) in rows:
                await _notice(session, user, event, N_CANCELLED, "events.n_cancelled", now)
                told += 1
        audit.record(session, actor_tg_id, "event.cancel", REF, event_id, told=told)
    return event, told


async def record_export(session: AsyncSession, actor_tg_id: int, event_id: int, rows: int) -> None:
    """Downloading the participant list (personal data) is a staff action: it goes to the audit log."""
    async with write(session):
        audit.record(session, actor_tg_id, "event.export", REF, event_id, rows=rows)


async def new_checkin_code(session: AsyncSession, actor_tg_id: int, event_id: int) -> Event:
    async with write(session):
        event = await _lock_event(session, event_id)
        event.checkin_code = new_code()
        audit.record(session, actor_tg_id, "event.new_code", REF, event_id)
    return event


# --- reports, digest and privacy ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    events_held: int
    signups: int
    attended: int
    ratings: int
    average_rating: float | None


async def figures(session: AsyncSession, since: datetime, until: datetime) -> Figures:
    """Events that took place in [since, until): how many, sign-ups, attendance, average rating."""
    in_range = (Event.status == EventStatus.PUBLISHED, Event.starts_at >= since, Event.starts_at < until)
    held = await session.scalar(select(func.count()).select_from(Event).where(*in_range)) or 0
    base = (
        select(func.count())
        .select_from(EventSignup)
        .join(Event, Event.id == EventSignup.event_id)
        .where(*in_range)
    )
    signups = await session.scalar(base.where(EventSignup.status == SignupStatus.CONFIRMED)) or 0
    attended = await session.scalar(base.where(EventSignup.checked_in_at.is_not(None))) or 0
    ratings, average = (
        await session.execute(
            select(func.count(EventSignup.rating), func.avg(EventSignup.rating))
            .join(Event, Event.id == EventSignup.event_id)
            .where(*in_range, EventSignup.rating.is_not(None))
        )
    ).one()
    return Figures(
        events_held=held,
        signups=signups,
        attended=attended,
        ratings=ratings or 0,
        average_rating=round(float(average), 2) if average is not None else None,
    )


DIGEST_CANDIDATES = 200
"""At most this many open events of the next two weeks are considered for the digest's batch."""


async def digest_events(
    session: AsyncSession, users: Sequence[User], now: datetime, until: datetime
) -> dict[int, list[DigestItem]]:
    """Digest section «events»: open events of the next two weeks that fit each person and that they
    have not signed up for — two queries for the whole batch.

    Built outside any locale (the digest renders later), so the text holds no translated words."""

    horizon = now + DIGEST_HORIZON
    events = list(
        await session.scalars(
            select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at > now,
                Event.starts_at <= horizon,
                Event.reg_deadline > now,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(DIGEST_CANDIDATES)
        )
    )
    if not events:
        return {}
    rows = await session.execute(
        select(EventSignup.user_id, EventSignup.event_id).where(
            EventSignup.user_id.in_([user.id for user in users]),
            EventSignup.event_id.in_([event.id for event in events]),
            EventSignup.status.in_(ACTIVE),
        )
    )
    mine: dict[int, set[int]] = {}
    for user_id, event_id in rows:
        mine.setdefault(user_id, set()).add(event_id)
    items: dict[int, DigestItem] = {}
    found: dict[int, list[DigestItem]] = {}
    for user in users:
        taken = mine.get(user.id, set())
        fitting = [e for e in events if e.id not in taken and matches(e, user)][:8]
        for event in fitting:
            if event.id not in items:
                place = "💻" if event.place_kind == "online" else _quote(event.place)
                items[event.id] = DigestItem(
                    text=f"<b>{_quote(event.title)}</b> — ",
                    when=(event.starts_at, event.ends_at),
                    tail=f", {place}",
                    button=("events.btn_signup", _cb("su", event.id)),
                )
        if fitting:
            found[user.id] = [items[e.id] for e in fitting]
    return found


async def digest_my_signups(
    session: AsyncSession, users: Sequence[User], now: datetime, until: datetime
) -> dict[int, list[DigestItem]]:
    """Digest section «my_signups»: each person's own sign-ups of the next two weeks (one query)."""

    rows = await session.execute(
        select(EventSignup, Event)
        .join(Event, Event.id == EventSignup.event_id)
        .where(
            EventSignup.user_id.in_([user.id for user in users]),
            EventSignup.status.in_(ACTIVE),
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + DIGEST_HORIZON,
        )
        .order_by(Event.starts_at, Event.id)
    )
    found: dict[int, list[DigestItem]] = {}
    for signup, event in rows:
        mark = {"confirmed": "✅", "offered": "🎟", "waiting": "⏳"}.get(signup.status, "")
        item = DigestItem(
            text=f"{mark} <b>{_quote(event.title)}</b> — ",
            when=(event.starts_at, event.ends_at),
            button=("events.btn_open", _cb("card", event.id)),
        )
        found.setdefault(signup.user_id, []).append(item)
    return found


async def export_signups(session: AsyncSession, user: User) -> tuple[str, Any]:
    data = []
    for signup, event in await person_rows(session, EventSignup, Event, user.id):
        data.append(
            {
                "event": event.title,
                "starts_at": event.starts_at.isoformat(),
                "status": signup.status,
                "signed_up_at": signup.created_at.isoformat(),
                "checked_in_at": signup.checked_in_at.isoformat() if signup.checked_in_at else None,
                "rating": signup.rating,
                "comment": signup.comment,
            }
        )
    return "event_signups", data


async def erase_comments(session: AsyncSession, user: User) -> None:
    """Erasure (inside privacy.erase's transaction): feedback comments are free text about the person
    and go with the identity; places the person still holds on upcoming events go to the wait-list."""
    now = utcnow()
    active = list(
        await session.scalars(
            select(EventSignup.event_id)
            .join(Event, Event.id == EventSignup.event_id)
            .where(
                EventSignup.user_id == user.id,
                EventSignup.status.in_(ACTIVE),
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at > now,
            )
        )
    )
    for event_id in sorted(active):
        event = await _lock_event(session, event_id)
        signup = await _lock_signup(session, event_id, user.id)
        if signup is None or signup.status not in ACTIVE:
            continue
        signup.status = SignupStatus.CANCELLED
        signup.cancelled_at = now
        signup.offer_expires_at = None
        await session.flush()
        await _fill_places(session, event, now, DEFAULT_OFFER_TTL)
    rows = await session.scalars(
        select(EventSignup).where(EventSignup.user_id == user.id, EventSignup.comment.is_not(None))
    )
    for signup in rows:
        signup.comment = None


async def pending_notice(
    session: AsyncSession, user_id: int, event_id: int, kind: str
) -> Notification | None:
    """The person's newest notice of ``kind`` about the event (tests and staff views use it)."""
    return await session.scalar(
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.ref_type == REF,
            Notification.ref_id == event_id,
            Notification.kind == kind,
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )


def local_date(value: datetime) -> date:
    return value.astimezone(_tz).date()


async def process_expired_offers(
    bot: Any, db: Any, i18n: Any, settings: Any, now: datetime | None = None
) -> int:
    """The periodic job (every minute or so): overdue wait-list offers expire and pass to the next
    person. Messages go through the outbox, so ``bot`` and ``i18n`` are not needed here; the signature
    matches the other jobs."""
    set_timezone(settings.tz)
    ttl = timedelta(hours=float(getattr(settings, "event_offer_hours", 12)))
    async with db.session() as session:
        return await expire_offers(session, now=now, offer_ttl=ttl)
