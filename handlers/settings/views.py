"""The /settings screens: their texts and keyboards, shown in place."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import acknowledge, target
from keyboards.settings import language_keyboard, lead_keyboard, lead_label, main_keyboard, multi_keyboard
from services import preferences

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


def _topics(user: User) -> str:
    """What the news of the week brings: the chosen sections, or all of them."""
    chosen = [t for t in preferences.TOPICS if t in (user.interest_topics or [])]
    if not chosen:
        return _("flows.settings.topics_all")
    return ", ".join(_(f"flows.settings.topic.{t}") for t in chosen)


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
            _("flows.settings.topics").format(value=_topics(user)),
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
        options = [(_(f"flows.settings.topic.{t}"), t) for t in preferences.TOPICS]
        chosen = [t for t in user.interest_topics or [] if t in preferences.TOPICS]
        return _("flows.settings.ask_topics"), multi_keyboard("topic", options, chosen)
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
    await acknowledge(event)
    text, markup = screen(user, "main", settings)
    await state.set_state(SettingsDialog.main)
    await target(event).answer(text, reply_markup=markup)
