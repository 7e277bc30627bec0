"""The staff's buttons of the showcase, in the admin chat. They carry the ``adm`` prefix of the staff
menu (keyboards.admin.AdminCb), so a press outside the admin chat or by someone who is not staff is
refused like any staff button; each intent has its own CallbackData with an Enum action."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import ActionId, Id, button, column, item_column, item_row, picks, row


class StaffAction(StrEnum):
    MENU = "sc_menu"
    QUEUE = "sc_queue"
    LATE = "sc_late"
    TRIALS = "sc_trials"
    PROVIDERS = "sc_provs"
    PROVIDER = "sc_prov"  # id: the provider's user id
    CARD = "sc_card"
    EXPO = "sc_expo"  # pick an EXPO event for the card
    FIGURES = "sc_figs"
    STOP = "sc_stop"  # stop typing a comment or a category


class StaffCb(CallbackData, ActionId[StaffAction], prefix="adm"):
    """The showcase's staff menu and its lists."""


class CardDecision(StrEnum):
    PUBLISH = "sc_pub"
    RETURN = "sc_ret"
    DECLINE = "sc_dec"


class CardDecisionCb(CallbackData, ActionId[CardDecision], prefix="adm"):
    """A decision on a card waiting for moderation."""


class TrialDecision(StrEnum):
    APPROVE = "sc_tok"
    DECLINE = "sc_tno"


class TrialDecisionCb(CallbackData, ActionId[TrialDecision], prefix="adm"):
    """A decision on an application for the trial office."""


class CategoryAction(StrEnum):
    LIST = "sc_cats"
    OPEN = "sc_cat"
    TOGGLE = "sc_cattog"
    RENAME = "sc_catren"
    ADD = "sc_catadd"


class CategoryCb(CallbackData, ActionId[CategoryAction], prefix="adm"):
    """The category list: open, hide/show, rename, add."""


class ExpoAction(StrEnum):
    LINK = "sc_exl"
    UNLINK = "sc_exu"


class ExpoLinkCb(CallbackData, prefix="adm"):
    """Put a card into an EXPO event or take it out: id is the event, c the card."""

    action: ExpoAction
    id: Id
    c: Id


def moderation_keyboard(card_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("showcase.adm_publish"), CardDecisionCb(action=CardDecision.PUBLISH, id=card_id))],
            [
                button(_("showcase.adm_return"), CardDecisionCb(action=CardDecision.RETURN, id=card_id)),
                button(_("showcase.adm_decline"), CardDecisionCb(action=CardDecision.DECLINE, id=card_id)),
            ],
        ]
    )


def trial_decision_keyboard(application_id: int) -> InlineKeyboardMarkup:
    return item_row(
        TrialDecisionCb.on(application_id),
        (_("showcase.adm_trial_approve"), TrialDecision.APPROVE),
        (_("showcase.adm_trial_decline"), TrialDecision.DECLINE),
    )


def staff_menu_keyboard(pending: int, trials: int, unanswered: int = 0) -> InlineKeyboardMarkup:
    return column(
        button(_("showcase.adm_queue").format(count=pending), StaffCb(action=StaffAction.QUEUE)),
        button(_("showcase.adm_unanswered").format(count=unanswered), StaffCb(action=StaffAction.LATE)),
        button(_("showcase.adm_trials").format(count=trials), StaffCb(action=StaffAction.TRIALS)),
        button(_("showcase.adm_providers"), StaffCb(action=StaffAction.PROVIDERS)),
        button(_("showcase.adm_categories"), CategoryCb(action=CategoryAction.LIST)),
        button(_("showcase.adm_figures"), StaffCb(action=StaffAction.FIGURES)),
    )


def staff_list_keyboard(
    items: Sequence[tuple[int, str]], button_of: type[StaffCb] | type[CategoryCb], action: StrEnum
) -> InlineKeyboardMarkup:
    return column(
        *picks(items, lambda item_id: button_of(action=action, id=item_id)),
        button(_("showcase.adm_back"), StaffCb(action=StaffAction.MENU)),
    )


def staff_card_keyboard(
    card_id: int, status: str, linked: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup | None:
    if status == "pending":
        return moderation_keyboard(card_id)
    rows = []
    if status == "published":
        rows.append([button(_("showcase.adm_expo_add"), StaffCb(action=StaffAction.EXPO, id=card_id))])
    for event_id, title in linked:
        rows.append(
            [
                button(
                    _("showcase.adm_expo_remove").format(title=title[:40]),
                    ExpoLinkCb(action=ExpoAction.UNLINK, id=event_id, c=card_id),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def expo_events_keyboard(card_id: int, events: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column(
        *picks(
            ((event_id, label[:60]) for event_id, label in events),
            lambda event_id: ExpoLinkCb(action=ExpoAction.LINK, id=event_id, c=card_id),
        )
    )


def category_admin_keyboard(category_id: int, active: bool) -> InlineKeyboardMarkup:
    return item_column(
        CategoryCb.on(category_id),
        [
            (_("showcase.adm_cat_rename"), CategoryAction.RENAME, True),
            (
                _("showcase.adm_cat_hide") if active else _("showcase.adm_cat_show"),
                CategoryAction.TOGGLE,
                True,
            ),
        ],
        button(_("showcase.adm_back"), CategoryCb(action=CategoryAction.LIST)),
    )


def staff_cancel_keyboard() -> InlineKeyboardMarkup:
    return row(button(_("btn.cancel"), StaffCb(action=StaffAction.STOP)))
