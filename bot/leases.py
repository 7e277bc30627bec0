"""Scheduled jobs run once per moment, however many bot instances share the database.

Every instance runs the same scheduler (bot/scheduler.py). A job whose work must happen once — the
weekly digest, the monthly report, the overdue and unanswered scans, wait-list offer expiry, retention —
is wrapped by :func:`once`: before the work, the instance claims the job's lease row (db/models/jobs.py)
for the job's moment. The claim is one conditional UPDATE (or the first INSERT), so of several instances
firing at once exactly one wins, on PostgreSQL (row lock, re-checked after the winner commits) as on
SQLite (one writer at a time). A moment already done is not run again; a moment whose holder died
(its lease ran out unfinished) is taken over: an instance that found it held schedules one more try
for when the lease ends. Interval jobs are keyed by their window (``every``): instances started at
different seconds still share one run per window.

The outbox tick is not wrapped: every instance sends, and the outbox's row claims keep each notice to
one sender.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from db.base import utcnow
from db.engine import Database, write
from db.models import JobLease

log = logging.getLogger("bot.scheduler")

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]
"""This process, as the holder of the leases it takes."""
TAKEOVER_DELAY = timedelta(seconds=5)

MomentOf = Callable[[datetime], datetime]


@dataclass(frozen=True)
class Claim:
    ours: bool
    held_until: datetime | None = None
    """Set when another instance holds this moment unfinished: when its lease runs out."""


def moment_key(moment: datetime) -> str:
    """A moment as the lease stores it: UTC, sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def every(interval: timedelta) -> MomentOf:
    """The moment of an interval job: the start of the window ``now`` falls in."""
    seconds = int(interval.total_seconds())

    def window(now: datetime) -> datetime:
        stamp = int(now.timestamp())
        return datetime.fromtimestamp(stamp - stamp % seconds, UTC)

    return window


async def claim(
    db: Database, name: str, moment: datetime, *, ttl: timedelta, now: datetime, holder: str = HOLDER
) -> Claim:
    """Take the lease of job ``name`` for ``moment`` until ``now + ttl``, if no one has it."""
    key = moment_key(moment)
    until = now + ttl
    try:
        async with db.session() as session, write(session):
            taken = await session.execute(
                update(JobLease)
                .where(
                    JobLease.name == name,
                    or_(
                        JobLease.moment < key,
                        and_(JobLease.moment == key, JobLease.done_at.is_(None), JobLease.until < now),
                    ),
                )
                .values(moment=key, holder=holder, until=until, done_at=None)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return Claim(True)
            lease = await session.scalar(select(JobLease).where(JobLease.name == name))
            if lease is not None:
                held = lease.moment == key and lease.done_at is None
                return Claim(False, lease.until if held else None)
            session.add(JobLease(name=name, moment=key, holder=holder, until=until))
    except IntegrityError:  # another instance inserted the first lease of this job meanwhile
        return Claim(False, until)
    return Claim(True)


async def finish(db: Database, name: str, moment: datetime, *, now: datetime, holder: str = HOLDER) -> None:
    """Mark the moment done (only by its holder)."""
    async with db.session() as session, write(session):
        await session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.moment == moment_key(moment), JobLease.holder == holder)
            .values(done_at=now)
        )


def once(
    name: str,
    func: Callable[..., Awaitable[Any]],
    *,
    db: Database,
    moment_of: MomentOf,
    ttl: timedelta,
    scheduler: BaseScheduler | None = None,
    holder: str = HOLDER,
) -> Callable[..., Awaitable[Any]]:
    """``func`` as a job that runs in one instance per moment (``moment_of(now)``). With ``scheduler``,
    an instance that finds the moment held unfinished tries once more when that lease runs out, so the
    work of an instance that died is taken over. ``ttl`` must be longer than the work takes."""

    @functools.wraps(func)
    async def job(*args: Any, **kwargs: Any) -> Any:
        now = utcnow()
        moment = moment_of(now)
        got = await claim(db, name, moment, ttl=ttl, now=now, holder=holder)
        if not got.ours:
            log.debug("job %s for %s: another instance has it", name, moment_key(moment))
            if got.held_until is not None and scheduler is not None:
                scheduler.add_job(
                    job,
                    DateTrigger(run_date=got.held_until + TAKEOVER_DELAY),
                    args=args,
                    kwargs=kwargs,
                    id=f"{name}.takeover",
                    name=f"take over {name} if its instance died",
                    replace_existing=True,
                    misfire_grace_time=3600,
                )
            return None
        result = await func(*args, **kwargs)
        await finish(db, name, moment, now=utcnow(), holder=holder)
        return result

    return job
