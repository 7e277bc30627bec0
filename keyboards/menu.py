"""The main menu. Each feature adds its entry to MENU_ITEMS (only what works is listed)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder


class MenuAction(StrEnum):
    ABOUT = "about"
    EVENTS = "events"
    SERVICES = "services"
    IDEA_NEW = "idea_new"
    IDEAS = "ideas"
    BOOK = "book"
    MY = "my"
    PROFILE = "profile"
    PRIVACY = "privacy"
    LANGUAGE = "language"
    LANG_RU = "lang_ru"
    LANG_EN = "lang_en"
    HELP = "help"
    SETTINGS = "settings"
    CONSULT = "consult"
    CONSENT = "consent"


class MenuCb(CallbackData, prefix="menu"):
    action: MenuAction


# (text key, action) for registered people, in the order shown. Features append their entries.
MENU_ITEMS: list[tuple[str, str]] = [
    ("menu.about", "about"),
    ("events.menu", "events"),
    ("showcase.menu", "services"),
    ("ideas.menu_new", "idea_new"),
    ("ideas.menu_list", "ideas"),
    ("booking.menu", "book"),
    ("menu.my", "my"),
    ("menu.profile", "profile"),
    ("menu.privacy", "privacy"),
    ("menu.language", "language"),
    ("menu.help", "help"),
    ("settings.menu", "settings"),
    ("consult.menu", "consult"),
]

# What a person who did not consent may still open.
PUBLIC_ITEMS: list[tuple[str, str]] = [
    ("menu.about", "about"),
    ("menu.consent", "consent"),
    ("menu.help", "help"),
]


_cache: dict[tuple[str, tuple[tuple[str, str], ...]], InlineKeyboardMarkup] = {}


def _menu(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Built once per language: the menu is sent often, and building keyboards is not free."""
    key = (get_i18n().current_locale, tuple(items))
    markup = _cache.get(key)
    if markup is None:
        buttons = [InlineKeyboardButton(text=_(k), callback_data=MenuCb(action=a).pack()) for k, a in items]
        markup = InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)])
        _cache[key] = markup
    return markup


def main_menu() -> InlineKeyboardMarkup:
    return _menu(MENU_ITEMS)


def public_menu() -> InlineKeyboardMarkup:
    return _menu(PUBLIC_ITEMS)


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Русский", callback_data=MenuCb(action="lang_ru"))
    builder.button(text="English", callback_data=MenuCb(action="lang_en"))
    return builder.as_markup()
