"""Keyboards of project ideas: the form, the public list, the person's own ideas, the staff card."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import ActionId, Id, button, column, grid, nav_row, picks
from keyboards.menu import home_button


class FormAction(StrEnum):
    """Starting the idea form: afresh, continuing the kept draft, or dropping it (the form's own
    buttons are the form engine's)."""

    START = "start"
    RESUME = "resume"
    RESTART = "restart"


class IdeaFormCb(CallbackData, prefix="ideaf"):
    """«Новая идея», «Продолжить», «Начать заново» (value: the idea to correct instead)."""

    action: FormAction
    value: str = ""


class IdeaAction(StrEnum):
    OWN = "own"
    OPEN = "open"
    SUPPORT = "support"
    EDIT = "edit"
    UPDATE = "update"
    SEND_UPDATE = "send_update"
    MINE = "mine"


class IdeaCb(CallbackData, ActionId[IdeaAction], prefix="idea"):
    """One idea: open it (own / public), support it, edit it, write to its supporters."""


class ListAction(StrEnum):
    PAGE = "page"
    PICK_DISTRICT = "fd"
    PICK_HELP = "fh"
    SUPPORT = "sup"
    OPEN = "open"


class IdeasListCb(CallbackData, prefix="ideal"):
    """The public list: filters and page travel with every button."""

    a: ListAction = ListAction.PAGE
    d: str = ""  # district filter
    h: str = ""  # help filter
    p: Id = 0
    id: Id = 0


class StaffAction(StrEnum):
    """A staff decision on an idea's card (the values are the admin chat's ``adm:`` actions)."""

    PUBLISH = "idea_publish"
    REVISE = "idea_revise"
    REJECT = "idea_reject"
    START = "idea_start"
    DONE = "idea_done"


class IdeaStaffCb(CallbackData, ActionId[StaffAction], prefix="adm"):
    """Moderation buttons of an idea's card; the ``adm`` prefix keeps them under the staff refusal."""


class QueueAction(StrEnum):
    QUEUE = "ideas"
    CARD = "idea_card"


class IdeaQueueCb(CallbackData, ActionId[QueueAction], prefix="adm"):
    """The staff's queue of ideas (from the admin menu) and «open this idea's card»."""


# --- the form ---------------------------------------------------------------------------------------


def resume_keyboard(restart_value: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("ideas.btn.resume"), IdeaFormCb(action=FormAction.RESUME))],
            [button(_("ideas.btn.restart"), IdeaFormCb(action=FormAction.RESTART, value=restart_value))],
            nav_row(back=False),
        ]
    )


# --- the person's own ideas ---------------------------------------------------------------------------


def my_ideas_keyboard(ideas: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column(
        *picks(ideas, lambda idea_id: IdeaCb(action=IdeaAction.OWN, id=idea_id)),
        button(_("ideas.btn.new"), IdeaFormCb(action=FormAction.START)),
        home_button(),
    )


def own_idea_keyboard(idea_id: int, *, can_edit: bool, can_update: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_edit:
        rows.append([button(_("ideas.btn.fix"), IdeaCb(action=IdeaAction.EDIT, id=idea_id))])
    if can_update:
        rows.append([button(_("ideas.btn.update"), IdeaCb(action=IdeaAction.UPDATE, id=idea_id))])
    rows.append([button(_("ideas.btn.my_list"), IdeaCb(action=IdeaAction.MINE))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def update_confirm_keyboard(idea_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("ideas.btn.send_update"), IdeaCb(action=IdeaAction.SEND_UPDATE, id=idea_id))],
            nav_row(),
        ]
    )


# --- the public list -------------------------------------------------------------------------------


def support_label(count: int, state: str) -> str:
    """state: can | done | own"""
    if state == "done":
        return _("ideas.btn.supported").format(count=count)
    if state == "own":
        return _("ideas.btn.own_idea").format(count=count)
    return _("ideas.btn.support").format(count=count)


def list_keyboard(
    items: Sequence[tuple[int, str, int, str]],
    *,
    district: str,
    help_kind: str,
    page: int,
    pages: int,
) -> InlineKeyboardMarkup:
    """items: (idea id, short label, support count, support state)."""
    rows = []
    for idea_id, label, count, state in items:
        rows.append(
            [
                button(label, IdeasListCb(a=ListAction.OPEN, d=district, h=help_kind, p=page, id=idea_id)),
                button(
                    support_label(count, state),
                    IdeasListCb(a=ListAction.SUPPORT, d=district, h=help_kind, p=page, id=idea_id),
                ),
            ]
        )
    if pages > 1:
        travel = []
        if page > 0:
            travel.append(button("◀️", IdeasListCb(a=ListAction.PAGE, d=district, h=help_kind, p=page - 1)))
        travel.append(
            button(f"{page + 1}/{pages}", IdeasListCb(a=ListAction.PAGE, d=district, h=help_kind, p=page))
        )
        if page + 1 < pages:
            travel.append(button("▶️", IdeasListCb(a=ListAction.PAGE, d=district, h=help_kind, p=page + 1)))
        rows.append(travel)
    district_label = _("district." + district) if district else _("ideas.filter.any_district")
    help_label = _(f"ideas.help.{help_kind}") if help_kind else _("ideas.filter.any_help")
    rows.append(
        [
            button("📍 " + district_label, IdeasListCb(a=ListAction.PICK_DISTRICT, d=district, h=help_kind)),
            button("🤝 " + help_label, IdeasListCb(a=ListAction.PICK_HELP, d=district, h=help_kind)),
        ]
    )
    rows.append([button(_("ideas.btn.new"), IdeaFormCb(action=FormAction.START))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def filter_keyboard(
    kind: str, values: Sequence[str], *, district: str, help_kind: str
) -> InlineKeyboardMarkup:
    if kind == "fd":
        buttons = [button(_("ideas.filter.any_district"), IdeasListCb(a=ListAction.PAGE, h=help_kind))]
        buttons += [
            button(_("district." + value), IdeasListCb(a=ListAction.PAGE, d=value, h=help_kind))
            for value in values
        ]
    else:
        buttons = [button(_("ideas.filter.any_help"), IdeasListCb(a=ListAction.PAGE, d=district))]
        buttons += [
            button(_(f"ideas.help.{value}"), IdeasListCb(a=ListAction.PAGE, d=district, h=value))
            for value in values
        ]
    return grid(buttons, 2)


def public_card_keyboard(
    idea_id: int, count: int, state: str, back: IdeasListCb | None
) -> InlineKeyboardMarkup:
    rows = [[button(support_label(count, state), IdeaCb(action=IdeaAction.SUPPORT, id=idea_id))]]
    rows.append([button(_("ideas.btn.to_list"), back or IdeasListCb(a=ListAction.PAGE))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- staff ------------------------------------------------------------------------------------------

STAFF_BUTTONS: dict[str, tuple[tuple[str, StaffAction], ...]] = {
    "moderation": (
        ("ideas.admin.btn_publish", StaffAction.PUBLISH),
        ("ideas.admin.btn_revise", StaffAction.REVISE),
        ("ideas.admin.btn_reject", StaffAction.REJECT),
    ),
    "revision": (("ideas.admin.btn_reject", StaffAction.REJECT),),
    "published": (
        ("ideas.admin.btn_start", StaffAction.START),
        ("ideas.admin.btn_done", StaffAction.DONE),
    ),
    "in_progress": (("ideas.admin.btn_done", StaffAction.DONE),),
}


def staff_card_keyboard(idea_id: int, status: str) -> InlineKeyboardMarkup | None:
    buttons = STAFF_BUTTONS.get(status)
    if not buttons:
        return None
    return column(*(button(_(key), IdeaStaffCb(action=action, id=idea_id)) for key, action in buttons))


def staff_open_keyboard(ideas: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column(*picks(ideas, lambda idea_id: IdeaQueueCb(action=QueueAction.CARD, id=idea_id)))
