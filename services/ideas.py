"""Project ideas: submission with limits, moderation, community support, author updates.

Texts typed by people are stored as typed and escaped where they are shown. Every notice to a
person goes through the outbox (services.notifications) inside the same write transaction as the
change it is about, so it is queued exactly once. Check-then-write steps lock the idea row
(``FOR UPDATE`` on PostgreSQL; SQLite serialises writers) and the database keeps one support per
(idea, person) with a unique constraint.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.models import Idea, IdeaReview, IdeaStatus, IdeaSupport, IdeaUpdate, User, UserStatus
from services import audit
from services import notifications as notices
from services.digest import DigestItem
from services.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from services.rows import count_rows
from services.users import DISTRICTS

TITLE_MIN = 5
TITLE_MAX = 100
TEXT_MIN = 10
TEXT_MAX = 1000
COMMENT_MAX = 1000
UPDATE_MAX = 1000
MEDIA_MAX = 5
MEDIA_KINDS = ("photo", "document", "voice")
HELP_KINDS = ("consultation", "space", "partners", "funding", "volunteers")
AUDIENCES = ("children", "youth", "families", "elderly", "disabled", "veterans", "residents", "nko", "other")
PUBLIC = (IdeaStatus.PUBLISHED, IdeaStatus.IN_PROGRESS, IdeaStatus.IMPLEMENTED)
SUPPORTABLE = (IdeaStatus.PUBLISHED, IdeaStatus.IN_PROGRESS)
DIGEST_DAYS = 7
DIGEST_MAX = 5

# Staff actions: (statuses it may start from, status it leads to, comment required)
ACTIONS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "publish": ((IdeaStatus.MODERATION,), IdeaStatus.PUBLISHED, False),
    "revise": ((IdeaStatus.MODERATION,), IdeaStatus.REVISION, True),
    "reject": ((IdeaStatus.MODERATION, IdeaStatus.REVISION), IdeaStatus.REJECTED, True),
    "start": ((IdeaStatus.PUBLISHED,), IdeaStatus.IN_PROGRESS, False),
    "done": ((IdeaStatus.PUBLISHED, IdeaStatus.IN_PROGRESS), IdeaStatus.IMPLEMENTED, False),
}

_SPACES = re.compile(r"[ \t]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LETTER = re.compile(r"[^\W\d_]")


def own_callback(idea_id: int) -> str:
    """Callback data of «open my idea» (keyboards.ideas.IdeaCb(action="own", id=...).pack())."""
    return f"idea:own:{idea_id}"


def public_callback(idea_id: int) -> str:
    """Callback data of «open this idea» (keyboards.ideas.IdeaCb(action="open", id=...).pack())."""
    return f"idea:open:{idea_id}"


# --- validation -----------------------------------------------------------------------------------


def clean_text(text: str | None, *, minimum: int, maximum: int, too_short: str, too_long: str) -> str:
    value = _CONTROL.sub("", text or "")
    value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.strip().splitlines())
    value = re.sub(r"\n{3,}", "\n\n", value)
    if len(value) > maximum:
        raise ValidationFailed(too_long, n=maximum, length=len(value))
    if len(value) < minimum or not _LETTER.search(value):
        raise ValidationFailed(too_short, n=minimum)
    return value


def clean_title(text: str | None) -> str:
    value = clean_text(
        text, minimum=TITLE_MIN, maximum=TITLE_MAX, too_short="ideas.title_short", too_long="ideas.title_long"
    )
    return " ".join(value.split())


def clean_body(text: str | None) -> str:
    return clean_text(
        text, minimum=TEXT_MIN, maximum=TEXT_MAX, too_short="ideas.text_short", too_long="ideas.text_long"
    )


def clean_comment(text: str | None) -> str:
    return clean_text(
        text, minimum=2, maximum=COMMENT_MAX, too_short="ideas.comment_short", too_long="ideas.comment_long"
    )


def clean_update(text: str | None) -> str:
    return clean_text(
        text, minimum=TEXT_MIN, maximum=UPDATE_MAX, too_short="ideas.text_short", too_long="ideas.text_long"
    )


def clean_media(items: Iterable[Any]) -> list[dict[str, str]]:
    media = []
    for item in items or ():
        if not isinstance(item, dict) or item.get("kind") not in MEDIA_KINDS or not item.get("file_id"):
            raise ValidationFailed("ideas.bad_draft")
        media.append({"kind": str(item["kind"]), "file_id": str(item["file_id"])[:200]})
    if len(media) > MEDIA_MAX:
        raise ValidationFailed("ideas.media_full", n=MEDIA_MAX)
    return media


def validate_draft(draft: dict[str, Any]) -> dict[str, Any]:
    """The form's answers, checked again on the server before anything is stored."""
    help_needed = [h for h in HELP_KINDS if h in (draft.get("help") or [])]
    if not help_needed or len(help_needed) != len(set(draft.get("help") or [])):
        raise ValidationFailed("ideas.bad_draft")
    if draft.get("district") not in DISTRICTS or draft.get("audience") not in AUDIENCES:
        raise ValidationFailed("ideas.bad_draft")
    return {
        "title": clean_title(draft.get("title")),
        "problem": clean_body(draft.get("problem")),
        "description": clean_body(draft.get("description")),
        "district": draft["district"],
        "audience": draft["audience"],
        "help_needed": help_needed,
        "media": clean_media(draft.get("media") or []),
    }


def draft_of(idea: Idea) -> dict[str, Any]:
    """An idea as form data (JSON-safe), to edit it after it was returned."""
    return {
        "title": idea.title,
        "problem": idea.problem,
        "description": idea.description,
        "district": idea.district,
        "audience": idea.audience,
        "help": list(idea.help_needed or []),
        "media": [dict(m) for m in idea.media or []],
    }


# --- reading --------------------------------------------------------------------------------------


async def _locked(session: AsyncSession, idea_id: int) -> Idea | None:
    return await session.get(Idea, idea_id, with_for_update=True, populate_existing=True)


async def get(session: AsyncSession, idea_id: int) -> Idea | None:
    return await session.get(Idea, idea_id, populate_existing=True)


async def get_own(session: AsyncSession, idea_id: int, author_id: int) -> Idea:
    """One of the person's own ideas; someone else's is «not found», never shown."""
    idea = await get(session, idea_id)
    if idea is None or idea.author_id != author_id:
        raise NotFound("ideas.not_found")
    return idea


async def get_public(session: AsyncSession, idea_id: int) -> Idea:
    idea = await get(session, idea_id)
    if idea is None or idea.status not in PUBLIC:
        raise NotFound("ideas.not_found")
    return idea


async def list_own(session: AsyncSession, author_id: int) -> list[Idea]:
    rows = await session.scalars(
        select(Idea).where(Idea.author_id == author_id).order_by(Idea.created_at.desc(), Idea.id.desc())
    )
    return list(rows)


async def reviews(session: AsyncSession, idea_id: int) -> list[IdeaReview]:
    rows = await session.scalars(
        select(IdeaReview).where(IdeaReview.idea_id == idea_id).order_by(IdeaReview.at, IdeaReview.id)
    )
    return list(rows)


async def browse(
    session: AsyncSession,
    *,
    district: str | None = None,
    help_kind: str | None = None,
    page: int = 0,
    page_size: int = 5,
) -> tuple[list[Idea], int]:
    """Published ideas (most supported first), filtered; one page and the total count.

    Only ids (and the help list, when filtering by it) are read for the whole set; the page's rows are
    loaded afterwards. help_needed is a JSON list whose containment test differs per backend, so that
    filter runs here on the small (id, help) pairs.
    """
    order = (Idea.support_count.desc(), Idea.published_at.desc(), Idea.id)
    conditions: list[ColumnElement[bool]] = [Idea.status.in_(PUBLIC)]
    if district:
        conditions.append(Idea.district == district)
    start = max(page, 0) * page_size
    if help_kind:
        rows = await session.execute(select(Idea.id, Idea.help_needed).where(*conditions).order_by(*order))
        ids = [idea_id for idea_id, kinds in rows if help_kind in (kinds or [])]
        total = len(ids)
        page_ids = ids[start : start + page_size]
    else:
        total = await count_rows(session, Idea, *conditions)
        page_ids = list(
            await session.scalars(
                select(Idea.id).where(*conditions).order_by(*order).offset(start).limit(page_size)
            )
        )
    if not page_ids:
        return [], total
    loaded = {idea.id: idea for idea in await session.scalars(select(Idea).where(Idea.id.in_(page_ids)))}
    return [loaded[i] for i in page_ids if i in loaded], total


async def supported_ids(session: AsyncSession, user_id: int, idea_ids: Sequence[int]) -> set[int]:
    if not idea_ids:
        return set()
    rows = await session.scalars(
        select(IdeaSupport.idea_id).where(IdeaSupport.user_id == user_id, IdeaSupport.idea_id.in_(idea_ids))
    )
    return set(rows)


async def awaiting(session: AsyncSession, limit: int = 20) -> list[Idea]:
    rows = await session.scalars(
        select(Idea).where(Idea.status == IdeaStatus.MODERATION).order_by(Idea.submitted_at).limit(limit)
    )
    return list(rows)


# --- submitting -----------------------------------------------------------------------------------


async def submissions_left(session: AsyncSession, author: User, daily_limit: int) -> int:
    """How many new ideas the person may still send within the current 24 hours."""
    recent = await count_rows(
        session, Idea, Idea.author_id == author.id, Idea.created_at > utcnow() - timedelta(hours=24)
    )
    return max(daily_limit - recent, 0)


async def submit(session: AsyncSession, author: User, draft: dict[str, Any], *, daily_limit: int) -> Idea:
    """Send a new idea to moderation (at most ``daily_limit`` new ideas per person in 24 hours)."""
    values = validate_draft(draft)
    async with write(session):
        # Lock the author's row so that two submissions of one person are counted one after the other.
        locked = await session.scalar(select(User.id).where(User.id == author.id).with_for_update())
        if locked is None:
            raise NotFound("reg.not_registered")
        now = utcnow()
        recent = await count_rows(
            session, Idea, Idea.author_id == author.id, Idea.created_at > now - timedelta(hours=24)
        )
        if recent >= daily_limit:
            raise DomainError("ideas.limit_reached", n=daily_limit)
        idea = Idea(
            author_id=author.id, status=IdeaStatus.MODERATION, created_at=now, submitted_at=now, **values
        )
        session.add(idea)
        await session.flush()
        session.add(IdeaReview(idea_id=idea.id, status=IdeaStatus.MODERATION))
    return idea


async def resubmit(session: AsyncSession, author: User, idea_id: int, draft: dict[str, Any]) -> Idea:
    """Send an idea returned for changes back to moderation with the author's corrections."""
    values = validate_draft(draft)
    async with write(session):
        idea = await _locked(session, idea_id)
        if idea is None or idea.author_id != author.id:
            raise NotFound("ideas.not_found")
        if idea.status != IdeaStatus.REVISION:
            raise Conflict("ideas.not_in_revision")
        for field, value in values.items():
            setattr(idea, field, value)
        idea.status = IdeaStatus.MODERATION
        idea.submitted_at = utcnow()
        session.add(IdeaReview(idea_id=idea.id, status=IdeaStatus.MODERATION))
    return idea


# --- moderation -----------------------------------------------------------------------------------


def _notice_payload(idea: Idea, key: str, **params: Any) -> dict[str, Any]:
    return {
        "text": key,
        "params": {"title": html.escape(idea.title), "id": idea.id, **params},
        "buttons": [[["ideas.btn.open_own", own_callback(idea.id)]]],
    }


async def _tell_author(
    session: AsyncSession,
    idea: Idea,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any],
    about: tuple[str, int],
    extra: str = "",
) -> None:
    """The idea's author is told through the outbox, once per ``about`` (the row the notice is about)
    and ``extra``."""
    author = await session.get(User, idea.author_id)
    if author is not None:
        ref_type, ref_id = about
        await notices.queue(
            session,
            user=author,
            kind=kind,
            due_at=due_at,
            ref_type="idea",
            ref_id=idea.id,
            payload=payload,
            key=notices.make_key(kind, ref_type, ref_id, author.id, extra),
        )


async def moderate(
    session: AsyncSession, idea_id: int, action: str, actor_tg_id: int, comment: str | None = None
) -> Idea:
    """A staff decision: the status changes only from the states the action allows (checked under the
    row lock), the author is told through the outbox, and the action is audited."""
    if action not in ACTIONS:
        raise ValidationFailed("error.invalid")
    allowed, new_status, needs_comment = ACTIONS[action]
    comment = clean_comment(comment) if needs_comment or comment else None
    async with write(session):
        idea = await _locked(session, idea_id)
        if idea is None:
            raise NotFound("ideas.not_found")
        if idea.status not in allowed:
            raise Conflict("ideas.admin.already", status=idea.status)
        now = utcnow()
        idea.status = new_status
        idea.decided_at = now
        if comment is not None:
            idea.staff_comment = comment
        if new_status == IdeaStatus.PUBLISHED and idea.published_at is None:
            idea.published_at = now
        review = IdeaReview(
            idea_id=idea.id, status=new_status, comment=comment, actor_tg_id=actor_tg_id, at=now
        )
        session.add(review)
        await session.flush()
        audit.record(session, actor_tg_id, f"idea.{action}", "idea", idea.id, comment=comment)
        await _tell_author(
            session,
            idea,
            "idea.status",
            now,
            _notice_payload(idea, f"ideas.notify.{new_status}", comment=html.escape(comment or "")),
            ("idea_review", review.id),
        )
    return idea


# --- support --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportResult:
    idea: Idea
    count: int
    milestone: bool
    raise_threshold: bool


async def support(
    session: AsyncSession,
    idea_id: int,
    supporter: User,
    *,
    milestones: Sequence[int] = (),
    threshold: int = 0,
) -> SupportResult:
    """One support per person and idea (not one's own), safe under concurrent presses."""
    async with write(session):
        idea = await _locked(session, idea_id)
        if idea is None or idea.status not in SUPPORTABLE:
            raise NotFound("ideas.not_supportable")
        if idea.author_id == supporter.id:
            raise NotAllowed("ideas.support_own")
        already = await session.scalar(
            select(IdeaSupport.id).where(IdeaSupport.idea_id == idea.id, IdeaSupport.user_id == supporter.id)
        )
        if already is not None:
            raise Conflict("ideas.support_already")
        session.add(IdeaSupport(idea_id=idea.id, user_id=supporter.id))
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent press of the same person won
            raise Conflict("ideas.support_already") from exc
        idea.support_count = await count_rows(session, IdeaSupport, IdeaSupport.idea_id == idea.id)
        milestone = idea.support_count in set(milestones)
        if milestone:
            await _tell_author(
                session,
                idea,
                "idea.milestone",
                utcnow(),
                _notice_payload(idea, "ideas.notify.milestone", n=idea.support_count),
                ("idea", idea.id),
                str(idea.support_count),
            )
        raise_threshold = (
            threshold > 0 and idea.support_count >= threshold and idea.threshold_raised_at is None
        )
        if raise_threshold:
            idea.threshold_raised_at = utcnow()
    return SupportResult(idea, idea.support_count, milestone, raise_threshold)


async def set_card(session: AsyncSession, idea_id: int, message_id: int) -> int | None:
    """Remember the idea's current staff card; returns the previous card's message id."""
    async with write(session):
        idea = await _locked(session, idea_id)
        if idea is None:
            return None
        previous = idea.card_message_id
        idea.card_message_id = message_id
    return previous


async def unraise_threshold(session: AsyncSession, idea_id: int) -> None:
    """The admin chat could not be told: let the next support try again."""
    async with write(session):
        idea = await _locked(session, idea_id)
        if idea is not None:
            idea.threshold_raised_at = None


# --- the author's updates to supporters -------------------------------------------------------------


def next_update_at(idea: Idea, interval_days: int) -> datetime | None:
    if idea.last_update_at is None:
        return None
    return idea.last_update_at + timedelta(days=interval_days)


async def post_update(
    session: AsyncSession, idea_id: int, author: User, text: str, *, interval_days: int, tz: tzinfo
) -> tuple[IdeaUpdate, int]:
    """Queue the author's note to every supporter (one notice each); at most once per interval."""
    text = clean_update(text)
    async with write(session):
        idea = await _locked(session, idea_id)
        if idea is None or idea.author_id != author.id:
            raise NotFound("ideas.not_found")
        if idea.status not in PUBLIC:
            raise NotAllowed("ideas.update_not_public")
        now = utcnow()
        next_at = next_update_at(idea, interval_days)
        if next_at is not None and next_at > now:
            raise DomainError("ideas.update_too_soon", date=next_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"))
        supporters = list(
            await session.scalars(
                select(User)
                .join(IdeaSupport, IdeaSupport.user_id == User.id)
                .where(IdeaSupport.idea_id == idea.id, User.status == UserStatus.REGISTERED)
                .order_by(IdeaSupport.id)
            )
        )
        if not supporters:
            raise NotAllowed("ideas.update_no_supporters")
        update = IdeaUpdate(idea_id=idea.id, text=text, created_at=now)
        session.add(update)
        await session.flush()
        queued = 0
        for person in supporters:
            row = await notices.queue(
                session,
                user=person,
                kind="idea.update",
                due_at=now,
                ref_type="idea",
                ref_id=idea.id,
                payload={
                    "text": "ideas.notify.update",
                    "params": {"title": html.escape(idea.title), "text": html.escape(text)},
                    "buttons": [[["ideas.btn.open_public", public_callback(idea.id)]]],
                },
                quiet=True,
                key=notices.make_key("idea.update", "idea_update", update.id, person.id),
            )
            queued += row is not None
        update.recipients = queued
        idea.last_update_at = now
    return update, queued


# --- digest, privacy, reports ---------------------------------------------------------------------


DIGEST_CANDIDATES = 500
"""At most this many ideas of the last week are considered for the digest's batch (the most supported)."""


async def digest_items(
    session: AsyncSession, users: Sequence[User], now: datetime, until: datetime
) -> dict[int, list[DigestItem]]:
    """Ideas published in the last week in each person's districts (all districts if none chosen),
    not their own; one query for the whole batch.

    The digest is built outside any language context, so an item is language-neutral: the idea's own
    title (escaped) and its support count; the section title is translated by the digest.
    """
    ideas = list(
        await session.scalars(
            select(Idea)
            .where(
                Idea.status.in_(PUBLIC),
                Idea.published_at > now - timedelta(days=DIGEST_DAYS),
                Idea.published_at <= now,
            )
            .order_by(Idea.support_count.desc(), Idea.published_at.desc(), Idea.id.desc())
            .limit(DIGEST_CANDIDATES)
        )
    )
    if not ideas:
        return {}
    items = {
        idea.id: DigestItem(
            text=f"<b>{html.escape(idea.title)}</b> · 👍 {idea.support_count}",
            button=("ideas.btn.open_public", public_callback(idea.id)),
        )
        for idea in ideas
    }
    found: dict[int, list[DigestItem]] = {}
    for user in users:
        districts = set(user.interest_districts or []) or ({user.district} if user.district else set())
        anywhere = not districts or "other" in districts
        fitting = [
            items[idea.id]
            for idea in ideas
            if idea.author_id != user.id and (anywhere or idea.district in districts)
        ][:DIGEST_MAX]
        if fitting:
            found[user.id] = fitting
    return found


async def export(session: AsyncSession, user: User) -> tuple[str, Any]:
    ideas = await list_own(session, user.id)
    supported = await session.scalars(
        select(IdeaSupport).where(IdeaSupport.user_id == user.id).order_by(IdeaSupport.id)
    )
    data: dict[str, Any] = {"ideas": [], "supported": []}
    for idea in ideas:
        updates = await session.scalars(
            select(IdeaUpdate).where(IdeaUpdate.idea_id == idea.id).order_by(IdeaUpdate.id)
        )
        reviews = list(
            await session.scalars(
                select(IdeaReview).where(IdeaReview.idea_id == idea.id).order_by(IdeaReview.id)
            )
        )
        data["ideas"].append(
            {
                "id": idea.id,
                "title": idea.title,
                "problem": idea.problem,
                "idea": idea.description,
                "district": idea.district,
                "audience": idea.audience,
                "help_needed": list(idea.help_needed or []),
                "attachments": [
                    {k: v for k, v in m.items() if k in ("kind", "file_id", "caption", "file_name")}
                    for m in idea.media or []
                ],
                "staff_reviews": [
                    {"status": r.status, "comment": r.comment, "at": r.at.isoformat()} for r in reviews
                ],
                "status": idea.status,
                "staff_comment": idea.staff_comment,
                "supports": idea.support_count,
                "created_at": idea.created_at.isoformat(),
                "published_at": idea.published_at.isoformat() if idea.published_at else None,
                "updates_to_supporters": [{"text": u.text, "at": u.created_at.isoformat()} for u in updates],
            }
        )
    for row in supported:
        data["supported"].append({"idea_id": row.idea_id, "at": row.created_at.isoformat()})
    return "ideas", data


async def staff_messages(session: AsyncSession, user: User) -> list[tuple[int, int]]:
    """Moderation cards of the person's ideas in the admin chat (chat 0 stands for the admin chat)."""
    rows = await session.scalars(
        select(Idea.card_message_id).where(Idea.author_id == user.id, Idea.card_message_id.is_not(None))
    )
    return [(0, message_id) for message_id in rows if message_id is not None]


async def erase(session: AsyncSession, user: User) -> None:
    """Inside the privacy erase transaction: ideas that never became public are deleted with their
    texts and attachments; public ideas stay as community content (their author is anonymised with the
    person), without voice messages."""
    await session.execute(delete(Idea).where(Idea.author_id == user.id, Idea.status.not_in(PUBLIC)))
    for idea in await session.scalars(select(Idea).where(Idea.author_id == user.id)):
        if any(m.get("kind") == "voice" for m in idea.media or []):
            idea.media = [m for m in idea.media if m.get("kind") != "voice"]


@dataclass
class Figures:
    submitted: int = 0
    by_status: dict[str, int] | None = None
    supports: int = 0
    supporters: int = 0
    authors: int = 0


async def figures(session: AsyncSession, since: datetime | None = None) -> Figures:
    """Ideas for the funders' report: how many were proposed, where they went, how many supported."""
    query = select(Idea.status, func.count()).group_by(Idea.status)
    if since is not None:
        query = query.where(Idea.created_at >= since)
    by_status = {status: count for status, count in await session.execute(query)}
    supports = select(func.count()).select_from(IdeaSupport)
    supporters = select(func.count(func.distinct(IdeaSupport.user_id)))
    authors = select(func.count(func.distinct(Idea.author_id)))
    if since is not None:
        supports = supports.where(IdeaSupport.created_at >= since)
        supporters = supporters.where(IdeaSupport.created_at >= since)
        authors = authors.where(Idea.created_at >= since)
    return Figures(
        submitted=sum(by_status.values()),
        by_status=by_status,
        supports=await session.scalar(supports) or 0,
        supporters=await session.scalar(supporters) or 0,
        authors=await session.scalar(authors) or 0,
    )
