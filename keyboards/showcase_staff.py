"""The staff's buttons of the showcase, in the admin chat. They carry the ``adm`` prefix of the staff
menu (keyboards.admin.AdminCb), so a press outside the admin chat or by someone who is not staff is
refused like any staff button; each intent has its own CallbackData with an Enum action."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id
from keyboards.showcase import button


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


class StaffCb(CallbackData, prefix="adm"):
    """The showcase's staff menu and its lists."""

    action: StaffAction
    id: Id = 0


class CardDecision(StrEnum):
    PUBLISH = "sc_pub"
    RETURN = "sc_ret"
    DECLINE = "sc_dec"


class CardDecisionCb(CallbackData, prefix="adm"):
    """A decision on a card waiting for moderation."""

    action: CardDecision
    id: Id = 0


class TrialDecision(StrEnum):
    APPROVE = "sc_tok"
    DECLINE = "sc_tno"


class TrialDecisionCb(CallbackData, prefix="adm"):
    """A decision on an application for the trial office."""

    action: TrialDecision
    id: Id = 0


class CategoryAction(StrEnum):
    LIST = "sc_cats"
    OPEN = "sc_cat"
    TOGGLE = "sc_cattog"
    RENAME = "sc_catren"
    ADD = "sc_catadd"


class CategoryCb(CallbackData, prefix="adm"):
    """The category list: open, hide/show, rename, add."""

    action: CategoryAction
    id: Id = 0


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
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("showcase.adm_trial_approve"),
                    TrialDecisionCb(action=TrialDecision.APPROVE, id=application_id),
                ),
                button(
                    _("showcase.adm_trial_decline"),
                    TrialDecisionCb(action=TrialDecision.DECLINE, id=application_id),
                ),
            ]
        ]
    )


def staff_menu_keyboard(pending: int, trials: int, unanswered: int = 0) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("showcase.adm_queue").format(count=pending), callback_data=StaffCb(action=StaffAction.QUEUE)
    )
    builder.button(
        text=_("showcase.adm_unanswered").format(count=unanswered),
        callback_data=StaffCb(action=StaffAction.LATE),
    )
    builder.button(
        text=_("showcase.adm_trials").format(count=trials), callback_data=StaffCb(action=StaffAction.TRIALS)
    )
    builder.button(text=_("showcase.adm_providers"), callback_data=StaffCb(action=StaffAction.PROVIDERS))
    builder.button(text=_("showcase.adm_categories"), callback_data=CategoryCb(action=CategoryAction.LIST))
    builder.button(text=_("showcase.adm_figures"), callback_data=StaffCb(action=StaffAction.FIGURES))
    builder.adjust(1)
    return builder.as_markup()


def staff_list_keyboard(
    items: Sequence[tuple[int, str]], button_of: type[StaffCb] | type[CategoryCb], action: StrEnum
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item_id, label in items:
        builder.button(text=label, callback_data=button_of(action=action, id=item_id))
    builder.adjust(1)
    builder.row(button(_("showcase.adm_back"), StaffCb(action=StaffAction.MENU)))
    return builder.as_markup()


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
    builder = InlineKeyboardBuilder()
    for event_id, label in events:
        builder.button(
            text=label[:60], callback_data=ExpoLinkCb(action=ExpoAction.LINK, id=event_id, c=card_id)
        )
    builder.adjust(1)
    return builder.as_markup()


def category_admin_keyboard(category_id: int, active: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("showcase.adm_cat_rename"), CategoryCb(action=CategoryAction.RENAME, id=category_id))],
            [
                button(
                    _("showcase.adm_cat_hide") if active else _("showcase.adm_cat_show"),
                    CategoryCb(action=CategoryAction.TOGGLE, id=category_id),
                )
            ],
            [button(_("showcase.adm_back"), CategoryCb(action=CategoryAction.LIST))],
        ]
    )


def staff_cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("btn.cancel"), StaffCb(action=StaffAction.STOP))]])
