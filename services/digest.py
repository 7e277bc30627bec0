"""The weekly digest: what goes into it, how it reads, and the weekly job that queues it.

Each feature contributes a section through SOURCES: a name and an async function
(session, users, now, until) -> {user id: list[DigestItem]} that builds the section for a batch of
people with a few queries (not one per person: the digest goes to every subscriber at once; a
person missing from the result gets an empty section). The section title is the locale key
``digest.section.<name>``. Items carry already-escaped HTML text and at most one button
(label locale key, callback data). An empty digest is not sent.

A source selects for the person: their own upcoming things, or events in the next two weeks
(``until``) that match ``user.interest_districts`` (an empty list means "any"). The sections of TOPICS
come only if the person chose them in ``user.interest_topics`` (none chosen: all of them).
The news items staff add (the ``news`` section) come last and go to every subscriber.
The digest is built once a week (``queue_weekly``) per subscriber, in their language, and queued as a
quiet notice whose key is (person, ISO week): it is never queued twice.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database, write
from db.models import DigestNews, NewsStatus, Notification, User, UserStatus
from db.repositories.users import is_person
from services import audit, dates
from services.errors import Conflict, NotFound, ValidationFailed
from services.notifications import cancel_kind, make_key, queue_many
from services.ports import Translate, Translator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestItem:
    text: str
    button: tuple[str, str] | None = None  # (label locale key, callback data)
    when: tuple[datetime, datetime] | None = None  # dated at render time in the reader's language
    tail: str = ""  # what follows the date

    def line(self, tz: ZoneInfo, _: Translate, now: datetime) -> str:
        """The item's text with its date in the bot's one style (services.dates) between text and tail."""
        when = dates.span_text(self.when[0], self.when[1], tz, _, now) if self.when else ""
        return f"{self.text}{when}{self.tail}"


DigestSource = Callable[
    [AsyncSession, Sequence[User], datetime, datetime], Awaitable[Mapping[int, list[DigestItem]]]
]

# (section name, source), in the order the digest shows them. Features append.
SOURCES: list[tuple[str, DigestSource]] = []


TOPICS = ("events", "showcase", "ideas", "news")
"""The sections a person may choose in /settings «Темы Новостей недели» (``User.interest_topics``; none
chosen: all). The person's own sections (their sign-ups, their bookings) always come."""


def chosen_topics(user: User) -> set[str]:
    """The sections the person chose (codes no longer offered are ignored); empty: all of them."""
    return {code for code in user.interest_topics or [] if code in TOPICS}


def wanted(user: User, section: str) -> bool:
    chosen = chosen_topics(user)
    return not chosen or section not in TOPICS or section in chosen


KIND = "digest"
HORIZON = timedelta(days=14)
"""How far ahead sections look (events in the next two weeks)."""
LIFETIME = timedelta(days=3)
"""A digest that could not go out within this time is dropped: next week's is fresher."""
SECTION_MAX_ITEMS = 10
TEXT_LIMIT = 3800
"""Telegram allows 4096 characters a message; the rest is headers and the footer."""
MAX_BUTTONS = 30
NEWS_MAX = 1000
UNSUBSCRIBE_DATA = "dg:off"
"""Callback data of «Отписаться» (keyboards.settings.DigestCb(action="off").pack())."""
BATCH = 200

_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Digest:
    week: str
    sections: list[tuple[str, list[DigestItem]]] = field(default_factory=list)
    news_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(items for _name, items in self.sections)


def week_key(now: datetime, tz: ZoneInfo) -> str:
    year, week, _day = now.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


# --- news items staff add --------------------------------------------------------------------


def clean_news(text: str | None) -> str:
    value = (text or "").strip()
    value = "\n".join(line.rstrip() for line in value.splitlines())
    if len(value) > NEWS_MAX:
        raise ValidationFailed("digest.news_too_long", n=NEWS_MAX, length=len(value))
    if len(value) < 3 or not _LETTER.search(value) or _CONTROL.search(value):
        raise ValidationFailed("digest.news_bad", n=NEWS_MAX)
    return value


async def add_news(session: AsyncSession, actor_tg_id: int, text: str) -> DigestNews:
    value = clean_news(text)
    async with write(session):
        item = DigestNews(text=value, author_tg_id=actor_tg_id, status=NewsStatus.QUEUED)
        session.add(item)
        await session.flush()
        audit.record(session, actor_tg_id, "digest.news_add", "digest_news", item.id, length=len(value))
    return item


async def queued_news(session: AsyncSession) -> list[DigestNews]:
    rows = await session.scalars(
        select(DigestNews).where(DigestNews.status == NewsStatus.QUEUED).order_by(DigestNews.id)
    )
    return list(rows)


async def remove_news(session: AsyncSession, actor_tg_id: int, news_id: int) -> DigestNews:
    """Take a queued item back; one that already went out (or was removed) cannot be."""
    async with write(session):
        item = await session.get(DigestNews, news_id, with_for_update=True)
        if item is None:
            raise NotFound("digest.news_gone")
        if item.status != NewsStatus.QUEUED:
            raise Conflict("digest.news_gone")
        item.status = NewsStatus.REMOVED
        audit.record(session, actor_tg_id, "digest.news_remove", "digest_news", item.id)
    return item


async def _news_for_week(session: AsyncSession, week: str) -> list[DigestNews]:
    """Items waiting for the next digest, and those already in this week's (a rerun gets the same)."""
    rows = await session.scalars(
        select(DigestNews)
        .where(
            (DigestNews.status == NewsStatus.QUEUED)
            | ((DigestNews.status == NewsStatus.SENT) & (DigestNews.week == week))
        )
        .order_by(DigestNews.id)
    )
    return list(rows)


# --- building and rendering --------------------------------------------------------------------


SECTION_ORDER = ("bookings", "my_signups", "consultations", "events", "ideas", "showcase")
"""The person's own things first, then what they might join; other sections follow, news last."""


def _section_rank(entry: tuple[str, DigestSource]) -> int:
    name = entry[0]
    return SECTION_ORDER.index(name) if name in SECTION_ORDER else len(SECTION_ORDER)


async def build_many(
    session: AsyncSession,
    users: Sequence[User],
    now: datetime,
    tz: ZoneInfo,
    news: list[DigestNews] | None = None,
) -> dict[int, Digest]:
    """What each person's digest holds this week (every section, possibly empty), by user id: each
    section is built for the whole batch at once."""
    week = week_key(now, tz)
    digests = {user.id: Digest(week=week) for user in users}
    until = now + HORIZON
    for name, source in sorted(SOURCES, key=_section_rank):
        try:
            found = await source(session, users, now, until)
        except Exception:  # one feature's bug must not cost everyone their digest
            log.exception("digest source %s failed for %s people", name, len(users))
            found = {}
        for user in users:
            items = list(found.get(user.id, ())) if wanted(user, name) else []
            digests[user.id].sections.append((name, items))
    if news is None:
        news = await _news_for_week(session, week)
    items = [DigestItem(text=html.escape(n.text, quote=False)) for n in news]
    for user in users:
        digest = digests[user.id]
        digest.news_ids = [n.id for n in news]
        digest.sections.append(("news", list(items) if wanted(user, "news") else []))
    return digests


async def build(
    session: AsyncSession,
    user: User,
    now: datetime,
    tz: ZoneInfo,
    news: list[DigestNews] | None = None,
) -> Digest:
    """One person's digest (built again right before it is sent)."""
    return (await build_many(session, [user], now, tz, news))[user.id]


def render(
    digest: Digest, user: User, now: datetime, tz: ZoneInfo, _: Translate
) -> tuple[str, list[list[dict[str, Any]]]]:
    """The digest as one HTML message and its buttons, in the locale of ``_`` (a gettext)."""
    local = now.astimezone(tz)
    parts = [
        _("digest.title").format(
            name=html.escape(user.first_name or "", quote=False),
            start=local.strftime("%d.%m"),
            end=(local + timedelta(days=6)).strftime("%d.%m"),
        )
    ]
    buttons: list[list[dict[str, Any]]] = []
    size = len(parts[0]) + 300
    number = 0
    truncated = False
    for name, items in digest.sections:
        if not items:
            continue
        title = _(f"digest.section.{name}")
        lines = [f"\n<b>{title}</b>"]
        shown = items[:SECTION_MAX_ITEMS]
        for item in shown:
            numbered = item.button is not None and len(buttons) < MAX_BUTTONS
            text = item.line(tz, _, now)
            line = f"{number + 1}. {text}" if numbered else f"• {text}"
            if size + len(line) + 1 > TEXT_LIMIT:
                truncated = True
                break
            if numbered and item.button is not None:
                number += 1
                label_key, data = item.button
                buttons.append([{"label": f"{number}. {_(label_key)}", "data": data}])
            lines.append(line)
            size += len(line) + 1
        if len(items) > len(shown) and not truncated:
            lines.append(_("digest.more").format(count=len(items) - len(shown)))
        if len(lines) > 1:
            parts.append("\n".join(lines))
        if truncated:
            parts.append(_("digest.truncated"))
            break
    parts.append("\n" + _("digest.footer"))
    buttons.append([{"label": _("digest.btn_unsubscribe"), "data": UNSUBSCRIBE_DATA}])
    return "\n".join(parts), buttons


def render_in(
    i18n: Translator, language: str | None, digest: Digest, user: User, now: datetime, tz: ZoneInfo
) -> tuple[str, list[list[dict[str, Any]]]]:
    lang = language if language in i18n.available_locales else i18n.default_locale
    with i18n.context(), i18n.use_locale(lang):
        return render(digest, user, now, tz, i18n.gettext)


def subscribers_query(after_id: int = 0):  # type: ignore[no-untyped-def]
    return (
        select(User)
        .where(
            User.id > after_id,
            User.status == UserStatus.REGISTERED,
            User.digest_enabled.is_(True),
            User.unreachable_at.is_(None),
            User.tg_id.is_not(None),
        )
        .order_by(User.id)
        .limit(BATCH)
    )


async def queue_weekly(db: Database, i18n: Translator, tz: ZoneInfo, now: datetime) -> int:
    """Build and queue this week's digest for every subscriber. Idempotent per (person, week)."""
    week = week_key(now, tz)
    queued = 0
    after_id = 0
    async with db.session() as session:
        news = await _news_for_week(session, week)
    while True:
        batch: list[tuple[User, dict[str, Any]]] = []
        async with db.session() as session:
            users = list(await session.scalars(subscribers_query(after_id)))
            digests = await build_many(session, users, now, tz, news)
            for user in users:
                digest = digests[user.id]
                if digest.empty:
                    continue
                text, buttons = render_in(i18n, user.language, digest, user, now, tz)
                payload = {
                    "html": text,
                    "buttons": buttons,
                    "week": week,
                    "tz": tz.key,
                    "news_ids": digest.news_ids,
                }
                batch.append((user, payload))
        if not users:
            break
        after_id = users[-1].id
        if batch:
            async with db.session() as session, write(session):
                rows = await queue_many(
                    session,
                    [(user, make_key(KIND, "week", None, user.id, week), payload) for user, payload in batch],
                    kind=KIND,
                    due_at=now,
                    ref_type="week",
                    expires_at=now + LIFETIME,
                    quiet=True,
                )
                queued += len(rows)
    if queued and news:
        async with db.session() as session, write(session):
            await session.execute(
                update(DigestNews)
                .where(DigestNews.id.in_([n.id for n in news]), DigestNews.status == NewsStatus.QUEUED)
                .values(status=NewsStatus.SENT, week=week)
            )
    log.info("weekly digest %s queued for %s people", week, queued)
    return queued


async def render_fresh(
    session: AsyncSession, row: Notification, user: User, now: datetime, gettext: Translate
) -> dict[str, Any] | None:
    """The digest built again right before it is sent (the sender sets the person's locale): an event
    cancelled meanwhile drops out, a language changed meanwhile applies. None: it became empty."""
    payload = row.payload or {}
    tz = ZoneInfo(payload.get("tz") or "Asia/Krasnoyarsk")
    ids = [int(i) for i in payload.get("news_ids") or []]
    news = (
        list(
            await session.scalars(
                select(DigestNews)
                .where(DigestNews.id.in_(ids), DigestNews.status != NewsStatus.REMOVED)
                .order_by(DigestNews.id)
            )
        )
        if ids
        else []
    )
    digest = await build(session, user, now, tz, news)
    if digest.empty:
        return None
    text, buttons = render(digest, user, now, tz, gettext)
    return {"html": text, "buttons": buttons}


# --- the person's subscription --------------------------------------------------------------------


async def set_subscription(session: AsyncSession, tg_id: int, enabled: bool) -> User:
    """Digest on or off (the one-tap «Отписаться» and /settings). Off cancels a digest still queued."""
    async with write(session):
        user = await session.scalar(
            select(User).where(is_person(tg_id), User.status == UserStatus.REGISTERED)
        )
        if user is None:
            raise NotFound("reg.not_registered")
        user.digest_enabled = enabled
        if not enabled:
            await cancel_kind(session, user.id, KIND, "digest off")
    return user


# --- staff: whose digest to preview ---------------------------------------------------------------


async def find_people(session: AsyncSession, query: str, limit: int = 10) -> list[User]:
    """Registered people by Telegram id, @username or a part of the name."""
    query = (query or "").strip()
    base = select(User).where(User.status == UserStatus.REGISTERED)
    if not query:
        return []
    if re.fullmatch(r"-?[0-9]{1,16}", query):  # "²".isdigit() is true, int("²") is not
        return list(await session.scalars(base.where(User.tg_id == int(query)).limit(limit)))
    if query.startswith("@"):
        name = query[1:].lower()
        return list(await session.scalars(base.where(func.lower(User.username) == name).limit(limit)))
    # SQLite folds only ASCII case: try the forms people type a name in
    variants = {query, query.lower(), query.capitalize(), query.title()}
    escaped = [v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for v in variants]
    condition = or_(*(User.full_name.ilike(f"%{v}%", escape="\\") for v in escaped))
    return list(await session.scalars(base.where(condition).order_by(User.full_name).limit(limit)))
