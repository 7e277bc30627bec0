"""Scheduled jobs: what each one runs, and how each feature's job is added to the scheduler.

The run_* functions call services and log failures; the feature job adders (JobAdder: scheduler,
JobContext) are listed per feature in bot.features and added by bot.scheduler.build_scheduler. Jobs
that send reach Telegram through the outbox or a Notifier (bot.delivery.telegram), never through a
service holding a Bot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from aiogram import Bot
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.delivery.telegram import TelegramNotifier
from bot.desk import Desk
from bot.leases import every, once
from db.base import utcnow
from db.engine import Database
from handlers.consultations.delivery import raise_overdue as raise_overdue_consultations
from handlers.report.delivery import post_monthly as post_monthly_report
from handlers.workspace import refresh_pin
from services import digest as digest_service
from services import privacy as privacy_service
from services import report_offline
from services import showcase as showcase_service
from services.events import process_expired_offers
from services.outbox import Outbox
from services.ports import Translator

log = logging.getLogger("bot.scheduler")

DIGEST_JOB = "digest.weekly"
CATCH_UP_JOB = "digest.catch_up"
MONTHLY_JOB = "report.monthly"
LONG_JOB_LEASE = timedelta(minutes=30)
"""How long an instance may take over the digest, the monthly report or retention before another
instance takes the work over (the digest for 100,000 people takes about 7 minutes here)."""
JOB_NAMES = {  # APScheduler's name of each job (what it does, in the logs)
    DIGEST_JOB: "queue the weekly digest",
    CATCH_UP_JOB: "queue this week's digest if the bot was down at its time",
    MONTHLY_JOB: "ask providers about offline recipients; post the monthly report",
    "consultations.overdue": "raise consultation requests nobody took in time",
    "events.offers": "expire wait-list offers and pass the places on",
    showcase_service.UNANSWERED_JOB: "raise service requests providers did not answer in time",
    "workspace.pin": "keep the pinned count of what waits for staff up to date",
    "privacy.retention": "erase old guests and expire untouched drafts (152-ФЗ)",
}


@dataclass(frozen=True)
class JobContext:
    """What a job may use: settings, the bot (only through the delivery layer), the database, texts,
    and the process's outbox sender."""

    settings: Settings
    bot: Bot
    db: Database
    i18n: Translator
    outbox: Outbox

    @property
    def notifier(self) -> TelegramNotifier:
        return TelegramNotifier(self.bot)


JobAdder = Callable[[BaseScheduler, JobContext], None]


def digest_trigger(settings: Settings) -> CronTrigger:
    """When the weekly digest goes out (DIGEST_DAY, DIGEST_TIME, local time)."""
    return CronTrigger(
        day_of_week=settings.digest_day,
        hour=settings.digest_time.hour,
        minute=settings.digest_time.minute,
        timezone=settings.tz,
    )


def last_digest_moment(now: datetime, settings: Settings) -> datetime:
    """The most recent scheduled digest moment at or before ``now`` (aware, local)."""
    return last_fire(digest_trigger(settings), now, timedelta(days=8))


def last_fire(trigger: CronTrigger, now: datetime, within: timedelta = timedelta(days=32)) -> datetime:
    """The cron trigger's most recent moment at or before ``now`` (it fires at least once ``within``)."""
    start = now.astimezone(trigger.timezone) - within
    moment = trigger.get_next_fire_time(None, start)
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    assert last is not None
    return last


async def run_tick(outbox: Outbox) -> None:
    try:
        result = await outbox.tick()
    except Exception:
        log.exception("outbox tick failed")
        return
    if result.sent or result.failed or result.unreachable:
        log.info(
            "outbox: sent %s, failed %s, unreachable %s, dropped %s",
            result.sent,
            result.failed,
            result.unreachable,
            result.dropped,
        )


async def run_weekly_digest(
    settings: Settings, db: Any, i18n: Any, outbox: Outbox | None = None, now: datetime | None = None
) -> int:
    try:
        count = await digest_service.queue_weekly(db, i18n, settings.tz, now or utcnow())
    except Exception:
        log.exception("weekly digest failed")
        return 0
    if outbox is not None and count:
        await run_tick(outbox)  # send now rather than at the next tick
    return count


async def run_catch_up(
    settings: Settings, db: Any, i18n: Any, outbox: Outbox | None = None, now: datetime | None = None
) -> int:
    """Queue this week's digest if its moment passed while the bot was down (not long ago)."""
    now = now or utcnow()
    last = last_digest_moment(now, settings)
    if now - last > timedelta(hours=settings.digest_catch_up_hours):
        return 0
    return await run_weekly_digest(settings, db, i18n, outbox, now)


async def run_retention(settings: Settings, db: Any, now: datetime | None = None) -> tuple[int, int]:
    try:
        async with db.session() as session:
            return await privacy_service.apply_retention(
                session,
                now or utcnow(),
                guest_days=settings.guest_retention_days,
                draft_days=settings.draft_retention_days,
            )
    except Exception:
        log.exception("retention job failed")
        return 0, 0


async def run_monthly(
    settings: Settings,
    bot: Any,
    db: Any,
    i18n: Any,
    outbox: Outbox | None = None,
    now: datetime | None = None,
) -> int:
    """The 1st of the month: ask providers about offline recipients; post last month's report if set."""
    now = now or utcnow()
    asked = 0
    try:
        asked = await report_offline.queue_monthly(db, now, settings.tz, settings.report_offline_remind_days)
    except Exception:
        log.exception("offline recipients questions failed")
    await post_monthly_report(bot, db, i18n, settings, now)
    if outbox is not None and asked:
        await run_tick(outbox)
    return asked


# --- each feature's jobs (listed per feature in bot.features) ------------------------------------


def add_leased_job(
    scheduler: BaseScheduler, job_id: str, job: Callable[..., Any], trigger: BaseTrigger, **options: Any
) -> None:
    """Add ``job`` (a bot.leases.once wrapper) under ``job_id`` and its JOB_NAMES name: it replaces a
    job of that id, runs once at a time, and runs missed while the bot was down are folded into one."""
    scheduler.add_job(
        job,
        trigger,
        id=job_id,
        name=JOB_NAMES[job_id],
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        **options,
    )


def digest_lease(func: Callable[..., Any], scheduler: BaseScheduler, ctx: JobContext) -> Callable[..., Any]:
    """``func`` holding the weekly digest's lease: a digest done by any instance is not queued again."""
    settings = ctx.settings
    return once(
        DIGEST_JOB,
        func,
        db=ctx.db,
        moment_of=lambda now: last_digest_moment(now, settings),
        ttl=LONG_JOB_LEASE,
        scheduler=scheduler,
    )


def weekly_digest(scheduler: BaseScheduler, ctx: JobContext) -> None:
    settings = ctx.settings
    job = digest_lease(run_weekly_digest, scheduler, ctx)
    grace = max(60, settings.digest_catch_up_hours * 3600)
    args = (settings, ctx.db, ctx.i18n, ctx.outbox)
    add_leased_job(scheduler, DIGEST_JOB, job, digest_trigger(settings), args=args, misfire_grace_time=grace)


def digest_catch_up(scheduler: BaseScheduler, ctx: JobContext) -> None:
    settings = ctx.settings
    job = digest_lease(run_catch_up, scheduler, ctx)
    soon = DateTrigger(run_date=datetime.now(settings.tz) + timedelta(seconds=5), timezone=settings.tz)
    args = (settings, ctx.db, ctx.i18n, ctx.outbox)
    add_leased_job(scheduler, CATCH_UP_JOB, job, soon, args=args, misfire_grace_time=3600)


def monthly_report(scheduler: BaseScheduler, ctx: JobContext) -> None:
    trigger = CronTrigger(day=1, hour=10, minute=0, timezone=ctx.settings.tz)
    moment_of = partial(last_fire, trigger)
    job = once(
        MONTHLY_JOB, run_monthly, db=ctx.db, moment_of=moment_of, ttl=LONG_JOB_LEASE, scheduler=scheduler
    )
    args = (ctx.settings, ctx.bot, ctx.db, ctx.i18n, ctx.outbox)
    add_leased_job(scheduler, MONTHLY_JOB, job, trigger, args=args, misfire_grace_time=12 * 3600)


def _bot_args(ctx: JobContext) -> tuple[Any, ...]:
    return (ctx.bot, ctx.db, ctx.i18n, ctx.settings)


def _notifier_args(ctx: JobContext) -> tuple[Any, ...]:
    return (ctx.notifier, ctx.db, ctx.i18n, ctx.settings)


@dataclass(frozen=True)
class IntervalJob:
    """A JobAdder: ``func`` every ``interval``, run in one instance per window (bot.leases), given
    what ``takes`` picks from the JobContext; its lease lasts ``ttl`` (default: the interval)."""

    job_id: str
    func: Callable[..., Any]
    interval: timedelta
    takes: Callable[[JobContext], tuple[Any, ...]]
    ttl: timedelta | None = None

    def __call__(self, scheduler: BaseScheduler, ctx: JobContext) -> None:
        interval = self.interval
        job = once(self.job_id, self.func, db=ctx.db, moment_of=every(interval), ttl=self.ttl or interval)
        trigger = IntervalTrigger(seconds=int(interval.total_seconds()), timezone=ctx.settings.tz)
        add_leased_job(scheduler, self.job_id, job, trigger, args=self.takes(ctx))


async def run_staff_pin(bot: Bot, db: Database, i18n: Translator, settings: Settings) -> None:
    """Keep the pinned «📥 Ждут ответа (N)» count in the admin chat up to date."""
    if settings.admin_chat_id is None:
        return
    try:
        async with db.session() as session:
            with i18n.context(), i18n.use_locale(settings.default_locale):
                await refresh_pin(Desk(bot, session, settings, i18n))
    except Exception:
        log.exception("could not update the pinned count")


UNANSWERED_EVERY = timedelta(minutes=showcase_service.UNANSWERED_EVERY_MINUTES)
consultations_overdue = IntervalJob(
    "consultations.overdue", raise_overdue_consultations, timedelta(minutes=15), _bot_args
)
event_offers = IntervalJob("events.offers", process_expired_offers, timedelta(minutes=1), _notifier_args)
showcase_unanswered = IntervalJob(
    showcase_service.UNANSWERED_JOB, showcase_service.raise_unanswered, UNANSWERED_EVERY, _notifier_args
)
staff_pin = IntervalJob("workspace.pin", run_staff_pin, timedelta(minutes=1), _bot_args)
retention = IntervalJob(
    "privacy.retention", run_retention, timedelta(hours=6), lambda ctx: (ctx.settings, ctx.db), LONG_JOB_LEASE
)
