"""The main menu (at most seven entries, the Center's main services first), the «Ещё» screen under it,
the «🏠 Меню» way back on every screen. Features add their entries through the registry (bot.features)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
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
    MORE = "more"  # «Ещё»: profile, privacy, language, settings, help, «О Центре»
    HOME = "home"  # «🏠 Меню» / «⬅️» back to the main menu


class MenuCb(CallbackData, prefix="menu"):
    action: MenuAction


# (text key, action) in the order shown, for everyone: looking around needs no registration, acting
# asks for consent then. Installed from the feature registry (at most seven entries, «Ещё» last).
MENU_ITEMS: list[tuple[str, str]] = [
    ("fc.menu.consult", "consult"),
    ("fc.menu.events", "events"),
    ("fc.menu.book", "book"),
    ("fc.menu.services", "services"),
    ("fc.menu.ideas", "ideas"),
    ("fc.menu.my", "my"),
    ("fc.menu.more", "more"),
]

# The «Ещё» screen, in the order shown (installed from the registry too).
MORE_ITEMS: list[tuple[str, str]] = [
    ("menu.about", "about"),
    ("ideas.menu_new", "idea_new"),
    ("menu.profile", "profile"),
    ("menu.privacy", "privacy"),
    ("settings.menu", "settings"),
    ("menu.language", "language"),
    ("menu.help", "help"),
]

# What a person who did not consent sees on «Ещё» first: registering on purpose (it asks consent).
PUBLIC_ITEMS: list[tuple[str, str]] = [
    ("menu.consent", "consent"),
]


_cache: dict[tuple[str, tuple[tuple[str, str], ...]], InlineKeyboardMarkup] = {}


def _menu(items: list[tuple[str, str]], back: bool = False) -> InlineKeyboardMarkup:
    """Built once per language: the menu is sent often, and building keyboards is not free. The main
    services one to a row where they are the first ones (the most used, easy to hit), the rest in pairs."""
    key = (get_i18n().current_locale, tuple(items), back)
    markup = _cache.get(key)
    if markup is None:
        buttons = [InlineKeyboardButton(text=_(k), callback_data=MenuCb(action=a).pack()) for k, a in items]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        if back:
            rows.append([home_button()])
        markup = InlineKeyboardMarkup(inline_keyboard=rows)
        _cache[key] = markup
    return markup


def main_menu() -> InlineKeyboardMarkup:
    return _menu(MENU_ITEMS)


def public_menu() -> InlineKeyboardMarkup:
    """The same menu: a person who did not register may look at everything (acting asks consent)."""
    return _menu(MENU_ITEMS)


def more_menu(registered: bool) -> InlineKeyboardMarkup:
    """«Ещё»: the person's own settings and the Center's details, with the way back to the menu."""
    return _menu(MORE_ITEMS if registered else PUBLIC_ITEMS + MORE_ITEMS, back=True)


def home_button() -> InlineKeyboardButton:
    """«🏠 Меню»: the way back from any list, card, answer or confirmation to the main menu."""
    return InlineKeyboardButton(text=_("fc.btn.home"), callback_data=MenuCb(action=MenuAction.HOME).pack())


def back_button(data: CallbackData) -> InlineKeyboardButton:
    """«⬅️ Назад» to the screen this one was opened from."""
    return InlineKeyboardButton(text=_("fc.btn.back"), callback_data=data.pack())


def with_home(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup:
    """``markup`` with a «🏠 Меню» row added at the bottom (unless it has one)."""
    rows = [list(r) for r in (markup.inline_keyboard if markup is not None else [])]
    home = MenuCb(action=MenuAction.HOME).pack()
    if not any(b.callback_data == home for r in rows for b in r):
        rows.append([home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def home_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])


def home_reply() -> ReplyKeyboardMarkup:
    """The persistent «🏠 Меню» reply button under the input field (private chats only)."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("fc.btn.home_reply"))]], resize_keyboard=True, is_persistent=True
    )


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Русский", callback_data=MenuCb(action="lang_ru"))
    builder.button(text="English", callback_data=MenuCb(action="lang_en"))
    return builder.as_markup()
