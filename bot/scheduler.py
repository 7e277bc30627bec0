"""APScheduler jobs. The database is the source of truth; the scheduler only ticks.

build_scheduler() registers jobs without starting; the dispatcher's startup starts it and its shutdown
stops it. The notifications engine adds its outbox tick and the weekly digest here.
"""

from __future__ import annotations

from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def build_scheduler(settings: Settings, **context: Any) -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=settings.tz, job_defaults=JOB_DEFAULTS)
