"""How an idea looks, shared by the resident's and the staff's sides: its body, its status, its
attachments, and the staff's card in the admin chat (sent when a resident submits an idea, refreshed
when staff decide, raised when the idea gathers enough support)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import Idea, User
from handlers.workspace import staff_thread
from keyboards.ideas import staff_card_keyboard, staff_open_keyboard
from services import ideas as ideas_service
from services.numbers import number
from services.plural import plural

log = logging.getLogger(__name__)


def status_label(status: str) -> str:
    return _(f"ideas.status.{status}")


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def idea_body(values: dict[str, Any]) -> str:
    """The idea's content as HTML; every typed value is escaped."""
    help_kinds = values.get("help") or []
    lines = [
        _("ideas.view.title").format(title=hd.quote(values.get("title") or "—")),
        _("ideas.view.district").format(
            value=_("district." + values["district"]) if values.get("district") else "—"
        ),
        _("ideas.view.audience").format(
            value=_(f"ideas.aud.{values['audience']}") if values.get("audience") else "—"
        ),
        _("ideas.view.help").format(
            value=", ".join(_(f"ideas.help.{h}") for h in help_kinds) if help_kinds else "—"
        ),
        "",
        _("ideas.view.problem").format(text=hd.quote(values.get("problem") or "—")),
        "",
        _("ideas.view.idea").format(text=hd.quote(values.get("description") or "—")),
    ]
    media = values.get("media") or []
    if media:
        lines += ["", _("ideas.view.media").format(count=len(media))]
    return "\n".join(lines)


async def send_media(bot: Bot, chat_id: int, media: list[dict[str, Any]], thread: int | None = None) -> None:
    """Resend the attachments by their file ids (photos, documents, voice messages)."""
    for item in media:
        try:
            if item["kind"] == "photo":
                await bot.send_photo(chat_id, item["file_id"], message_thread_id=thread)
            elif item["kind"] == "document":
                await bot.send_document(chat_id, item["file_id"], message_thread_id=thread)
            elif item["kind"] == "voice":
                await bot.send_voice(chat_id, item["file_id"], message_thread_id=thread)
        except TelegramAPIError:
            log.warning("could not resend an idea attachment to %s", chat_id, exc_info=True)


# --- the staff's card ---------------------------------------------------------------------------


def _author_line(author: User | None) -> str:
    if author is None or not author.full_name:
        return _("ideas.admin.anonymous")
    who = hd.quote(author.full_name)
    if author.username:
        who += f" (@{hd.quote(author.username)})"
    if author.target_group:
        who += ", " + _("group." + author.target_group)
    if author.organisation:
        who += ", " + hd.quote(author.organisation)
    if author.phone:
        who += ", " + hd.quote(author.phone)
    return who


async def card_text(
    session: AsyncSession, idea: Idea, *, resubmitted: bool = False, acted: str | None = None
) -> str:
    """The idea's moderation card: the author (staff see who wrote it), the body, the support;
    ``acted``: who decided on it and when (added when the card is updated in place)."""
    author = await session.get(User, idea.author_id)
    lines = [_("ideas.admin.card_head").format(id=number("idea", idea.id), status=status_label(idea.status))]
    if resubmitted:
        lines.append(_("ideas.admin.resubmitted"))
    lines += [
        _("ideas.admin.author").format(author=_author_line(author)),
        "",
        idea_body(ideas_service.draft_of(idea)),
        "",
        _("ideas.own.supports").format(count=idea.support_count),
    ]
    if idea.staff_comment:
        lines.append(_("ideas.admin.last_comment").format(comment=hd.quote(idea.staff_comment)))
    if acted:
        lines.append(acted)
    return "\n".join(lines)


async def send_card(
    desk: Desk,
    idea: Idea,
    *,
    resubmitted: bool = False,
    chat_id: int | None = None,
    thread: int | None = None,
) -> None:
    """The idea's card (attachments first) in the admin chat (its «Идеи» topic in a forum, or
    ``thread`` where staff asked for it), in the staff's language."""
    if chat_id is None and desk.settings.admin_chat_id is not None:
        thread = await staff_thread(desk, "ideas")
    chat_id = chat_id or desk.settings.admin_chat_id
    if chat_id is None:
        log.warning("ADMIN_CHAT_ID is not set: idea %s has no moderation card", idea.id)
        return
    with desk.i18n.use_locale(desk.settings.default_locale):
        text = await card_text(desk.session, idea, resubmitted=resubmitted)
        markup = staff_card_keyboard(idea.id, idea.status)
    try:
        if idea.media:
            await send_media(desk.bot, chat_id, idea.media, thread)
        card = await desk.bot.send_message(chat_id, text, reply_markup=markup, message_thread_id=thread)
    except TelegramAPIError:
        log.exception("could not send the card of idea %s to the admin chat", idea.id)
        return
    if chat_id != desk.settings.admin_chat_id:
        return
    previous = await ideas_service.set_card(desk.session, idea.id, card.message_id)
    if previous and previous != card.message_id:
        # The older card shows an older text: its buttons go, so nobody decides on what was corrected.
        try:
            await desk.bot.edit_message_reply_markup(chat_id=chat_id, message_id=previous, reply_markup=None)
        except TelegramAPIError:
            log.debug("old card of idea %s not edited", idea.id, exc_info=True)


async def refresh_card(
    bot: Bot, session: AsyncSession, chat_id: int, message_id: int, idea: Idea, acted: str | None = None
) -> None:
    """The card updated in place: its new status, who acted and when, the buttons that still apply."""
    try:
        await bot.edit_message_text(
            text=await card_text(session, idea, acted=acted),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=staff_card_keyboard(idea.id, idea.status),
        )
    except TelegramAPIError:
        log.debug("idea card %s not edited", idea.id, exc_info=True)


async def raise_threshold(desk: Desk, idea: Idea) -> None:
    """Tell staff once that an idea gathered enough support to offer the author help."""
    if desk.settings.admin_chat_id is None:
        return
    with desk.i18n.use_locale(desk.settings.default_locale):
        text = plural(
            _,
            "ideas.admin.threshold",
            idea.support_count,
            id=number("idea", idea.id),
            title=hd.quote(idea.title),
        )
        markup = staff_open_keyboard([(idea.id, _("ideas.admin.btn_card"))])
    thread = await staff_thread(desk, "ideas")
    try:
        await desk.bot.send_message(
            desk.settings.admin_chat_id, text, reply_markup=markup, message_thread_id=thread
        )
    except TelegramAPIError:
        log.exception("could not raise idea %s in the admin chat; the next support retries", idea.id)
        await ideas_service.unraise_threshold(desk.session, idea.id)
