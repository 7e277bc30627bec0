"""Pieces every dialog uses: replying to a message or a button press, /cancel, /help, stale buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from aiogram import BaseMiddleware, F, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.middlewares import Handler
from db.models import User
from handlers.filters import private, private_only
from keyboards.common import NavCb
from keyboards.firstcontact import encode_then, join_keyboard
from keyboards.menu import MenuAction, MenuCb, home_reply, main_menu, public_menu
from services import dates
from services.errors import DomainError, ValidationFailed
from services.plural import keyed_text

T = TypeVar("T")


def target(event: Message | CallbackQuery) -> Message:
    """The message to answer under: the message itself, or the one whose button was pressed."""
    if isinstance(event, CallbackQuery):
        assert isinstance(event.message, Message)
        return event.message
    return event


async def acknowledge(event: Message | CallbackQuery) -> None:
    """A pressed button is answered (its clock stops); a command needs nothing."""
    if isinstance(event, CallbackQuery):
        await event.answer()


async def screen_anew(callback: CallbackQuery, state: FSMContext) -> Message:
    """A button that opens a screen anew: the press answered, any dialog left; the message to show the
    screen under."""
    await callback.answer()
    await state.clear()
    return target(callback)


async def settle_question(callback: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup) -> None:
    """A press that settles a question: answered, the question's buttons taken away, ``text`` under it."""
    await callback.answer()
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(text, reply_markup=reply_markup)


def error_text(error: DomainError) -> str:
    """A domain error in the person's language (a plural key when its values carry the count ``n``; a
    moment among its values in the one date style)."""
    values = {
        name: dates.moment_text(value, dates.zone(), _) if isinstance(value, datetime) else value
        for name, value in error.values.items()
    }
    return keyed_text(_, error.key, values)


async def or_alert(callback: CallbackQuery, call: Awaitable[T]) -> T | None:
    """What a service call returns, or None once its refusal (a DomainError) is shown as an alert under
    the pressed button. For calls that return something; the caller stops on None."""
    try:
        return await call
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return None


async def typed_outcome(
    message: Message,
    state: FSMContext,
    call: Awaitable[T],
    leave_to: InlineKeyboardMarkup,
    again: InlineKeyboardMarkup | None = None,
) -> T | None:
    """What a service made of a typed answer, the dialog's state cleared; or None: a bad answer (a
    ValidationFailed) is hinted (with ``again``'s buttons) and awaited again, any other refusal ends the
    dialog with ``leave_to``'s buttons. The caller stops on None."""
    try:
        result = await call
    except ValidationFailed as exc:
        await message.answer(error_text(exc), reply_markup=again)
        return None
    except DomainError as exc:
        await state.clear()
        await message.answer(error_text(exc), reply_markup=leave_to)
        return None
    await state.clear()
    return result


def menu_for(user: User | None):
    return main_menu() if user is not None and user.is_registered else public_menu()


PUBLIC = {"public": True}
"""Flags of a handler anyone may use without registering (looking at lists and cards): register it with
``flags=PUBLIC`` on a resident router. Such a handler gets ``user`` None for a person who did not consent."""


def action_of(event: Message | CallbackQuery) -> str | None:
    """What the person was doing, to be done again after registration: the pressed button's data, or a
    typed command (with its deep-link argument)."""
    if isinstance(event, CallbackQuery):
        return event.data
    text = (event.text or "").strip()
    return text if text.startswith("/") and len(text) <= 64 else None


async def ask_to_join(event: Message | CallbackQuery, action: str | None = None) -> None:
    """A person who did not register acts (signs up, books, asks...): consent is asked here, short, and
    what they were doing travels in the consent button (nothing is stored before consent)."""
    if isinstance(event, CallbackQuery):
        await event.answer()
    await target(event).answer(_("fc.join"), reply_markup=join_keyboard(encode_then(action)))


def rest_keyboard(message: Message) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """What takes a dialog's reply keyboard away: in a private chat the «🏠 Меню» button comes back."""
    return home_reply() if message.chat.type == "private" else ReplyKeyboardRemove()


class RequireRegistration(BaseMiddleware):
    """Inner middleware for feature routers: only registered people get through, except to handlers
    flagged ``PUBLIC`` (looking around); anyone else acting is asked for consent, and their action is
    done after the short registration."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("user")
        if (user is not None and user.is_registered) or get_flag(data, "public"):
            return await handler(event, data)
        if isinstance(event, CallbackQuery | Message):
            await ask_to_join(event, action_of(event))
        return None


Registrar = Callable[[Router], object]
"""A feature module's ``register(router)``: puts its handlers on the router."""


def feature_router(name: str, *parts: Registrar) -> Router:
    """A feature's router with its modules' handlers registered in the order given (the staff side: the
    admin router above it admits only staff in the admin chat)."""
    router = Router(name=name)
    for register in parts:
        register(router)
    return router


def resident_router(name: str, *parts: Registrar) -> Router:
    """A feature's side in private chats, for registered people only."""
    router = Router(name=name)
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())
    for register in parts:
        register(router)
    return router


async def cancel_dialog(event: Message | CallbackQuery, state: FSMContext, user: User | None) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    message = target(event)
    await acknowledge(event)
    if had_state:
        await message.answer(_("common.cancelled"), reply_markup=rest_keyboard(message))
    await message.answer(_("menu.title"), reply_markup=menu_for(user))


async def cmd_cancel(message: Message, state: FSMContext, user: User | None) -> None:
    await cancel_dialog(message, state, user)


async def btn_cancel(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
    await cancel_dialog(callback, state, user)


async def cmd_help(message: Message, state: FSMContext, user: User | None) -> None:
    text = _("help.text")
    if await state.get_state() is not None:
        text += "\n\n" + _("help.in_dialog")
    await message.answer(text, reply_markup=None if await state.get_state() else menu_for(user))


async def go_home(event: Message | CallbackQuery, state: FSMContext, user: User | None) -> None:
    """«🏠 Меню» (the reply button or an inline one), in any state: the dialog is left, the menu shown."""
    await acknowledge(event)
    message = target(event)
    if await state.get_state() is not None:
        await state.clear()
        await message.answer(_("common.cancelled"), reply_markup=home_reply())
    await message.answer(_("menu.title"), reply_markup=menu_for(user))


_HOME_LABELS: dict[int, frozenset[str]] = {}


async def is_home_label(message: Message) -> bool:
    """The text of the «🏠 Меню» reply button, in any language (a person may switch it meanwhile)."""
    i18n = get_i18n()
    labels = _HOME_LABELS.get(id(i18n))
    if labels is None:
        labels = frozenset(i18n.gettext("fc.btn.home_reply", locale=loc) for loc in i18n.available_locales)
        _HOME_LABELS.clear()
        _HOME_LABELS[id(i18n)] = labels
    return message.text in labels


def create_router() -> Router:
    """/cancel and /help in any state, the shared «Отмена» button, and «🏠 Меню» from anywhere."""
    router = Router(name="common")
    private_only(router)

    router.message.register(go_home, F.text, is_home_label)
    router.callback_query.register(go_home, MenuCb.filter(F.action == MenuAction.HOME))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(btn_cancel, NavCb.filter(F.action == "cancel"))
    router.message.register(cmd_help, Command("help"))

    return router


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("common.stale_button"), show_alert=True)


async def unknown(message: Message, state: FSMContext, user: User | None) -> None:
    if await state.get_state() is not None:
        await message.answer(_("common.use_buttons"))
        return
    await message.answer(_("common.unknown"), reply_markup=menu_for(user))


def create_fallback_router() -> Router:
    """Last in line: anything no dialog took gets a hint instead of silence."""
    router = Router(name="fallback")

    router.callback_query.register(stale_button)
    router.message.register(unknown, private())

    return router
