"""What the bot sends about a request besides direct answers: the staff card in the admin chat (and its
forum thread), notes and relayed messages under it, notices to the person, the overdue job; and the
links that make a Telegram reply to any of those messages come back to the request (LinkedReply).

Staff answers are replies (Telegram «Reply») to a bot message of the request: the card, a copy of the
person's message, or the prompt «Ответить» sends with ForceReply. That works in a group whatever the
bot's privacy mode, and a staff member's chat with colleagues is never taken for an answer."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import BaseFilter
from aiogram.types import BufferedInputFile, ForceReply, Message, ReplyParameters
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.base import utcnow
from db.engine import Database
from db.models import Consultation, ConsultationMessage, ConsultationTopic, User
from handlers.consultations.views import age_text, card_markup, card_text, local, num, place_text, quote_cut
from handlers.messengers import speaking_to
from handlers.workspace import staff_thread
from keyboards.consultations import reply_keyboard, take_keyboard
from services import consultations as svc
from services import ics

log = logging.getLogger(__name__)


async def thread_for(desk: Desk, topic: ConsultationTopic | None) -> int | None:
    """The forum thread of the admin chat for a topic's requests: CONSULT_FORUM_THREADS, a topic per
    consultation topic (CONSULT_FORUM_CREATE), else the workspace's «Консультации» topic (None: the
    general thread)."""
    if desk.settings.admin_chat_id is None:
        return None
    mapping: dict[str, int] = desk.settings.consult_forum_threads or {}
    for key in (topic.code, str(topic.id), "*") if topic is not None else ("*",):
        if key in mapping:
            return int(mapping[key])
    if topic is None or not desk.settings.consult_forum_create:
        return await staff_thread(desk, "consultations")
    if topic.thread_id:
        return topic.thread_id
    try:
        forum_topic = await desk.bot.create_forum_topic(desk.settings.admin_chat_id, name=topic.title[:128])
    except TelegramAPIError:
        log.warning("could not create a forum topic for consultation topic %s", topic.code, exc_info=True)
        return await staff_thread(desk, "consultations")
    await svc.set_topic_thread(desk.session, topic.id, forum_topic.message_thread_id)
    topic.thread_id = forum_topic.message_thread_id
    return forum_topic.message_thread_id


def _reply_to(c: Consultation) -> ReplyParameters | None:
    if c.card_message_id is None:
        return None
    return ReplyParameters(message_id=c.card_message_id, allow_sending_without_reply=True)


async def post_card(desk: Desk, consultation_id: int) -> Message | None:
    """Send the request's card (and its files) to the admin chat; a re-post becomes the live card."""
    if desk.settings.admin_chat_id is None:
        log.warning("ADMIN_CHAT_ID is not set: request %s has no card", consultation_id)
        return None
    data = await svc.card(desk.session, consultation_id)
    c = data.consultation
    old = (c.card_chat_id, c.card_message_id)
    thread = await thread_for(desk, data.topic)
    try:
        card = await desk.bot.send_message(
            desk.settings.admin_chat_id,
            card_text(data, desk.settings),
            reply_markup=card_markup(c),
            message_thread_id=thread,
        )
    except TelegramAPIError:
        log.exception("could not post the card of request %s", consultation_id)
        return None
    await svc.set_card(desk.session, c.id, card.chat.id, card.message_id, thread)
    c.card_chat_id, c.card_message_id, c.card_thread_id = card.chat.id, card.message_id, thread
    if old[1] is not None and old != (card.chat.id, card.message_id):
        try:
            await desk.bot.edit_message_reply_markup(chat_id=old[0], message_id=old[1], reply_markup=None)
        except TelegramAPIError:
            pass
    if old[1] is None:  # first post: the files that came with the request
        for message in await svc.messages_of(desk.session, c.id):
            if message.author == "person" and message.kind != "text":
                await relay_to_staff(desk, c, message)
    return card


async def refresh_card(desk: Desk, consultation_id: int) -> None:
    data = await svc.card(desk.session, consultation_id)
    c = data.consultation
    if c.card_chat_id is None or c.card_message_id is None:
        return
    try:
        await desk.bot.edit_message_text(
            text=card_text(data, desk.settings),
            chat_id=c.card_chat_id,
            message_id=c.card_message_id,
            reply_markup=card_markup(c),
        )
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc):
            log.warning("could not update the card of request %s: %s", c.id, exc)
    except TelegramAPIError:
        log.warning("could not update the card of request %s", c.id, exc_info=True)


async def to_card_thread(desk: Desk, c: Consultation, text: str, **kwargs: Any) -> Message | None:
    """A note under the request's card (same thread, as a reply to the card)."""
    if desk.settings.admin_chat_id is None:
        return None
    try:
        return await desk.bot.send_message(
            c.card_chat_id or desk.settings.admin_chat_id,
            text,
            message_thread_id=c.card_thread_id,
            reply_parameters=_reply_to(c),
            **kwargs,
        )
    except TelegramAPIError:
        log.warning("could not write under the card of request %s", c.id, exc_info=True)
        return None


async def prompt_on_card(desk: Desk, c: Consultation, text: str, placeholder: str, purpose: str) -> None:
    """A prompt under the card that staff answer with a Telegram reply (``placeholder``: the locale key
    of the input field's hint); the reply is linked to the request with ``purpose``."""
    prompt = await to_card_thread(
        desk,
        c,
        text,
        reply_markup=ForceReply(selective=True, input_field_placeholder=_(placeholder)),
    )
    if prompt is not None:
        await svc.link(desk.session, prompt.chat.id, prompt.message_id, c.id, purpose)


async def notify_undelivered(desk: Desk, c: Consultation, delivered: Any) -> None:
    if not delivered:
        await to_card_thread(desk, c, _("consult.adm_undelivered").format(number=num(c.id)))


def _caption(header: str, text: str | None) -> str:
    return header + ("\n" + quote_cut(text, 900) if text else "")


async def _send_copy(
    bot: Bot, chat_id: int, message: ConsultationMessage, header: str, separator: str, **kwargs: Any
) -> Message:
    """A request's message (text, photo, document or voice) under ``header``; a voice message is sent
    as voice (staff listen to it in the chat)."""
    if message.kind == "voice" and message.file_id:
        return await bot.send_voice(
            chat_id, message.file_id, caption=_caption(header, message.text), **kwargs
        )
    if message.kind == "photo" and message.file_id:
        return await bot.send_photo(
            chat_id, message.file_id, caption=_caption(header, message.text), **kwargs
        )
    if message.kind == "document" and message.file_id:
        return await bot.send_document(
            chat_id, message.file_id, caption=_caption(header, message.text), **kwargs
        )
    return await bot.send_message(chat_id, header + separator + quote_cut(message.text), **kwargs)


async def relay_to_staff(desk: Desk, c: Consultation, message: ConsultationMessage) -> None:
    """The person's message (text, photo or document) under the card; a reply to it answers them."""
    if desk.settings.admin_chat_id is None:
        return
    header = _("consult.relay_header").format(number=num(c.id), name=html.escape(message.author_name or "—"))
    chat_id = c.card_chat_id or desk.settings.admin_chat_id
    try:
        sent = await _send_copy(
            desk.bot,
            chat_id,
            message,
            header,
            "\n",
            message_thread_id=c.card_thread_id,
            reply_parameters=_reply_to(c),
        )
    except TelegramAPIError:
        log.warning("could not relay a message of request %s", c.id, exc_info=True)
        return
    await svc.link(desk.session, sent.chat.id, sent.message_id, c.id, "msg")


async def answer_person(desk: Desk, c: Consultation, message: ConsultationMessage) -> bool:
    """Deliver a staff answer to the person; their reply (button or Telegram reply) comes back."""
    person = await desk.session.get(User, c.user_id)
    if person is None or person.tg_id is None:
        return False
    first = (message.author_name or "").split(" ")[0]
    with speaking_to(desk.bot, desk.i18n, person) as bot:
        header = _("consult.p_answer").format(number=num(c.id), name=html.escape(first))
        try:
            sent = await _send_copy(
                bot, person.tg_id, message, header, "\n\n", reply_markup=reply_keyboard(c.id)
            )
        except TelegramAPIError:
            log.info("answer to request %s not delivered", c.id, exc_info=True)
            return False
    await svc.link(desk.session, sent.chat.id, sent.message_id, c.id, "answer")
    return True


async def send_meeting(desk: Desk, c: Consultation, person: User) -> bool:
    """The meeting confirmation with an .ics file, in the person's language."""
    if person.tg_id is None or c.meeting_at is None:
        return False
    topic = await desk.session.get(ConsultationTopic, c.topic_id)
    with speaking_to(desk.bot, desk.i18n, person) as bot:
        place = place_text(c.meeting_place, desk.settings)
        data = ics.event_ics(
            uid=f"consultation-{c.id}@ccbot",
            start=c.meeting_at,
            end=c.meeting_at + timedelta(minutes=svc.MEETING_MINUTES),
            summary=_("consult.ics_summary").format(number=num(c.id)),
            location=place,
            description=svc.topic_title(topic, person.language),
        )
        text = _("consult.p_meeting").format(
            number=num(c.id),
            when=local(c.meeting_at, desk.settings),
            place=html.escape(place),
            topic=html.escape(svc.topic_title(topic, person.language)),
        )
        try:
            notice = await bot.send_message(person.tg_id, text, reply_markup=reply_keyboard(c.id))
            await bot.send_document(
                person.tg_id,
                BufferedInputFile(data, filename=ics.filename("consultation", c.id)),
                caption=_("consult.p_ics_caption"),
            )
        except TelegramAPIError:
            log.info("meeting notice of request %s not delivered", c.id, exc_info=True)
            return False
    await svc.link(desk.session, notice.chat.id, notice.message_id, c.id, "answer")
    return True


async def _raise_one(desk: Desk, c: Consultation, now: datetime) -> bool:
    """The overdue note (with «Взять») under the card; the card is posted first if it never was."""
    text = _("consult.overdue").format(number=num(c.id), age=age_text(c.created_at, now))
    if c.card_message_id is None:
        if await post_card(desk, c.id) is None:
            return False
        await to_card_thread(desk, c, text, reply_markup=take_keyboard(c.id))
        return True
    sent = await to_card_thread(desk, c, text, reply_markup=take_keyboard(c.id))
    if sent is None:
        return False
    await svc.link(desk.session, sent.chat.id, sent.message_id, c.id, "card")
    return True


async def raise_overdue(
    bot: Bot, db: Database, i18n: I18n, settings: Any, now: datetime | None = None
) -> int:
    """Raise again, in the admin chat, new requests nobody took within CONSULT_RESPONSE_HOURS working
    hours (and again every such period). Returns how many were raised. A scheduler job calls this."""
    now = now or utcnow()
    raised = 0
    async with db.session() as session:
        due = await svc.overdue_requests(session, now, hours=settings.consult_response_hours, tz=settings.tz)
        for c in due:
            previous = c.escalated_at
            if not await svc.mark_escalated(session, c.id, previous, now):
                continue  # another instance raised it
            with i18n.context(), i18n.use_locale(i18n.default_locale):
                sent = await _raise_one(Desk(bot, session, settings, i18n), c, now)
            if not sent:
                await svc.mark_escalated(session, c.id, previous, None)
                continue
            raised += 1
    return raised


class LinkedReply(BaseFilter):
    """A reply to one of the bot's request messages in this chat: passes the link on."""

    async def __call__(self, message: Message, bot: Bot, session: AsyncSession) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != bot.id:
            return False
        if (message.text or "").startswith("/"):
            return False  # a command given as a reply (e.g. /broadcast) belongs to its own feature
        found = await svc.linked(session, message.chat.id, replied.message_id)
        return {"link": found} if found is not None else False
