"""The report's showcase section: providers, cards, requests, the trial office, offline recipients."""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select

from db.models.showcase import (
    CardStatus,
    RequestStatus,
    ServiceCard,
    ServiceRequest,
    ShowcaseCategory,
    TrialApplication,
    TrialStatus,
)
from services.report_base import Key, Period, Reach, Section, Table, dialect, hours_between, quantiles
from services.users import DISTRICTS


def _live_cards(period: Period) -> Any:
    """Cards published before the end of the period and still published."""
    return (ServiceCard.status == CardStatus.PUBLISHED) & (ServiceCard.published_at < period.end)


async def _cards(session: Any, period: Period) -> tuple[int, int, Table, Table]:
    live = _live_cards(period)
    providers, cards = (
        await session.execute(select(func.count(distinct(ServiceCard.provider_id)), func.count()).where(live))
    ).one()
    by_category = Table("report.t_categories", ["report.h_name", "report.h_cards"])
    rows = await session.execute(
        select(ShowcaseCategory.title_ru, func.count())
        .select_from(ServiceCard)
        .join(ShowcaseCategory, ShowcaseCategory.id == ServiceCard.category_id)
        .where(live)
        .group_by(ShowcaseCategory.id, ShowcaseCategory.title_ru)
        .order_by(func.count().desc(), ShowcaseCategory.title_ru)
    )
    by_category.rows = [[title, n] for title, n in rows]
    by_district = Table("report.t_card_districts", ["report.h_district", "report.h_cards"])
    counts = (
        await session.execute(
            select(
                *(func.count().filter(ServiceCard.district_index.like(f"%,{code},%")) for code in DISTRICTS)
            ).where(live)
        )
    ).one()
    by_district.rows = [[Key(f"district.{code}"), n] for code, n in zip(DISTRICTS, counts, strict=True) if n]
    return providers, cards, by_category, by_district


def _days_used(session: Any, period: Period) -> Any:
    """Days of approved trial-office use that fall inside the period (both ends counted)."""
    if dialect(session) == "sqlite":
        last = func.min(TrialApplication.date_to, period.last)
        first = func.max(TrialApplication.date_from, period.first)
        return func.julianday(last) - func.julianday(first) + 1
    return (
        func.least(TrialApplication.date_to, period.last)
        - func.greatest(TrialApplication.date_from, period.first)
        + 1
    )


async def _trial(session: Any, period: Period) -> tuple[int, int, int]:
    applied = await session.scalar(select(func.count()).where(period.contains(TrialApplication.created_at)))
    approved = await session.scalar(
        select(func.count()).where(
            TrialApplication.status == TrialStatus.APPROVED, period.contains(TrialApplication.decided_at)
        )
    )
    days = await session.scalar(
        select(func.coalesce(func.sum(_days_used(session, period)), 0)).where(
            TrialApplication.status == TrialStatus.APPROVED,
            TrialApplication.date_from <= period.last,
            TrialApplication.date_to >= period.first,
        )
    )
    return applied or 0, approved or 0, int(days or 0)


async def showcase(session: Any, period: Period, reach: Reach) -> Section:
    providers, cards, by_category, by_district = await _cards(session, period)
    made = period.contains(ServiceRequest.created_at)
    requests, residents, declined = (
        await session.execute(
            select(
                func.count(),
                func.count(distinct(ServiceRequest.resident_id)),
                func.count().filter(ServiceRequest.status == RequestStatus.DECLINED),
            ).where(made)
        )
    ).one()
    done = await session.scalar(
        select(func.count()).where(
            ServiceRequest.status == RequestStatus.DONE, period.contains(ServiceRequest.done_at)
        )
    )
    answer = hours_between(session, ServiceRequest.answered_at, ServiceRequest.created_at)
    _n, answer_med, answer_p90 = await quantiles(
        session, ServiceRequest, answer, made, ServiceRequest.answered_at.is_not(None)
    )
    ratings, rating_avg = (
        await session.execute(
            select(func.count(ServiceRequest.rating), func.avg(ServiceRequest.rating)).where(
                period.contains(ServiceRequest.rated_at)
            )
        )
    ).one()
    applied, approved, days = await _trial(session, period)
    service_users = next(r for r in reach.rows if r.group == "service_user")
    section = Section("showcase", tables=[by_category, by_district])
    section.figures = [
        ("report.f_providers", providers),
        ("report.f_cards", cards),
        ("report.f_requests", requests),
        ("report.f_request_people", residents),
        ("report.f_requests_done", done or 0),
        ("report.f_requests_declined", declined),
        ("report.f_answer_median", answer_med),
        ("report.f_answer_p90", answer_p90),
        ("report.f_ratings", ratings),
        ("report.f_rating_avg", None if rating_avg is None else round(float(rating_avg), 2)),
        ("report.f_trial_applied", applied),
        ("report.f_trial_approved", approved),
        ("report.f_trial_days", days),
        ("report.f_offline_self", service_users.self_reported - reach.offline_staff),
        ("report.f_offline_staff", reach.offline_staff),
        ("report.f_offline_answers", reach.offline_answers),
        ("report.f_offline_unknown", reach.offline_unknown),
    ]
    return section
