"""Broadcasts: who gets an announcement, the broadcast row and its delivery rows, stop/resume, history.

Audience
    Always people who opted in to news (registered, reachable). Narrowed, all optional, by
    ``group`` (target group), ``district`` (where they live), ``interest`` (a district they follow),
    and one ``source``: a feature audience from :data:`AUDIENCES` with its ``ref`` (which event, which
    topic...). The audience is a JSON-safe dict stored with the broadcast; the recipients are fixed
    when the broadcast starts (a scheduled one counts whoever is subscribed at that moment).

Features add audiences with :func:`register_audience`: a name, a label key, an async function
(session, ref) returning a ``select`` of user ids, and optionally an async function (session)
returning [(ref, label)] to choose the ref from (labels are plain text, escaped when shown).

The sending itself is bot.delivery.broadcasts (the paced sender).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, func, insert, literal, select, type_coerce, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryStatus, User, UserStatus
from db.repositories.users import is_person
from services import audit, outbox
from services.errors import Conflict, NotFound, ValidationFailed
from services.users import DISTRICTS, TARGET_GROUPS
from services.users import update_profile as _update_profile

CONTENT_KINDS = ("text", "photo", "video", "document", "animation", "audio", "voice")
EXCERPT_MAX = 120
SCHEDULE_MAX_DAYS = 60
HISTORY_SIZE = 10

UsersFn = Callable[[AsyncSession, str | None], Awaitable[Select[Any]]]
OptionsFn = Callable[[AsyncSession], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class Audience:
    label_key: str
    users: UsersFn
    """(session, ref) -> select(user ids)."""
    options: OptionsFn | None = None
    """(session) -> [(ref, plain-text label)]; None: the audience needs no ref."""


AUDIENCES: dict[str, Audience] = {}

SOURCE_GONE = ("message to copy not found", "message_id_invalid", "message not found")
"""Words of Telegram's refusal to copy a broadcast's source message because staff deleted it."""


def register_audience(name: str, label_key: str, users: UsersFn, options: OptionsFn | None = None) -> None:
    if len(name) > 12 or ":" in name:
        raise ValueError("audience names are short codes (callback data)")
    AUDIENCES[name] = Audience(label_key=label_key, users=users, options=options)


# --- audience -------------------------------------------------------------------------------------


def clean_audience(raw: dict[str, Any]) -> dict[str, str]:
    """Only known keys with valid values; raises ValidationFailed otherwise."""
    audience: dict[str, str] = {}
    for key, value in raw.items():
        if value in (None, ""):
            continue
        value = str(value)
        if key == "group" and value in TARGET_GROUPS:
            audience[key] = value
        elif key in ("district", "interest") and value in DISTRICTS:
            audience[key] = value
        elif key == "source" and value in AUDIENCES:
            audience[key] = value
        elif key == "ref" and len(value) <= 32:
            audience[key] = value
        elif key == "label":  # how the ref was shown to staff (display only)
            audience[key] = value[:60]
        else:
            raise ValidationFailed("broadcast.bad_audience")
    if "ref" in audience and "source" not in audience:
        raise ValidationFailed("broadcast.bad_audience")
    source = audience.get("source")
    if source and AUDIENCES[source].options is not None and "ref" not in audience:
        raise ValidationFailed("broadcast.bad_audience")
    return audience


def subscribers() -> Select[Any]:
    """Everyone who may get news: registered, opted in, reachable."""
    return select(User.id).where(
        User.status == UserStatus.REGISTERED,
        User.news_opt_in.is_(True),
        User.tg_id.is_not(None),
        User.unreachable_at.is_(None),
    )


def _follows_district(session: AsyncSession, district: str) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(User.interest_districts, postgresql.JSONB).contains([district])
    values = func.json_each(User.interest_districts).table_valued("value")
    return exists(select(literal(1)).select_from(values).where(values.c.value == district))


async def audience_query(session: AsyncSession, audience: dict[str, Any]) -> Select[Any]:
    """select(User.id) of the recipients of ``audience`` (see the module docs)."""
    audience = clean_audience(audience)
    query = subscribers()
    if "group" in audience:
        query = query.where(User.target_group == audience["group"])
    if "district" in audience:
        query = query.where(User.district == audience["district"])
    if "interest" in audience:
        query = query.where(_follows_district(session, audience["interest"]))
    if "source" in audience:
        provider = AUDIENCES[audience["source"]]
        ids = await provider.users(session, audience.get("ref"))
        query = query.where(User.id.in_(ids.scalar_subquery()))
    return query


async def count_audience(session: AsyncSession, audience: dict[str, Any]) -> int:
    query = await audience_query(session, audience)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def source_options(session: AsyncSession, source: str) -> list[tuple[str, str]]:
    provider = AUDIENCES.get(source)
    if provider is None:
        raise ValidationFailed("broadcast.bad_audience")
    return await provider.options(session) if provider.options else []


# --- quiet hours ----------------------------------------------------------------------------------


def in_quiet_hours(moment: datetime, start: time, end: time, tz: ZoneInfo) -> bool:
    """The notifications engine's quiet hours (one definition for every quiet message)."""
    return outbox.in_quiet_hours(moment, tz, start, end)


def after_quiet_hours(moment: datetime, start: time, end: time, tz: ZoneInfo) -> datetime:
    """``moment`` itself, or the end of the quiet hours it falls into."""
    if not in_quiet_hours(moment, start, end, tz):
        return moment
    local = moment.astimezone(tz)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(moment.tzinfo)


# --- creating, stopping, resuming -----------------------------------------------------------------


def clean_excerpt(text: str | None) -> str:
    value = " ".join((text or "").split())
    return value if len(value) <= EXCERPT_MAX else value[: EXCERPT_MAX - 1] + "…"


async def create(
    session: AsyncSession,
    *,
    staff_tg_id: int,
    source_chat_id: int,
    source_message_id: int,
    content_kind: str,
    excerpt: str | None,
    audience: dict[str, Any],
    start_at: datetime | None = None,
) -> Broadcast:
    """A broadcast to start now (``start_at`` None) or at ``start_at`` (a scheduled one keeps quiet
    hours: the caller moves the time with :func:`after_quiet_hours` and tells staff)."""
    if content_kind not in CONTENT_KINDS:
        raise ValidationFailed("broadcast.unsupported")
    audience = clean_audience(audience)
    now = utcnow()
    if start_at is not None:
        if start_at <= now:
            raise ValidationFailed("broadcast.time_past")
        if start_at > now + timedelta(days=SCHEDULE_MAX_DAYS):
            raise ValidationFailed("broadcast.time_far", n=SCHEDULE_MAX_DAYS)
    if await count_audience(session, audience) == 0:
        raise ValidationFailed("broadcast.nobody")
    async with write(session):
        row = Broadcast(
            status=BroadcastStatus.SCHEDULED,
            created_by=staff_tg_id,
            source_chat_id=source_chat_id,
            source_message_id=source_message_id,
            content_kind=content_kind,
            excerpt=clean_excerpt(excerpt),
            audience=audience,
            start_at=start_at or now,
            quiet=start_at is not None,
        )
        session.add(row)
        await session.flush()
        audit.record(
            session,
            staff_tg_id,
            "broadcast.schedule" if start_at else "broadcast.start",
            "broadcast",
            row.id,
            audience=audience,
            start_at=row.start_at.isoformat(),
        )
    return row


async def activate(session: AsyncSession, broadcast_id: int, now: datetime | None = None) -> int | None:
    """Start a due scheduled broadcast: fix its recipients as delivery rows, all in one transaction.

    Returns the number of recipients, or None if someone else started (or cancelled) it first.
    """
    now = now or utcnow()
    async with write(session):
        started = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SCHEDULED)
            .values(status=BroadcastStatus.RUNNING, started_at=now)
        )
        if not started.rowcount:  # type: ignore[attr-defined]
            return None
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        try:
            ids = await audience_query(session, row.audience)
        except ValidationFailed:  # a feature audience that no longer exists: nobody
            ids = subscribers().where(literal(False))
        recipients = select(
            literal(broadcast_id),
            User.id,
            User.tg_id,
            User.messenger,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
        ).where(User.id.in_(ids.scalar_subquery()))
        await session.execute(
            insert(BroadcastDelivery).from_select(
                ["broadcast_id", "user_id", "chat_id", "messenger", "status", "attempts"], recipients
            )
        )
        total = (
            await session.scalar(select(func.count()).where(BroadcastDelivery.broadcast_id == broadcast_id))
            or 0
        )
        row.total = total
    return total


async def due_scheduled(session: AsyncSession, now: datetime) -> list[Broadcast]:
    return list(
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.start_at <= now)
            .order_by(Broadcast.start_at, Broadcast.id)
        )
    )


async def next_scheduled_at(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(func.min(Broadcast.start_at)).where(Broadcast.status == BroadcastStatus.SCHEDULED)
    )


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast:
    row = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if row is None:
        raise NotFound("broadcast.not_found")
    return row


async def stop(session: AsyncSession, broadcast_id: int, staff_tg_id: int) -> str:
    """Stop a running broadcast (what is left stays pending, it can be resumed) or cancel a scheduled
    one. Returns the new status; Conflict if it is neither running nor scheduled any more."""
    async with write(session):
        row = await session.get(Broadcast, broadcast_id, populate_existing=True)
        if row is None:
            raise NotFound("broadcast.not_found")
        if row.status == BroadcastStatus.RUNNING:
            row.status = BroadcastStatus.STOPPED
        elif row.status == BroadcastStatus.SCHEDULED:
            row.status = BroadcastStatus.CANCELLED
            row.finished_at = utcnow()
        else:
            raise Conflict("broadcast.not_running")
        audit.record(session, staff_tg_id, f"broadcast.{row.status}", "broadcast", broadcast_id)
        return row.status


async def resume(session: AsyncSession, broadcast_id: int, staff_tg_id: int) -> None:
    async with write(session):
        result = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.STOPPED)
            .values(status=BroadcastStatus.RUNNING)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise Conflict("broadcast.not_stopped")
        audit.record(session, staff_tg_id, "broadcast.resume", "broadcast", broadcast_id)


async def finish(
    session: AsyncSession, broadcast_id: int, *, status: str = BroadcastStatus.DONE, error: str | None = None
) -> bool:
    """Mark a running broadcast done (or failed); False if it is not running any more."""
    async with write(session):
        result = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.RUNNING)
            .values(status=status, finished_at=utcnow(), error=error, lease_owner=None, lease_until=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# --- figures --------------------------------------------------------------------------------------


@dataclass
class Counts:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    pending: int = 0
    skipped: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed + self.skipped

    @property
    def total(self) -> int:
        return self.done + self.pending


def _counts(pairs: list[tuple[str, int]]) -> Counts:
    result = Counts()
    for status, count in pairs:
        result.by_status[status] = count
        if status == DeliveryStatus.SENT:
            result.sent = count
        elif status == DeliveryStatus.BLOCKED:
            result.blocked = count
        elif status == DeliveryStatus.FAILED:
            result.failed = count
        elif status == DeliveryStatus.PENDING:
            result.pending = count
        elif status == DeliveryStatus.SKIPPED:
            result.skipped = count
    return result


async def counts(session: AsyncSession, broadcast_id: int) -> Counts:
    rows = await session.execute(
        select(BroadcastDelivery.status, func.count())
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(BroadcastDelivery.status)
    )
    return _counts([(status, count) for status, count in rows])


async def history(session: AsyncSession, limit: int = HISTORY_SIZE) -> list[tuple[Broadcast, Counts]]:
    rows = list(await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))
    if not rows:
        return []
    grouped: dict[int, list[tuple[str, int]]] = {row.id: [] for row in rows}
    for broadcast_id, status, count in await session.execute(
        select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, func.count())
        .where(BroadcastDelivery.broadcast_id.in_(grouped))
        .group_by(BroadcastDelivery.broadcast_id, BroadcastDelivery.status)
    ):
        grouped[broadcast_id].append((status, count))
    return [(row, _counts(grouped[row.id])) for row in rows]


async def set_progress_message(
    session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    async with write(session):
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(progress_chat_id=chat_id, progress_message_id=message_id)
        )


# --- the recipient's side -------------------------------------------------------------------------


async def unsubscribe(session: AsyncSession, tg_id: int, broadcast_id: int | None) -> bool:
    """Turn news off for the person (the «Отписаться» button). True if they were subscribed."""
    user = await session.scalar(select(User).where(is_person(tg_id)))
    if user is None or not user.is_registered:
        raise NotFound("broadcast.unsub_unknown")
    if not user.news_opt_in:
        return False
    await _update_profile(session, tg_id, {"news_opt_in": False})
    if broadcast_id:
        async with write(session):
            await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id)
                .values(unsubscribed=Broadcast.unsubscribed + 1)
            )
    return True


async def resubscribe(session: AsyncSession, tg_id: int) -> None:
    await _update_profile(session, tg_id, {"news_opt_in": True})


# --- personal data --------------------------------------------------------------------------------


async def export_deliveries(session: AsyncSession, user: User) -> tuple[str, Any]:
    rows = await session.execute(
        select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, BroadcastDelivery.sent_at)
        .where(BroadcastDelivery.user_id == user.id)
        .order_by(BroadcastDelivery.id)
    )
    return "broadcasts", [
        {"broadcast": bid, "status": status, "sent_at": sent_at.isoformat() if sent_at else None}
        for bid, status, sent_at in rows
    ]


async def erase_deliveries(session: AsyncSession, user: User) -> None:
    """Inside the erase transaction: forget the chat id; what was not sent yet is not sent."""
    await session.execute(
        update(BroadcastDelivery)
        .where(BroadcastDelivery.user_id == user.id, BroadcastDelivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, error="erased")
    )
    await session.execute(
        update(BroadcastDelivery).where(BroadcastDelivery.user_id == user.id).values(chat_id=None)
    )


# --- built-in feature audiences -------------------------------------------------------------------


def feature_audiences() -> dict[str, Audience]:
    """Event participants, consultation requesters and idea authors (bot.features puts them in AUDIENCES)."""
    from db.models import Consultation, ConsultationTopic, Event, EventSignup, Idea, IdeaStatus
    from db.models.events import HOLDING, EventStatus, SignupStatus

    async def event_options(session: AsyncSession) -> list[tuple[str, str]]:
        since = utcnow() - timedelta(days=60)
        rows = await session.execute(
            select(Event.id, Event.title, Event.starts_at)
            .where(Event.status != EventStatus.DRAFT, Event.starts_at >= since)
            .order_by(Event.starts_at.desc())
            .limit(12)
        )
        return [(str(eid), f"{title[:40]} · {starts:%d.%m}") for eid, title, starts in rows]

    def _event_id(ref: str | None) -> int:
        if not ref or not ref.isdigit():
            raise ValidationFailed("broadcast.bad_audience")
        return int(ref)

    async def event_signed(session: AsyncSession, ref: str | None) -> Select[Any]:
        return select(EventSignup.user_id).where(
            EventSignup.event_id == _event_id(ref), EventSignup.status.in_(HOLDING)
        )

    async def event_attended(session: AsyncSession, ref: str | None) -> Select[Any]:
        return select(EventSignup.user_id).where(
            EventSignup.event_id == _event_id(ref), EventSignup.checked_in_at.is_not(None)
        )

    async def event_waiting(session: AsyncSession, ref: str | None) -> Select[Any]:
        return select(EventSignup.user_id).where(
            EventSignup.event_id == _event_id(ref), EventSignup.status == SignupStatus.WAITING
        )

    async def topic_options(session: AsyncSession) -> list[tuple[str, str]]:
        rows = await session.execute(
            select(ConsultationTopic.id, ConsultationTopic.title).order_by(
                ConsultationTopic.position, ConsultationTopic.id
            )
        )
        return [("all", "*")] + [(str(tid), title[:40]) for tid, title in rows]

    async def consultations(session: AsyncSession, ref: str | None) -> Select[Any]:
        query = select(Consultation.user_id)
        if ref and ref != "all":
            if not ref.isdigit():
                raise ValidationFailed("broadcast.bad_audience")
            query = query.where(Consultation.topic_id == int(ref))
        return query

    async def idea_authors(session: AsyncSession, ref: str | None) -> Select[Any]:
        return select(Idea.author_id).where(Idea.status.not_in((IdeaStatus.MODERATION, IdeaStatus.REJECTED)))

    return {
        "ev_signed": Audience("broadcast.aud_ev_signed", event_signed, event_options),
        "ev_attended": Audience("broadcast.aud_ev_attended", event_attended, event_options),
        "ev_waiting": Audience("broadcast.aud_ev_waiting", event_waiting, event_options),
        "consult": Audience("broadcast.aud_consult", consultations, topic_options),
        "ideas": Audience("broadcast.aud_ideas", idea_authors),
    }
