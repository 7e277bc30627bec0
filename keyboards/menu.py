"""The main menu. Each feature adds its entry to MENU_ITEMS (only what works is listed)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder


class MenuCb(CallbackData, prefix="menu"):
    action: str


# (text key, action) for registered people, in the order shown. Features append their entries.
MENU_ITEMS: list[tuple[str, str]] = [
    ("menu.about", "about"),
    ("ideas.menu_new", "idea_new"),
    ("ideas.menu_list", "ideas"),
    ("menu.profile", "profile"),
    ("menu.privacy", "privacy"),
    ("menu.language", "language"),
    ("menu.help", "help"),
    ("consult.menu", "consult"),
]

# What a person who did not consent may still open.
PUBLIC_ITEMS: list[tuple[str, str]] = [
    ("menu.about", "about"),
    ("menu.consent", "consent"),
    ("menu.help", "help"),
]


def _menu(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, action in items:
        builder.button(text=_(key), callback_data=MenuCb(action=action))
    builder.adjust(2)
    return builder.as_markup()


def main_menu() -> InlineKeyboardMarkup:
    return _menu(MENU_ITEMS)


def public_menu() -> InlineKeyboardMarkup:
    return _menu(PUBLIC_ITEMS)


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Русский", callback_data=MenuCb(action="lang_ru"))
    builder.button(text="English", callback_data=MenuCb(action="lang_en"))
    return builder.as_markup()
