"""The reach report for the funder: people reached per target group, and every feature's figures.

Pure computation over an AsyncSession: every figure is an SQL aggregate (COUNT DISTINCT, SUM,
GROUP BY; percentiles by ORDER BY … OFFSET), nothing loads every row into Python. The sections live in
services.report_sections; the workbook, charts and message in services.report_export.

Definitions (also in the workbook and the README, section "Reach report"):
- reached in a period = took part at least once in it: a booking used (confirmed, started in the
  period, not later than now), a consultation filed, an event attended (checked in), an idea
  submitted or supported, a showcase request made, a service card published, a trial-office
  application approved. A person counts once per group however much they did.
- the five person groups (citizen, nko_staff, entrepreneur, project_team, municipal) count reached
  people by the target group they registered with;
- «получатели услуг» (service_user) = residents whose showcase request was completed in the period
  (any target group), plus the providers' reported offline recipients for the months that begin in it;
- «партнёры» (partner) = distinct organisations that took part: the organisations of reached people
  of the NGO, business, municipal and partner groups, of service cards published and of trial-office
  applications approved (names compared case- and space-insensitively); a partner without an
  organisation counts as one.
People who erased their data keep their (anonymous) rows: they count, and appear nowhere by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import (
    Booking,
    BookingStatus,
    Consultation,
    Event,
    EventSignup,
    Idea,
    IdeaSupport,
    User,
    UserStatus,
)
from db.models.report import OfflineRecipients
from db.models.showcase import RequestStatus, ServiceCard, ServiceRequest, TrialApplication, TrialStatus
from services import report_sections
from services.report_base import Period, Reach, ReachRow, dialect
from services.users import DISTRICTS

GROUPS = ("citizen", "nko_staff", "entrepreneur", "project_team", "municipal", "service_user", "partner")
PERSON_GROUPS = GROUPS[:5]
ORG_GROUPS = ("nko_staff", "entrepreneur", "municipal", "partner")
DEFAULT_TARGETS = {
    "citizen": 780,
    "nko_staff": 275,
    "entrepreneur": 90,
    "project_team": 240,
    "municipal": 370,
    "service_user": 4500,
    "partner": 170,
}
PERIODS = ("this_month", "last_month", "this_quarter", "this_year", "all")
UNKNOWN = "unknown"


def make_period(first: date, last: date, tz: ZoneInfo, code: str = "custom") -> Period:
    if last < first:
        first, last = last, first
    start = datetime.combine(first, time(0), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC)
    return Period(code, first, last, start, end, tz)


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    return _month_start(first, -1) - timedelta(days=1)


def period_for(code: str, now: datetime, tz: ZoneInfo, since: date | None = None) -> Period:
    """This month, last month, this quarter, this year, or since the start (``since``)."""
    today = now.astimezone(tz).date()
    if code == "this_month":
        first = _month_start(today)
        return make_period(first, _month_end(first), tz, code)
    if code == "last_month":
        first = _month_start(today, 1)
        return make_period(first, _month_end(first), tz, code)
    if code == "this_quarter":
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return make_period(first, _month_end(_month_start(first, -2)), tz, code)
    if code == "this_year":
        return make_period(date(today.year, 1, 1), date(today.year, 12, 31), tz, code)
    if code == "all":
        return make_period(min(since or today, today), today, tz, code)
    raise ValueError(f"unknown period {code!r}")


async def first_day(session: AsyncSession, tz: ZoneInfo) -> date | None:
    """The local day the first person came: the start of «since the start»."""
    first = await session.scalar(select(func.min(User.created_at)))
    if isinstance(first, str):  # SQLite's min() of a DATETIME column comes back as text
        first = datetime.fromisoformat(first).replace(tzinfo=UTC)
    if first is None:
        return None
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return first.astimezone(tz).date()


def targets_from(settings_targets: dict[str, int] | None) -> dict[str, int]:
    merged = dict(DEFAULT_TARGETS)
    merged.update({k: int(v) for k, v in (settings_targets or {}).items() if k in DEFAULT_TARGETS})
    return merged


# --- SQL helpers shared with the sections ------------------------------------------------------


def month_of(session: AsyncSession, column: Any, period: Period) -> Any:
    """The local month of a timestamp as 'YYYY-MM'."""
    if dialect(session) == "sqlite":
        offset = period.start.astimezone(period.tz).utcoffset() or timedelta(0)
        return func.strftime("%Y-%m", column, f"{int(offset.total_seconds() // 60):+d} minutes")
    return func.to_char(func.timezone(period.tz.key, column), "YYYY-MM")


def fold(name: str) -> str:
    return " ".join(name.split()).casefold()


# --- reach --------------------------------------------------------------------------------------


def participants(period: Period, now: datetime) -> Any:
    """Everyone who took part in the period, a row per participation (counted DISTINCT by the caller)."""
    used_until = min(period.end, now)
    parts = [
        select(Booking.user_id.label("user_id")).where(
            Booking.user_id.is_not(None),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= period.start,
            Booking.start_at < used_until,
        ),
        select(Consultation.user_id).where(period.contains(Consultation.created_at)),
        select(EventSignup.user_id)
        .join(Event, Event.id == EventSignup.event_id)
        .where(EventSignup.checked_in_at.is_not(None), period.contains(Event.starts_at)),
        select(Idea.author_id).where(period.contains(Idea.created_at)),
        select(IdeaSupport.user_id).where(period.contains(IdeaSupport.created_at)),
        select(ServiceRequest.resident_id).where(period.contains(ServiceRequest.created_at)),
        select(ServiceCard.provider_id).where(period.contains(ServiceCard.published_at)),
        select(TrialApplication.user_id).where(
            TrialApplication.status == TrialStatus.APPROVED, period.contains(TrialApplication.decided_at)
        ),
    ]
    return union_all(*parts).subquery("participants")


async def _partners(session: AsyncSession, period: Period, people_orgs: set[str], lone: int) -> int:
    """Organisations of reached people (already folded), of cards published and of approved trials."""
    names = set(people_orgs)
    queries = [
        select(ServiceCard.organisation).where(period.contains(ServiceCard.published_at)).distinct(),
        select(TrialApplication.organisation)
        .where(TrialApplication.status == TrialStatus.APPROVED, period.contains(TrialApplication.decided_at))
        .distinct(),
    ]
    for query in queries:
        names.update(fold(name) for name in await session.scalars(query) if name and fold(name))
    return len(names) + lone


async def _offline(session: AsyncSession, period: Period, reach: Reach) -> int:
    in_period = (OfflineRecipients.month >= period.first) & (OfflineRecipients.month <= period.last)
    rows = await session.execute(
        select(
            OfflineRecipients.source,
            func.count(OfflineRecipients.count),
            func.coalesce(func.sum(OfflineRecipients.count), 0),
            func.count(),
        )
        .where(in_period)
        .group_by(OfflineRecipients.source)
    )
    total = 0
    for source, answered, people, rows_count in rows:
        total += int(people or 0)
        reach.offline_answers += int(answered or 0)
        reach.offline_unknown += int(rows_count or 0) - int(answered or 0)
        if source == "staff":
            reach.offline_staff += int(people or 0)
    return total


async def compute_reach(
    session: AsyncSession, period: Period, now: datetime, targets: dict[str, int]
) -> Reach:
    who = participants(period, now)
    counts: dict[str, int] = dict.fromkeys(GROUPS, 0)
    by_district: dict[str, dict[str, int]] = {g: {} for g in GROUPS}
    organisation = case((User.target_group.in_(ORG_GROUPS), User.organisation), else_=None)
    # One pass over the people who took part (IN: each person once, the database dedups): a person has
    # one (group, district, organisation), so the counts add up to the people reached.
    # A person who linked their Telegram and MAX accounts (/link) is counted once, as the account linked to.
    account = aliased(User)
    people = select(func.coalesce(account.linked_to_id, account.id)).where(
        account.id.in_(select(who.c.user_id))
    )
    rows = await session.execute(
        select(User.target_group, User.district, organisation, func.count())
        .where(User.id.in_(people))
        .group_by(User.target_group, User.district, organisation)
    )
    reach = Reach(rows=[], by_district=by_district)
    orgs: set[str] = set()
    lone = 0
    for group, district, org, n in rows:
        reach.people += n
        if org and fold(org):
            orgs.add(fold(org))
        elif group == "partner":
            lone += n
        if group in PERSON_GROUPS:
            counts[group] += n
            by_district[group][district or UNKNOWN] = by_district[group].get(district or UNKNOWN, 0) + n
    done = await session.execute(
        select(User.district, func.count(distinct(ServiceRequest.resident_id)))
        .join(User, User.id == ServiceRequest.resident_id)
        .where(ServiceRequest.status == RequestStatus.DONE, period.contains(ServiceRequest.done_at))
        .group_by(User.district)
    )
    for district, n in done:
        counts["service_user"] += n
        by_district["service_user"][district or UNKNOWN] = n
    offline = await _offline(session, period, reach)
    counts["service_user"] += offline
    counts["partner"] = await _partners(session, period, orgs, lone)
    for group in GROUPS:
        row = ReachRow(group, targets.get(group, 0), counts[group])
        if group == "service_user":
            row.self_reported = offline
        reach.rows.append(row)
    return reach


def district_order(by_district: dict[str, dict[str, int]]) -> list[str]:
    seen = {d for per in by_district.values() for d in per}
    return [d for d in (*DISTRICTS, UNKNOWN) if d in seen]


# --- activity by month, attendance evidence ---


SERIES = ("bookings", "consultations", "attendance", "ideas", "requests")


async def monthly_activity(session: Any, period: Period, now: datetime) -> dict[str, dict[str, int]]:
    """Per local month: bookings used, consultations filed, event attendances, ideas, requests."""
    sources = {
        "bookings": (
            Booking.start_at,
            [Booking.status == BookingStatus.CONFIRMED, Booking.start_at < min(period.end, now)],
        ),
        "consultations": (Consultation.created_at, []),
        "attendance": (EventSignup.checked_in_at, [EventSignup.checked_in_at.is_not(None)]),
        "ideas": (Idea.created_at, []),
        "requests": (ServiceRequest.created_at, []),
    }
    result: dict[str, dict[str, int]] = {}
    for name, (column, where) in sources.items():
        month = month_of(session, column, period)
        rows = await session.execute(
            select(month, func.count()).where(period.contains(column), *where).group_by(month).order_by(month)
        )
        result[name] = {str(m): int(n) for m, n in rows}
    return result


async def attendance_rows(session: Any, period: Period) -> list[list[Any]]:
    """Evidence: who attended which event (erased people without a name). One row per check-in:
    [event start, event title, name or None, target group, district]."""
    events = {
        eid: (starts, title)
        for eid, starts, title in await session.execute(
            select(Event.id, Event.starts_at, Event.title).where(period.contains(Event.starts_at))
        )
    }
    erased = User.status == UserStatus.ERASED
    rows = await session.execute(
        select(
            EventSignup.event_id, case((erased, None), else_=User.full_name), User.target_group, User.district
        )
        .join(User, User.id == EventSignup.user_id)
        .where(
            EventSignup.event_id.in_(select(Event.id).where(period.contains(Event.starts_at))),
            EventSignup.checked_in_at.is_not(None),
        )
        .order_by(EventSignup.event_id, EventSignup.id)
    )
    out = [[*events[eid], name, group, district] for eid, name, group, district in rows]
    out.sort(key=lambda row: row[0])  # by the event's start (stable: within an event, sign-up order)
    return out


# --- the whole report ---------------------------------------------------------------------------


@dataclass
class Report:
    period: Period
    generated_at: datetime
    reach: Reach
    sections: list[Any]
    """services.report_sections.Section, in the order they are shown."""
    monthly: dict[str, dict[str, int]]
    """Series code -> 'YYYY-MM' -> count (the activity chart)."""
    attendance: list[list[Any]]
    """People-level evidence: one row per attended sign-up (erased people without a name)."""


async def build(
    session: AsyncSession, period: Period, now: datetime, targets: dict[str, int] | None = None
) -> Report:
    reach = await compute_reach(session, period, now, targets_from(targets))
    sections = await report_sections.all_sections(session, period, now, reach)
    monthly = await monthly_activity(session, period, now)
    attendance = await attendance_rows(session, period)
    return Report(period, now, reach, sections, monthly, attendance)
