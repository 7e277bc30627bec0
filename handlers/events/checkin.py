"""Deep links (/start ev_<id>, /start ci_<id>_<code>), self check-in by the door code, and the
rating and comment after an event."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import action_of, ask_to_join, error_text, resident_router, target, typed_outcome
from handlers.events.resident import alert, show_card
from handlers.events.views import checked_in_text, drop_buttons
from handlers.filters import private_only
from keyboards.common import nav_keyboard
from keyboards.events import EvAction, EvCb, comment_keyboard
from keyboards.menu import home_only, home_reply
from services import events as ev
from services.errors import DomainError
from services.plural import plural


class EvFeedback(StatesGroup):
    comment = State()


class EvCheckin(StatesGroup):
    code = State()


async def open_event(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, user: User | None
) -> None:
    """A poster's link: the event's card with its sign-up button, for anyone (signing up asks consent
    and the short registration, then comes back here); the «🏠 Меню» button under the input field."""
    await state.clear()
    event_id = int((command.args or "ev_0").split("_", 1)[1])
    if user is None or not user.is_registered:
        await message.answer(_("fc.poster_hello"), reply_markup=home_reply())
    await show_card(message, session, user, event_id, edit=False, with_poster=True)


async def self_checkin(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, user: User | None
) -> None:
    await state.clear()
    _prefix, event_id, code = (command.args or "").split("_", 2)
    if user is None or not user.is_registered:
        await ask_to_join(message, action_of(message))  # checked in right after the registration
        return
    try:
        result = await ev.self_checkin(session, user, int(event_id), code)
    except DomainError as exc:
        await message.answer(error_text(exc), reply_markup=home_only())
        return
    await message.answer(checked_in_text(result, user), reply_markup=home_only())


def create_deeplink_router() -> Router:
    """/start ev_<id> and /start ci_<id>_<code>: open to everyone, before registration's /start."""
    router = Router(name="events-deeplink")
    private_only(router)
    router.message.register(
        open_event, CommandStart(deep_link=True, magic=F.args.regexp(r"^(ev|event)_\d{1,12}$"))
    )
    router.message.register(
        self_checkin, CommandStart(deep_link=True, magic=F.args.regexp(r"^ci_\d{1,12}_[A-Za-z0-9]{1,16}$"))
    )
    return router


# --- the door code typed by hand ------------------------------------------------------------------


async def ask_code(callback: CallbackQuery, callback_data: EvCb, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(EvCheckin.code)
    await state.set_data({"event_id": callback_data.e})
    await target(callback).answer(_("events.ask_code"), reply_markup=nav_keyboard(back=False))


async def code_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    event_id = int((await state.get_data()).get("event_id", 0))
    code = "".join((message.text or "").split())[:16]
    checkin = ev.self_checkin(session, user, event_id, code)
    result = await typed_outcome(message, state, checkin, home_only(), again=nav_keyboard(back=False))
    if result is None:
        return
    await message.answer(checked_in_text(result, user), reply_markup=home_only())


async def code_other(message: Message) -> None:
    await message.answer(_("events.hint_code"), reply_markup=nav_keyboard(back=False))


# --- feedback -------------------------------------------------------------------------------------


async def rate(
    callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, state: FSMContext
) -> None:
    try:
        item = await ev.rate(session, user, callback_data.e, callback_data.v)
    except DomainError as exc:
        await alert(callback, exc)
        return
    await callback.answer()
    await drop_buttons(callback)
    await state.set_state(EvFeedback.comment)
    await state.set_data({"event_id": item.id})
    await target(callback).answer(
        plural(_, "events.ask_comment", ev.COMMENT_MAX, rating=callback_data.v),
        reply_markup=comment_keyboard(),
    )


async def no_comment(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.clear()
    await drop_buttons(callback)
    await target(callback).answer(_("events.feedback_thanks"), reply_markup=home_only())


async def comment_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    event_id = int((await state.get_data()).get("event_id", 0))
    try:
        await ev.comment(session, user, event_id, message.text)
    except DomainError as exc:
        await message.answer(error_text(exc), reply_markup=comment_keyboard())
        return
    await state.clear()
    await message.answer(_("events.feedback_thanks"), reply_markup=home_only())


async def comment_other(message: Message) -> None:
    await message.answer(plural(_, "events.hint_comment", ev.COMMENT_MAX), reply_markup=comment_keyboard())


def create_router() -> Router:
    """Registered people: the door code and the feedback (after the main events router)."""
    router = resident_router("events-checkin")
    typed = (F.text, ~F.text.startswith("/"))
    router.callback_query.register(ask_code, EvCb.filter(F.a == EvAction.CHECKIN))
    router.message.register(code_text, EvCheckin.code, *typed)
    router.message.register(code_other, StateFilter(EvCheckin.code))
    router.callback_query.register(rate, EvCb.filter(F.a == EvAction.RATE))
    router.callback_query.register(no_comment, EvCb.filter(F.a == EvAction.NO_COMMENT))
    router.message.register(comment_text, EvFeedback.comment, *typed)
    router.message.register(comment_other, StateFilter(EvFeedback.comment))
    return router
