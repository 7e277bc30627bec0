"""APScheduler jobs. The database is the source of truth; the scheduler only ticks.

build_scheduler() registers jobs without starting; the dispatcher's startup starts it and its shutdown
stops it. Jobs (stable ids):
- ``outbox.tick``: every OUTBOX_TICK_SECONDS, and once right at start (a bot that was down sends
  what fell due meanwhile, once: the outbox rows are the memory, not the scheduler).
- ``digest.weekly``: DIGEST_DAY at DIGEST_TIME in TIMEZONE, queues the week's digests.
- ``digest.catch_up``: once shortly after start: if this week's digest moment passed less than
  DIGEST_CATCH_UP_HOURS ago (the bot was down then), the digest is queued now. Keys per
  (person, week) make a second run harmless.
- ``consultations.overdue``: every 15 minutes, raises again in the admin chat the consultation
  requests nobody took within CONSULT_RESPONSE_HOURS working hours.
- ``events.offers``: every minute, wait-list offers not confirmed in EVENT_OFFER_HOURS expire and the
  place is offered to the next person waiting (services.events.process_expired_offers).
- ``showcase.unanswered``: every 30 minutes, raises in the admin chat the service requests providers
  left unanswered for SHOWCASE_ANSWER_HOURS, once each, and reminds the provider.
- ``report.monthly``: the 1st of each month at 10:00 in TIMEZONE: providers with published cards are
  asked about last month's offline recipients (and reminded once, REPORT_OFFLINE_REMIND_DAYS later);
  with REPORT_MONTHLY_POST, last month's reach report is posted to the admin chat.
Coalescing and a misfire grace time keep a late or stalled event loop from running a job twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from db.base import utcnow
from db.clock import Clock
from db.clock import current as current_clock
from handlers.consultations.delivery import raise_overdue as raise_overdue_consultations
from handlers.report.delivery import post_monthly as post_monthly_report
from services import digest as digest_service
from services import privacy as privacy_service
from services import report_offline
from services import showcase as showcase_service
from services.events import process_expired_offers
from services.outbox import Outbox, Pacer

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
TICK_JOB = "outbox.tick"
DIGEST_JOB = "digest.weekly"
CATCH_UP_JOB = "digest.catch_up"
MONTHLY_JOB = "report.monthly"


def create_outbox(settings: Settings, bot: Any, db: Any, i18n: Any, clock: Clock | None = None) -> Outbox:
    clock = clock or current_clock()
    return Outbox(
        bot,
        db,
        i18n,
        tz=settings.tz,
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        default_locale=settings.default_locale,
        claim_ttl=timedelta(seconds=settings.outbox_claim_seconds),
        max_attempts=settings.outbox_max_attempts,
        pacer=Pacer(rate=settings.outbox_rate),
        clock=clock.now,
    )


def last_digest_moment(now: datetime, settings: Settings) -> datetime:
    """The most recent scheduled digest moment at or before ``now`` (aware, local)."""
    trigger = CronTrigger(
        day_of_week=settings.digest_day,
        hour=settings.digest_time.hour,
        minute=settings.digest_time.minute,
        timezone=settings.tz,
    )
    start = now.astimezone(settings.tz) - timedelta(days=8)
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


def build_scheduler(settings: Settings, **context: Any) -> AsyncIOScheduler:
    """The scheduler with its jobs registered, not started. Context: bot, db, dispatcher (for i18n)."""
    scheduler = AsyncIOScheduler(timezone=settings.tz, job_defaults=JOB_DEFAULTS)
    bot, db, dispatcher = context.get("bot"), context.get("db"), context.get("dispatcher")
    if bot is None or db is None or dispatcher is None:
        return scheduler
    i18n = dispatcher["i18n"]
    outbox = create_outbox(settings, bot, db, i18n, dispatcher.get("clock"))
    scheduler.add_job(
        run_tick,
        IntervalTrigger(seconds=max(1, settings.outbox_tick_seconds), timezone=settings.tz),
        args=(outbox,),
        id=TICK_JOB,
        name="send due notifications",
        replace_existing=True,
        next_run_time=datetime.now(settings.tz),  # APScheduler's own (real) time, not the bot's clock
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, settings.outbox_tick_seconds),
    )
    scheduler.add_job(
        run_weekly_digest,
        CronTrigger(
            day_of_week=settings.digest_day,
            hour=settings.digest_time.hour,
            minute=settings.digest_time.minute,
            timezone=settings.tz,
        ),
        args=(settings, db, i18n, outbox),
        id=DIGEST_JOB,
        name="queue the weekly digest",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(60, settings.digest_catch_up_hours * 3600),
    )
    scheduler.add_job(
        run_catch_up,
        DateTrigger(run_date=datetime.now(settings.tz) + timedelta(seconds=5), timezone=settings.tz),
        args=(settings, db, i18n, outbox),
        id=CATCH_UP_JOB,
        name="queue this week's digest if the bot was down at its time",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )

    scheduler.add_job(
        raise_overdue_consultations,
        IntervalTrigger(minutes=15, timezone=settings.tz),
        args=(bot, db, i18n, settings),
        id="consultations.overdue",
        name="raise consultation requests nobody took in time",
        replace_existing=True,
    )
    scheduler.add_job(
        process_expired_offers,
        IntervalTrigger(minutes=1, timezone=settings.tz),
        args=(bot, db, i18n, settings),
        id="events.offers",
        name="expire wait-list offers and pass the places on",
        replace_existing=True,
    )

    showcase_service.add_jobs(scheduler, bot, db, i18n, settings)  # showcase.unanswered
    scheduler.add_job(
        run_retention,
        IntervalTrigger(hours=6, timezone=settings.tz),
        args=(settings, db),
        id="privacy.retention",
        name="erase old guests and expire untouched drafts (152-ФЗ)",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        run_monthly,
        CronTrigger(day=1, hour=10, minute=0, timezone=settings.tz),
        args=(settings, bot, db, i18n, outbox),
        id=MONTHLY_JOB,
        name="ask providers about offline recipients; post the monthly report",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=12 * 3600,
    )

    async def stop_outbox() -> None:
        # before the scheduler is shut down: the notice in flight finishes, unsent claims are released
        await outbox.stop()

    dispatcher.shutdown.register(stop_outbox)
    scheduler.outbox = outbox  # type: ignore[attr-defined]
    return scheduler
