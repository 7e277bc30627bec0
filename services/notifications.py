"""The notification outbox: queue and cancel. Every feature queues its time-driven messages here.

Payload contract (rendered by the sender at send time, in the recipient's language):
    {"text": "<locale key>", "params": {...already HTML-escaped values...},
     "buttons": [[["<label locale key>", "<callback data>"], ...], ...],   # optional rows
     "event_at": "<ISO UTC of the thing reminded about>"}                  # reminders only
A notice whose ``expires_at`` has passed is dropped, not sent late. ``quiet=True`` notices (digests,
announcements) wait for the end of quiet hours; reminders are never held back.

Extensions understood by the sender (services/outbox.py), all optional:
    "params": {"name": {"t": "<locale key>"}}   # a value given as {"t": key} is translated too
    "html": "<already rendered, escaped HTML>"   # instead of "text" (the weekly digest uses it)
    "buttons": [[{"text": "<label key>", "data": "<callback data>"}               # same as a pair
                 | {"text": "<label key>", "url": "https://..."}
                 | {"label": "<already rendered label>", "data": "..."}], ...]
With "event_at" the params also get ``event_time`` (the moment in TIMEZONE, "28.11 18:00") unless given.
A notice with "event_at" is a reminder: /settings turns it off and on, and moves it when the person
changes how early they want reminders (only if "own_lead" is true).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Notification, NotificationStatus, User
from services.ports import Translate


def make_key(
    kind: str, ref_type: str | None, ref_id: int | None, user_id: int | None, extra: str = ""
) -> str:
    return ":".join(
        str(part) for part in (kind, ref_type or "-", ref_id or 0, user_id or 0, extra) if part != ""
    )


class Notice(TypedDict, total=False):
    """What a queued notice is, what it is about and when it goes: queue and queue_many take these as
    keyword arguments (``quiet``: it waits for the end of quiet hours)."""

    kind: Required[str]
    due_at: Required[datetime]
    ref_type: str | None
    ref_id: int | None
    expires_at: datetime | None
    quiet: bool


async def queue(
    session: AsyncSession,
    *,
    user: User,
    payload: dict[str, Any] | None = None,
    key: str | None = None,
    **notice: Unpack[Notice],
) -> Notification | None:
    """Queue one notice inside the caller's write transaction.

    Idempotent: a second call with the same key updates the pending row instead of adding another.
    Nothing is queued for a person who cannot be reached (blocked the bot, erased).
    """
    key = key or make_key(notice["kind"], notice.get("ref_type"), notice.get("ref_id"), user.id)
    rows = await queue_many(session, [(user, key, payload or {})], **notice)
    return rows[0] if rows else None


def _renew(
    row: Notification, due_at: datetime, expires_at: datetime | None, payload: dict[str, Any] | None
) -> None:
    """A notice queued again under its key: a pending or cancelled one is due again with the new payload;
    one already sent (or failed) stays as it is."""
    if row.status in (NotificationStatus.PENDING, NotificationStatus.CANCELLED):
        row.status = NotificationStatus.PENDING
        row.due_at = due_at
        row.expires_at = expires_at
        row.payload = payload or {}
        row.attempts = 0
        row.claimed_until = None


async def queue_many(
    session: AsyncSession, notices: Sequence[tuple[User, str, dict[str, Any]]], **notice: Unpack[Notice]
) -> list[Notification]:
    """Queue notices for many people at once, each (person, key, payload), inside the caller's write
    transaction: one query finds the keys already there and one flush adds the rest (the weekly digest
    queues thousands). Returns the rows queued or renewed (or already sent) under those keys, in order;
    nothing is queued for a person who cannot be reached (blocked the bot, erased)."""
    reachable = [(u, key, p) for u, key, p in notices if u.tg_id is not None and u.unreachable_at is None]
    if not reachable:
        return []
    keys = [key for _u, key, _p in reachable]
    existing = {
        row.key: row for row in await session.scalars(select(Notification).where(Notification.key.in_(keys)))
    }
    due_at, expires_at = notice["due_at"], notice.get("expires_at")
    rows: list[Notification] = []
    for user, key, payload in reachable:
        row = existing.get(key)
        if row is not None:
            _renew(row, due_at, expires_at, payload)
        else:
            row = Notification(
                key=key,
                user_id=user.id,
                chat_id=user.tg_id,
                messenger=user.messenger,
                kind=notice["kind"],
                ref_type=notice.get("ref_type"),
                ref_id=notice.get("ref_id"),
                payload=payload,
                due_at=due_at,
                expires_at=expires_at,
                quiet=notice.get("quiet", False),
            )
            session.add(row)
        rows.append(row)
    await session.flush()
    return rows


async def cancel(
    session: AsyncSession,
    *,
    key: str | None = None,
    ref_type: str | None = None,
    ref_id: int | None = None,
    user_id: int | None = None,
    kind: str | None = None,
) -> int:
    """Cancel pending notices by key, or by the object they are about (optionally one person's)."""
    if key is None and (ref_type is None or ref_id is None):
        raise ValueError("cancel needs a key or an object")
    stmt = update(Notification).where(
        Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.CLAIMED))
    )
    if key is not None:
        stmt = stmt.where(Notification.key == key)
    else:
        stmt = stmt.where(Notification.ref_type == ref_type, Notification.ref_id == ref_id)
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    result = await session.execute(stmt.values(status=NotificationStatus.CANCELLED))
    return result.rowcount or 0  # type: ignore[attr-defined]


async def queue_reminder(
    session: AsyncSession,
    *,
    user: User,
    kind: str,
    ref_type: str,
    ref_id: int,
    event_at: datetime,
    payload: dict[str, Any],
    lead: timedelta | None = None,
    key_suffix: str = "",
    now: datetime | None = None,
) -> Notification | None:
    """Queue a reminder before ``event_at`` (inside the caller's write transaction).

    Honours the person's settings: nothing if reminders are off; the lead time is theirs unless
    ``lead`` is given (e.g. a fixed "two hours before"). Expires when the thing starts.
    """
    if not user.reminders_enabled:
        return None
    now = now or utcnow()
    if event_at <= now:
        return None
    own_lead = lead is None
    lead = lead if lead is not None else timedelta(minutes=user.reminder_lead_minutes)
    due_at = max(event_at - lead, now)
    payload = {**payload, "event_at": event_at.isoformat(), "own_lead": own_lead}
    return await queue(
        session,
        user=user,
        kind=kind,
        due_at=due_at,
        ref_type=ref_type,
        ref_id=ref_id,
        payload=payload,
        expires_at=event_at,
        key=make_key(kind, ref_type, ref_id, user.id, key_suffix),
    )


class ReminderOptions(TypedDict, total=False):
    """What queue_reminder takes besides the reminder itself (its lead, key suffix and now)."""

    lead: timedelta | None
    key_suffix: str
    now: datetime | None


@dataclass(frozen=True)
class Reminders:
    """One feature's reminders: their notice kind and the type of thing they are about, which every
    reminder of the feature passes together to queue_reminder."""

    kind: str
    ref_type: str

    async def queue(
        self,
        session: AsyncSession,
        user: User,
        ref_id: int,
        event_at: datetime,
        payload: dict[str, Any],
        **options: Unpack[ReminderOptions],
    ) -> Notification | None:
        """queue_reminder for the thing ``ref_id`` of this feature."""
        return await queue_reminder(
            session,
            user=user,
            kind=self.kind,
            ref_type=self.ref_type,
            ref_id=ref_id,
            event_at=event_at,
            payload=payload,
            **options,
        )


# --- notices rendered fresh at send time -------------------------------------------------------------

Renderer = Callable[[AsyncSession, Notification, User, datetime, Translate], Awaitable[dict[str, Any] | None]]
RENDERERS: dict[str, Renderer] = {}
"""kind -> a function the sender calls right before sending (with a gettext of the recipient's locale) to build the
payload anew from the current state, e.g. the weekly digest (events cancelled since it was queued drop
out, a new language applies). It returns a payload as described above, or None: nothing to send."""


# --- the person's settings applied to what is already queued ------------------------------------

SETTINGS_OFF = "reminders_off"
"""``last_error`` of reminders cancelled because the person turned reminders off (turned on: revived)."""

OPEN = (NotificationStatus.PENDING, NotificationStatus.CLAIMED)


def is_reminder(row: Notification) -> bool:
    return bool(row.payload) and "event_at" in row.payload


def event_at_of(row: Notification) -> datetime | None:
    value = (row.payload or {}).get("event_at")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


async def apply_reminder_settings(session: AsyncSession, user: User, now: datetime | None = None) -> int:
    """Make the person's queued reminders follow their settings (inside the caller's write).

    Reminders off: pending reminders are cancelled (marked so they can come back). On: those come back
    if their moment is still ahead. Lead changed: reminders that use the person's own lead move.
    Returns how many rows changed.
    """
    now = now or utcnow()
    rows = list(
        await session.scalars(
            select(Notification).where(
                Notification.user_id == user.id,
                Notification.status.in_((*OPEN, NotificationStatus.CANCELLED)),
            )
        )
    )
    changed = 0
    lead = timedelta(minutes=user.reminder_lead_minutes)
    for row in rows:
        if not is_reminder(row):
            continue
        event_at = event_at_of(row)
        if row.status == NotificationStatus.CANCELLED:
            if row.last_error != SETTINGS_OFF or not user.reminders_enabled:
                continue
            if event_at is None or event_at <= now:
                continue
            row.status = NotificationStatus.PENDING
            row.last_error = None
            row.attempts = 0
            row.claimed_until = None
            changed += 1
        elif not user.reminders_enabled:
            if row.status == NotificationStatus.CLAIMED:
                continue  # being sent right now
            row.status = NotificationStatus.CANCELLED
            row.last_error = SETTINGS_OFF
            changed += 1
            continue
        if row.status == NotificationStatus.PENDING and row.payload.get("own_lead") and event_at is not None:
            due_at = max(event_at - lead, now)
            if row.due_at != due_at:
                row.due_at = due_at
                changed += 1
    return changed


async def cancel_kind(session: AsyncSession, user_id: int, kind: str, reason: str | None = None) -> int:
    """Cancel one person's pending notices of one kind (e.g. the digest after «Отписаться»)."""
    result = await session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.kind == kind,
            Notification.status == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.CANCELLED, last_error=reason)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


# --- staff: the state of the outbox --------------------------------------------------------------


@dataclass
class Ended:
    """How many notices ended each way: sent, failed (given up), dropped (expired unsent) or
    cancelled; in the last day (OutboxSummary) or in one tick of the sender (services.outbox)."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0
    cancelled: int = 0


@dataclass
class OutboxSummary(Ended):
    overdue: int = 0
    later: int = 0
    claimed: int = 0
    unreachable_people: int = 0
    next_due: datetime | None = None
    by_kind: dict[str, int] = field(default_factory=dict)
    """Pending notices by kind."""
    recent_failures: list[tuple[str, str, datetime]] = field(default_factory=list)
    """(kind, last error, when) of the last failures of the day."""


async def outbox_summary(session: AsyncSession, now: datetime | None = None) -> OutboxSummary:
    """Due, waiting, sent, failed in the last day: what staff see with /outbox."""
    now = now or utcnow()
    since = now - timedelta(days=1)
    n = Notification
    s = OutboxSummary()
    s.overdue = await _count(session, n.status == NotificationStatus.PENDING, n.due_at <= now)
    s.later = await _count(session, n.status == NotificationStatus.PENDING, n.due_at > now)
    s.claimed = await _count(session, n.status == NotificationStatus.CLAIMED)
    s.sent = await _count(session, n.status == NotificationStatus.SENT, n.sent_at >= since)
    # failed/dropped/cancelled rows keep no moment of their own: the due time is the nearest one
    s.failed = await _count(session, n.status == NotificationStatus.FAILED, n.due_at >= since)
    s.dropped = await _count(session, n.status == NotificationStatus.DROPPED, n.due_at >= since)
    s.cancelled = await _count(session, n.status == NotificationStatus.CANCELLED, n.due_at >= since)
    s.unreachable_people = (
        await session.scalar(select(func.count()).select_from(User).where(User.unreachable_at.is_not(None)))
        or 0
    )
    s.next_due = await session.scalar(
        select(func.min(n.due_at)).where(n.status == NotificationStatus.PENDING, n.due_at > now)
    )
    for kind, count in await session.execute(
        select(n.kind, func.count()).where(n.status == NotificationStatus.PENDING).group_by(n.kind)
    ):
        s.by_kind[kind] = count
    for kind, error, due_at in await session.execute(
        select(n.kind, n.last_error, n.due_at)
        .where(n.status == NotificationStatus.FAILED, n.due_at >= since)
        .order_by(n.due_at.desc(), n.id.desc())
        .limit(5)
    ):
        s.recent_failures.append((kind, error or "", due_at))
    return s


async def _count(session: AsyncSession, *conditions: Any) -> int:
    return await session.scalar(select(func.count()).select_from(Notification).where(*conditions)) or 0
