"""Consultations, staff side: request cards in the admin chat, their buttons, replies to them, the open
list, organisation history, topics; and the senders both sides use (card, relays, raise_overdue).

Staff answers are replies (Telegram «Reply») to a bot message of the request: the card, a copy of the
person's message, or the prompt «Ответить» sends with ForceReply. That works in a group whatever the
bot's privacy mode, and a staff member's chat with colleagues is never taken for an answer.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import BaseFilter, Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import Database
from db.models import (
    Consultation,
    ConsultationLink,
    ConsultationMessage,
    ConsultationTopic,
    ConsultStatus,
    User,
)
from db.models.consultations import OPEN_STATUSES
from handlers.common import error_text
from keyboards.admin import AdminCb
from keyboards.consultations import (
    ConsultAdmCb,
    card_keyboard,
    day_label,
    meeting_days_keyboard,
    meeting_place_keyboard,
    meeting_times_keyboard,
    open_list_keyboard,
    outcome_keyboard,
    rating_keyboard,
    reply_keyboard,
    take_keyboard,
    topics_admin_keyboard,
)
from services import consultations as svc
from services import ics
from services.errors import DomainError

log = logging.getLogger(__name__)

PLACES = ("center", "phone", "chat")
MEETING_TIMES = [f"{h:02d}{m:02d}" for h in range(9, 18) for m in (0, 30)]
TEXT_LIMIT = 3500


# --- rendering -----------------------------------------------------------------------------------


def quote_cut(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """HTML-escape ``text``, cut so that the escaped form stays within ``limit`` characters."""
    raw = text or ""
    quoted = html.escape(raw, quote=False)
    while len(quoted) > limit:
        raw = raw[: max(0, len(raw) - (len(quoted) - limit) // 5 - 1)]
        quoted = html.escape(raw, quote=False) + "…"
    return quoted


def join_limited(lines: list[str], limit: int = 3900) -> str:
    """Lines joined, whole lines only, within one Telegram message (a cut never splits HTML)."""
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def local(moment: datetime | None, settings: Any, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return moment.astimezone(settings.tz).strftime(fmt) if moment else "—"


def place_text(place: str | None, settings: Any) -> str:
    """The meeting place as the reader should see it (codes are rendered in their language)."""
    if not place:
        return "—"
    if place.startswith("@"):
        return _(f"consult.place.{place[1:]}")
    return place


def status_text(consultation: Consultation) -> str:
    return _(f"consult.status.{consultation.status}")


def age_text(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("consult.age_days").format(d=days, h=hours)
    return _("consult.age_hours").format(h=hours, m=minutes)


def card_text(data: svc.Card, settings: Any, language: str | None = None) -> str:
    c = data.consultation
    person = data.person
    lines = [
        _("consult.card_title").format(number=c.id, status=status_text(c)),
        _("consult.card_topic").format(topic=html.escape(svc.topic_title(data.topic, language))),
        _("consult.card_from").format(
            name=html.escape(person.first_name or _("consult.erased_person")),
            group=_(f"group.{person.target_group}") if person.target_group else "—",
            district=_(f"district.{person.district}") if person.district else "—",
        ),
        _("consult.card_org").format(org=html.escape(c.organisation or "—")),
        _("consult.card_format").format(
            format=_(f"consult.format.{c.format}"), time=_(f"consult.time.{c.preferred_time}")
        ),
        _("consult.card_created").format(at=local(c.created_at, settings)),
    ]
    if c.assignee_name:
        lines.append(_("consult.card_assignee").format(name=html.escape(c.assignee_name)))
    if c.meeting_at:
        lines.append(
            _("consult.card_meeting").format(
                when=local(c.meeting_at, settings), place=html.escape(place_text(c.meeting_place, settings))
            )
        )
    if c.outcome:
        lines.append(_("consult.card_outcome").format(outcome=_(f"consult.outcome.{c.outcome}")))
    if c.rating:
        lines.append(_("consult.card_rating").format(stars="⭐" * c.rating, rating=c.rating))
        if c.rating_comment:
            lines.append(_("consult.card_comment").format(comment=quote_cut(c.rating_comment, 500)))
    if data.attachments:
        lines.append(_("consult.card_files").format(count=data.attachments))
    lines.append("")
    lines.append(_("consult.card_question"))
    lines.append(quote_cut(c.question, 2500) or _("consult.erased_text"))
    return "\n".join(lines)


def card_markup(c: Consultation) -> InlineKeyboardMarkup:
    return card_keyboard(c.id, is_open=c.status in OPEN_STATUSES, assigned=c.assignee_tg_id is not None)


# --- senders (also used by the person's side and the scheduler) -----------------------------------


async def thread_for(
    bot: Bot, session: AsyncSession, settings: Any, topic: ConsultationTopic | None
) -> int | None:
    """The forum thread of the admin chat for a topic's requests (None: the general thread)."""
    if topic is None or settings.admin_chat_id is None:
        return None
    mapping: dict[str, int] = settings.consult_forum_threads or {}
    for key in (topic.code, str(topic.id), "*"):
        if key in mapping:
            return int(mapping[key])
    if not settings.consult_forum_create:
        return None
    if topic.thread_id:
        return topic.thread_id
    try:
        forum_topic = await bot.create_forum_topic(settings.admin_chat_id, name=topic.title[:128])
    except TelegramAPIError:
        log.warning("could not create a forum topic for consultation topic %s", topic.code, exc_info=True)
        return None
    await svc.set_topic_thread(session, topic.id, forum_topic.message_thread_id)
    topic.thread_id = forum_topic.message_thread_id
    return forum_topic.message_thread_id


def _reply_to(c: Consultation) -> ReplyParameters | None:
    if c.card_message_id is None:
        return None
    return ReplyParameters(message_id=c.card_message_id, allow_sending_without_reply=True)


async def post_card(bot: Bot, session: AsyncSession, settings: Any, consultation_id: int) -> Message | None:
    """Send the request's card (and its files) to the admin chat; a re-post becomes the live card."""
    if settings.admin_chat_id is None:
        log.warning("ADMIN_CHAT_ID is not set: request %s has no card", consultation_id)
        return None
    data = await svc.card(session, consultation_id)
    c = data.consultation
    old = (c.card_chat_id, c.card_message_id)
    thread = await thread_for(bot, session, settings, data.topic)
    try:
        card = await bot.send_message(
            settings.admin_chat_id,
            card_text(data, settings),
            reply_markup=card_markup(c),
            message_thread_id=thread,
        )
    except TelegramAPIError:
        log.exception("could not post the card of request %s", consultation_id)
        return None
    await svc.set_card(session, c.id, card.chat.id, card.message_id, thread)
    c.card_chat_id, c.card_message_id, c.card_thread_id = card.chat.id, card.message_id, thread
    if old[1] is not None and old != (card.chat.id, card.message_id):
        try:
            await bot.edit_message_reply_markup(chat_id=old[0], message_id=old[1], reply_markup=None)
        except TelegramAPIError:
            pass
    if old[1] is None:  # first post: the files that came with the request
        for message in await svc.messages_of(session, c.id):
            if message.author == "person" and message.kind != "text":
                await relay_to_staff(bot, session, settings, c, message)
    return card


async def refresh_card(bot: Bot, session: AsyncSession, settings: Any, consultation_id: int) -> None:
    data = await svc.card(session, consultation_id)
    c = data.consultation
    if c.card_chat_id is None or c.card_message_id is None:
        return
    try:
        await bot.edit_message_text(
            text=card_text(data, settings),
            chat_id=c.card_chat_id,
            message_id=c.card_message_id,
            reply_markup=card_markup(c),
        )
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc):
            log.warning("could not update the card of request %s: %s", c.id, exc)
    except TelegramAPIError:
        log.warning("could not update the card of request %s", c.id, exc_info=True)


async def to_card_thread(
    bot: Bot, session: AsyncSession, settings: Any, c: Consultation, text: str, **kwargs: Any
) -> Message | None:
    """A note under the request's card (same thread, as a reply to the card)."""
    if settings.admin_chat_id is None:
        return None
    try:
        return await bot.send_message(
            c.card_chat_id or settings.admin_chat_id,
            text,
            message_thread_id=c.card_thread_id,
            reply_parameters=_reply_to(c),
            **kwargs,
        )
    except TelegramAPIError:
        log.warning("could not write under the card of request %s", c.id, exc_info=True)
        return None


async def relay_to_staff(
    bot: Bot, session: AsyncSession, settings: Any, c: Consultation, message: ConsultationMessage
) -> None:
    """The person's message (text, photo or document) under the card; a reply to it answers them."""
    if settings.admin_chat_id is None:
        return
    header = _("consult.relay_header").format(number=c.id, name=html.escape(message.author_name or "—"))
    chat_id = c.card_chat_id or settings.admin_chat_id
    common: dict[str, Any] = {"message_thread_id": c.card_thread_id, "reply_parameters": _reply_to(c)}
    try:
        if message.kind == "photo" and message.file_id:
            sent = await bot.send_photo(
                chat_id, message.file_id, caption=_caption(header, message.text), **common
            )
        elif message.kind == "document" and message.file_id:
            sent = await bot.send_document(
                chat_id, message.file_id, caption=_caption(header, message.text), **common
            )
        else:
            sent = await bot.send_message(chat_id, header + "\n" + quote_cut(message.text), **common)
    except TelegramAPIError:
        log.warning("could not relay a message of request %s", c.id, exc_info=True)
        return
    await svc.link(session, sent.chat.id, sent.message_id, c.id, "msg")


def _caption(header: str, text: str | None) -> str:
    return header + ("\n" + quote_cut(text, 900) if text else "")


async def send_to_person(bot: Bot, i18n: I18n, person: User, render: Any, **kwargs: Any) -> Message | None:
    """Send ``render()`` (called in the person's language) to the person; None if it did not arrive."""
    if person.tg_id is None:
        return None
    with i18n.use_locale(person.language or i18n.default_locale):
        text, markup = render()
        try:
            return await bot.send_message(person.tg_id, text, reply_markup=markup, **kwargs)
        except (TelegramForbiddenError, TelegramBadRequest):
            log.info("request notice to %s not delivered", person.id)
            return None
        except TelegramAPIError:
            log.warning("request notice to %s failed", person.id, exc_info=True)
            return None


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
                if c.card_message_id is None:
                    sent = await post_card(bot, session, settings, c.id)
                    if sent is not None:
                        await to_card_thread(
                            bot,
                            session,
                            settings,
                            c,
                            _("consult.overdue").format(number=c.id, age=age_text(c.created_at, now)),
                            reply_markup=take_keyboard(c.id),
                        )
                else:
                    sent = await to_card_thread(
                        bot,
                        session,
                        settings,
                        c,
                        _("consult.overdue").format(number=c.id, age=age_text(c.created_at, now)),
                        reply_markup=take_keyboard(c.id),
                    )
                    if sent is not None:
                        await svc.link(session, sent.chat.id, sent.message_id, c.id, "card")
            if sent is None:
                await svc.mark_escalated(session, c.id, previous, None)
                continue
            raised += 1
    return raised


# --- helpers of the handlers ---------------------------------------------------------------------


def staff_name(event: Message | CallbackQuery) -> str:
    user = event.from_user
    assert user is not None
    return user.full_name or str(user.id)


def mention(event: Message | CallbackQuery) -> str:
    user = event.from_user
    assert user is not None
    return f'<a href="tg://user?id={user.id}">{html.escape(user.first_name)}</a>'


async def _person(session: AsyncSession, c: Consultation) -> User:
    person = await session.get(User, c.user_id)
    assert person is not None
    return person


async def _notify_undelivered(
    bot: Bot, session: AsyncSession, settings: Any, c: Consultation, delivered: Any
) -> None:
    if not delivered:
        await to_card_thread(bot, session, settings, c, _("consult.adm_undelivered").format(number=c.id))


async def answer_person(
    bot: Bot,
    session: AsyncSession,
    settings: Any,
    i18n: I18n,
    c: Consultation,
    message: ConsultationMessage,
) -> bool:
    """Deliver a staff answer to the person; their reply (button or Telegram reply) comes back."""
    person = await _person(session, c)
    if person.tg_id is None:
        return False
    first = (message.author_name or "").split(" ")[0]
    with i18n.use_locale(person.language or i18n.default_locale):
        header = _("consult.p_answer").format(number=c.id, name=html.escape(first))
        markup = reply_keyboard(c.id)
        try:
            if message.kind == "photo" and message.file_id:
                sent = await bot.send_photo(
                    person.tg_id, message.file_id, caption=_caption(header, message.text), reply_markup=markup
                )
            elif message.kind == "document" and message.file_id:
                sent = await bot.send_document(
                    person.tg_id, message.file_id, caption=_caption(header, message.text), reply_markup=markup
                )
            else:
                sent = await bot.send_message(
                    person.tg_id, header + "\n\n" + quote_cut(message.text), reply_markup=markup
                )
        except TelegramAPIError:
            log.info("answer to request %s not delivered", c.id, exc_info=True)
            return False
    await svc.link(session, sent.chat.id, sent.message_id, c.id, "answer")
    return True


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


def _payload(message: Message) -> tuple[str, str | None, str | None, str | None] | None:
    """(kind, text, file_id, file_name) of a text, photo or document message; None for anything else."""
    if message.text is not None:
        return "text", message.text, None, None
    if message.photo:
        return "photo", message.caption, message.photo[-1].file_id, None
    if message.document is not None:
        return "document", message.caption, message.document.file_id, message.document.file_name
    return None


# --- the router ----------------------------------------------------------------------------------


def create_router() -> Router:
    router = Router(name="admin-consultations")

    async def fail(event: CallbackQuery | Message, exc: DomainError) -> None:
        if isinstance(event, CallbackQuery):
            await event.answer(error_text(exc)[:200], show_alert=True)
        else:
            await event.reply(error_text(exc))

    # --- card buttons ----------------------------------------------------------------------------

    @router.callback_query(ConsultAdmCb.filter(F.action == "take"))
    async def take(
        callback: CallbackQuery,
        callback_data: ConsultAdmCb,
        bot: Bot,
        session: AsyncSession,
        settings: Any,
        i18n: I18n,
    ) -> None:
        try:
            c, changed = await svc.take(
                session, callback_data.id, callback.from_user.id, staff_name(callback)
            )
        except DomainError as exc:
            await fail(callback, exc)
            if isinstance(callback.message, Message):
                await refresh_card(bot, session, settings, callback_data.id)
            return
        await callback.answer(_("consult.adm_taken_you") if changed else _("consult.adm_already_yours"))
        if not changed:
            return
        await refresh_card(bot, session, settings, c.id)
        person = await _person(session, c)
        first = (c.assignee_name or "").split(" ")[0]
        delivered = await send_to_person(
            bot,
            i18n,
            person,
            lambda: (_("consult.p_taken").format(number=c.id, name=html.escape(first)), reply_keyboard(c.id)),
        )
        if delivered is not None:  # a Telegram reply to this notice goes to staff too
            await svc.link(session, delivered.chat.id, delivered.message_id, c.id, "answer")
        await _notify_undelivered(bot, session, settings, c, delivered)

    @router.callback_query(ConsultAdmCb.filter(F.action == "answer"))
    async def answer_prompt(
        callback: CallbackQuery, callback_data: ConsultAdmCb, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        c = await session.get(Consultation, callback_data.id)
        if c is None or c.status not in OPEN_STATUSES:
            await callback.answer(_("consult.err_closed"), show_alert=True)
            return
        await callback.answer()
        prompt = await to_card_thread(
            bot,
            session,
            settings,
            c,
            _("consult.adm_answer_prompt").format(number=c.id, who=mention(callback)),
            reply_markup=ForceReply(
                selective=True, input_field_placeholder=_("consult.adm_answer_placeholder")
            ),
        )
        if prompt is not None:
            await svc.link(session, prompt.chat.id, prompt.message_id, c.id, "answer")

    @router.callback_query(ConsultAdmCb.filter(F.action == "card_back"))
    async def card_back(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
        await callback.answer()
        c = await session.get(Consultation, callback_data.id)
        if c is not None and isinstance(callback.message, Message):
            await callback.message.edit_reply_markup(reply_markup=card_markup(c))

    @router.callback_query(ConsultAdmCb.filter(F.action == "close"))
    async def close_ask(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
        c = await session.get(Consultation, callback_data.id)
        if c is None or c.status not in OPEN_STATUSES:
            await callback.answer(_("consult.err_closed"), show_alert=True)
            return
        await callback.answer(_("consult.adm_pick_outcome"))
        assert isinstance(callback.message, Message)
        await callback.message.edit_reply_markup(reply_markup=outcome_keyboard(c.id, svc.OUTCOMES))

    @router.callback_query(ConsultAdmCb.filter(F.action == "outcome"))
    async def close(
        callback: CallbackQuery,
        callback_data: ConsultAdmCb,
        bot: Bot,
        session: AsyncSession,
        settings: Any,
        i18n: I18n,
    ) -> None:
        try:
            c = await svc.close(
                session, callback_data.id, callback.from_user.id, staff_name(callback), callback_data.v
            )
        except DomainError as exc:
            await fail(callback, exc)
            await refresh_card(bot, session, settings, callback_data.id)
            return
        await callback.answer(_("consult.adm_closed"))
        await refresh_card(bot, session, settings, c.id)
        if isinstance(callback.message, Message) and callback.message.message_id != c.card_message_id:
            await callback.message.edit_reply_markup(reply_markup=card_markup(c))
        person = await _person(session, c)

        def render() -> tuple[str, InlineKeyboardMarkup | None]:
            outcome = _(f"consult.outcome.{c.outcome}") if c.outcome else ""
            if c.outcome == "no_show":
                return _("consult.p_closed_noshow").format(number=c.id), None
            return _("consult.p_closed").format(number=c.id, outcome=outcome), rating_keyboard(c.id)

        delivered = await send_to_person(bot, i18n, person, render)
        await _notify_undelivered(bot, session, settings, c, delivered)

    @router.callback_query(ConsultAdmCb.filter(F.action == "contact"))
    async def contact(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
        try:
            person = await svc.view_contact(session, callback_data.id, callback.from_user.id)
        except DomainError as exc:
            await fail(callback, exc)
            return
        text = _("consult.adm_contact_text").format(
            name=person.full_name or "—",
            phone=person.phone or _("consult.adm_no_phone"),
            username=f"@{person.username}" if person.username else "—",
        )
        await callback.answer(text[:200], show_alert=True)

    @router.callback_query(ConsultAdmCb.filter(F.action == "org"))
    async def org_history(
        callback: CallbackQuery, callback_data: ConsultAdmCb, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        c = await session.get(Consultation, callback_data.id)
        if c is None:
            await callback.answer(_("consult.err_not_found"), show_alert=True)
            return
        if not c.organisation:
            await callback.answer(_("consult.adm_no_org"), show_alert=True)
            return
        await callback.answer()
        rows = await svc.organisation_history(session, c.organisation)
        await to_card_thread(
            bot, session, settings, c, await history_text(session, c.organisation, rows, settings)
        )

    @router.callback_query(ConsultAdmCb.filter(F.action == "show"))
    async def show(
        callback: CallbackQuery, callback_data: ConsultAdmCb, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        c = await session.get(Consultation, callback_data.id)
        if c is None:
            await callback.answer(_("consult.err_not_found"), show_alert=True)
            return
        await callback.answer()
        await post_card(bot, session, settings, c.id)

    # --- the meeting: day -> time -> place ---------------------------------------------------------

    @router.callback_query(ConsultAdmCb.filter(F.action == "meet"))
    async def meet_days(
        callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession, settings: Any
    ) -> None:
        c = await session.get(Consultation, callback_data.id)
        if c is None or c.status not in OPEN_STATUSES:
            await callback.answer(_("consult.err_closed"), show_alert=True)
            return
        await callback.answer(_("consult.adm_pick_day"))
        names = _("consult.weekdays").split(",")
        days = svc.working_days_ahead(utcnow(), settings.tz, 10)
        assert isinstance(callback.message, Message)
        await callback.message.edit_reply_markup(
            reply_markup=meeting_days_keyboard(
                c.id, [(day_label(d, names), d.strftime("%Y%m%d")) for d in days]
            )
        )

    @router.callback_query(ConsultAdmCb.filter(F.action == "mday"))
    async def meet_times(callback: CallbackQuery, callback_data: ConsultAdmCb) -> None:
        if not (len(callback_data.v) == 8 and callback_data.v.isdigit()):
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        await callback.answer(_("consult.adm_pick_time"))
        assert isinstance(callback.message, Message)
        await callback.message.edit_reply_markup(
            reply_markup=meeting_times_keyboard(callback_data.id, callback_data.v, MEETING_TIMES)
        )

    @router.callback_query(ConsultAdmCb.filter(F.action == "mtime"))
    async def meet_place(callback: CallbackQuery, callback_data: ConsultAdmCb, settings: Any) -> None:
        if _parse_stamp(callback_data.v, settings) is None:
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        await callback.answer(_("consult.adm_pick_place"))
        assert isinstance(callback.message, Message)
        await callback.message.edit_reply_markup(
            reply_markup=meeting_place_keyboard(callback_data.id, callback_data.v, PLACES)
        )

    @router.callback_query(ConsultAdmCb.filter(F.action == "mplace"))
    async def meet_set(
        callback: CallbackQuery,
        callback_data: ConsultAdmCb,
        bot: Bot,
        session: AsyncSession,
        settings: Any,
        i18n: I18n,
    ) -> None:
        stamp, _sep, code = callback_data.v.partition("-")
        at = _parse_stamp(stamp, settings)
        if at is None or code not in (*PLACES, "other"):
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        if code == "other":
            c = await session.get(Consultation, callback_data.id)
            if c is None or c.status not in OPEN_STATUSES:
                await callback.answer(_("consult.err_closed"), show_alert=True)
                return
            await callback.answer()
            prompt = await to_card_thread(
                bot,
                session,
                settings,
                c,
                _("consult.adm_place_prompt").format(
                    number=c.id, when=local(at, settings), who=mention(callback)
                ),
                reply_markup=ForceReply(
                    selective=True, input_field_placeholder=_("consult.adm_place_placeholder")
                ),
            )
            if prompt is not None:
                await svc.link(session, prompt.chat.id, prompt.message_id, c.id, "place:" + stamp)
            return
        place = settings.center_address if code == "center" else "@" + code
        await set_meeting(callback, callback_data.id, at, place, bot, session, settings, i18n)

    async def set_meeting(
        event: CallbackQuery | Message,
        consultation_id: int,
        at: datetime,
        place: str,
        bot: Bot,
        session: AsyncSession,
        settings: Any,
        i18n: I18n,
    ) -> None:
        c0 = await session.get(Consultation, consultation_id)
        if c0 is None:
            await fail(event, DomainError("consult.err_not_found"))
            return
        # rendered by the outbox in the person's language at send time
        params: dict[str, Any] = {
            "number": c0.id,
            "when": local(at, settings),
            "place": {"t": "consult.place." + place[1:]} if place.startswith("@") else html.escape(place),
        }
        try:
            c, person = await svc.set_meeting(
                session,
                consultation_id,
                event.from_user.id,
                staff_name(event),
                at=at,
                place=place,  # type: ignore[union-attr]
                reminder_params=params,
            )
        except DomainError as exc:
            await fail(event, exc)
            return
        if isinstance(event, CallbackQuery):
            await event.answer(_("consult.adm_meeting_set"))
            if isinstance(event.message, Message) and event.message.message_id != c.card_message_id:
                await event.message.edit_reply_markup(reply_markup=card_markup(c))
        else:
            await event.reply(_("consult.adm_meeting_set"))
        await refresh_card(bot, session, settings, c.id)
        delivered = await send_meeting(bot, session, settings, i18n, c, person)
        await _notify_undelivered(bot, session, settings, c, delivered)

    # --- replies: answers, a meeting place, a new topic ---------------------------------------------

    @router.message(LinkedReply())
    async def on_reply(
        message: Message,
        link: ConsultationLink,
        bot: Bot,
        session: AsyncSession,
        settings: Any,
        i18n: I18n,
    ) -> None:
        payload = _payload(message)
        if link.purpose == "topic_add":
            try:
                topic = await svc.add_topic(session, message.from_user.id, message.text or "")  # type: ignore[union-attr]
            except DomainError as exc:
                await fail(message, exc)
                return
            await message.reply(_("consult.adm_topic_added").format(title=html.escape(topic.title)))
            await send_topics(message, session)
            return
        if link.consultation_id is None:
            return
        if link.purpose.startswith("place:"):
            at = _parse_stamp(link.purpose.removeprefix("place:"), settings)
            if at is None or message.text is None:
                await message.reply(_("consult.adm_hint_place"))
                return
            try:
                place = svc.clean_place(message.text)
            except DomainError as exc:
                await fail(message, exc)
                return
            await set_meeting(message, link.consultation_id, at, place, bot, session, settings, i18n)
            return
        if payload is None:
            await message.reply(_("consult.adm_hint_reply"))
            return
        kind, text, file_id, file_name = payload
        try:
            c, row = await svc.add_staff_message(
                session,
                link.consultation_id,
                message.from_user.id,  # type: ignore[union-attr]
                staff_name(message),
                kind=kind,
                text=text,
                file_id=file_id,
                file_name=file_name,
            )
        except DomainError as exc:
            await fail(message, exc)
            return
        delivered = await answer_person(bot, session, settings, i18n, c, row)
        await refresh_card(bot, session, settings, c.id)
        await message.reply(
            _("consult.adm_answer_sent").format(number=c.id)
            if delivered
            else _("consult.adm_undelivered").format(number=c.id)
        )

    # --- lists and topics ----------------------------------------------------------------------------

    @router.message(Command("consults"))
    async def cmd_open(message: Message, session: AsyncSession, settings: Any) -> None:
        await send_open_list(message, session, settings)

    @router.callback_query(AdminCb.filter(F.action == "consults"))
    async def btn_open(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await callback.answer()
        assert isinstance(callback.message, Message)
        await send_open_list(callback.message, session, settings)

    @router.message(Command("consult_topics"))
    async def cmd_topics(message: Message, session: AsyncSession) -> None:
        await send_topics(message, session)

    @router.callback_query(AdminCb.filter(F.action == "consult_topics"))
    async def btn_topics(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        assert isinstance(callback.message, Message)
        await send_topics(callback.message, session)

    @router.callback_query(ConsultAdmCb.filter(F.action == "topic_toggle"))
    async def topic_toggle(
        callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession
    ) -> None:
        try:
            topic = await svc.toggle_topic(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await fail(callback, exc)
            return
        await callback.answer(_("consult.adm_topic_shown") if topic.active else _("consult.adm_topic_hidden"))
        assert isinstance(callback.message, Message)
        topics = await svc.list_topics(session, include_hidden=True)
        await callback.message.edit_reply_markup(
            reply_markup=topics_admin_keyboard([(t.id, t.title, t.active) for t in topics])
        )

    @router.callback_query(ConsultAdmCb.filter(F.action == "topic_add"))
    async def topic_add(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        assert isinstance(callback.message, Message)
        prompt = await callback.message.answer(
            _("consult.adm_topic_prompt").format(who=mention(callback)),
            reply_markup=ForceReply(selective=True),
        )
        await svc.link(session, prompt.chat.id, prompt.message_id, None, "topic_add")

    @router.message(Command("consult_org"))
    async def cmd_org(message: Message, command: CommandObject, session: AsyncSession, settings: Any) -> None:
        query = (command.args or "").strip()
        if not query:
            await message.reply(_("consult.adm_org_usage"))
            return
        try:
            matches = await svc.search_organisations(session, query)
        except DomainError as exc:
            await fail(message, exc)
            return
        if not matches:
            await message.reply(_("consult.adm_org_none").format(query=html.escape(query)))
            return
        if len(matches) == 1:
            rows = await svc.organisation_history(session, matches[0][0])
            await message.reply(await history_text(session, matches[0][0], rows, settings))
            return
        lines = [_("consult.adm_org_matches")]
        lines += [f"• {html.escape(name)} — {count}" for name, count in matches]
        await message.reply(join_limited(lines))

    return router


def _parse_stamp(stamp: str, settings: Any) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=settings.tz)
    except ValueError:
        return None


async def send_meeting(
    bot: Bot, session: AsyncSession, settings: Any, i18n: I18n, c: Consultation, person: User
) -> bool:
    """The meeting confirmation with an .ics file, in the person's language."""
    if person.tg_id is None or c.meeting_at is None:
        return False
    topic = await session.get(ConsultationTopic, c.topic_id)
    with i18n.use_locale(person.language or i18n.default_locale):
        place = place_text(c.meeting_place, settings)
        title = _("consult.ics_summary").format(number=c.id)
        data = ics.event_ics(
            uid=f"consultation-{c.id}@ccbot",
            start=c.meeting_at,
            end=c.meeting_at + timedelta(minutes=svc.MEETING_MINUTES),
            summary=title,
            location=place,
            description=svc.topic_title(topic, person.language),
        )
        text = _("consult.p_meeting").format(
            number=c.id,
            when=local(c.meeting_at, settings),
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
    await svc.link(session, notice.chat.id, notice.message_id, c.id, "answer")
    return True


async def history_text(
    session: AsyncSession, organisation: str, rows: list[Consultation], settings: Any
) -> str:
    lines = [_("consult.adm_history_title").format(org=html.escape(organisation), count=len(rows))]
    for c in rows:
        topic = await session.get(ConsultationTopic, c.topic_id)
        extra = ""
        if c.outcome:
            extra += " · " + _(f"consult.outcome.{c.outcome}")
        if c.rating:
            extra += f" · {'⭐' * c.rating}"
        lines.append(
            _("consult.adm_history_line").format(
                number=c.id,
                date=local(c.created_at, settings, "%d.%m.%Y"),
                topic=html.escape(svc.topic_title(topic, None)),
                status=status_text(c),
                extra=extra,
            )
        )
    return join_limited(lines)


async def send_open_list(message: Message, session: AsyncSession, settings: Any) -> None:
    rows = await svc.open_requests(session)
    if not rows:
        await message.answer(_("consult.adm_open_empty"))
        return
    now = utcnow()
    lines = [_("consult.adm_open_title").format(count=len(rows))]
    for c in rows:
        topic = await session.get(ConsultationTopic, c.topic_id)
        lines.append(
            _("consult.adm_open_line").format(
                number=c.id,
                age=age_text(c.created_at, now),
                status=status_text(c),
                topic=html.escape(svc.topic_title(topic, None)),
                assignee=html.escape(c.assignee_name or _("consult.adm_nobody")),
            )
        )
    figures = await svc.figures(session)
    lines.append("")
    lines.append(
        _("consult.adm_figures").format(
            total=figures["total"],
            closed=figures["by_status"].get("closed", 0),
            rating=figures["average_rating"] if figures["average_rating"] is not None else "—",
        )
    )
    await message.answer(join_limited(lines), reply_markup=open_list_keyboard([c.id for c in rows][:40]))


async def send_topics(message: Message, session: AsyncSession) -> None:
    topics = await svc.list_topics(session, include_hidden=True)
    await message.answer(
        _("consult.adm_topics_title"),
        reply_markup=topics_admin_keyboard([(t.id, t.title, t.active) for t in topics]),
    )


__all__ = [
    "ConsultStatus",
    "answer_person",
    "post_card",
    "raise_overdue",
    "refresh_card",
    "relay_to_staff",
    "send_to_person",
    "to_card_thread",
]
