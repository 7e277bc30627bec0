"""The report's sections: coworking, consultations, events, ideas, showcase, broadcasts and digests.

Each figure is one SQL aggregate over the period (see services.report for the period and helpers).
A section is a list of (label key, value) figures and tables; labels are locale keys (``Key``) or
data (resource names, topic titles) kept as given. The message and the workbook show the same ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select

from db.models import (
    Booking,
    BookingStatus,
    Broadcast,
    BroadcastDelivery,
    Consultation,
    ConsultationTopic,
    ConsultStatus,
    DeliveryStatus,
    Event,
    EventSignup,
    EventStatus,
    Idea,
    IdeaReview,
    IdeaSupport,
    Notification,
    NotificationStatus,
    Resource,
    SignupStatus,
)
from services.report_base import Key, Period, Reach, Section, Table, hours_between, quantiles
from services.report_showcase import showcase


def _avg(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _pct(part: int, whole: int | float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _hours(value: Any) -> float:
    return round(float(value or 0) / 60.0, 1)


# --- coworking ----------------------------------------------------------------------------------


def open_minutes(resource: Resource, period: Period) -> int:
    """Minutes the resource is open in the period (opening hours, closed dates)."""
    closed = set(resource.closed_dates or [])
    total, day = 0, period.first
    while day <= period.last:
        hours = (resource.hours or {}).get(str(day.isoweekday()))
        if hours and day.isoformat() not in closed:
            (h1, m1), (h2, m2) = (map(int, hours[0].split(":")), map(int, hours[1].split(":")))
            total += max(0, (h2 * 60 + m2) - (h1 * 60 + m1))
        day += timedelta(days=1)
    return total


async def coworking(session: Any, period: Period) -> Section:
    held = Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.PENDING))
    in_period = period.contains(Booking.start_at)
    rows = await session.execute(
        select(
            Booking.resource_id,
            func.count().filter(held),
            func.sum(case((Booking.status == BookingStatus.CONFIRMED, Booking.minutes), else_=0)),
            func.count().filter(Booking.status == BookingStatus.NO_SHOW),
            func.count().filter(Booking.status == BookingStatus.CANCELLED),
            func.count().filter(held, Booking.user_id.is_(None), Booking.booked_by_tg_id.is_not(None)),
        )
        .where(in_period)
        .group_by(Booking.resource_id)
    )
    per = {r[0]: [int(r[1]), int(r[2] or 0), int(r[3]), int(r[4]), int(r[5])] for r in rows}
    people = await session.scalar(
        select(func.count(distinct(Booking.user_id))).where(in_period, held, Booking.user_id.is_not(None))
    )
    table = Table(
        "report.t_resources",
        [
            "report.h_resource",
            "report.h_bookings",
            "report.h_hours",
            "report.h_no_shows",
            "report.h_cancelled",
            "report.h_utilisation",
        ],
    )
    totals = [0, 0, 0, 0, 0]
    for resource in await session.scalars(select(Resource).order_by(Resource.position, Resource.id)):
        n = per.get(resource.id, [0, 0, 0, 0, 0])
        totals = [a + b for a, b in zip(totals, n, strict=True)]
        available = open_minutes(resource, period) * max(1, resource.capacity)
        table.rows.append([resource.name, n[0], _hours(n[1]), n[2], n[3], _pct(n[1], available)])
    section = Section("coworking", tables=[table])
    section.figures = [
        ("report.f_bookings", totals[0]),
        ("report.f_booking_people", people or 0),
        ("report.f_hours", _hours(totals[1])),
        ("report.f_no_shows", totals[2]),
        ("report.f_cancellations", totals[3]),
        ("report.f_guests", totals[4]),
    ]
    return section


# --- consultations ------------------------------------------------------------------------------


async def _counted_by(session: Any, column: Any, *where: Any, join: Any = None) -> list[list[Any]]:
    query = select(column, func.count()).select_from(Consultation)
    if join is not None:
        query = query.join(*join)
    rows = await session.execute(query.where(*where).group_by(column).order_by(func.count().desc(), column))
    return [[name, n] for name, n in rows]


async def consultations(session: Any, period: Period) -> Section:
    filed = period.contains(Consultation.created_at)
    counts = (
        await session.execute(
            select(
                func.count(),
                func.count(distinct(Consultation.user_id)),
                func.count().filter(Consultation.status == ConsultStatus.CLOSED),
                func.count().filter(Consultation.status == ConsultStatus.CANCELLED),
                func.count(Consultation.rating),
                func.avg(Consultation.rating),
            ).where(filed)
        )
    ).one()
    response = hours_between(session, Consultation.taken_at, Consultation.created_at)
    _n_taken, resp_med, resp_p90 = await quantiles(
        session, Consultation, response, filed, Consultation.taken_at.is_not(None)
    )
    close = hours_between(session, Consultation.closed_at, Consultation.created_at)
    _n_closed, close_med, close_p90 = await quantiles(
        session, Consultation, close, filed, Consultation.closed_at.is_not(None)
    )
    by_topic = await _counted_by(
        session,
        ConsultationTopic.title,
        filed,
        join=(ConsultationTopic, ConsultationTopic.id == Consultation.topic_id),
    )
    by_format = [
        [Key(f"consult.format.{f}"), n] for f, n in await _counted_by(session, Consultation.format, filed)
    ]
    by_outcome = [
        [Key(f"consult.outcome.{o}"), n]
        for o, n in await _counted_by(session, Consultation.outcome, filed, Consultation.outcome.is_not(None))
    ]
    section = Section("consultations")
    section.figures = [
        ("report.f_consults", counts[0]),
        ("report.f_consult_people", counts[1]),
        ("report.f_consults_closed", counts[2]),
        ("report.f_consults_cancelled", counts[3]),
        ("report.f_response_median", resp_med),
        ("report.f_response_p90", resp_p90),
        ("report.f_close_median", close_med),
        ("report.f_close_p90", close_p90),
        ("report.f_ratings", counts[4]),
        ("report.f_rating_avg", _avg(counts[5])),
    ]
    head = ["report.h_name", "report.h_count"]
    section.tables = [
        Table("report.t_topics", head, by_topic),
        Table("report.t_formats", head, by_format),
        Table("report.t_outcomes", head, by_outcome),
    ]
    return section


# --- events -------------------------------------------------------------------------------------


async def events(session: Any, period: Period, now: datetime) -> Section:
    held = period.contains(Event.starts_at)
    kinds = await session.execute(
        select(Event.kind, func.count(), func.count().filter(Event.status == EventStatus.CANCELLED))
        .where(held, Event.status != EventStatus.DRAFT)
        .group_by(Event.kind)
        .order_by(Event.kind)
    )
    per_kind = {kind: [n - cancelled, cancelled, 0, 0] for kind, n, cancelled in kinds}
    signed = EventSignup.confirmed_at.is_not(None)
    attended = EventSignup.checked_in_at.is_not(None)
    no_show = (EventSignup.status == SignupStatus.CONFIRMED) & ~attended & (Event.ends_at <= now)
    rows = await session.execute(
        select(
            Event.kind,
            func.count().filter(signed),
            func.count().filter(attended),
            func.count().filter(signed, EventSignup.status == SignupStatus.CANCELLED),
            func.count().filter(no_show),
            func.count().filter(EventSignup.offered_at.is_not(None)),
            func.count().filter(
                EventSignup.offered_at.is_not(None), EventSignup.confirmed_at >= EventSignup.offered_at
            ),
            func.count(EventSignup.rating),
            func.sum(EventSignup.rating),
        )
        .join(Event, Event.id == EventSignup.event_id)
        .where(held, Event.status == EventStatus.PUBLISHED)
        .group_by(Event.kind)
    )
    totals = [0] * 8
    for kind, *values in rows:
        totals = [a + int(b or 0) for a, b in zip(totals, values, strict=True)]
        per_kind.setdefault(kind, [0, 0, 0, 0])[2:] = [int(values[0]), int(values[1])]
    sign_ups, came, cancelled, no_shows, offers, taken, ratings, rating_sum = totals
    table = Table(
        "report.t_event_kinds",
        ["report.h_kind", "report.h_events", "report.h_cancelled", "report.h_signups", "report.h_attended"],
        [[Key(f"events.kind_{k}"), *v] for k, v in sorted(per_kind.items())],
    )
    section = Section("events", tables=[table])
    section.figures = [
        ("report.f_events", sum(v[0] for v in per_kind.values())),
        ("report.f_events_cancelled", sum(v[1] for v in per_kind.values())),
        ("report.f_signups", sign_ups),
        ("report.f_signups_cancelled", cancelled),
        ("report.f_attended", came),
        ("report.f_event_no_shows", no_shows),
        ("report.f_no_show_rate", _pct(no_shows, came + no_shows)),
        ("report.f_offers", offers),
        ("report.f_offers_taken", taken),
        ("report.f_ratings", ratings),
        ("report.f_rating_avg", round(rating_sum / ratings, 2) if ratings else None),
    ]
    return section


# --- ideas --------------------------------------------------------------------------------------


async def ideas(session: Any, period: Period) -> Section:
    submitted = await session.scalar(select(func.count()).where(period.contains(Idea.created_at)))
    published = await session.scalar(select(func.count()).where(period.contains(Idea.published_at)))
    moved = dict(
        (
            await session.execute(
                select(IdeaReview.status, func.count(distinct(IdeaReview.idea_id)))
                .where(period.contains(IdeaReview.at))
                .group_by(IdeaReview.status)
            )
        ).all()
    )
    supports, supporters = (
        await session.execute(
            select(func.count(), func.count(distinct(IdeaSupport.user_id))).where(
                period.contains(IdeaSupport.created_at)
            )
        )
    ).one()
    return Section(
        "ideas",
        [
            ("report.f_ideas", submitted or 0),
            ("report.f_ideas_published", published or 0),
            ("report.f_ideas_in_work", moved.get("in_progress", 0)),
            ("report.f_ideas_implemented", moved.get("implemented", 0)),
            ("report.f_ideas_rejected", moved.get("rejected", 0)),
            ("report.f_supports", supports),
            ("report.f_supporters", supporters),
        ],
    )


# --- broadcasts and digests ---------------------------------------------------------------------


async def messaging(session: Any, period: Period) -> Section:
    started = period.contains(Broadcast.started_at)
    count = await session.scalar(select(func.count()).where(started))
    sent, delivered, blocked, failed = (
        await session.execute(
            select(
                func.count().filter(BroadcastDelivery.status != DeliveryStatus.SKIPPED),
                func.count().filter(BroadcastDelivery.status == DeliveryStatus.SENT),
                func.count().filter(BroadcastDelivery.status == DeliveryStatus.BLOCKED),
                func.count().filter(BroadcastDelivery.status == DeliveryStatus.FAILED),
            )
            .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
            .where(started)
        )
    ).one()
    unreachable = Notification.last_error.like("TelegramForbiddenError%") | Notification.last_error.like(
        "TelegramBadRequest%"
    )
    failed_row = Notification.status == NotificationStatus.FAILED
    d_sent, d_delivered, d_blocked = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Notification.status == NotificationStatus.SENT),
                func.count().filter(failed_row, unreachable),
            ).where(Notification.kind == "digest", period.contains(Notification.created_at))
        )
    ).one()
    return Section(
        "messaging",
        [
            ("report.f_broadcasts", count or 0),
            ("report.f_bc_sent", sent),
            ("report.f_bc_delivered", delivered),
            ("report.f_bc_blocked", blocked),
            ("report.f_bc_failed", failed),
            ("report.f_digests", d_sent),
            ("report.f_digests_delivered", d_delivered),
            ("report.f_digests_blocked", d_blocked),
        ],
    )


# --- the lot ------------------------------------------------------------------------------------


async def all_sections(session: Any, period: Period, now: datetime, reach: Reach) -> list[Section]:
    return [
        await coworking(session, period),
        await consultations(session, period),
        await events(session, period, now),
        await ideas(session, period),
        await showcase(session, period, reach),
        await messaging(session, period),
    ]
