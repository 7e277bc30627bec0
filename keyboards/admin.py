"""The staff menu. Staff features add their entries to ADMIN_MENU_ITEMS."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import ActionId, Id, button, column, grid

PREFIX = "adm"
"""Every staff button's callback data starts with it (here and in the features' staff keyboards), so
the refusal router can turn away a press outside the admin chat or by someone who is not staff."""


class AdminAction(StrEnum):
    MENU = "menu"
    INBOX = "inbox"  # everything waiting for staff, oldest first
    MORE = "more"  # the technical views (outbox, stats, topics, digest)
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


class AdminCb(CallbackData, ActionId[AdminAction], prefix=PREFIX):
    """The staff menu and its lists (``adm:<action>:<id>``)."""


class ReasonAction(StrEnum):
    PICK = "rs_pick"  # a ready-made reason (``r``: its index)
    OWN = "rs_own"  # «Своя причина»: asks for a reply


class ReasonCb(CallbackData, prefix=PREFIX):
    """A reason for a staff decision: ``f`` says whose (``bk_rej``, ``id_rej``, ``sc_dec``…), ``id``
    the object; each feature handles its own ``f`` codes and checks the object's state again."""

    action: ReasonAction
    f: str
    id: Id
    r: Id = 0
    c: Id = 0  # the card's message id, updated in place once decided (0: none)


# (text key, action): ordered by daily use; the technical views are under «Ещё»
ADMIN_MENU_ITEMS: list[tuple[str, AdminAction]] = [
    ("consult.adm_menu_open", AdminAction.CONSULTS),
    ("booking.adm_menu", AdminAction.BOOKINGS),
    ("showcase.adm_menu", AdminAction.SHOWCASE),
    ("ideas.admin.menu", AdminAction.IDEAS),
    ("events.admin_btn", AdminAction.EVENTS),
    ("broadcast.admin_btn", AdminAction.BROADCASTS),
    ("report.btn_admin", AdminAction.REPORT),
    ("staff.btn_more", AdminAction.MORE),
]
MORE_ITEMS: list[tuple[str, AdminAction]] = [
    ("admin.btn_stats", AdminAction.STATS),
    ("notify.btn_outbox", AdminAction.OUTBOX),
    ("digest.btn_admin", AdminAction.DIGEST),
    ("consult.adm_menu_topics", AdminAction.CONSULT_TOPICS),
]


def admin_menu(waiting: int | None = None) -> InlineKeyboardMarkup:
    """The staff menu: «📥 Ждут ответа (N)» first, then the features by daily use, «Ещё» last."""
    builder = InlineKeyboardBuilder()
    inbox = _("staff.btn_inbox").format(count=waiting) if waiting is not None else _("staff.btn_inbox_plain")
    builder.button(text=inbox, callback_data=AdminCb(action=AdminAction.INBOX))
    for key, action in ADMIN_MENU_ITEMS:
        builder.button(text=_(key), callback_data=AdminCb(action=action))
    builder.adjust(1, 2)
    return builder.as_markup()


def more_menu() -> InlineKeyboardMarkup:
    items = [button(_(key), AdminCb(action=action)) for key, action in MORE_ITEMS]
    return grid([*items, button(_("staff.btn_back_menu"), AdminCb(action=AdminAction.MENU))], 2)


def reasons_keyboard(code: str, object_id: int, presets: list[str], card: int = 0) -> InlineKeyboardMarkup:
    """Ready-made reasons (text keys) as buttons, then «Своя причина» (asks for a reply); ``card`` is
    the card's message id, updated in place once decided."""
    return column(
        *(
            button(_(key), ReasonCb(action=ReasonAction.PICK, f=code, id=object_id, r=index, c=card))
            for index, key in enumerate(presets)
        ),
        button(_("staff.reason.own"), ReasonCb(action=ReasonAction.OWN, f=code, id=object_id, c=card)),
    )


def inbox_keyboard(items: list[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    """One button per waiting thing: its label and the feature's own «open the card» data."""
    return column(*(button(label[:60], data) for label, data in items))
