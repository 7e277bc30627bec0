"""The staff menu. Staff features add their entries to ADMIN_MENU_ITEMS."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id

PREFIX = "adm"
"""Every staff button's callback data starts with it (here and in the features' staff keyboards), so
the refusal router can turn away a press outside the admin chat or by someone who is not staff."""


class AdminAction(StrEnum):
    MENU = "menu"
    STATS = "stats"
    REPORT = "report"
    BOOKINGS = "bookings"
    BROADCASTS = "broadcasts"
    SHOWCASE = "sc_menu"  # handled by keyboards.showcase_staff.StaffCb (the same data)
    EVENTS = "events"
    IDEAS = "ideas"  # handled by keyboards.ideas.IdeaQueueCb (the same data)
    CONSULTS = "consults"
    CONSULT_TOPICS = "consult_topics"
    OUTBOX = "outbox"
    DIGEST = "dg"
    DIGEST_ADD = "dg_add"
    DIGEST_LIST = "dg_list"
    DIGEST_REMOVE = "dg_del"
    DIGEST_REMOVE_OK = "dg_delok"
    DIGEST_CANCEL = "dg_x"
    DIGEST_PREVIEW = "dg_prev"
    DIGEST_PREVIEW_ME = "dg_me"
    DIGEST_PREVIEW_PERSON = "dg_pv"


class AdminCb(CallbackData, prefix=PREFIX):
    action: AdminAction
    id: Id = 0


# (text key, action)
ADMIN_MENU_ITEMS: list[tuple[str, AdminAction]] = [
    ("admin.btn_stats", AdminAction.STATS),
    ("report.btn_admin", AdminAction.REPORT),
    ("booking.adm_menu", AdminAction.BOOKINGS),
    ("broadcast.admin_btn", AdminAction.BROADCASTS),
    ("showcase.adm_menu", AdminAction.SHOWCASE),
    ("events.admin_btn", AdminAction.EVENTS),
    ("ideas.admin.menu", AdminAction.IDEAS),
    ("digest.btn_admin", AdminAction.DIGEST),
    ("notify.btn_outbox", AdminAction.OUTBOX),
    ("consult.adm_menu_open", AdminAction.CONSULTS),
    ("consult.adm_menu_topics", AdminAction.CONSULT_TOPICS),
]


def admin_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, action in ADMIN_MENU_ITEMS:
        builder.button(text=_(key), callback_data=AdminCb(action=action))
    builder.adjust(2)
    return builder.as_markup()
