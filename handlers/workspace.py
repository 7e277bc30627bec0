"""The staff workspace in the admin chat, shared by every feature's staff side: which forum topic a
feature's cards go to, where technical error alerts go, and the pinned «📥 Ждут ответа (N)» count.

When the admin chat is a forum (getChat says so; looked up again every few hours), each feature's
cards go to their own topic: the one mapped in STAFF_FORUM_THREADS, else one the bot created (it
needs the «Manage topics» right; the created ids are kept in the staff_topics table). Error alerts
go to ERROR_CHAT_ID when set, else to their own «errors» topic — never among residents' requests.
Everything here fails softly: a topic that cannot be created is logged and the general thread used."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.base import utcnow
from db.engine import Database
from services import workspace as svc

log = logging.getLogger(__name__)

FEATURES = ("consultations", "bookings", "ideas", "catalogue", "events", "broadcasts", "errors")
"""The features whose staff messages have a topic of their own in a forum admin chat."""
FORUM_RECHECK = timedelta(hours=6)
"""How long the answer to «is the admin chat a forum?» (and a failed topic creation) is trusted."""
FORUM_FLAG = "@forum"
PIN = "@pin"


async def is_forum(bot: Bot, session: AsyncSession, chat_id: int) -> bool:
    now = utcnow()
    row = await svc.topic(session, FORUM_FLAG)
    if row is not None and row.chat_id == chat_id and row.checked_at and now - row.checked_at < FORUM_RECHECK:
        return bool(row.value)
    try:
        forum = bool((await bot.get_chat(chat_id)).is_forum)
    except Exception:  # any failure: not a forum for now (cards go to the general thread), never fatal
        log.warning("could not ask whether the admin chat is a forum", exc_info=True)
        forum = False
    await svc.remember(session, FORUM_FLAG, chat_id, value=int(forum), checked_at=now)
    return forum


async def thread_in(desk: Desk, chat_id: int, feature: str) -> int | None:
    """The forum topic of ``feature`` in ``chat_id`` (None: the general thread, or not a forum)."""
    mapping: dict[str, int] = desk.settings.staff_forum_threads or {}
    if feature in mapping:
        return int(mapping[feature])
    row = await svc.topic(desk.session, feature)
    if row is not None and row.chat_id == chat_id and row.thread_id:
        return row.thread_id
    if not desk.settings.staff_forum_create or not await is_forum(desk.bot, desk.session, chat_id):
        return None
    now = utcnow()
    if row is not None and row.chat_id == chat_id and row.checked_at and now - row.checked_at < FORUM_RECHECK:
        return None  # creating it failed a moment ago (no right?): not again on every card
    name = _(f"staff.topic.{feature}", locale=desk.settings.default_locale)
    try:
        created = await desk.bot.create_forum_topic(chat_id, name=name)
    except Exception:  # no «Manage topics» right, or not a forum after all: logged, never fatal
        log.warning("could not create the forum topic %r in the admin chat", feature, exc_info=True)
        await svc.remember(desk.session, feature, chat_id, thread_id=None, checked_at=now)
        return None
    await svc.remember(desk.session, feature, chat_id, thread_id=created.message_thread_id, checked_at=now)
    return created.message_thread_id


async def staff_thread(desk: Desk, feature: str) -> int | None:
    """The admin chat's forum topic for ``feature``'s cards (None: the general thread)."""
    if desk.settings.admin_chat_id is None:
        return None
    return await thread_in(desk, desk.settings.admin_chat_id, feature)


async def error_target(bot: Bot, db: Database, settings: Any, i18n: I18n) -> tuple[int | None, int | None]:
    """Where a technical error alert goes: (chat, thread). ERROR_CHAT_ID wins; else the admin chat's
    «errors» topic (the general thread when the admin chat is not a forum)."""
    if settings.error_chat_id is not None:
        return settings.error_chat_id, (settings.staff_forum_threads or {}).get("errors_chat")
    if settings.admin_chat_id is None:
        return None, None
    async with db.session() as session:
        return settings.admin_chat_id, await staff_thread(Desk(bot, session, settings, i18n), "errors")


# --- the pinned count -----------------------------------------------------------------------------


def pin_text(count: int) -> str:
    return _("staff.pin").format(count=count)


async def refresh_pin(desk: Desk, markup: InlineKeyboardMarkup | None = None) -> int:
    """Keep the pinned «📥 Ждут ответа (N)» message in the admin chat up to date; returns N. Posting
    and pinning need rights the bot may lack: a failure is logged, never raised."""
    count = await svc.waiting_count(desk.session)
    chat_id = desk.settings.admin_chat_id
    if chat_id is None:
        return count
    row = await svc.topic(desk.session, PIN)
    if row is not None and row.chat_id == chat_id and row.message_id and row.value == count:
        return count
    text = pin_text(count)
    if row is not None and row.chat_id == chat_id and row.message_id:
        try:
            await desk.bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=row.message_id, reply_markup=markup
            )
            await svc.remember(desk.session, PIN, chat_id, value=count, checked_at=utcnow())
            return count
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                await svc.remember(desk.session, PIN, chat_id, value=count, checked_at=utcnow())
                return count
            log.info("the pinned count is gone (%s): posting it again", exc)
        except TelegramAPIError:
            log.warning("could not update the pinned count", exc_info=True)
            return count
    try:
        sent = await desk.bot.send_message(chat_id, text, reply_markup=markup, disable_notification=True)
    except TelegramAPIError:
        log.warning("could not post the pinned count", exc_info=True)
        return count
    await svc.remember(
        desk.session, PIN, chat_id, message_id=sent.message_id, value=count, checked_at=utcnow()
    )
    try:
        await desk.bot.pin_chat_message(chat_id, sent.message_id, disable_notification=True)
    except TelegramAPIError:
        log.warning(
            "could not pin the count in the admin chat (the bot needs the right to pin)", exc_info=True
        )
    return count


async def pin_after_decision(desk: Desk) -> None:
    """Right after a staff decision: the pinned count follows at once (the minute job is the backstop).
    Only a count already posted is edited here — posting and pinning a new one is the job's and
    /inbox's — and nothing is sent when the count did not change. A failure is logged, never raised."""
    chat_id = desk.settings.admin_chat_id
    if chat_id is None:
        return
    try:
        row = await svc.topic(desk.session, PIN)
        if row is None or row.chat_id != chat_id or not row.message_id:
            return
        await refresh_pin(desk)
    except Exception:  # the decision is made and told; the job brings the count up to date
        log.warning("could not update the pinned count after a decision", exc_info=True)


def age_text(since: datetime, now: datetime) -> str:
    """«5 часов», «2 дня»: how long something waits (plural forms)."""
    hours = max(0, int((now - since).total_seconds() // 3600))
    if hours >= 24:
        return _("staff.inbox.age_days", "staff.inbox.age_days", hours // 24).format(n=hours // 24)
    return _("staff.inbox.age_hours", "staff.inbox.age_hours", hours).format(n=hours)


def waiting_line(item: svc.Waiting, now: datetime) -> str:
    """One inbox line: number, what, since when, who took it."""
    title = " ".join(item.title.split())
    title = title if len(title) <= 40 else title[:39] + "…"
    who = (
        _("staff.inbox.taken").format(name=html.escape(item.taken_by))
        if item.taken_by
        else _("staff.inbox.free")
    )
    return _("staff.inbox.line").format(
        number=item.number,
        kind=_(f"staff.kind.{item.kind}"),
        title=html.escape(title),
        age=age_text(item.since, now),
        who=who,
    )
