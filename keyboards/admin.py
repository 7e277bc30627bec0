"""The staff menu. Staff features add their entries to ADMIN_MENU_ITEMS."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id


class AdminCb(CallbackData, prefix="adm"):
    action: str
    id: Id = 0


# (text key, action)
ADMIN_MENU_ITEMS: list[tuple[str, str]] = [
    ("admin.btn_stats", "stats"),
    ("report.btn_admin", "report"),
    ("booking.adm_menu", "bookings"),
    ("broadcast.admin_btn", "broadcasts"),
    ("showcase.adm_menu", "sc_menu"),
    ("events.admin_btn", "events"),
    ("ideas.admin.menu", "ideas"),
    ("digest.btn_admin", "dg"),
    ("notify.btn_outbox", "outbox"),
    ("consult.adm_menu_open", "consults"),
    ("consult.adm_menu_topics", "consult_topics"),
]


def admin_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, action in ADMIN_MENU_ITEMS:
        builder.button(text=_(key), callback_data=AdminCb(action=action))
    builder.adjust(2)
    return builder.as_markup()
