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
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.delivery.jobs import (
    CATCH_UP_JOB,
    DIGEST_JOB,
    MONTHLY_JOB,
    JobContext,
    last_digest_moment,
    run_catch_up,
    run_monthly,
    run_retention,
    run_tick,
    run_weekly_digest,
)
from bot.delivery.outbox import create_outbox

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
TICK_JOB = "outbox.tick"

__all__ = [
    "CATCH_UP_JOB",
    "DIGEST_JOB",
    "MONTHLY_JOB",
    "TICK_JOB",
    "build_scheduler",
    "last_digest_moment",
    "run_catch_up",
    "run_monthly",
    "run_retention",
    "run_tick",
    "run_weekly_digest",
]


def build_scheduler(settings: Settings, **context: Any) -> AsyncIOScheduler:
    """The scheduler with its jobs registered, not started. Context: bot, db, dispatcher (for i18n),
    and optionally ``registry`` (bot.features; default: every feature): the outbox tick is the
    scheduler's own, every other job comes from a feature."""
    from bot import features

    scheduler = AsyncIOScheduler(timezone=settings.tz, job_defaults=JOB_DEFAULTS)
    bot, db, dispatcher = context.get("bot"), context.get("db"), context.get("dispatcher")
    if bot is None or db is None or dispatcher is None:
        return scheduler
    i18n = dispatcher["i18n"]
    others = {name: b for name, b in (dispatcher.get("bots") or {}).items() if b is not bot}  # MAX
    outbox = create_outbox(settings, bot, db, i18n, dispatcher.get("clock"), dispatcher.get("pace"), others)
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
    registry = context.get("registry") or dispatcher.get("registry") or features.build()
    ctx = JobContext(settings=settings, bot=bot, db=db, i18n=i18n, outbox=outbox)
    for add_job in registry.jobs:
        add_job(scheduler, ctx)

    async def stop_outbox() -> None:
        # before the scheduler is shut down: the notice in flight finishes, unsent claims are released
        await outbox.stop()

    dispatcher.shutdown.register(stop_outbox)
    scheduler.outbox = outbox  # type: ignore[attr-defined]
    return scheduler
