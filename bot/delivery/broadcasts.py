"""The paced broadcast sender: a background task that goes through the delivery rows.

Pacing
    One token bucket for every broadcast request (rate ``BROADCAST_RATE``, default 25/s, never above
    30; a burst of at most a few tokens so no one-second window exceeds 30), a few requests in flight
    (``BROADCAST_CONCURRENCY``), and at least one second between two messages to the same chat.
    A 429 (TelegramRetryAfter) pauses all sending for ``retry_after`` seconds, then the same message
    goes again (not counted as an attempt).
Outcomes
    Sent: the row is marked at once, in its own short transaction. Blocked the bot, deactivated, chat
    not found: the row is ``blocked`` and the person ``unreachable`` (left out of future broadcasts);
    never retried. A copy that Telegram refuses for good (400): ``failed``. The source message deleted:
    the broadcast is ``failed`` and staff are told. Anything else (network, 5xx): retried after a pause
    (2, 4, 8... s) up to ``BROADCAST_MAX_ATTEMPTS`` tries, then ``failed``.
Crash safety
    Nothing is marked before its send, so a crash can only repeat the few sends that were in flight;
    on start the sender continues every running broadcast from its pending rows. A running broadcast is
    held by one process through a lease it renews; a restarted process takes over its own dead
    predecessor's lease at once (same host, process gone), any other after the lease runs out.
Progress
    One message in the admin chat, edited every ``BROADCAST_PROGRESS_SECONDS``, with «Остановить»;
    a report when the broadcast ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy import func, or_, select, update

from bot.desk import Desk
from db.base import utcnow
from db.engine import Database, write
from db.messenger import TELEGRAM
from db.models import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryStatus, User, UserStatus
from handlers.workspace import staff_thread
from keyboards import broadcasts as kb
from services import broadcasts as service
from services.broadcasts import SOURCE_GONE
from services.ports import SharedPace

log = logging.getLogger("bot.broadcasts")

TELEGRAM_LIMIT = 30.0
PER_CHAT_INTERVAL = 1.0
BATCH = 200
STATUS_CHECK_SECONDS = 1.0
MAX_RETRY_AFTER = 600.0

GONE = ("chat not found", "user is deactivated", "peer_id_invalid", "user not found", "bot was blocked")


# --- pacing ---------------------------------------------------------------------------------------


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up; waiters are served in order."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = capacity if capacity is not None else burst_for(rate)
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                self._refill()
                if self.tokens >= 1 - 1e-9:  # float rounding must not leave a waiter spinning
                    self.tokens = max(0.0, self.tokens - 1)
                    return
                await self.sleep((1 - self.tokens) / self.rate)


def burst_for(rate: float) -> float:
    """Tokens that may be saved up: a few, but rate + burst stays within Telegram's 30 a second."""
    return float(max(1, min(3, int(TELEGRAM_LIMIT - rate))))


class ChatSpacing:
    """At least ``interval`` seconds between two sends to one chat (retries, back-to-back broadcasts)."""

    def __init__(
        self, interval: float = PER_CHAT_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[int, float] = {}

    def wait_for(self, chat_id: int) -> float:
        last = self._last.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self.interval - self.clock())

    def sent(self, chat_id: int) -> None:
        now = self.clock()
        self._last[chat_id] = now
        if len(self._last) > 5000:
            self._last = {c: t for c, t in self._last.items() if now - t < self.interval}


# --- one broadcast being sent ---------------------------------------------------------------------


@dataclass
class Item:
    id: int
    chat_id: int
    user_id: int | None
    attempts: int
    language: str


@dataclass
class Job:
    broadcast: Broadcast
    queue: asyncio.Queue[Item | None]
    started: float
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""  # done | stopped | source_gone | lease_lost | unauthorized
    in_flight: set[int] = field(default_factory=set)
    handled: set[int] = field(default_factory=set)
    done_in_run: int = 0
    retry_after_pauses: int = 0
    markups: dict[str, InlineKeyboardMarkup] = field(default_factory=dict)

    def stop(self, reason: str) -> None:
        if not self.stopped.is_set():
            self.reason = reason
            self.stopped.set()


def _instance_id() -> str:
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_owner(owner: str | None, me: str) -> bool:
    """The lease belongs to a process of this host that is gone (killed, crashed)."""
    if not owner or owner == me:
        return False
    host, _sep, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != me.partition(":")[0] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():  # our own pid with another id: this process's previous life (containers)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class BroadcastSender:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        i18n: I18n,
        admin_chat_id: int | None,
        tz: Any,
        locale: str = "ru",
        rate: float = 25.0,
        concurrency: int = 6,
        max_attempts: int = 3,
        progress_seconds: float = 5.0,
        poll_seconds: float = 10.0,
        lease_seconds: float = 30.0,
        quiet_hours: tuple[Any, Any] | None = None,
        retry_base: float = 2.0,
        allow_fast: bool = False,
        pace: SharedPace | None = None,
        settings: Any = None,
    ) -> None:
        if not allow_fast:  # benchmarks and tests may go faster against fakes; Telegram may not
            rate = min(rate, TELEGRAM_LIMIT)
        self.bot = bot
        self.db = db
        self.i18n = i18n
        self.admin_chat_id = admin_chat_id
        self.settings = settings
        """For the admin chat's «Рассылки» forum topic (None: the general thread)."""
        self.tz = tz
        self.locale = locale
        self.rate = rate
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.progress_seconds = progress_seconds
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.quiet_hours = quiet_hours
        self.retry_base = retry_base
        self.bucket: SharedPace = pace or TokenBucket(
            rate, burst_for(min(rate, TELEGRAM_LIMIT)) if not allow_fast else None
        )
        """With Redis, the bot-wide pace shared with the outbox and the other instances."""
        self.spacing = ChatSpacing()
        self.owner = _instance_id()
        self.paused_until = 0.0
        self.job: Job | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls, bot: Bot, db: Database, settings: Any, i18n: I18n, **overrides: Any
    ) -> BroadcastSender:
        values: dict[str, Any] = {
            "i18n": i18n,
            "admin_chat_id": settings.admin_chat_id,
            "settings": settings,
            "tz": settings.tz,
            "locale": settings.default_locale,
            "rate": settings.broadcast_rate,
            "concurrency": settings.broadcast_concurrency,
            "max_attempts": settings.broadcast_max_attempts,
            "progress_seconds": settings.broadcast_progress_seconds,
            "poll_seconds": settings.broadcast_poll_seconds,
            "lease_seconds": settings.broadcast_lease_seconds,
            "quiet_hours": (settings.quiet_hours_start, settings.quiet_hours_end),
        }
        values.update(overrides)
        return cls(bot, db, **values)

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run_forever(), name="broadcast-sender")
        return self._task

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Something new to send (a broadcast started or resumed): look now, not at the next poll."""
        self._wake.set()

    def stop_now(self, broadcast_id: int) -> None:
        """Staff stopped ``broadcast_id``: stop taking its rows at once (the database says so too)."""
        if self.job is not None and self.job.broadcast.id == broadcast_id:
            self.job.stop("stopped")

    async def run_forever(self) -> None:
        log.info("broadcast sender started (%.1f msg/s, %d in flight)", self.rate, self.concurrency)
        while True:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast sender failed; trying again shortly")
                worked = False
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def run_once(self) -> bool:
        """Start due scheduled broadcasts, then send one running broadcast to its end. True if it did
        anything."""
        await self._activate_due()
        broadcast_id = await self._claim()
        if broadcast_id is None:
            return False
        reason = await self.run_broadcast(broadcast_id)
        # A refused token or a failing database: wait for the next poll instead of hammering.
        return reason not in ("unauthorized", "db_error")

    async def run_pending(self) -> None:
        """Send everything that is due, then return (tests, benchmarks)."""
        while await self.run_once():
            pass

    # --- choosing work ----------------------------------------------------------------------------

    async def _activate_due(self) -> None:
        now = utcnow()
        async with self.db.session() as session:
            due = await service.due_scheduled(session, now)
            for row in due:
                if row.quiet and self.quiet_hours and service.in_quiet_hours(now, *self.quiet_hours, self.tz):
                    continue
                total = await service.activate(session, row.id, now)
                if total is not None:
                    log.info("broadcast %s started: %s recipients", row.id, total)

    async def _claim(self) -> int | None:
        now = utcnow()
        until = now + timedelta(seconds=self.lease_seconds)
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Broadcast.id, Broadcast.lease_owner, Broadcast.lease_until)
                    .where(Broadcast.status == BroadcastStatus.RUNNING)
                    .order_by(Broadcast.id)
                )
            ).all()
            # Telegram's limit is per bot, not per process: while another live process sends a
            # broadcast, this one waits instead of doubling the rate.
            if any(
                owner is not None
                and owner != self.owner
                and lease_until is not None
                and lease_until >= now
                and not _dead_local_owner(owner, self.owner)
                for _id, owner, lease_until in rows
            ):
                return None
            for broadcast_id, owner, lease_until in rows:
                free = owner is None or owner == self.owner or lease_until is None or lease_until < now
                if not free and not _dead_local_owner(owner, self.owner):
                    continue
                async with write(session):
                    guard = (
                        Broadcast.lease_owner.is_(None) if owner is None else Broadcast.lease_owner == owner
                    )
                    result = await session.execute(
                        update(Broadcast)
                        .where(
                            Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.RUNNING, guard
                        )
                        .values(lease_owner=self.owner, lease_until=until)
                    )
                if result.rowcount:  # type: ignore[attr-defined]
                    return broadcast_id
        return None

    async def _renew(self, job: Job) -> str | None:
        """Renew the lease; the broadcast's status (None if the lease is lost)."""
        until = utcnow() + timedelta(seconds=self.lease_seconds)
        async with self.db.session() as session:
            status = await session.scalar(select(Broadcast.status).where(Broadcast.id == job.broadcast.id))
            if status != BroadcastStatus.RUNNING:
                return status
            async with write(session):
                result = await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == job.broadcast.id, Broadcast.lease_owner == self.owner)
                    .values(lease_until=until)
                )
            return status if result.rowcount else None  # type: ignore[attr-defined]

    async def _release(self, broadcast_id: int) -> None:
        async with self.db.session() as session, write(session):
            await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )

    # --- sending one broadcast --------------------------------------------------------------------

    async def run_broadcast(self, broadcast_id: int) -> str:
        """Send a claimed running broadcast until nothing is pending, it is stopped or it cannot go on.
        Returns why it ended."""
        async with self.db.session() as session:
            broadcast = await service.get(session, broadcast_id)
        job = Job(
            broadcast=broadcast, queue=asyncio.Queue(maxsize=self.concurrency * 2), started=time.monotonic()
        )
        self.job = job
        await self._ensure_progress_message(job)
        workers = [asyncio.create_task(self._worker(job)) for _ in range(self.concurrency)]
        monitor = asyncio.create_task(self._monitor(job))
        try:
            await self._produce(job)
            for _ in workers:
                await job.queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for task in (*workers, monitor):
                task.cancel()
            await asyncio.gather(*workers, monitor, return_exceptions=True)
            self.job = None
            if job.reason != "lease_lost":
                with contextlib.suppress(Exception):
                    await self._release(broadcast_id)
        await self._conclude(job)
        return job.reason

    async def _produce(self, job: Job) -> None:
        cursor = 0
        while not job.stopped.is_set():
            items, last_id = await self._fetch(job, cursor)
            if last_id is not None:
                cursor = last_id
                for item in items:
                    if job.stopped.is_set():
                        return
                    job.in_flight.add(item.id)
                    await job.queue.put(item)
                continue
            # One pass over the rows is done: wait for what is in flight, then look for retries.
            await job.queue.join()
            if job.stopped.is_set():
                return
            remaining, next_at = await self._remaining(job)
            if remaining == 0:
                job.stop("done")
                return
            cursor = 0
            wait = 0.0 if next_at is None else (next_at - utcnow()).total_seconds()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(job.stopped.wait(), timeout=wait)

    async def _fetch(self, job: Job, cursor: int) -> tuple[list[Item], int | None]:
        """The next due pending rows after ``cursor`` and the last id looked at (None: none left)."""
        now = utcnow()
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(
                        BroadcastDelivery.id,
                        BroadcastDelivery.chat_id,
                        BroadcastDelivery.user_id,
                        BroadcastDelivery.attempts,
                        BroadcastDelivery.messenger,
                        User.language,
                        User.status,
                        User.news_opt_in,
                        User.unreachable_at,
                    )
                    .outerjoin(User, User.id == BroadcastDelivery.user_id)
                    .where(
                        BroadcastDelivery.broadcast_id == job.broadcast.id,
                        BroadcastDelivery.status == DeliveryStatus.PENDING,
                        BroadcastDelivery.id > cursor,
                        or_(BroadcastDelivery.next_at.is_(None), BroadcastDelivery.next_at <= now),
                    )
                    .order_by(BroadcastDelivery.id)
                    .limit(BATCH)
                )
            ).all()
            items: list[Item] = []
            skipped: list[int] = []
            for (
                did,
                chat_id,
                user_id,
                attempts,
                messenger_name,
                language,
                status,
                opt_in,
                unreachable,
            ) in rows:
                if did in job.in_flight or did in job.handled:
                    continue
                if (
                    chat_id is None
                    # a broadcast is a copy of a staff member's Telegram message, which MAX cannot copy:
                    # people in MAX are skipped (never sent to the Telegram chat of the same number)
                    or messenger_name != TELEGRAM
                    or status != UserStatus.REGISTERED
                    or not opt_in
                    or unreachable is not None
                ):
                    skipped.append(did)
                    continue
                items.append(Item(did, chat_id, user_id, attempts, language or self.locale))
            if skipped:
                async with write(session):
                    await session.execute(
                        update(BroadcastDelivery)
                        .where(
                            BroadcastDelivery.id.in_(skipped),
                            BroadcastDelivery.status == DeliveryStatus.PENDING,
                        )
                        .values(status=DeliveryStatus.SKIPPED)
                    )
                job.done_in_run += len(skipped)
        return items, (rows[-1][0] if rows else None)

    async def _remaining(self, job: Job) -> tuple[int, datetime | None]:
        async with self.db.session() as session:
            count, next_at = (
                await session.execute(
                    select(func.count(), func.min(BroadcastDelivery.next_at)).where(
                        BroadcastDelivery.broadcast_id == job.broadcast.id,
                        BroadcastDelivery.status == DeliveryStatus.PENDING,
                    )
                )
            ).one()
        return count or 0, next_at

    async def _worker(self, job: Job) -> None:
        while True:
            item = await job.queue.get()
            if item is None:
                job.queue.task_done()
                return
            try:
                if not job.stopped.is_set():
                    await self._deliver(job, item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast %s: delivery %s failed unexpectedly", job.broadcast.id, item.id)
            finally:
                job.in_flight.discard(item.id)
                job.queue.task_done()

    async def _gate(self, job: Job) -> bool:
        """Wait for a 429 pause to end and for a token. False if the job stopped meanwhile."""
        while True:
            pause = self.paused_until - time.monotonic()
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(job.stopped.wait(), timeout=pause)
            if job.stopped.is_set():
                return False
            await self.bucket.acquire()
            if self.paused_until <= time.monotonic():
                return not job.stopped.is_set()

    def _markup(self, job: Job, language: str) -> InlineKeyboardMarkup:
        markup = job.markups.get(language)
        if markup is None:
            with self.i18n.context(), self.i18n.use_locale(language):
                markup = kb.unsubscribe_keyboard(job.broadcast.id)
            job.markups[language] = markup
        return markup

    async def _deliver(self, job: Job, item: Item) -> None:
        broadcast = job.broadcast
        while True:
            wait = self.spacing.wait_for(item.chat_id)
            if wait > 0:
                await asyncio.sleep(wait)
            if not await self._gate(job):
                return
            self.spacing.sent(item.chat_id)
            try:
                result = await self.bot.copy_message(
                    chat_id=item.chat_id,
                    from_chat_id=broadcast.source_chat_id,
                    message_id=broadcast.source_message_id,
                    reply_markup=self._markup(job, item.language),
                )
            except TelegramRetryAfter as exc:
                job.retry_after_pauses += 1
                pause = min(float(exc.retry_after), MAX_RETRY_AFTER)
                self.paused_until = max(self.paused_until, time.monotonic() + pause)
                log.warning("broadcast %s: Telegram asks to wait %ss", broadcast.id, exc.retry_after)
                continue
            except (TelegramForbiddenError, TelegramNotFound) as exc:
                await self._mark(job, item, DeliveryStatus.BLOCKED, exc.message)
            except TelegramBadRequest as exc:
                text = exc.message.lower()
                if any(marker in text for marker in SOURCE_GONE):
                    job.stop("source_gone")
                    return
                gone = any(marker in text for marker in GONE)
                status = DeliveryStatus.BLOCKED if gone else DeliveryStatus.FAILED
                await self._mark(job, item, status, exc.message)
            except TelegramMigrateToChat as exc:
                await self._mark(job, item, DeliveryStatus.FAILED, exc.message)
            except TelegramUnauthorizedError:
                log.error("broadcast %s: the bot token is refused; stopping", broadcast.id)
                job.stop("unauthorized")
                return
            except (TelegramAPIError, OSError, TimeoutError) as exc:
                await self._retry_later(job, item, f"{type(exc).__name__}: {exc}")
            else:
                await self._mark_sent(job, item, result.message_id)
            return

    async def _write(self, job: Job, item: Item, statements: list[Any]) -> None:
        """One short transaction, tried a few times: a row that cannot be marked is still not sent
        twice in this run (``handled``), only after a restart."""
        for attempt in range(5):
            try:
                async with self.db.session() as session, write(session):
                    for statement in statements:
                        await session.execute(statement)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "broadcast %s: could not mark delivery %s", job.broadcast.id, item.id, exc_info=True
                )
                await asyncio.sleep(0.2 * (attempt + 1))
        log.error("broadcast %s: delivery %s left unmarked; pausing the broadcast", job.broadcast.id, item.id)
        job.stop("db_error")  # go on later from the database, rather than guess what was sent

    async def _mark(self, job: Job, item: Item, status: DeliveryStatus, error: str) -> None:
        """A delivery that ended unsent: FAILED, or BLOCKED (the person is marked unreachable too)."""
        await self._end(job, item, status=status, error=(error or None) and error[:200])

    async def _mark_sent(self, job: Job, item: Item, message_id: int) -> None:
        await self._end(
            job, item, status=DeliveryStatus.SENT, sent_at=utcnow(), message_id=message_id, error=None
        )

    async def _end(self, job: Job, item: Item, **values: Any) -> None:
        """Record how the delivery ended (``values``: the row's status and what goes with it)."""
        statements: list[Any] = [
            update(BroadcastDelivery)
            .where(BroadcastDelivery.id == item.id)
            .values(attempts=BroadcastDelivery.attempts + 1, next_at=None, **values)
        ]
        if values["status"] == DeliveryStatus.BLOCKED and item.user_id is not None:
            statements.append(
                update(User)
                .where(User.id == item.user_id, User.unreachable_at.is_(None))
                .values(unreachable_at=utcnow())
            )
        job.handled.add(item.id)
        await self._write(job, item, statements)
        job.done_in_run += 1

    async def _retry_later(self, job: Job, item: Item, error: str) -> None:
        attempts = item.attempts + 1
        if attempts >= self.max_attempts:
            await self._mark(job, item, DeliveryStatus.FAILED, error)
            return
        delay = max(PER_CHAT_INTERVAL, self.retry_base * 2 ** (attempts - 1))
        await self._write(
            job,
            item,
            [
                update(BroadcastDelivery)
                .where(BroadcastDelivery.id == item.id)
                .values(attempts=attempts, error=error[:200], next_at=utcnow() + timedelta(seconds=delay))
            ],
        )

    # --- progress and report ----------------------------------------------------------------------

    async def _monitor(self, job: Job) -> None:
        last_progress = time.monotonic()
        while not job.stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(job.stopped.wait(), timeout=STATUS_CHECK_SECONDS)
            if job.stopped.is_set():
                return
            try:
                status = await self._renew(job)
                if status is None:
                    job.stop("lease_lost")
                    return
                if status != BroadcastStatus.RUNNING:
                    job.stop("stopped")
                    return
                if time.monotonic() - last_progress >= self.progress_seconds:
                    last_progress = time.monotonic()
                    await self._show_progress(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("broadcast %s: progress check failed", job.broadcast.id, exc_info=True)

    async def _thread(self) -> int | None:
        """The admin chat's «Рассылки» topic when it is a forum (never fails: None then)."""
        if self.settings is None or self.admin_chat_id is None:
            return None
        try:
            async with self.db.session() as session:
                with self.i18n.context(), self.i18n.use_locale(self.locale):
                    return await staff_thread(Desk(self.bot, session, self.settings, self.i18n), "broadcasts")
        except Exception:
            log.warning("could not find the broadcasts topic", exc_info=True)
            return None

    async def _ensure_progress_message(self, job: Job) -> None:
        broadcast = job.broadcast
        if broadcast.progress_message_id is not None or self.admin_chat_id is None:
            return
        async with self.db.session() as session:
            counts = await service.counts(session, broadcast.id)
        with self.i18n.context(), self.i18n.use_locale(self.locale):
            text = self.progress_text(broadcast, counts, job)
            markup = kb.control_keyboard(broadcast.id, BroadcastStatus.RUNNING)
        thread = await self._thread()
        try:
            message = await self.bot.send_message(
                self.admin_chat_id, text, reply_markup=markup, message_thread_id=thread
            )
        except TelegramAPIError:
            log.warning("broadcast %s: could not post the progress message", broadcast.id, exc_info=True)
            return
        broadcast.progress_chat_id, broadcast.progress_message_id = message.chat.id, message.message_id
        async with self.db.session() as session:
            await service.set_progress_message(session, broadcast.id, message.chat.id, message.message_id)

    async def _edit_progress(
        self, broadcast: Broadcast, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        if broadcast.progress_message_id is None or broadcast.progress_chat_id is None:
            return
        try:
            await self.bot.edit_message_text(
                text=text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=markup,
            )
        except TelegramRetryAfter as exc:
            self.paused_until = max(
                self.paused_until, time.monotonic() + min(exc.retry_after, MAX_RETRY_AFTER)
            )
        except TelegramAPIError as exc:  # "message is not modified", deleted by someone...
            log.debug("broadcast %s: progress not edited: %s", broadcast.id, exc)

    async def _show_progress(self, job: Job) -> None:
        async with self.db.session() as session:
            counts = await service.counts(session, job.broadcast.id)
        with self.i18n.context(), self.i18n.use_locale(self.locale):
            text = self.progress_text(job.broadcast, counts, job)
            markup = kb.control_keyboard(job.broadcast.id, BroadcastStatus.RUNNING)
        await self.bucket.acquire()
        await self._edit_progress(job.broadcast, text, markup)

    def observed_rate(self, job: Job) -> float:
        elapsed = time.monotonic() - job.started
        if elapsed < 3 or job.done_in_run < 10:
            return self.rate
        return max(0.1, job.done_in_run / elapsed)

    def progress_text(self, broadcast: Broadcast, counts: service.Counts, job: Job | None) -> str:
        rate = self.observed_rate(job) if job else self.rate
        return kb.status_text(
            broadcast.id, BroadcastStatus.RUNNING, counts, tz=self.tz, rate=rate, now=utcnow()
        )

    async def _conclude(self, job: Job) -> None:
        broadcast = job.broadcast
        reason = job.reason
        if reason in ("lease_lost", ""):
            return
        if reason == "done":
            if not await self._finish(broadcast.id, BroadcastStatus.DONE, None):
                return
        elif reason == "source_gone":
            if not await self._finish(broadcast.id, BroadcastStatus.FAILED, "source_gone"):
                return
        async with self.db.session() as session:
            row = await service.get(session, broadcast.id)
            counts = await service.counts(session, broadcast.id)
        with self.i18n.context(), self.i18n.use_locale(self.locale):
            text = self.status_text(row, counts)
            markup = kb.control_keyboard(row.id, row.status)
            report = self.report_text(row, counts) if reason in ("done", "source_gone") else None
        await self._edit_progress(row, text, markup)
        if report and self.admin_chat_id is not None:
            try:
                await self.bot.send_message(
                    self.admin_chat_id, report, reply_to_message_id=row.progress_message_id
                )
            except TelegramAPIError:
                with contextlib.suppress(TelegramAPIError):
                    await self.bot.send_message(
                        self.admin_chat_id, report, message_thread_id=await self._thread()
                    )
        log.info("broadcast %s ended: %s (%s)", broadcast.id, reason, counts)

    async def _finish(self, broadcast_id: int, status: str, error: str | None) -> bool:
        async with self.db.session() as session:
            return await service.finish(session, broadcast_id, status=status, error=error)

    def status_text(self, broadcast: Broadcast, counts: service.Counts) -> str:
        """The progress message once the broadcast is not running (stopped, done, failed)."""
        return kb.status_text(
            broadcast.id, broadcast.status, counts, tz=self.tz, rate=self.rate, now=utcnow()
        )

    def report_text(self, broadcast: Broadcast, counts: service.Counts) -> str:
        if broadcast.status == BroadcastStatus.FAILED:
            return _("broadcast.report_source_gone").format(
                id=broadcast.id, sent=counts.sent, left=counts.pending
            )
        took = (
            (broadcast.finished_at - broadcast.started_at).total_seconds()
            if broadcast.finished_at and broadcast.started_at
            else 0
        )
        text = _("broadcast.report").format(
            id=broadcast.id,
            sent=counts.sent,
            total=counts.total,
            blocked=counts.blocked,
            failed=counts.failed,
            took=kb.duration(took),
        )
        if counts.skipped:
            text += "\n" + _("broadcast.report_skipped").format(skipped=counts.skipped)
        return text


def install(dp: Any) -> None:
    """Run the sender while the dispatcher runs: started on dp.startup, cancelled on dp.shutdown.
    The running sender is ``dp["broadcast_sender"]`` (handlers wake it up and stop broadcasts)."""

    async def on_startup(bot: Bot, settings: Any, db: Database, i18n: I18n) -> None:
        sender = BroadcastSender.from_settings(bot, db, settings, i18n, pace=dp.workflow_data.get("pace"))
        dp["broadcast_sender"] = sender
        sender.start()

    async def on_shutdown() -> None:
        sender: BroadcastSender | None = dp.workflow_data.pop("broadcast_sender", None)
        if sender is not None:
            await sender.close()

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
