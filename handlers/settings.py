"""/settings: reminders on/off and how early, the weekly digest, districts and topics, language.

One message that changes in place (slow connections: no new message per tap). Every tap is saved at
once, so nothing is lost if the person leaves half-way. The buttons carry what they do (no state
needed to press them), so an old settings message still works; the FSM state only tells typed text
that buttons are expected here. Also: the digest's one-tap «Отписаться», and blocking/unblocking
the bot (my_chat_member) marking the person unreachable/reachable.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import RequireRegistration, cancel_dialog, error_text, menu_for, target
from handlers.filters import private_only
from keyboards.common import NavCb
from keyboards.menu import MenuCb
from keyboards.settings import (
    DigestCb,
    SetCb,
    language_keyboard,
    lead_keyboard,
    lead_label,
    main_keyboard,
    multi_keyboard,
    resubscribe_keyboard,
)
from services import digest as digest_service
from services import preferences
from services import users as users_service
from services.errors import DomainError

SCREENS = ("main", "lead", "district", "topic", "language")


class SettingsDialog(StatesGroup):
    main = State()
    lead = State()
    district = State()
    topic = State()
    language = State()


STATE_OF = {screen: getattr(SettingsDialog, screen) for screen in SCREENS}


def _names(prefix: str, codes: list[str]) -> str:
    return ", ".join(_(prefix + code) for code in codes) if codes else _("settings.any_value")


def main_text(user: User, settings: Any) -> str:
    day = _(f"settings.day.{settings.digest_day.lower()[:3]}")
    reminders = (
        _("settings.reminders_on").format(lead=lead_label(user.reminder_lead_minutes))
        if user.reminders_enabled
        else _("settings.reminders_off")
    )
    digest = (
        _("settings.digest_on").format(day=day, time=settings.digest_time.strftime("%H:%M"))
        if user.digest_enabled
        else _("settings.digest_off")
    )
    return "\n".join(
        [
            _("settings.title"),
            "",
            reminders,
            digest,
            _("settings.districts").format(value=_names("district.", user.interest_districts or [])),
            _("settings.topics").format(value=_names("settings.topic.", user.interest_topics or [])),
            _("settings.language").format(value="Русский" if (user.language or "ru") == "ru" else "English"),
            "",
            _("settings.hint"),
        ]
    )


def screen(user: User, name: str, settings: Any) -> tuple[str, InlineKeyboardMarkup]:
    if name == "lead":
        return _("settings.ask_lead"), lead_keyboard(preferences.LEAD_CHOICES, user.reminder_lead_minutes)
    if name == "district":
        options = [(_("district." + d), d) for d in preferences.INTEREST_DISTRICTS]
        return _("settings.ask_districts"), multi_keyboard("district", options, user.interest_districts or [])
    if name == "topic":
        options = [(_(f"settings.topic.{t}"), t) for t in preferences.TOPICS]
        return _("settings.ask_topics"), multi_keyboard("topic", options, user.interest_topics or [])
    if name == "language":
        return _("settings.ask_language"), language_keyboard(user.language or "ru")
    return main_text(user, settings), main_keyboard(user.reminders_enabled, user.digest_enabled)


async def show(
    event: Message | CallbackQuery, state: FSMContext, user: User, name: str, settings: Any, note: str = ""
) -> None:
    """Show a screen: in place when a button of the settings message was pressed, else as a new message."""
    text, markup = screen(user, name, settings)
    if note:
        text = note + "\n\n" + text
    await state.set_state(STATE_OF[name])
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        try:
            await event.message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return
    await target(event).answer(text, reply_markup=markup)


async def open_settings(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await state.clear()
    if user.unreachable_at is not None and user.tg_id is not None:
        # they write to us, so they can be reached again
        await preferences.mark_reachable(session, user.tg_id, True)
        user.unreachable_at = None
    if isinstance(event, CallbackQuery):
        await event.answer()
    text, markup = screen(user, "main", settings)
    await state.set_state(SettingsDialog.main)
    await target(event).answer(text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="settings")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    @router.message(Command("settings"))
    async def cmd_settings(
        message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await open_settings(message, state, session, user, settings)

    @router.callback_query(MenuCb.filter(F.action == "settings"))
    async def menu_settings(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await open_settings(callback, state, session, user, settings)

    @router.callback_query(SetCb.filter(F.action == "screen"))
    async def go_screen(
        callback: CallbackQuery, callback_data: SetCb, state: FSMContext, user: User, settings: Any
    ) -> None:
        await callback.answer()
        name = callback_data.value if callback_data.value in SCREENS else "main"
        await show(callback, state, user, name, settings)

    @router.callback_query(SetCb.filter(F.action == "close"))
    async def close(callback: CallbackQuery, state: FSMContext, user: User) -> None:
        await callback.answer(_("settings.saved"))
        await state.clear()
        if isinstance(callback.message, Message):
            try:
                await callback.message.edit_reply_markup(reply_markup=None)
            except TelegramBadRequest:
                pass
        await target(callback).answer(_("menu.title"), reply_markup=menu_for(user))

    @router.callback_query(SetCb.filter(F.action.in_({"rem", "lead", "digest", "district", "topic", "lang"})))
    async def change(
        callback: CallbackQuery,
        callback_data: SetCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
        i18n: I18n,
    ) -> None:
        action, value = callback_data.action, callback_data.value
        tg_id = callback.from_user.id
        back_to = "main"
        try:
            if action == "rem":
                user = await preferences.set_reminders(session, tg_id, value == "on")
                note = (
                    _("settings.reminders_saved_on") if value == "on" else _("settings.reminders_saved_off")
                )
            elif action == "lead":
                if not (value.isascii() and value.isdigit()):
                    raise DomainError("settings.pick_button")
                user = await preferences.set_lead(session, tg_id, int(value))
                note = _("settings.lead_saved").format(lead=lead_label(user.reminder_lead_minutes))
            elif action == "digest":
                user = await preferences.set_digest(session, tg_id, value == "on")
                note = _("settings.digest_saved_on") if value == "on" else _("settings.digest_saved_off")
            elif action in ("district", "topic"):
                if value == "any":
                    user = await preferences.clear_interests(session, tg_id, action)
                else:
                    user = await preferences.toggle_interest(session, tg_id, action, value)
                note, back_to = "", action
            else:
                await users_service.set_language(session, tg_id, value)
                user.language = value
                with i18n.use_locale(value):
                    await callback.answer(_("language.set"))
                    await show(callback, state, user, "main", settings)
                return
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(note or _("settings.saved_short"))
        await show(callback, state, user, back_to, settings)

    @router.callback_query(StateFilter(SettingsDialog), NavCb.filter(F.action == "back"))
    async def nav_back(callback: CallbackQuery, state: FSMContext, user: User, settings: Any) -> None:
        if await state.get_state() == SettingsDialog.main.state:
            await cancel_dialog(callback, state, user)
            return
        await callback.answer()
        await show(callback, state, user, "main", settings)

    @router.message(StateFilter(SettingsDialog))
    async def typed(message: Message, state: FSMContext, user: User, settings: Any) -> None:
        """Text, a sticker, a photo...: buttons are expected; the screen comes again, nothing changes."""
        current = await state.get_state()
        name = next((n for n, s in STATE_OF.items() if s.state == current), "main")
        await message.answer(_("settings.use_buttons"))
        await show(message, state, user, name, settings)

    # --- the digest's own buttons -------------------------------------------------------------------

    @router.callback_query(DigestCb.filter())
    async def digest_subscription(
        callback: CallbackQuery, callback_data: DigestCb, session: AsyncSession
    ) -> None:
        enabled = callback_data.action == "on"
        try:
            await digest_service.set_subscription(session, callback.from_user.id, enabled)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        message = callback.message if isinstance(callback.message, Message) else None
        if not enabled:
            await callback.answer(_("digest.unsubscribed_alert"))
            if message is not None and message.reply_markup is not None:
                rows = [
                    row
                    for row in message.reply_markup.inline_keyboard
                    if not any(b.callback_data == digest_service.UNSUBSCRIBE_DATA for b in row)
                ]
                try:
                    await message.edit_reply_markup(
                        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
                    )
                except TelegramBadRequest:
                    pass
            await target(callback).answer(_("digest.unsubscribed"), reply_markup=resubscribe_keyboard())
            return
        await callback.answer(_("digest.resubscribed"))
        if message is not None:
            try:
                await message.edit_text(_("digest.resubscribed"))
            except TelegramBadRequest:
                await message.answer(_("digest.resubscribed"))

    # --- the person blocked / unblocked the bot ------------------------------------------------------

    @router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
    async def blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
        if event.chat.type == "private":
            await preferences.mark_reachable(session, event.chat.id, False)

    @router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    async def unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
        if event.chat.type == "private":
            await preferences.mark_reachable(session, event.chat.id, True)

    return router
