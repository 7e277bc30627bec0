"""The person's requests outside the dialog: the /my section (list, one request), cancelling, writing to
staff (a button or a Telegram reply to their answer), rating and a comment after it."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import Consultation, User
from db.models.consultations import OPEN_STATUSES
from handlers.common import error_text, or_alert, screen_anew, settle_question, target, typed_outcome
from handlers.consultations.delivery import (
    LinkedReply,
    post_card,
    refresh_card,
    relay_to_staff,
    to_card_thread,
)
from handlers.consultations.states import ConsultForm
from handlers.consultations.views import (
    attachment,
    format_text,
    join_limited,
    local,
    meeting_text,
    num,
    quote_cut,
    status_text,
    topic_of,
)
from keyboards import consultations as kb
from keyboards.common import require_id
from keyboards.consultations import Consult, ConsultCb
from keyboards.menu import main_menu
from keyboards.my import MyCb, MySection
from services import consultations as svc
from services.errors import DomainError
from services.plural import plural


async def show_list(message: Message, session: AsyncSession, user: User) -> None:
    rows = await svc.list_for_person(session, user.tg_id)  # type: ignore[arg-type]
    if not rows:
        await message.answer(_("consult.my_empty"), reply_markup=kb.my_list_keyboard([]))
        return
    items = []
    for c in rows:
        topic = await session.get(svc.ConsultationTopic, c.topic_id)
        items.append((c.id, f"{num(c.id)} · {svc.topic_title(topic, user.language)[:30]} · {status_text(c)}"))
    await message.answer(
        _("consult.my_title").format(count=len(rows)), reply_markup=kb.my_list_keyboard(items)
    )


async def _history(session: AsyncSession, c: Consultation, settings: Any) -> list[str]:
    """The last five messages of the request, one line each."""
    history = [m for m in await svc.messages_of(session, c.id) if m.text or m.kind != "text"][-5:]
    lines = ["", _("consult.view_history")] if history else []
    for m in history:
        who = _("consult.you") if m.author == "person" else html.escape((m.author_name or "").split(" ")[0])
        body = quote_cut(m.text, 300) if m.text else ""
        if m.kind != "text":
            body = (
                "📎 " + html.escape(m.file_name or _(f"consult.kind.{m.kind}")) + (" " + body if body else "")
            )
        lines.append(f"<b>{who}</b> ({local(m.created_at, settings)}): {body}")
    return lines


async def show_request(
    message: Message, session: AsyncSession, user: User, c: Consultation, settings: Any
) -> None:
    lines = [
        _("consult.view_title").format(number=num(c.id), status=status_text(c)),
        _("consult.view_topic").format(topic=await topic_of(session, c, user.language)),
        _("consult.view_created").format(at=local(c.created_at, settings)),
        format_text(c, "consult.view_format"),
    ]
    if c.assignee_name:
        lines.append(_("consult.view_assignee").format(name=html.escape(c.assignee_name.split(" ")[0])))
    if c.meeting_at and c.status == "meeting":
        lines.append(meeting_text(c, settings, "consult.view_meeting"))
    if c.outcome:
        lines.append(_("consult.view_outcome").format(outcome=_(f"consult.outcome.{c.outcome}")))
    if c.rating:
        lines.append(_("consult.view_rating").format(stars="⭐" * c.rating))
    lines += ["", _("consult.view_question"), quote_cut(c.question, 1200)]
    lines += await _history(session, c, settings)
    can_rate = c.status == "closed" and c.rating is None and c.outcome != "no_show"
    markup = kb.request_keyboard(c.id, is_open=c.status in OPEN_STATUSES, can_rate=can_rate)
    await message.answer(join_limited(lines), reply_markup=markup)


async def send_to_staff(message: Message, state: FSMContext, desk: Desk, consultation_id: int) -> None:
    """The person's text, photo or document goes under the request's card; the dialog ends."""
    found = attachment(message)
    kind = found["kind"] if found else "text"
    if found is None and message.text is None:
        await message.answer(_("consult.hint_write"))
        return
    sent = await typed_outcome(
        message,
        state,
        svc.add_person_message(
            desk.session,
            message.chat.id,
            consultation_id,
            kind=kind,
            text=message.text if kind == "text" else message.caption,
            file_id=found["file_id"] if found else None,
            file_name=found["file_name"] if found else None,
        ),
        main_menu(),
    )
    if sent is None:
        return
    c, row = sent
    if c.card_message_id is None:
        await post_card(desk, c.id)
    await relay_to_staff(desk, c, row)
    await message.answer(_("consult.sent_to_staff").format(number=num(c.id)), reply_markup=main_menu())


async def _own(
    callback: CallbackQuery, session: AsyncSession, number: int, open_only: bool = False
) -> Consultation | None:
    """The presser's request ``number`` (the press answered); None (the press answered with why) if it
    is not theirs, or not open when ``open_only``."""
    c = await or_alert(callback, svc.get_for_person(session, callback.from_user.id, number))
    if c is None:
        return None
    if open_only and c.status not in OPEN_STATUSES:
        await callback.answer(_("consult.err_closed"), show_alert=True)
        return None
    await callback.answer()
    return c


async def _changed(callback: CallbackQuery, desk: Desk, c: Consultation) -> None:
    """The person's press changed the request: the press answered, its buttons gone, the staff's card
    shows the change."""
    await callback.answer()
    await target(callback).edit_reply_markup(reply_markup=None)
    await refresh_card(desk, c.id)


# --- the handlers ----------------------------------------------------------------------------------------


async def my_list(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    """The requests, from /my or from «К списку»."""
    await show_list(await screen_anew(callback, state), session, user)


async def view(
    callback: CallbackQuery,
    callback_data: ConsultCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
) -> None:
    if (c := await _own(callback, session, callback_data.id)) is None:
        return
    await state.clear()
    await show_request(target(callback), session, user, c, settings)


async def _ask(
    callback: CallbackQuery,
    session: AsyncSession,
    number: int,
    key: str,
    keyboard: Callable[[int], InlineKeyboardMarkup],
    open_only: bool = False,
) -> None:
    """A question about the person's own request, with its buttons (cancel it? how was it?)."""
    if (c := await _own(callback, session, number, open_only=open_only)) is None:
        return
    await target(callback).answer(_(key).format(number=num(c.id)), reply_markup=keyboard(c.id))


async def cancel_ask(callback: CallbackQuery, callback_data: ConsultCb, session: AsyncSession) -> None:
    await _ask(
        callback, session, callback_data.id, "consult.cancel_confirm", kb.cancel_confirm_keyboard, True
    )


async def cancel_yes(callback: CallbackQuery, callback_data: ConsultCb, desk: Desk) -> None:
    cancelled = svc.cancel_by_person(desk.session, callback.from_user.id, callback_data.id)
    if (c := await or_alert(callback, cancelled)) is None:
        return
    await _changed(callback, desk, c)
    await to_card_thread(desk, c, _("consult.adm_person_cancelled").format(number=num(c.id)))
    await target(callback).answer(_("consult.cancelled").format(number=num(c.id)), reply_markup=main_menu())


async def write_ask(
    callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession
) -> None:
    if (c := await _own(callback, session, callback_data.id, open_only=True)) is None:
        return
    await state.set_state(ConsultForm.write)
    await state.set_data({"cid": c.id})
    await target(callback).answer(
        _("consult.ask_write").format(number=num(c.id)), reply_markup=kb.write_keyboard()
    )


async def command_while_typing(message: Message) -> None:
    """A command while a message to staff or a comment is expected: a hint, the text still awaited."""
    await message.answer(_("consult.hint_command"))


async def write_message(message: Message, state: FSMContext, desk: Desk) -> None:
    consultation_id = int((await state.get_data()).get("cid", 0))
    await send_to_staff(message, state, desk, consultation_id)


async def reply_to_answer(message: Message, link: Any, state: FSMContext, desk: Desk) -> None:
    if link.consultation_id is None:
        return
    await send_to_staff(message, state, desk, link.consultation_id)


async def rate_ask(callback: CallbackQuery, callback_data: ConsultCb, session: AsyncSession) -> None:
    await _ask(callback, session, callback_data.id, "consult.rate_ask", kb.rating_keyboard)


async def rate(callback: CallbackQuery, callback_data: ConsultCb, desk: Desk) -> None:
    try:
        c = await svc.rate(
            desk.session, callback.from_user.id, callback_data.id, require_id(callback_data.v or "0")
        )
    except (DomainError, ValueError) as exc:
        text = error_text(exc) if isinstance(exc, DomainError) else _("common.stale_button")
        await callback.answer(text, show_alert=True)
        return
    await _changed(callback, desk, c)
    await target(callback).answer(
        _("consult.rated").format(stars="⭐" * (c.rating or 0)), reply_markup=kb.comment_keyboard(c.id)
    )


async def comment_ask(
    callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession
) -> None:
    if (c := await _own(callback, session, callback_data.id)) is None:
        return
    await state.set_state(ConsultForm.comment)
    await state.set_data({"cid": c.id})
    await target(callback).answer(
        plural(_, "consult.ask_comment", svc.COMMENT_MAX), reply_markup=kb.write_keyboard()
    )


async def no_comment(callback: CallbackQuery) -> None:
    await settle_question(callback, _("consult.thanks"), main_menu())


async def comment_text(message: Message, state: FSMContext, desk: Desk) -> None:
    consultation_id = int((await state.get_data()).get("cid", 0))
    comment = svc.comment(desk.session, message.chat.id, consultation_id, message.text or "")
    if (c := await typed_outcome(message, state, comment, main_menu())) is None:
        return
    await refresh_card(desk, c.id)
    await message.answer(_("consult.thanks"), reply_markup=main_menu())


async def comment_other(message: Message) -> None:
    await message.answer(_("consult.hint_comment"))


def register(router: Router) -> None:
    pressed = ConsultCb.filter
    router.callback_query.register(my_list, MyCb.filter(F.section == MySection.CONSULT))
    router.callback_query.register(my_list, pressed(F.action == Consult.LIST))
    router.callback_query.register(view, pressed(F.action == Consult.VIEW))
    router.callback_query.register(cancel_ask, pressed(F.action == Consult.CANCEL))
    router.callback_query.register(cancel_yes, pressed(F.action == Consult.CANCEL_YES))
    router.callback_query.register(write_ask, pressed(F.action == Consult.WRITE))
    router.message.register(command_while_typing, StateFilter(ConsultForm), F.text.startswith("/"))
    router.message.register(write_message, ConsultForm.write)
    router.message.register(reply_to_answer, StateFilter(None), LinkedReply())
    router.callback_query.register(rate_ask, pressed(F.action == Consult.RATE_ASK))
    router.callback_query.register(rate, pressed(F.action == Consult.RATE))
    router.callback_query.register(comment_ask, pressed(F.action == Consult.COMMENT))
    router.callback_query.register(no_comment, pressed(F.action == Consult.NO_COMMENT))
    router.message.register(comment_text, ConsultForm.comment, F.text)
    router.message.register(comment_other, ConsultForm.comment)
