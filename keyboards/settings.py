"""/settings keyboards and the digest's own buttons (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import button, column, grid, nav_row
from services.plural import plural


class SetAction(StrEnum):
    SCREEN = "screen"  # value: main | lead | district | topic | language
    CLOSE = "close"
    REMINDERS = "rem"  # value: on | off
    LEAD = "lead"  # value: minutes
    DIGEST = "digest"  # value: on | off
    DISTRICT = "district"  # value: a code | any
    TOPIC = "topic"  # value: a code | any
    LANGUAGE = "lang"  # value: ru | en


class SetCb(CallbackData, prefix="set"):
    action: SetAction
    value: str = ""


class DigestAction(StrEnum):
    OFF = "off"
    ON = "on"


class DigestCb(CallbackData, prefix="dg"):
    action: DigestAction


def _check(selected: bool) -> str:
    return "✅ " if selected else "▫️ "


def lead_label(minutes: int) -> str:
    """How long before: «сутки», «2 дня», «3 часа», «30 минут» (read after «за»)."""
    if minutes == 1440:
        return _("settings.lead_one_day")
    if minutes % 1440 == 0:
        return plural(_, "settings.lead_days", minutes // 1440)
    if minutes % 60 == 0:
        return plural(_, "settings.lead_hours", minutes // 60)
    return plural(_, "settings.lead_minutes", minutes)


def main_keyboard(reminders: bool, digest: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("settings.btn_reminders_off") if reminders else _("settings.btn_reminders_on"),
        callback_data=SetCb(action="rem", value="off" if reminders else "on"),
    )
    builder.button(text=_("settings.btn_lead"), callback_data=SetCb(action="screen", value="lead"))
    builder.button(
        text=_("settings.btn_digest_off") if digest else _("settings.btn_digest_on"),
        callback_data=SetCb(action="digest", value="off" if digest else "on"),
    )
    builder.button(text=_("settings.btn_districts"), callback_data=SetCb(action="screen", value="district"))
    builder.button(text=_("flows.settings.btn_topics"), callback_data=SetCb(action="screen", value="topic"))
    builder.button(text=_("settings.btn_language"), callback_data=SetCb(action="screen", value="language"))
    builder.button(text=_("settings.btn_done"), callback_data=SetCb(action="close"))
    builder.adjust(1, 1, 1, 2, 1, 1)
    return builder.as_markup()


def _back_row() -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(text=_("btn.back"), callback_data=SetCb(action="screen", value="main").pack()),
        *nav_row(back=False),
    ]


def _options(
    action: str, options: Iterable[tuple[str, str, bool]], *extra: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    """A screen of (label, value, chosen) options, two to a row, ✅ on the chosen ones; then the
    ``extra`` rows and «Назад» / «Отмена»."""
    buttons = [
        button(_check(chosen) + label, SetCb(action=action, value=value)) for label, value, chosen in options
    ]
    return grid(buttons, 2, *extra, _back_row())


def lead_keyboard(choices: tuple[int, ...], current: int) -> InlineKeyboardMarkup:
    return _options(
        SetAction.LEAD, ((lead_label(minutes), str(minutes), minutes == current) for minutes in choices)
    )


def multi_keyboard(field: str, options: list[tuple[str, str]], selected: list[str]) -> InlineKeyboardMarkup:
    """Districts or topics: tap to add or remove; «Любые» clears the filter."""
    any_row = [button(_check(not selected) + _("settings.any"), SetCb(action=field, value="any"))]
    return _options(field, ((label, code, code in selected) for label, code in options), any_row)


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    languages = (("ru", "Русский"), ("en", "English"))
    return _options(SetAction.LANGUAGE, ((label, code, code == current) for code, label in languages))


def resubscribe_keyboard() -> InlineKeyboardMarkup:
    return column(
        button(_("digest.btn_resubscribe"), DigestCb(action=DigestAction.ON)),
        button(_("settings.btn_open"), SetCb(action=SetAction.SCREEN, value="main")),
    )
