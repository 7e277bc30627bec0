"""The main menu, «О Центре», help from the menu, and the language switch."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import action_of, ask_to_join, menu_for, target
from handlers.filters import private_only
from keyboards.menu import MenuCb, home_only, language_keyboard, more_menu, with_home
from services import users as users_service


async def send_about(message: Message, settings: Any) -> None:
    await message.answer_venue(
        latitude=settings.center_latitude,
        longitude=settings.center_longitude,
        title=settings.center_name,
        address=settings.center_address,
    )
    await message.answer(about_text(settings), reply_markup=home_only())


def about_text(settings: Any) -> str:
    """The Center's name, address and hours; the phone and the e-mail only when they are set (an empty
    setting is not shown, so no placeholder number ever reaches a resident)."""
    lines = [
        _("about.text").format(
            name=hd.quote(settings.center_name),
            address=hd.quote(settings.center_address),
            hours=hd.quote(settings.center_hours),
        )
    ]
    if settings.center_phone.strip():
        lines.append(_("about.phone").format(phone=hd.quote(settings.center_phone.strip())))
    if settings.center_email.strip():
        lines.append(_("about.email").format(email=hd.quote(settings.center_email.strip())))
    return "\n".join(lines)


async def cmd_menu(message: Message, state: FSMContext, user: User | None) -> None:
    await state.clear()
    await message.answer(_("menu.title"), reply_markup=menu_for(user))


async def menu_more(callback: CallbackQuery, user: User | None) -> None:
    """«Ещё»: profile, privacy, settings, language, help and «О Центре», in place of the menu."""
    await callback.answer()
    registered = user is not None and user.is_registered
    message = target(callback)
    if message.text is not None:
        await message.edit_text(_("fc.more_title"), reply_markup=more_menu(registered))
        return
    await message.answer(_("fc.more_title"), reply_markup=more_menu(registered))


async def cmd_about(message: Message, settings: Any) -> None:
    await send_about(message, settings)


async def menu_about(callback: CallbackQuery, settings: Any) -> None:
    await callback.answer()
    await send_about(target(callback), settings)


async def menu_help(callback: CallbackQuery, user: User | None) -> None:
    await callback.answer()
    await target(callback).answer(_("help.text"), reply_markup=with_home(None))


async def cmd_language(message: Message) -> None:
    await message.answer(_("language.choose"), reply_markup=with_home(language_keyboard()))


async def menu_language(callback: CallbackQuery) -> None:
    await callback.answer()
    await target(callback).answer(_("language.choose"), reply_markup=with_home(language_keyboard()))


async def set_language(
    callback: CallbackQuery, callback_data: MenuCb, session: AsyncSession, user: User | None, i18n: I18n
) -> None:
    language = callback_data.action.removeprefix("lang_")
    if user is None:  # a choice kept is data kept: asked with consent, then set
        await ask_to_join(callback, action_of(callback))
        return
    await callback.answer()
    await users_service.set_language(session, callback.from_user.id, language)
    user.language = language
    with i18n.use_locale(language):
        await target(callback).answer(_("language.set"), reply_markup=menu_for(user))


def create_router() -> Router:
    router = Router(name="menu")
    private_only(router)

    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_about, Command("about"))
    router.callback_query.register(menu_about, MenuCb.filter(F.action == "about"))
    router.callback_query.register(menu_help, MenuCb.filter(F.action == "help"))
    router.callback_query.register(menu_more, MenuCb.filter(F.action == "more"))
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(menu_language, MenuCb.filter(F.action == "language"))
    router.callback_query.register(set_language, MenuCb.filter(F.action.in_({"lang_ru", "lang_en"})))

    return router
