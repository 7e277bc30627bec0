"""Consultations: a person files a request, staff take it, answer, set a meeting, close it; the person
adds messages, cancels, rates. Every function here owns its write transaction; staff actions are
audited. Nothing here waits on Telegram (the senders live in handlers/consultations/delivery.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Required, TypedDict, Unpack
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import (
    Consultation,
    ConsultationLink,
    ConsultationMessage,
    ConsultationTopic,
    ConsultStatus,
    User,
)
from db.models.consultations import OPEN_STATUSES
from db.repositories import users as users_repo
from services import audit, notifications
from services.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from services.rows import in_language, listed, locked, seed_once

SEED_TOPICS: tuple[tuple[str, str, str], ...] = (
    ("registration", "Регистрация и устав НКО", "NGO registration and charter"),
    ("accounting", "Бухгалтерия и отчётность", "Accounting and reporting"),
    ("grants", "Гранты и конкурсы", "Grants and competitions"),
    (
        "budget",
        "Доступ к бюджетным средствам и реестр поставщиков социальных услуг",
        "Access to budget funds and the register of social service providers",
    ),
    ("social_business", "Социальное предпринимательство", "Social entrepreneurship"),
    ("project", "Проектное управление", "Project management"),
    ("pr", "PR и работа со СМИ", "PR and media relations"),
    ("other", "Другое", "Other"),
)
FORMATS = ("center", "phone", "online", "chat")
TIMES = ("morning", "day", "evening", "any")
OUTCOMES = ("resolved", "redirected", "no_show")
KINDS = ("text", "photo", "document", "voice")
TIMELESS_FORMATS = ("chat",)
"""Formats that need no time agreed (an answer in writing): «когда удобно» is not asked for them."""

QUESTION_MIN = 5
QUESTION_MAX = 3000
MESSAGE_MAX = 3000
COMMENT_MAX = 1000
PLACE_MAX = 300
TOPIC_TITLE_MAX = 100
ATTACHMENTS_MAX = 10
MEETING_MINUTES = 60
REMINDER_KIND = "consultation.reminder"
REF_TYPE = "consultation"
REMINDERS = notifications.Reminders(REMINDER_KIND, REF_TYPE)

_SPACES = re.compile(r"[ \t]+")
_LETTER = re.compile(r"[^\W\d_]")


# --- input -------------------------------------------------------------------------------------


def _tidy(text: str | None) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in (text or "").replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_question(text: str | None) -> str:
    value = _tidy(text)
    if len(value) < QUESTION_MIN or not _LETTER.search(value):
        raise ValidationFailed("consult.err_question_short", n=QUESTION_MIN)
    if len(value) > QUESTION_MAX:
        raise ValidationFailed("consult.err_too_long", n=QUESTION_MAX, length=len(value))
    return value


def clean_message(text: str | None, limit: int = MESSAGE_MAX) -> str:
    value = _tidy(text)
    if not value:
        raise ValidationFailed("consult.err_empty")
    if len(value) > limit:
        raise ValidationFailed("consult.err_too_long", n=limit, length=len(value))
    return value


def org_key(organisation: str | None) -> str | None:
    value = _SPACES.sub(" ", (organisation or "").replace("\n", " ")).strip().casefold()
    return value[:200] or None


def clean_topic_title(text: str | None) -> str:
    value = _SPACES.sub(" ", (text or "").replace("\n", " ")).strip()
    if not (2 <= len(value) <= TOPIC_TITLE_MAX) or not _LETTER.search(value):
        raise ValidationFailed("consult.err_topic_title", n=TOPIC_TITLE_MAX)
    return value


def clean_place(text: str | None) -> str:
    value = _SPACES.sub(" ", (text or "").replace("\n", " ")).strip()
    if not (2 <= len(value) <= PLACE_MAX):
        raise ValidationFailed("consult.err_place", n=PLACE_MAX)
    return value


def needs_time(format: str | None) -> bool:
    return format not in TIMELESS_FORMATS


def clean_attachment(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("kind")
    file_id = item.get("file_id")
    if kind not in ("photo", "document", "voice") or not isinstance(file_id, str) or not file_id:
        raise ValidationFailed("error.invalid")
    caption = item.get("caption")
    return {
        "kind": kind,
        "file_id": file_id[:256],
        "file_name": (str(item.get("file_name") or "") or None) and str(item["file_name"])[:256],
        "caption": clean_message(caption) if caption else None,
    }


# --- working time -------------------------------------------------------------------------------


def add_working_hours(start: datetime, hours: float, tz: ZoneInfo) -> datetime:
    """``start`` plus ``hours`` counted on working days only (Saturday and Sunday skipped), in ``tz``."""
    remaining = timedelta(hours=hours)
    current = start.astimezone(tz)
    while True:
        day_start = current.replace(hour=0, minute=0, second=0, microsecond=0)
        if current.weekday() >= 5:
            current = (day_start + timedelta(days=7 - current.weekday())).replace(tzinfo=tz)
            continue
        next_midnight = (day_start.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
        chunk = min(remaining, next_midnight - current)
        current = current + chunk
        remaining -= chunk
        if remaining <= timedelta(0):
            return current


def working_days_ahead(now: datetime, tz: ZoneInfo, count: int) -> list[datetime]:
    """The next ``count`` working days (local midnights), starting today."""
    day = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    days: list[datetime] = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day = (day.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
    return days


# --- topics ------------------------------------------------------------------------------------


async def ensure_topics(session: AsyncSession) -> None:
    """Seed the default topics once (the table is empty only before the first request)."""
    await seed_once(session, ConsultationTopic, ("code", "title", "title_en"), SEED_TOPICS)


async def list_topics(session: AsyncSession, *, include_hidden: bool = False) -> list[ConsultationTopic]:
    await ensure_topics(session)
    return await listed(session, ConsultationTopic, active_only=not include_hidden)


async def get_topic(session: AsyncSession, topic_id: int) -> ConsultationTopic:
    topic = await session.get(ConsultationTopic, topic_id)
    if topic is None:
        raise NotFound("consult.err_topic_gone")
    return topic


def topic_title(topic: ConsultationTopic | None, language: str | None) -> str:
    return "—" if topic is None else in_language(topic.title, topic.title_en, language)


async def add_topic(session: AsyncSession, actor_tg_id: int, title: str) -> ConsultationTopic:
    title = clean_topic_title(title)
    await ensure_topics(session)
    async with write(session):
        exists = await session.scalar(
            select(ConsultationTopic).where(func.lower(ConsultationTopic.title) == title.lower())
        )
        if exists is not None:
            raise Conflict("consult.err_topic_exists")
        last = await session.scalar(select(func.max(ConsultationTopic.position))) or 0
        topic = ConsultationTopic(code=f"new-{uuid4().hex[:24]}", title=title, position=last + 1)
        session.add(topic)
        await session.flush()
        topic.code = f"t{topic.id}"
        audit.record(
            session, actor_tg_id, "consultation.topic_added", "consultation_topic", topic.id, title=title
        )
    return topic


async def toggle_topic(session: AsyncSession, actor_tg_id: int, topic_id: int) -> ConsultationTopic:
    async with write(session):
        topic = await session.get(ConsultationTopic, topic_id, with_for_update=True)
        if topic is None:
            raise NotFound("consult.err_topic_gone")
        if topic.active:
            remaining = await session.scalar(
                select(func.count()).where(
                    ConsultationTopic.active.is_(True), ConsultationTopic.id != topic_id
                )
            )
            if not remaining:
                raise Conflict("consult.err_last_topic")
        topic.active = not topic.active
        audit.record(
            session,
            actor_tg_id,
            "consultation.topic_shown" if topic.active else "consultation.topic_hidden",
            "consultation_topic",
            topic.id,
        )
    return topic


async def set_topic_thread(session: AsyncSession, topic_id: int, thread_id: int) -> None:
    async with write(session):
        await session.execute(
            update(ConsultationTopic).where(ConsultationTopic.id == topic_id).values(thread_id=thread_id)
        )


# --- the person's side -------------------------------------------------------------------------


async def _person(session: AsyncSession, tg_id: int) -> User:
    user = await users_repo.registered_by_tg_id(session, tg_id)
    if user is None:
        raise NotFound("reg.not_registered")
    return user


async def create_request(
    session: AsyncSession,
    tg_id: int,
    *,
    topic_id: int,
    question: str,
    organisation: str | None,
    format: str,
    preferred_time: str,
    attachments: list[dict[str, Any]] | None = None,
    open_limit: int = 3,
) -> Consultation:
    """File a request (validated again here); its attachments become the first messages. A person has at
    most ``open_limit`` requests open at once (CONSULT_OPEN_LIMIT): more only flood the staff.
    A voice message may be the question itself (``question`` then empty); a format that needs no time
    (in writing) keeps the time «any»."""
    files = [clean_attachment(item) for item in (attachments or [])][:ATTACHMENTS_MAX]
    spoken = any(item["kind"] == "voice" for item in files)
    question = "" if spoken and not _tidy(question) else clean_question(question)
    if not needs_time(format):
        preferred_time = "any"
    if format not in FORMATS or preferred_time not in TIMES:
        raise ValidationFailed("consult.err_pick_button")
    organisation = _SPACES.sub(" ", organisation or "").strip()[:200] or None
    async with write(session):
        user = await _person(session, tg_id)
        await session.execute(select(User.id).where(User.id == user.id).with_for_update())  # one at a time
        still_open = await session.scalar(
            select(func.count())
            .select_from(Consultation)
            .where(Consultation.user_id == user.id, Consultation.status.in_(OPEN_STATUSES))
        )
        if (still_open or 0) >= open_limit:
            raise Conflict("consult.err_too_many_open", max=open_limit)
        topic = await session.get(ConsultationTopic, topic_id)
        if topic is None or not topic.active:
            raise NotFound("consult.err_topic_gone")
        consultation = Consultation(
            user_id=user.id,
            topic_id=topic.id,
            question=question,
            organisation=organisation,
            org_key=org_key(organisation),
            format=format,
            preferred_time=preferred_time,
            status=ConsultStatus.NEW,
            created_at=utcnow(),
        )
        session.add(consultation)
        await session.flush()
        for item in files:
            session.add(
                ConsultationMessage(
                    consultation_id=consultation.id,
                    author="person",
                    author_tg_id=tg_id,
                    author_name=user.first_name,
                    kind=item["kind"],
                    text=item["caption"],
                    file_id=item["file_id"],
                    file_name=item["file_name"],
                )
            )
    return consultation


async def list_for_person(session: AsyncSession, tg_id: int, limit: int = 20) -> list[Consultation]:
    user = await _person(session, tg_id)
    rows = await session.scalars(
        select(Consultation)
        .where(Consultation.user_id == user.id)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(limit)
    )
    return list(rows)


async def get_for_person(session: AsyncSession, tg_id: int, consultation_id: int) -> Consultation:
    """The person's own request; someone else's is reported as not found (no probing of ids)."""
    user = await _person(session, tg_id)
    consultation = await session.get(Consultation, consultation_id, populate_existing=True)
    if consultation is None or consultation.user_id != user.id:
        raise NotFound("consult.err_not_found")
    return consultation


async def _own_for_update(
    session: AsyncSession, tg_id: int, consultation_id: int
) -> tuple[User, Consultation]:
    user = await _person(session, tg_id)
    consultation = await locked(session, Consultation, consultation_id, "consult.err_not_found")
    if consultation.user_id != user.id:
        raise NotFound("consult.err_not_found")
    return user, consultation


class MessageContent(TypedDict, total=False):
    """What one message of a consultation carries, as the handlers pass it on (keyword arguments)."""

    kind: Required[str]
    text: str | None
    file_id: str | None
    file_name: str | None


def _content(content: MessageContent) -> dict[str, Any]:
    """A message's kind, text and file, checked (a file kind carries a file) and trimmed for the row."""
    kind, text, file_id = content["kind"], content.get("text"), content.get("file_id")
    if kind not in KINDS or (kind != "text" and not file_id):
        raise ValidationFailed("consult.err_message_kind")
    file_name = content.get("file_name")
    return {
        "kind": kind,
        "text": clean_message(text) if (text or kind == "text") else None,
        "file_id": file_id,
        "file_name": (file_name or None) and file_name[:256],
    }


async def add_person_message(
    session: AsyncSession, tg_id: int, consultation_id: int, **content: Unpack[MessageContent]
) -> tuple[Consultation, ConsultationMessage]:
    fields = _content(content)
    async with write(session):
        user, consultation = await _own_for_update(session, tg_id, consultation_id)
        if consultation.status not in OPEN_STATUSES:
            raise Conflict("consult.err_closed")
        message = ConsultationMessage(
            consultation_id=consultation.id,
            author="person",
            author_tg_id=tg_id,
            author_name=user.first_name,
            **fields,
        )
        session.add(message)
    return consultation, message


async def cancel_by_person(session: AsyncSession, tg_id: int, consultation_id: int) -> Consultation:
    async with write(session):
        _user, consultation = await _own_for_update(session, tg_id, consultation_id)
        if consultation.status not in OPEN_STATUSES:
            raise Conflict("consult.err_closed")
        consultation.status = ConsultStatus.CANCELLED
        consultation.closed_at = utcnow()
        await notifications.cancel(session, ref_type=REF_TYPE, ref_id=consultation.id)
    return consultation


async def rate(session: AsyncSession, tg_id: int, consultation_id: int, rating: int) -> Consultation:
    if rating not in (1, 2, 3, 4, 5):
        raise ValidationFailed("consult.err_pick_button")
    async with write(session):
        _user, consultation = await _own_for_update(session, tg_id, consultation_id)
        if consultation.status != ConsultStatus.CLOSED:
            raise Conflict("consult.err_not_closed")
        if consultation.rating is not None:
            raise Conflict("consult.err_already_rated")
        consultation.rating = rating
    return consultation


async def comment(session: AsyncSession, tg_id: int, consultation_id: int, text: str) -> Consultation:
    text = clean_message(text, COMMENT_MAX)
    async with write(session):
        _user, consultation = await _own_for_update(session, tg_id, consultation_id)
        if consultation.rating is None:
            raise Conflict("consult.err_not_closed")
        consultation.rating_comment = text
    return consultation


async def messages_of(session: AsyncSession, consultation_id: int) -> list[ConsultationMessage]:
    rows = await session.scalars(
        select(ConsultationMessage)
        .where(ConsultationMessage.consultation_id == consultation_id)
        .order_by(ConsultationMessage.created_at, ConsultationMessage.id)
    )
    return list(rows)


# --- the staff side ----------------------------------------------------------------------------


@dataclass
class Card:
    """Everything a staff card shows about one request."""

    consultation: Consultation
    topic: ConsultationTopic | None
    person: User
    attachments: int
    voices: int = 0
    """Voice messages among the attachments (a request may be asked by voice alone)."""
    answered: tuple[str, datetime] | None = None
    """Who answered last, and when (the card shows who acted)."""


async def card(session: AsyncSession, consultation_id: int) -> Card:
    consultation = await session.get(Consultation, consultation_id, populate_existing=True)
    if consultation is None:
        raise NotFound("consult.err_not_found")
    topic = await session.get(ConsultationTopic, consultation.topic_id)
    person = await session.get(User, consultation.user_id)
    assert person is not None
    kinds = dict(
        (
            await session.execute(
                select(ConsultationMessage.kind, func.count())
                .where(
                    ConsultationMessage.consultation_id == consultation_id,
                    ConsultationMessage.kind != "text",
                )
                .group_by(ConsultationMessage.kind)
            )
        ).all()
    )
    last = (
        await session.execute(
            select(ConsultationMessage.author_name, ConsultationMessage.created_at)
            .where(
                ConsultationMessage.consultation_id == consultation_id, ConsultationMessage.author == "staff"
            )
            .order_by(ConsultationMessage.created_at.desc(), ConsultationMessage.id.desc())
            .limit(1)
        )
    ).first()
    answered = (last[0] or "—", last[1]) if last is not None else None
    return Card(consultation, topic, person, sum(kinds.values()), kinds.get("voice", 0), answered)


async def _for_staff(session: AsyncSession, consultation_id: int) -> Consultation:
    consultation = await locked(session, Consultation, consultation_id, "consult.err_not_found")
    if consultation.status not in OPEN_STATUSES:
        raise Conflict("consult.err_closed")
    return consultation


def _assign(consultation: Consultation, actor_tg_id: int, actor_name: str) -> None:
    if consultation.assignee_tg_id is None:
        consultation.assignee_tg_id = actor_tg_id
        consultation.assignee_name = actor_name[:100]
        consultation.taken_at = utcnow()
    if consultation.status == ConsultStatus.NEW:
        consultation.status = ConsultStatus.IN_PROGRESS


async def take(
    session: AsyncSession, consultation_id: int, actor_tg_id: int, actor_name: str
) -> tuple[Consultation, bool]:
    """Assign the request to the staff member. Exactly one of two simultaneous presses wins (a single
    guarded UPDATE); the other gets Conflict naming who took it. Returns (request, changed)."""
    async with write(session):
        result = await session.execute(
            update(Consultation)
            .where(
                Consultation.id == consultation_id,
                Consultation.assignee_tg_id.is_(None),
                Consultation.status.in_(OPEN_STATUSES),
            )
            .values(
                assignee_tg_id=actor_tg_id,
                assignee_name=actor_name[:100],
                taken_at=utcnow(),
                status=case(
                    (Consultation.status == ConsultStatus.NEW, ConsultStatus.IN_PROGRESS.value),
                    else_=Consultation.status,
                ),
            )
            .execution_options(synchronize_session=False)
        )
        won = bool(result.rowcount)  # type: ignore[attr-defined]
        if won:
            audit.record(session, actor_tg_id, "consultation.take", REF_TYPE, consultation_id)
    consultation = await session.get(Consultation, consultation_id, populate_existing=True)
    if consultation is None:
        raise NotFound("consult.err_not_found")
    if won:
        return consultation, True
    if consultation.status not in OPEN_STATUSES:
        raise Conflict("consult.err_closed")
    if consultation.assignee_tg_id == actor_tg_id:
        return consultation, False
    raise Conflict("consult.err_taken", name=consultation.assignee_name or "—")


async def add_staff_message(
    session: AsyncSession,
    consultation_id: int,
    actor_tg_id: int,
    actor_name: str,
    **content: Unpack[MessageContent],
) -> tuple[Consultation, ConsultationMessage]:
    """A staff answer: stored, and the request is taken by its author if nobody had it."""
    fields = _content(content)
    async with write(session):
        consultation = await _for_staff(session, consultation_id)
        _assign(consultation, actor_tg_id, actor_name)
        message = ConsultationMessage(
            consultation_id=consultation.id,
            author="staff",
            author_tg_id=actor_tg_id,
            author_name=actor_name[:100],
            **fields,
        )
        session.add(message)
        audit.record(
            session, actor_tg_id, "consultation.answer", REF_TYPE, consultation.id, kind=content["kind"]
        )
    return consultation, message


async def set_meeting(
    session: AsyncSession,
    consultation_id: int,
    actor_tg_id: int,
    actor_name: str,
    *,
    at: datetime,
    place: str,
    reminder_params: dict[str, Any],
) -> tuple[Consultation, User]:
    """Set (or move) the meeting; the person's reminder is queued (or moved) in the same write."""
    place = clean_place(place)
    if at.tzinfo is None:
        raise ValueError("meeting time must be aware")
    now = utcnow()
    if at <= now:
        raise ValidationFailed("consult.err_meeting_past")
    async with write(session):
        consultation = await _for_staff(session, consultation_id)
        _assign(consultation, actor_tg_id, actor_name)
        consultation.status = ConsultStatus.MEETING
        consultation.meeting_at = at
        consultation.meeting_place = place
        person = await session.get(User, consultation.user_id)
        assert person is not None
        payload = {
            "text": "consult.reminder",
            "params": reminder_params,
            "buttons": [[["consult.btn_open", f"cns:view:{consultation.id}:"]]],
        }
        await REMINDERS.queue(session, person, consultation.id, at, payload, now=now)
        audit.record(
            session,
            actor_tg_id,
            "consultation.meeting",
            REF_TYPE,
            consultation.id,
            at=at.isoformat(),
            place=place,
        )
    return consultation, person


async def close(
    session: AsyncSession, consultation_id: int, actor_tg_id: int, actor_name: str, outcome: str
) -> Consultation:
    if outcome not in OUTCOMES:
        raise ValidationFailed("consult.err_pick_button")
    async with write(session):
        consultation = await _for_staff(session, consultation_id)
        if consultation.assignee_tg_id is None:
            consultation.assignee_tg_id = actor_tg_id
            consultation.assignee_name = actor_name[:100]
        consultation.status = ConsultStatus.CLOSED
        consultation.outcome = outcome
        consultation.closed_at = utcnow()
        await notifications.cancel(session, ref_type=REF_TYPE, ref_id=consultation.id)
        audit.record(session, actor_tg_id, "consultation.close", REF_TYPE, consultation.id, outcome=outcome)
    return consultation


async def view_contact(session: AsyncSession, consultation_id: int, actor_tg_id: int) -> User:
    """The person's contact for a staff member; every look is written to the audit log."""
    async with write(session):
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None:
            raise NotFound("consult.err_not_found")
        person = await session.get(User, consultation.user_id)
        if person is None or person.tg_id is None:
            raise NotAllowed("consult.err_person_erased")
        audit.record(session, actor_tg_id, "consultation.contact_viewed", REF_TYPE, consultation.id)
    return person


async def open_requests(session: AsyncSession, limit: int = 50) -> list[Consultation]:
    """Open requests, oldest first."""
    rows = await session.scalars(
        select(Consultation)
        .where(Consultation.status.in_(OPEN_STATUSES))
        .order_by(Consultation.created_at, Consultation.id)
        .limit(limit)
    )
    return list(rows)


async def overdue_requests(
    session: AsyncSession, now: datetime, *, hours: float = 24, tz: ZoneInfo | None = None
) -> list[Consultation]:
    """New requests nobody took within ``hours`` working hours, not raised again within that period."""
    tz = tz or ZoneInfo("UTC")
    # Prefilter in SQL by wall-clock time (working time is never shorter), then count working hours.
    rows = await session.scalars(
        select(Consultation)
        .where(
            Consultation.status == ConsultStatus.NEW,
            Consultation.assignee_tg_id.is_(None),
            Consultation.created_at <= now - timedelta(hours=hours),
        )
        .order_by(Consultation.created_at, Consultation.id)
    )
    due = []
    for consultation in rows:
        since = consultation.escalated_at or consultation.created_at
        if add_working_hours(since, hours, tz) <= now:
            due.append(consultation)
    return due


async def mark_escalated(
    session: AsyncSession, consultation_id: int, previous: datetime | None, now: datetime | None
) -> bool:
    """Claim one raise (guarded: across instances only one claims it); ``now=None`` undoes a claim."""
    async with write(session):
        condition = (
            Consultation.escalated_at.is_(None) if previous is None else Consultation.escalated_at == previous
        )
        if now is None:
            await session.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id)
                .values(escalated_at=previous)
                .execution_options(synchronize_session=False)
            )
            return True
        result = await session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id, Consultation.status == ConsultStatus.NEW, condition)
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def organisation_history(
    session: AsyncSession, organisation: str, limit: int = 30
) -> list[Consultation]:
    """Requests of one organisation (case-insensitive), newest first."""
    key = org_key(organisation)
    if not key:
        return []
    rows = await session.scalars(
        select(Consultation)
        .where(Consultation.org_key == key)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(limit)
    )
    return list(rows)


async def search_organisations(session: AsyncSession, text: str, limit: int = 20) -> list[tuple[str, int]]:
    """Organisations whose name contains ``text``, with their request counts."""
    needle = org_key(text) or ""
    if len(needle) < 2:
        raise ValidationFailed("consult.err_org_query")
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.execute(
        select(func.min(Consultation.organisation), func.count())
        .where(Consultation.org_key.like(pattern, escape="\\"))
        .group_by(Consultation.org_key)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(str(name or ""), int(count)) for name, count in rows]


# --- links: which bot message belongs to which request -----------------------------------------


async def link(
    session: AsyncSession, chat_id: int, message_id: int, consultation_id: int | None, purpose: str
) -> None:
    async with write(session):
        existing = await session.get(ConsultationLink, (chat_id, message_id))
        if existing is None:
            session.add(
                ConsultationLink(
                    chat_id=chat_id, message_id=message_id, consultation_id=consultation_id, purpose=purpose
                )
            )
        else:
            existing.consultation_id = consultation_id
            existing.purpose = purpose


async def set_card(
    session: AsyncSession, consultation_id: int, chat_id: int, message_id: int, thread_id: int | None
) -> None:
    async with write(session):
        await session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id)
            .values(card_chat_id=chat_id, card_message_id=message_id, card_thread_id=thread_id)
            .execution_options(synchronize_session=False)
        )
        if await session.get(ConsultationLink, (chat_id, message_id)) is None:
            session.add(
                ConsultationLink(
                    chat_id=chat_id, message_id=message_id, consultation_id=consultation_id, purpose="card"
                )
            )


async def linked(session: AsyncSession, chat_id: int, message_id: int) -> ConsultationLink | None:
    return await session.get(ConsultationLink, (chat_id, message_id))


# --- figures, privacy --------------------------------------------------------------------------


async def figures(session: AsyncSession, since: datetime | None = None) -> dict[str, Any]:
    """Requests by status and topic, average rating: for reports to funders."""
    where = [Consultation.created_at >= since] if since else []
    by_status = dict(
        (
            await session.execute(
                select(Consultation.status, func.count()).where(*where).group_by(Consultation.status)
            )
        ).all()
    )
    by_topic = dict(
        (
            await session.execute(
                select(ConsultationTopic.title, func.count())
                .join(Consultation, Consultation.topic_id == ConsultationTopic.id)
                .where(*where)
                .group_by(ConsultationTopic.title)
            )
        ).all()
    )
    average = await session.scalar(select(func.avg(Consultation.rating)).where(*where))
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_topic": by_topic,
        "average_rating": round(float(average), 2) if average is not None else None,
    }


async def export_person(session: AsyncSession, user: User) -> tuple[str, Any]:
    rows = await session.scalars(
        select(Consultation).where(Consultation.user_id == user.id).order_by(Consultation.id)
    )
    out = []
    for consultation in rows:
        topic = await session.get(ConsultationTopic, consultation.topic_id)
        out.append(
            {
                "number": consultation.id,
                "topic": topic.title if topic else None,
                "question": consultation.question,
                "organisation": consultation.organisation,
                "format": consultation.format,
                "preferred_time": consultation.preferred_time,
                "status": consultation.status,
                "outcome": consultation.outcome,
                "meeting_at": consultation.meeting_at.isoformat() if consultation.meeting_at else None,
                "meeting_place": consultation.meeting_place,
                "rating": consultation.rating,
                "rating_comment": consultation.rating_comment,
                "created_at": consultation.created_at.isoformat(),
                "closed_at": consultation.closed_at.isoformat() if consultation.closed_at else None,
                "messages": [
                    {
                        "from": m.author,
                        "kind": m.kind,
                        "text": m.text,
                        "file_name": m.file_name,
                        "file_id": m.file_id,
                        "at": m.created_at.isoformat(),
                    }
                    for m in await messages_of(session, consultation.id)
                ],
            }
        )
    return "consultations", out


async def staff_messages(session: AsyncSession, user: User) -> list[tuple[int, int]]:
    """The bot's staff-chat messages showing the person: request cards and relayed messages (not the
    messages in the person's own chat, which go with their Telegram account)."""
    ids = select(Consultation.id).where(Consultation.user_id == user.id)
    cards = await session.execute(
        select(Consultation.card_chat_id, Consultation.card_message_id).where(
            Consultation.user_id == user.id, Consultation.card_message_id.is_not(None)
        )
    )
    links = await session.execute(
        select(ConsultationLink.chat_id, ConsultationLink.message_id).where(
            ConsultationLink.consultation_id.in_(ids),
            ConsultationLink.chat_id != (user.tg_id or 0),
            ConsultationLink.purpose.in_(("card", "msg")),
        )
    )
    return [(chat, message) for chat, message in [*cards, *links] if chat is not None]


async def erase_person(session: AsyncSession, user: User) -> None:
    """Inside the erase transaction: the person's words and files go; topic, dates, outcome stay; the
    links from chat messages to the requests (chat ids) go, so nothing is relayed to or about them."""
    ids = select(Consultation.id).where(Consultation.user_id == user.id).scalar_subquery()
    await session.execute(
        delete(ConsultationLink)
        .where(ConsultationLink.consultation_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Consultation)
        .where(Consultation.user_id == user.id)
        .values(question="", organisation=None, org_key=None, rating_comment=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ConsultationMessage)
        .where(ConsultationMessage.consultation_id.in_(ids), ConsultationMessage.author == "person")
        .values(text=None, file_id=None, file_name=None, author_name=None, author_tg_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ConsultationMessage)
        .where(ConsultationMessage.consultation_id.in_(ids), ConsultationMessage.author == "staff")
        .values(text=None, file_id=None, file_name=None)
        .execution_options(synchronize_session=False)
    )
