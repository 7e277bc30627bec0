"""The /settings panel: one message that changes in place; every tap is saved at once.

The buttons carry what they do (no state needed to press them), so an old settings message still
works; the FSM state only tells typed text that buttons are expected here."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import cancel_dialog, error_text, menu_for, or_alert, target
from handlers.settings.views import SCREENS, STATE_OF, SettingsDialog, open_settings, show
from keyboards.settings import SetAction, SetCb, lead_label
from services import preferences
from services import users as users_service
from services.errors import DomainError


async def cmd_settings(
    message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await open_settings(message, state, session, user, settings)


async def menu_settings(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await open_settings(callback, state, session, user, settings)


async def go_screen(
    callback: CallbackQuery, callback_data: SetCb, state: FSMContext, user: User, settings: Any
) -> None:
    await callback.answer()
    name = callback_data.value if callback_data.value in SCREENS else "main"
    await show(callback, state, user, name, settings)


async def close(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    await callback.answer(_("settings.saved"))
    await state.clear()
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest:
            pass
    await target(callback).answer(_("menu.title"), reply_markup=menu_for(user))


async def _save(action: SetAction, value: str, session: AsyncSession, tg_id: int) -> tuple[User, str, str]:
    """One tap saved: (the person as saved, a note to show, the screen to show next)."""
    if action is SetAction.REMINDERS:
        user = await preferences.set_reminders(session, tg_id, value == "on")
        return (
            user,
            _("settings.reminders_saved_on" if value == "on" else "settings.reminders_saved_off"),
            "main",
        )
    if action is SetAction.LEAD:
        if not (value.isascii() and value.isdigit()):
            raise DomainError("settings.pick_button")
        user = await preferences.set_lead(session, tg_id, int(value))
        return user, _("settings.lead_saved").format(lead=lead_label(user.reminder_lead_minutes)), "main"
    if action is SetAction.DIGEST:
        user = await preferences.set_digest(session, tg_id, value == "on")
        return user, _("settings.digest_saved_on" if value == "on" else "settings.digest_saved_off"), "main"
    kind = action.value  # district | topic
    if value == "any":
        return await preferences.clear_interests(session, tg_id, kind), "", kind
    return await preferences.toggle_interest(session, tg_id, kind, value), "", kind


async def change(
    callback: CallbackQuery, callback_data: SetCb, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    result = await or_alert(
        callback, _save(callback_data.action, callback_data.value, session, callback.from_user.id)
    )
    if result is None:
        return
    user, note, back_to = result
    await callback.answer(note or _("settings.saved_short"))
    await show(callback, state, user, back_to, settings)


async def change_language(
    callback: CallbackQuery,
    callback_data: SetCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
    i18n: I18n,
) -> None:
    value = callback_data.value
    try:
        await users_service.set_language(session, callback.from_user.id, value)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    user.language = value
    with i18n.use_locale(value):
        await callback.answer(_("language.set"))
        await show(callback, state, user, "main", settings)


async def nav_back(callback: CallbackQuery, state: FSMContext, user: User, settings: Any) -> None:
    if await state.get_state() == SettingsDialog.main.state:
        await cancel_dialog(callback, state, user)
        return
    await callback.answer()
    await show(callback, state, user, "main", settings)


async def typed(message: Message, state: FSMContext, user: User, settings: Any) -> None:
    """Text, a sticker, a photo...: buttons are expected; the screen comes again, nothing changes."""
    current = await state.get_state()
    name = next((n for n, s in STATE_OF.items() if s.state == current), "main")
    await message.answer(_("settings.use_buttons"))
    await show(message, state, user, name, settings)
