"""/my: the person's own things (bookings, requests, sign-ups, ideas...), one section per feature.

Features add (text key, section) to MY_SECTIONS and handle MyCb(section=...) in their own router.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.common import resident_router, target
from keyboards.common import button, column
from keyboards.menu import MenuCb
from keyboards.my import MyCb, MySection

MY_SECTIONS: list[tuple[str, MySection]] = [
    ("booking.my_section", MySection.BOOKINGS),
    ("ideas.my_section", MySection.IDEAS),
    ("consult.my_section", MySection.CONSULT),
    ("events.my_section", MySection.EVENTS),
    ("showcase.my_requests", MySection.SHOWCASE_REQUESTS),
    ("showcase.my_services", MySection.SHOWCASE_SERVICES),
]


def my_keyboard() -> InlineKeyboardMarkup:
    return column(*(button(_(key), MyCb(section=section)) for key, section in MY_SECTIONS))


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
    router = resident_router("my")

    router.message.register(cmd_my, Command("my"))
    router.callback_query.register(menu_my, MenuCb.filter(F.action == "my"))

    return router
