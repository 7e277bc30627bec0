"""Pieces every dialog uses: replying to a message or a button press, /cancel, /help, stale buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, TelegramObject
from aiogram.utils.i18n import gettext as _

from db.models import User
from handlers.filters import private, private_only
from keyboards.common import NavCb
from keyboards.menu import main_menu, public_menu
from services import dates
from services.errors import DomainError
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


def menu_for(user: User | None):
    return main_menu() if user is not None and user.is_registered else public_menu()


class RequireRegistration(BaseMiddleware):
    """Inner middleware for feature routers: only registered people get through."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("user")
        if user is not None and user.is_registered:
            return await handler(event, data)
        text = _("reg.required")
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
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
        await message.answer(_("common.cancelled"), reply_markup=ReplyKeyboardRemove())
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


def create_router() -> Router:
    """/cancel and /help in any state, and the shared «Отмена» button."""
    router = Router(name="common")
    private_only(router)

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
