"""The outbox sender: claims due notices, sends them within Telegram's limits, marks each one.

One tick:
1. In one short write transaction: drop what expired, give up on rows that were claimed too often,
   and claim a batch of due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several bot processes
   never take the same row). A claim lasts ``claim_ttl``; a process that died while holding it loses
   it then and another tick takes the row again.
2. Each claimed row is re-read (it may have been cancelled meanwhile), rendered in the recipient's
   language, paced (about 28 messages a second overall, one a second per chat) and sent.
3. Right after its own send, each row is marked in its own short transaction. No transaction is
   open while Telegram is being called, so the only notice a crash can repeat is the one in flight.

Errors: RetryAfter pauses all sending for as long as Telegram asks and retries; a person who blocked
the bot (or whose chat is gone) is marked unreachable and nothing more is sent to them; anything else
is retried with back-off and finally recorded as failed. Quiet notices (digests, announcements) are
not claimed during quiet hours.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time as monotonic_time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update

from db.base import utcnow
from db.engine import Database, write
from db.models import Notification, NotificationStatus, User, UserStatus
from services import dates
from services.notifications import RENDERERS, Ended, event_at_of, is_reminder
from services.plural import keyed_text
from services.ports import (
    Button,
    DeliveryError,
    Notifier,
    Rejected,
    RetryLater,
    SharedPace,
    Translator,
    Unreachable,
)

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600)
"""Wait before the 2nd, 3rd... attempt after an ordinary error."""
RETRY_AFTER_TRIES = 3
DIGEST_KIND = "digest"


def in_quiet_hours(now: datetime, tz: ZoneInfo, start: time, end: time) -> bool:
    """Is ``now`` (aware) inside the local quiet hours [start, end)? The range may wrap midnight."""
    if start == end:
        return False
    local = now.astimezone(tz).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


class Pacer:
    """Spacing of sends: at most ``rate`` a second overall and one a second per chat.

    A leaky bucket: each send reserves the next free moment, so several sends may be in flight
    while the pace holds. ``pause`` holds every send back (Telegram's RetryAfter).
    """

    def __init__(
        self,
        rate: float = 28.0,
        per_chat: float = 1.0,
        *,
        clock: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        shared: SharedPace | None = None,
    ) -> None:
        self.shared = shared
        """The bot-wide pace of every instance (Redis); then it, not ``rate``, spaces the sends."""
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.per_chat = per_chat
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._chat_next: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        # first the chat's own second (this must not hold the others back), then a slot overall
        chat_ready = self._chat_next.get(chat_id, 0.0)
        self._chat_next[chat_id] = max(self.clock(), chat_ready) + self.per_chat  # reserved at once
        if chat_ready > self.clock():
            await self.sleep(chat_ready - self.clock())
        now = self.clock()
        at = max(now, self._next)
        self._next = at + (0.0 if self.shared is not None else self.interval)
        self._chat_next[chat_id] = max(self._chat_next[chat_id], at + self.per_chat)
        if len(self._chat_next) > 10_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if at > now:
            await self.sleep(at - now)
        if self.shared is not None:
            await self.shared.acquire()

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, self.clock() + seconds)


@dataclass
class TickResult(Ended):
    retried: int = 0
    unreachable: int = 0
    released: int = 0
    sent_ids: list[int] = field(default_factory=list)


class _Rendered(Exception):
    """The payload cannot be rendered: a permanent error, recorded as failed."""


def _translate_params(params: dict[str, Any], gettext: Callable[[str], str], tz: ZoneInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, dict) and "t" in value:
            out[name] = gettext(str(value["t"]))
        elif isinstance(value, dict) and "span" in value:  # [start, end] ISO: «пт, 5 декабря, 14:00–16:00»
            start, end = (datetime.fromisoformat(str(at)) for at in value["span"])
            out[name] = dates.span_text(start, end, tz, gettext)
        elif isinstance(value, dict) and "at" in value:  # ISO: «пт, 5 декабря, 14:00»
            out[name] = dates.moment_text(datetime.fromisoformat(str(value["at"])), tz, gettext)
        else:
            out[name] = value
    return out


def render(
    payload: dict[str, Any], gettext: Callable[[str], str], tz: ZoneInfo
) -> tuple[str, list[list[Button]] | None]:
    """The text and buttons of one notice in the current locale.

    The payload contract (what features store in ``Notification.payload``; services/notifications.py):
    - ``html``: a ready HTML text, sent as it is; or ``text``: a locale key whose translation is
      ``str.format``-ed with ``params``; a param given as ``{"t": key}`` is itself translated first, one given
      as ``{"span": [start, end]}`` or ``{"at": moment}`` (ISO) is dated in the bot's style (services.dates); a ``params["n"]``
      makes ``text`` a plural key (services.plural).
    - ``event_at`` (ISO moment, optional): shown as ``{event_time}`` (dd.mm HH:MM in ``tz``) unless
      ``params`` has it; reminders are dropped once it has passed.
    - ``buttons`` (optional): rows of buttons, each ``[label key, callback data]`` or a dict with
      ``text`` (a label key) or ``label`` (a ready label) and ``data`` (callback data) or ``url``.
    A kind with a fresh renderer (``RENDERERS``) is rendered again from the database at send time.
    A payload that breaks this contract is recorded as failed, never retried."""
    try:
        if payload.get("html"):
            text = str(payload["html"])
        else:
            params = _translate_params(dict(payload.get("params") or {}), gettext, tz)
            event_at = payload.get("event_at")
            if event_at and "event_time" not in params:
                params["event_time"] = dates.moment_text(datetime.fromisoformat(event_at), tz, gettext)
            text = keyed_text(gettext, str(payload["text"]), params)
        rows: list[list[Button]] = []
        for row in payload.get("buttons") or []:
            buttons = []
            for spec in row:
                if isinstance(spec, list | tuple):
                    buttons.append(Button(text=gettext(str(spec[0])), data=str(spec[1])))
                    continue
                label = spec["label"] if "label" in spec else gettext(str(spec["text"]))
                if spec.get("url"):
                    buttons.append(Button(text=str(label), url=str(spec["url"])))
                else:
                    buttons.append(Button(text=str(label), data=str(spec["data"])))
            if buttons:
                rows.append(buttons)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        raise _Rendered(f"cannot render payload: {exc!r}") from exc
    if not text.strip():
        raise _Rendered("empty text")
    return text, rows or None


class Outbox:
    """The sender. One instance per process (it keeps the pace between ticks). It sends through a
    Notifier (services.ports; bot.delivery.telegram.TelegramNotifier in the bot)."""

    def __init__(
        self,
        notifier: Notifier,
        db: Database,
        i18n: Translator,
        *,
        tz: ZoneInfo,
        quiet_start: time = time(22, 0),
        quiet_end: time = time(8, 0),
        default_locale: str = "ru",
        claim_ttl: timedelta = timedelta(minutes=5),
        batch_size: int = 50,
        max_attempts: int = 5,
        workers: int = 4,
        pacer: Pacer | None = None,
        clock: Callable[[], datetime] = utcnow,
        others: Mapping[str, tuple[Notifier, Pacer]] | None = None,
    ) -> None:
        self.others = dict(others or {})
        """Notifier and pace of each other messenger than Telegram (db.messenger), by name: a row goes
        out through its person's messenger, paced within that messenger's limits."""
        self.notifier = notifier
        self.db = db
        self.i18n = i18n
        self.tz = tz
        self.quiet_start = quiet_start
        self.quiet_end = quiet_end
        self.default_locale = default_locale
        self.claim_ttl = claim_ttl
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.workers = workers
        self.pacer = pacer or Pacer()
        self.clock = clock
        self._stopping = False
        self._lock = asyncio.Lock()

    # --- the tick ------------------------------------------------------------------------------

    async def tick(self, max_batches: int = 100) -> TickResult:
        """Send everything that is due now (in batches), then return what happened."""
        result = TickResult()
        if self._lock.locked():
            return result
        async with self._lock:
            for _ in range(max_batches):
                if self._stopping:
                    break
                ids = await self.claim(self.clock())
                if not ids:
                    break
                await self._send_batch(ids, result)
        return result

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming and let the notice in flight finish; rows claimed but not yet sent are
        released at once, so the next start sends them without waiting for the claim to lapse."""
        self._stopping = True
        try:
            async with asyncio.timeout(timeout), self._lock:
                pass
        except TimeoutError:
            log.warning(
                "outbox: the running tick did not finish in %ss; its claims lapse on their own", timeout
            )

    async def _anything_to_do(self, now: datetime, quiet: bool) -> bool:
        """A cheap read first: an idle tick (or a night with only quiet notices waiting) must not take
        SQLite's write lock."""
        due = Notification.due_at <= now
        if quiet:
            due = and_(due, Notification.quiet.is_(False))
        async with self.db.session() as session:
            found = await session.scalar(
                select(Notification.id)
                .where(
                    or_(
                        and_(
                            Notification.status == NotificationStatus.PENDING,
                            or_(due, Notification.expires_at <= now),
                        ),
                        and_(
                            Notification.status == NotificationStatus.CLAIMED,
                            Notification.claimed_until <= now,
                        ),
                    )
                )
                .limit(1)
            )
        return found is not None

    async def claim(self, now: datetime) -> list[int]:
        quiet = in_quiet_hours(now, self.tz, self.quiet_start, self.quiet_end)
        if not await self._anything_to_do(now, quiet):
            return []
        async with self.db.session() as session, write(session):
            open_or_lapsed = or_(
                Notification.status == NotificationStatus.PENDING,
                and_(Notification.status == NotificationStatus.CLAIMED, Notification.claimed_until <= now),
            )
            await session.execute(
                update(Notification)
                .where(open_or_lapsed, Notification.expires_at.is_not(None), Notification.expires_at <= now)
                .values(status=NotificationStatus.DROPPED, last_error="expired", claimed_until=None)
            )
            await session.execute(
                update(Notification)
                .where(
                    Notification.status == NotificationStatus.CLAIMED,
                    Notification.claimed_until <= now,
                    Notification.attempts >= self.max_attempts,
                )
                .values(status=NotificationStatus.FAILED, last_error="gave up: claimed too often")
            )
            due = or_(
                and_(Notification.status == NotificationStatus.PENDING, Notification.due_at <= now),
                and_(Notification.status == NotificationStatus.CLAIMED, Notification.claimed_until <= now),
            )
            query = select(Notification.id).where(due)
            if quiet:
                query = query.where(Notification.quiet.is_(False))
            query = query.order_by(Notification.due_at, Notification.id).limit(self.batch_size)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            ids = list(await session.scalars(query))
            if ids:
                await session.execute(
                    update(Notification)
                    .where(Notification.id.in_(ids))
                    .values(
                        status=NotificationStatus.CLAIMED,
                        claimed_until=now + self.claim_ttl,
                        attempts=Notification.attempts + 1,
                    )
                )
        return ids

    async def _send_batch(self, ids: list[int], result: TickResult) -> None:
        # Rows of one chat go in order by one worker; chats are spread over a few workers.
        by_chat: dict[int, list[int]] = {}
        async with self.db.session() as session:
            rows = await session.execute(
                select(Notification.id, Notification.chat_id)
                .where(Notification.id.in_(ids))
                .order_by(Notification.due_at, Notification.id)
            )
            for row_id, chat_id in rows:
                by_chat.setdefault(chat_id, []).append(row_id)
        # A chat's rows stay in order with one worker at a time; a chat that must wait its second
        # goes back in line (by the moment it may send again) instead of keeping a worker asleep.
        order = itertools.count()
        ready: list[tuple[float, int, list[int]]] = [(0.0, next(order), rows) for rows in by_chat.values()]
        heapq.heapify(ready)
        left: list[int] = []

        async def worker() -> None:
            while ready:
                at, _n, chat_rows = heapq.heappop(ready)
                if self._stopping:
                    left.extend(chat_rows)
                    continue
                delay = at - self.pacer.clock()
                if delay > 0:  # nothing else may go earlier
                    await self.pacer.sleep(delay)
                await self.deliver(chat_rows.pop(0), result)
                if chat_rows:
                    heapq.heappush(ready, (self.pacer.clock() + self.pacer.per_chat, next(order), chat_rows))

        await asyncio.gather(*(worker() for _ in range(max(1, min(self.workers, len(by_chat))))))
        if left:
            result.released += await self.release(left)

    async def release(self, ids: list[int]) -> int:
        """Give claimed rows back (the process is stopping): the next tick takes them at once."""
        async with self.db.session() as session, write(session):
            res = await session.execute(
                update(Notification)
                .where(Notification.id.in_(ids), Notification.status == NotificationStatus.CLAIMED)
                .values(
                    status=NotificationStatus.PENDING,
                    claimed_until=None,
                    attempts=Notification.attempts - 1,
                )
            )
        return res.rowcount or 0  # type: ignore[attr-defined]

    # --- one notice ----------------------------------------------------------------------------

    async def deliver(self, row_id: int, result: TickResult) -> None:
        async with self.db.session() as session:
            row = await session.get(Notification, row_id)
            user = await session.get(User, row.user_id) if row is not None and row.user_id else None
        if row is None or row.status != NotificationStatus.CLAIMED:
            return  # cancelled (or taken by another process) since the claim
        now = self.clock()
        reason = self._obsolete(row, user, now)
        if reason is not None:
            status, why = reason
            await self._finish(row_id, status, error=why)
            if status == NotificationStatus.DROPPED:
                result.dropped += 1
            else:
                result.cancelled += 1
            return
        language = (user.language if user is not None else None) or self.default_locale
        if language not in self.i18n.available_locales:
            language = self.default_locale
        try:
            with self.i18n.context(), self.i18n.use_locale(language):
                payload = row.payload or {}
                renderer = RENDERERS.get(row.kind)
                if renderer is not None and user is not None:
                    try:
                        async with self.db.session() as session:
                            fresh = await renderer(session, row, user, now, self.i18n.gettext)
                    except Exception:  # the stored payload is still good enough
                        log.exception("notification %s (%s): fresh rendering failed", row_id, row.kind)
                        fresh = payload
                    if fresh is None:
                        await self._finish(row_id, NotificationStatus.CANCELLED, error="nothing to send")
                        result.cancelled += 1
                        return
                    payload = fresh
                text, buttons = render(payload, self.i18n.gettext, self.tz)
        except _Rendered as exc:
            log.error("notification %s (%s) cannot be rendered: %s", row_id, row.kind, exc)
            await self._finish(row_id, NotificationStatus.FAILED, error=str(exc))
            result.failed += 1
            return
        notifier, pacer = self.others.get(row.messenger, (self.notifier, self.pacer))
        for attempt in range(RETRY_AFTER_TRIES + 1):
            await pacer.wait(row.chat_id)
            try:
                await notifier.send(row.chat_id, text, buttons)
            except RetryLater as exc:
                pacer.pause(exc.seconds)
                result.retried += 1
                if attempt < RETRY_AFTER_TRIES and not self._stopping:
                    continue
                await self._retry_later(row, f"RetryAfter {exc.seconds}s", timedelta(seconds=exc.seconds))
                return
            except Unreachable as exc:
                await self._unreachable(row, exc.message)
                result.unreachable += 1
                return
            except Rejected as exc:
                # the request itself is wrong (markup, text): sending it again cannot help
                log.error("notification %s (%s) refused: %s", row_id, row.kind, exc.message)
                await self._finish(row_id, NotificationStatus.FAILED, error=exc.message)
                result.failed += 1
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notification %s (%s) not sent: %r", row_id, row.kind, exc)
                error = exc.message if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
                failed = await self._retry_later(row, error[:500], None)
                if failed:
                    result.failed += 1
                else:
                    result.retried += 1
                return
            await self._finish(row_id, NotificationStatus.SENT, sent_at=self.clock())
            result.sent += 1
            result.sent_ids.append(row_id)
            return

    def _obsolete(
        self, row: Notification, user: User | None, now: datetime
    ) -> tuple[NotificationStatus, str] | None:
        if row.expires_at is not None and row.expires_at <= now:
            return NotificationStatus.DROPPED, "expired"
        if is_reminder(row):
            event_at = event_at_of(row)
            if event_at is not None and event_at <= now:
                return NotificationStatus.DROPPED, "expired"
        if row.user_id is None:
            return None
        if user is None or user.tg_id is None or user.status == UserStatus.ERASED:
            return NotificationStatus.CANCELLED, "no recipient"
        if user.unreachable_at is not None:
            return NotificationStatus.CANCELLED, "unreachable"
        if is_reminder(row) and not user.reminders_enabled:
            return NotificationStatus.CANCELLED, "reminders_off"
        if row.kind == DIGEST_KIND and not user.digest_enabled:
            return NotificationStatus.CANCELLED, "digest off"
        return None

    async def _finish(
        self,
        row_id: int,
        status: NotificationStatus,
        *,
        error: str | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "claimed_until": None}
        if error is not None:
            values["last_error"] = error[:1000]
        if sent_at is not None:
            values["sent_at"] = sent_at
        async with self.db.session() as session, write(session):
            await session.execute(
                update(Notification)
                .where(Notification.id == row_id, Notification.status == NotificationStatus.CLAIMED)
                .values(**values)
            )

    async def _retry_later(self, row: Notification, error: str, delay: timedelta | None) -> bool:
        """Back to pending after a pause; True when it gave up (recorded as failed)."""
        now = self.clock()
        async with self.db.session() as session, write(session):
            current = await session.get(Notification, row.id)
            if current is None or current.status != NotificationStatus.CLAIMED:
                return False
            current.last_error = error
            current.claimed_until = None
            if delay is not None:  # RetryAfter: Telegram's fault, not the notice's; not counted
                current.attempts = max(0, current.attempts - 1)
            elif current.attempts >= self.max_attempts:
                current.status = NotificationStatus.FAILED
                return True
            else:
                delay = timedelta(seconds=BACKOFF_SECONDS[min(current.attempts, len(BACKOFF_SECONDS)) - 1])
            current.status = NotificationStatus.PENDING
            current.due_at = now + delay
        return False

    async def _unreachable(self, row: Notification, error: str) -> None:
        """The person blocked the bot or the chat is gone: never retry, queue nothing more for them."""
        now = self.clock()
        async with self.db.session() as session, write(session):
            await session.execute(
                update(Notification)
                .where(Notification.id == row.id)
                .values(status=NotificationStatus.FAILED, last_error=error[:1000], claimed_until=None)
            )
            if row.user_id is not None:
                await session.execute(
                    update(User)
                    .where(User.id == row.user_id, User.unreachable_at.is_(None))
                    .values(unreachable_at=now)
                )
                await session.execute(
                    update(Notification)
                    .where(
                        Notification.user_id == row.user_id,
                        Notification.id != row.id,
                        Notification.status == NotificationStatus.PENDING,
                    )
                    .values(status=NotificationStatus.CANCELLED, last_error="unreachable")
                )
        log.info("chat %s unreachable: %s", row.chat_id, error)
