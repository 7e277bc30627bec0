"""A deliberately built dataset for the reach report, with its hand count (tests/test_report.py).

The period under test is November 2026 («last month» at DEFAULT_MOMENT, 9 December 2026). Rows in
October and December are there to be left out. u9 erased their data; b5 is a guest booked by staff.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from db.engine import Database, write
from db.models import (
    Booking,
    Broadcast,
    BroadcastDelivery,
    Consultation,
    ConsultationTopic,
    Event,
    EventSignup,
    Idea,
    IdeaReview,
    IdeaSupport,
    Notification,
    Resource,
    User,
)
from db.models.report import OfflineRecipients
from db.models.showcase import ServiceCard, ServiceRequest, ShowcaseCategory, TrialApplication
from tests.conftest import STAFF_ID, local

WEEKDAYS = {str(d): ["09:00", "18:00"] for d in range(1, 6)}
EVERY_DAY = {str(d): ["10:00", "20:00"] for d in range(1, 8)}


def nov(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return local(2026, 11, day, hour, minute)


def _users() -> list[User]:
    people = [
        (1, "citizen", "krasnoturansky", None, "Иван Первый"),
        (2, "citizen", "idrinsky", None, "Пётр Второй"),
        (3, "nko_staff", "krasnoturansky", "НКО «Рассвет»", "Анна Третья"),
        (4, "entrepreneur", "minusinsky", "ИП Иванов", "=Иванов"),
        (5, "municipal", "krasnoturansky", "МБУ Дом культуры", "Ольга Пятая"),
        (6, "project_team", "idrinsky", None, "Семён Шестой"),
        (7, "service_user", "krasnoturansky", None, "Мария Седьмая"),
        (8, "partner", "krasnoturansky", "  нко  «рассвет» ", "Павел Восьмой"),
        (9, "citizen", "idrinsky", None, None),  # erased
        (10, "entrepreneur", "krasnoturansky", "ООО Ромашка", "Роман Десятый"),
        (11, "citizen", "krasnoturansky", None, "Никита Одиннадцатый"),
        (12, "partner", "krasnoturansky", None, "Лев Двенадцатый"),
    ]
    users = []
    for uid, group, district, org, name in people:
        users.append(
            User(
                id=uid,
                tg_id=None if uid == 9 else 7000 + uid,
                status="erased" if uid == 9 else "registered",
                full_name=name,
                target_group=group,
                district=district,
                organisation=org,
                created_at=local(2026, 9, 1, 12),
                registered_at=local(2026, 9, 1, 12),
                erased_at=nov(30) if uid == 9 else None,
            )
        )
    return users


def _booking(bid: int, uid: int | None, rid: int, start: datetime, minutes: int, status: str) -> Booking:
    return Booking(
        id=bid,
        resource_id=rid,
        user_id=uid,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        minutes=minutes,
        status=status,
        guest_name='=HYPERLINK("http://x")' if uid is None else None,
        booked_by_tg_id=STAFF_ID if uid is None else None,
    )


def _coworking() -> list[Any]:
    return [
        Resource(id=101, code="rep_desks", name="Коворкинг", capacity=4, hours=WEEKDAYS, position=1),
        Resource(id=102, code="rep_room", name="Переговорная", capacity=1, hours=EVERY_DAY, position=2),
        _booking(1, 1, 101, nov(2), 120, "confirmed"),
        _booking(2, 1, 101, nov(3), 60, "confirmed"),
        _booking(3, 2, 101, nov(4), 60, "no_show"),
        _booking(4, 3, 101, nov(5), 60, "cancelled"),
        _booking(5, None, 102, nov(6), 180, "confirmed"),
        _booking(6, 9, 101, nov(10), 60, "confirmed"),
        _booking(7, 11, 101, local(2026, 10, 20, 10), 60, "confirmed"),
        _booking(8, 6, 101, local(2026, 12, 20, 10), 60, "confirmed"),
    ]


def _consultation(cid: int, uid: int, topic: int, fmt: str, created: datetime, **extra: Any) -> Consultation:
    return Consultation(
        id=cid,
        user_id=uid,
        topic_id=topic,
        question="?",
        format=fmt,
        preferred_time="any",
        created_at=created,
        **extra,
    )


def _consultations() -> list[Any]:
    return [
        ConsultationTopic(id=101, code="rep_registration", title="Регистрация НКО"),
        ConsultationTopic(id=102, code="rep_grants", title="Гранты"),
        _consultation(1, 3, 101, "center", nov(10), status="closed", taken_at=nov(10, 12), closed_at=nov(11), outcome="resolved",
            rating=5,
        ),
        _consultation(2, 5, 102, "phone", nov(12, 9), status="closed", taken_at=nov(12, 19), closed_at=nov(14, 9),
            outcome="redirected", rating=3,
        ),
        _consultation(3, 3, 101, "online", nov(20), status="in_progress", taken_at=nov(20, 11)),
        _consultation(4, 4, 102, "phone", nov(25), status="cancelled"),
        _consultation(5, 11, 101, "phone", local(2026, 10, 5, 10), status="new"),
    ]  # fmt: skip


def _event(eid: int, kind: str, start: datetime, status: str = "published") -> Event:
    return Event(
        id=eid,
        title=f"+Событие {eid}",
        kind=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place_kind="center",
        reg_deadline=start,
        checkin_code=f"code{eid}",
        created_by=STAFF_ID,
        status=status,
    )


def _signup(sid: int, eid: int, uid: int, status: str, **extra: Any) -> EventSignup:
    return EventSignup(id=sid, event_id=eid, user_id=uid, status=status, **extra)


def _events() -> list[Any]:
    came = {"confirmed_at": nov(1), "checked_in_at": nov(15, 10, 5)}
    return [
        _event(1, "training", nov(15)),
        _event(2, "seminar", nov(20), "cancelled"),
        _event(3, "expo", local(2026, 12, 20, 10)),
        _event(4, "meeting", nov(28)),
        _signup(1, 1, 1, "confirmed", rating=5, **came),
        _signup(2, 1, 2, "confirmed", rating=4, **came),
        _signup(3, 1, 6, "confirmed", confirmed_at=nov(1)),
        _signup(4, 1, 7, "cancelled", confirmed_at=nov(1), cancelled_at=nov(2)),
        _signup(5, 1, 9, "confirmed", **came),
        _signup(6, 1, 4, "confirmed", offered_at=nov(10), confirmed_at=nov(11), checked_in_at=nov(15, 10, 7)),
        _signup(7, 1, 5, "waiting"),
        _signup(8, 4, 3, "confirmed", confirmed_at=nov(20), checked_in_at=nov(28, 10, 1)),
        _signup(9, 3, 1, "confirmed", confirmed_at=nov(25)),
    ]


def _idea(iid: int, uid: int, created: datetime, status: str, published: datetime | None = None) -> Idea:
    return Idea(
        id=iid, author_id=uid, title="Идея", problem="-", description="-", district="krasnoturansky",
        audience="citizen", status=status, created_at=created, submitted_at=created, published_at=published,
    )  # fmt: skip


def _ideas() -> list[Any]:
    return [
        _idea(1, 7, nov(3), "in_progress", nov(5)),
        _idea(2, 1, local(2026, 10, 10, 10), "implemented", local(2026, 10, 12, 10)),
        _idea(3, 2, nov(15), "moderation"),
        IdeaReview(idea_id=1, status="published", at=nov(5)),
        IdeaReview(idea_id=1, status="in_progress", at=nov(20)),
        IdeaReview(idea_id=2, status="implemented", at=nov(25)),
        IdeaSupport(idea_id=1, user_id=5, created_at=nov(6)),
        IdeaSupport(idea_id=1, user_id=6, created_at=nov(7)),
        IdeaSupport(idea_id=1, user_id=12, created_at=nov(8)),
        IdeaSupport(idea_id=1, user_id=8, created_at=nov(9)),
        IdeaSupport(idea_id=1, user_id=1, created_at=local(2026, 12, 1, 10)),
        IdeaSupport(idea_id=2, user_id=3, created_at=local(2026, 10, 15, 10)),
    ]


def _card(
    kid: int, uid: int, org: str, cat: int, districts: list[str], status: str, published: Any
) -> ServiceCard:
    return ServiceCard(
        id=kid, provider_id=uid, organisation=org, title=f"Услуга {kid}", category_id=cat, description="-",
        districts=districts, district_index="," + ",".join(districts) + ",", format="center", status=status,
        published_at=published,
    )  # fmt: skip


def _request(qid: int, kid: int, uid: int, created: datetime, status: str, **extra: Any) -> ServiceRequest:
    return ServiceRequest(id=qid, card_id=kid, resident_id=uid, created_at=created, status=status, **extra)


def _showcase() -> list[Any]:
    return [
        ShowcaseCategory(id=101, code="rep_acc", title_ru="Бухгалтерия"),
        ShowcaseCategory(id=102, code="rep_law", title_ru="Юридическая помощь"),
        _card(1, 10, "ООО Ромашка", 101, ["krasnoturansky", "idrinsky"], "published", nov(2)),
        _card(2, 10, "ООО Ромашка", 102, ["krasnoturansky"], "published", local(2026, 10, 1, 10)),
        _card(3, 3, "НКО «Рассвет»", 102, ["krasnoturansky"], "removed", nov(10)),
        _card(4, 4, "ИП Иванов", 101, ["minusinsky"], "pending", None),
        _request(1, 1, 7, nov(3), "done", answered_at=nov(3, 14), done_at=nov(10), rating=5, rated_at=nov(11)),
        _request(2, 1, 1, nov(4), "declined", answered_at=nov(5, 16)),
        _request(3, 2, 9, nov(5), "done", answered_at=nov(5, 12), done_at=nov(6)),
        _request(4, 2, 2, local(2026, 10, 20, 10), "done", answered_at=local(2026, 10, 20, 11), done_at=nov(2)),
        _request(5, 1, 6, nov(29), "new"),
        TrialApplication(
            user_id=4, organisation="ИП Иванов", date_from=date(2026, 11, 25), date_to=date(2026, 12, 5),
            purpose="-", status="approved", decided_at=nov(2), created_at=nov(1),
        ),
        TrialApplication(
            user_id=5, organisation="МБУ Дом культуры", date_from=date(2026, 11, 10), date_to=date(2026, 11, 12),
            purpose="-", status="declined", decided_at=nov(4), created_at=nov(3),
        ),
        TrialApplication(
            user_id=8, organisation="Фонд «Опора»", date_from=date(2026, 10, 28), date_to=date(2026, 11, 3),
            purpose="-", status="approved", decided_at=local(2026, 10, 20, 10), created_at=local(2026, 10, 19, 10),
        ),
        OfflineRecipients(card_id=1, provider_id=10, month=date(2026, 11, 1), count=40, source="provider"),
        OfflineRecipients(card_id=2, provider_id=10, month=date(2026, 11, 1), count=None, source="provider"),
        OfflineRecipients(card_id=1, provider_id=10, month=date(2026, 10, 1), count=15, source="provider"),
        OfflineRecipients(card_id=3, provider_id=3, month=date(2026, 11, 1), count=7, source="staff"),
    ]  # fmt: skip


def _messaging() -> list[Any]:
    rows: list[Any] = [
        Broadcast(id=1, created_by=STAFF_ID, source_chat_id=1, source_message_id=1, content_kind="text",
                  start_at=nov(10), started_at=nov(10), status="done"),
        Broadcast(id=2, created_by=STAFF_ID, source_chat_id=1, source_message_id=2, content_kind="text",
                  start_at=local(2026, 10, 10, 10), started_at=local(2026, 10, 10, 10), status="done"),
        BroadcastDelivery(broadcast_id=2, user_id=1, status="sent"),
    ]  # fmt: skip
    for uid, status in ((1, "sent"), (2, "sent"), (3, "blocked"), (4, "failed"), (5, "skipped")):
        rows.append(BroadcastDelivery(broadcast_id=1, user_id=uid, status=status))
    digests = [
        (1, "sent", None, nov(16)),
        (2, "sent", None, nov(16)),
        (3, "failed", "TelegramForbiddenError: bot was blocked by the user", nov(16)),
        (4, "failed", "BadRequest: something", nov(16)),
        (5, "sent", None, local(2026, 10, 16, 10)),
    ]
    for uid, status, error, at in digests:
        rows.append(
            Notification(
                key=f"digest:{uid}:{at:%m}", user_id=uid, chat_id=7000 + uid, kind="digest", due_at=at,
                status=status, last_error=error, created_at=at,
            )
        )  # fmt: skip
    return rows


async def fill(db: Database) -> None:
    async with db.session() as s, write(s):
        s.add_all(_users())
        await s.flush()
        for part in (_coworking(), _consultations(), _events(), _ideas(), _showcase(), _messaging()):
            for row in part:  # one by one: the rows have no relationships to order the inserts by
                s.add(row)
                await s.flush()


# The hand count for November 2026 (see the comments in tests/test_report.py).
REACH = {
    "citizen": 3,  # u1 (bookings, event), u2 (event, idea), u9 erased (booking, event, request)
    "nko_staff": 1,  # u3
    "entrepreneur": 2,  # u4 (consultation, event, trial), u10 (card k1 published)
    "project_team": 1,  # u6 (support, request)
    "municipal": 1,  # u5 (consultation, support)
    "service_user": 50,  # requests done in Nov: q1 u7, q3 u9, q4 u2 = 3; offline 40 + 7 = 47
    "partner": 5,  # Рассвет (u3, u8, k3), ИП Иванов, МБУ Дом культуры, ООО Ромашка; u12 without organisation
}
PEOPLE = 11  # u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u12
BY_DISTRICT = {
    "citizen": {"krasnoturansky": 1, "idrinsky": 2},
    "nko_staff": {"krasnoturansky": 1},
    "entrepreneur": {"minusinsky": 1, "krasnoturansky": 1},
    "project_team": {"idrinsky": 1},
    "municipal": {"krasnoturansky": 1},
    "service_user": {"krasnoturansky": 1, "idrinsky": 2},
    "partner": {},
}
FIGURES = {
    "coworking": {
        "report.f_bookings": 5,
        "report.f_booking_people": 3,
        "report.f_hours": 7.0,
        "report.f_no_shows": 1,
        "report.f_cancellations": 1,
        "report.f_guests": 1,
    },
    "consultations": {
        "report.f_consults": 4,
        "report.f_consult_people": 3,
        "report.f_consults_closed": 2,
        "report.f_consults_cancelled": 1,
        "report.f_response_median": 2.0,
        "report.f_response_p90": 10.0,
        "report.f_close_median": 24.0,
        "report.f_close_p90": 48.0,
        "report.f_ratings": 2,
        "report.f_rating_avg": 4.0,
    },
    "events": {
        "report.f_events": 2,
        "report.f_events_cancelled": 1,
        "report.f_signups": 7,
        "report.f_signups_cancelled": 1,
        "report.f_attended": 5,
        "report.f_event_no_shows": 1,
        "report.f_no_show_rate": 16.7,
        "report.f_offers": 1,
        "report.f_offers_taken": 1,
        "report.f_ratings": 2,
        "report.f_rating_avg": 4.5,
    },
    "ideas": {
        "report.f_ideas": 2,
        "report.f_ideas_published": 1,
        "report.f_ideas_in_work": 1,
        "report.f_ideas_implemented": 1,
        "report.f_ideas_rejected": 0,
        "report.f_supports": 4,
        "report.f_supporters": 4,
    },
    "showcase": {
        "report.f_providers": 1,
        "report.f_cards": 2,
        "report.f_requests": 4,
        "report.f_request_people": 4,
        "report.f_requests_done": 3,
        "report.f_requests_declined": 1,
        "report.f_answer_median": 4.0,
        "report.f_answer_p90": 30.0,
        "report.f_ratings": 1,
        "report.f_rating_avg": 5.0,
        "report.f_trial_applied": 2,
        "report.f_trial_approved": 1,
        "report.f_trial_days": 9,
        "report.f_offline_self": 40,
        "report.f_offline_staff": 7,
        "report.f_offline_answers": 2,
        "report.f_offline_unknown": 1,
    },
    "messaging": {
        "report.f_broadcasts": 1,
        "report.f_bc_sent": 4,
        "report.f_bc_delivered": 2,
        "report.f_bc_blocked": 1,
        "report.f_bc_failed": 1,
        "report.f_digests": 4,
        "report.f_digests_delivered": 2,
        "report.f_digests_blocked": 1,
    },
}
TABLES = {
    ("coworking", "report.t_resources"): [["Коворкинг", 4, 4.0, 1, 1, 0.5], ["Переговорная", 1, 3.0, 0, 0, 1.0]],
    ("consultations", "report.t_topics"): [["Гранты", 2], ["Регистрация НКО", 2]],
    ("consultations", "report.t_formats"): [["consult.format.phone", 2], ["consult.format.center", 1],
                                            ["consult.format.online", 1]],
    ("consultations", "report.t_outcomes"): [["consult.outcome.redirected", 1], ["consult.outcome.resolved", 1]],
    ("events", "report.t_event_kinds"): [["events.kind_meeting", 1, 0, 1, 1], ["events.kind_seminar", 0, 1, 0, 0],
                                         ["events.kind_training", 1, 0, 6, 4]],
    ("showcase", "report.t_categories"): [["Бухгалтерия", 1], ["Юридическая помощь", 1]],
    ("showcase", "report.t_card_districts"): [["district.krasnoturansky", 2], ["district.idrinsky", 1]],
}  # fmt: skip
MONTHLY_NOV = {"bookings": 4, "consultations": 4, "attendance": 5, "ideas": 2, "requests": 4}
