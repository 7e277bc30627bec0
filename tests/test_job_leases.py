"""Scheduled jobs run once per moment across instances (bot/leases.py), on SQLite and on PostgreSQL.

Several instances are stood in for by several lease holders on one database: each holder is what one
bot process is to the lease table.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from bot import leases
from bot.delivery.jobs import DIGEST_JOB, MONTHLY_JOB, last_digest_moment, run_weekly_digest
from bot.scheduler import build_scheduler
from db.base import utcnow
from db.models import JobLease

MOMENT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


async def test_of_ten_instances_firing_at_once_exactly_one_runs(db: Any) -> None:
    now = utcnow()
    claims = await asyncio.gather(
        *(
            leases.claim(db, "digest.weekly", MOMENT, ttl=TTL, now=now, holder=f"instance-{i}")
            for i in range(10)
        )
    )
    assert sum(c.ours for c in claims) == 1
    assert all(c.held_until is not None for c in claims if not c.ours)
    # the next moment is free at once; an earlier one is never run again
    assert (
        await leases.claim(db, "digest.weekly", MOMENT + timedelta(days=7), ttl=TTL, now=now, holder="x")
    ).ours
    assert not (await leases.claim(db, "digest.weekly", MOMENT, ttl=TTL, now=now + TTL * 2, holder="y")).ours


async def test_a_finished_moment_is_not_run_again_and_jobs_do_not_share_leases(db: Any) -> None:
    now = utcnow()
    assert (await leases.claim(db, "events.offers", MOMENT, ttl=TTL, now=now, holder="a")).ours
    assert (await leases.claim(db, "consultations.overdue", MOMENT, ttl=TTL, now=now, holder="b")).ours
    await leases.finish(db, "events.offers", MOMENT, now=now, holder="a")
    later = now + TTL * 2  # even after the lease time, a done moment stays done
    assert await leases.claim(db, "events.offers", MOMENT, ttl=TTL, now=later, holder="c") == leases.Claim(
        False
    )
    # only the holder can mark a moment done
    await leases.finish(db, "consultations.overdue", MOMENT, now=now, holder="not-b")
    async with db.session() as s:
        lease = await s.scalar(select(JobLease).where(JobLease.name == "consultations.overdue"))
    assert lease is not None and lease.holder == "b" and lease.done_at is None


async def test_the_work_of_an_instance_that_died_is_taken_over_when_its_lease_runs_out(db: Any) -> None:
    now = utcnow()
    assert (await leases.claim(db, "digest.weekly", MOMENT, ttl=TTL, now=now, holder="dies")).ours
    held = await leases.claim(db, "digest.weekly", MOMENT, ttl=TTL, now=now + TTL / 2, holder="other")
    assert not held.ours and held.held_until is not None
    assert abs((held.held_until - (now + TTL)).total_seconds()) < 1
    assert (
        await leases.claim(db, "digest.weekly", MOMENT, ttl=TTL, now=now + TTL * 1.1, holder="other")
    ).ours


async def test_a_wrapped_job_runs_once_however_many_instances_fire_it(db: Any) -> None:
    runs: list[str] = []

    async def work(label: str) -> str:
        runs.append(label)
        await asyncio.sleep(0.05)
        return label

    jobs = [
        leases.once(
            "test.job", work, db=db, moment_of=leases.every(timedelta(minutes=15)), ttl=TTL, holder=f"i{n}"
        )
        for n in range(3)
    ]
    results = await asyncio.gather(*(job(f"i{n}") for n, job in enumerate(jobs)))
    assert len(runs) == 1 and [r for r in results if r is not None] == runs
    async with db.session() as s:
        lease = await s.scalar(select(JobLease).where(JobLease.name == "test.job"))
    assert lease is not None and lease.done_at is not None and lease.holder == runs[0]
    await asyncio.gather(*(job("again") for job in jobs))  # the same window: nothing more
    assert len(runs) == 1


async def test_an_instance_that_finds_the_moment_held_schedules_a_takeover(db: Any) -> None:
    async def work() -> None:
        raise AssertionError("the moment is held by another instance")

    scheduler = AsyncIOScheduler()
    now = utcnow()
    moment = leases.every(timedelta(hours=1))(now)
    assert (await leases.claim(db, "test.cron", moment, ttl=TTL, now=now, holder="dies")).ours
    job = leases.once("test.cron", work, db=db, moment_of=leases.every(timedelta(hours=1)), ttl=TTL,
                      scheduler=scheduler, holder="survivor")  # fmt: skip
    assert await job() is None
    [takeover] = scheduler.get_jobs()
    assert takeover.id == "test.cron.takeover" and takeover.func is job
    run_date = takeover.trigger.run_date
    assert now + TTL < run_date <= now + TTL + timedelta(seconds=10)


def test_interval_windows_are_shared_by_instances_started_at_different_seconds() -> None:
    window = leases.every(timedelta(minutes=15))
    assert window(datetime(2026, 12, 7, 3, 1, 17, tzinfo=UTC)) == window(
        datetime(2026, 12, 7, 3, 14, 59, tzinfo=UTC)
    )
    assert window(datetime(2026, 12, 7, 3, 15, tzinfo=UTC)) == datetime(2026, 12, 7, 3, 15, tzinfo=UTC)
    assert leases.moment_key(datetime(2026, 12, 7, 10, 0, tzinfo=last_tz())) == "2026-12-07T03:00:00"


def last_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Krasnoyarsk")


async def test_the_scheduler_wraps_every_job_that_must_run_once(
    settings: Any, db: Any, bot: Any, dp: Any
) -> None:
    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    once = {"digest.weekly", "digest.catch_up", "consultations.overdue", "events.offers",
            "showcase.unanswered", "privacy.retention", "report.monthly"}  # fmt: skip
    assert once <= set(jobs)
    for name in once:
        assert hasattr(jobs[name].func, "__wrapped__"), name
    assert not hasattr(jobs["outbox.tick"].func, "__wrapped__")  # every instance sends
    assert jobs[DIGEST_JOB].func.__wrapped__ is run_weekly_digest
    assert MONTHLY_JOB in jobs


async def test_the_weekly_digest_and_its_catch_up_share_one_lease(
    settings: Any, db: Any, bot: Any, dp: Any
) -> None:
    """An instance starting after another already queued this week's digest does not queue it again."""
    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    now = utcnow()
    moment = last_digest_moment(now, settings)
    assert (await leases.claim(db, DIGEST_JOB, moment, ttl=TTL, now=now, holder="first")).ours
    await leases.finish(db, DIGEST_JOB, moment, now=now, holder="first")
    assert await jobs["digest.catch_up"].func(*jobs["digest.catch_up"].args) is None
    assert await jobs[DIGEST_JOB].func(*jobs[DIGEST_JOB].args) is None
