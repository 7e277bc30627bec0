"""/my: the person's own things (bookings, requests, sign-ups, ideas...), one section per feature.

Features add (text key, section) to MY_SECTIONS and handle MyCb(section=...) in their own router.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.common import RequireRegistration, target
from handlers.filters import private_only
from keyboards.menu import MenuCb


class MyCb(CallbackData, prefix="my"):
    section: str


MY_SECTIONS: list[tuple[str, str]] = [
    ("booking.my_section", "bookings"),
    ("ideas.my_section", "ideas"),
    ("consult.my_section", "consult"),
    ("events.my_section", "events"),
    ("showcase.my_requests", "sc_req"),
    ("showcase.my_services", "sc_prov"),
]


def my_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, section in MY_SECTIONS:
        builder.button(text=_(key), callback_data=MyCb(section=section))
    builder.adjust(1)
    return builder.as_markup()


async def show_my(message: Message) -> None:
    if not MY_SECTIONS:
        await message.answer(_("my.empty"))
        return
    await message.answer(_("my.title"), reply_markup=my_keyboard())


async def cmd_my(message: Message, state: FSMContext) -> None:
    await state.clear()
    await show_my(message)


async def menu_my(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.clear()
    await show_my(target(callback))


def create_router() -> Router:
    router = Router(name="my")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    router.message.register(cmd_my, Command("my"))
    router.callback_query.register(menu_my, MenuCb.filter(F.action == "my"))

    return router
