"""Buttons of the reach report (the period, staff) and of the providers' monthly offline-recipients
question (the number pad; services.report_offline packs the same ``rof`` layout into the question)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import Id
from services import report as rep
from services import report_offline as offline


class ReportChoice(StrEnum):
    """The periods of services.report.PERIODS, then a typed period, then leaving."""

    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_QUARTER = "this_quarter"
    THIS_YEAR = "this_year"
    ALL = "all"
    CUSTOM = "custom"
    CANCEL = "cancel"


assert {c.value for c in ReportChoice} >= set(rep.PERIODS), "a report period without its button"


class ReportCb(CallbackData, prefix="rpt"):
    p: ReportChoice


class RofAction(StrEnum):
    DIGIT = "d"  # the number typed so far (v)
    SAVE = "ok"
    DONT_KNOW = "dk"


class RofCb(CallbackData, prefix="rof"):
    a: RofAction
    card: Id
    m: Id  # 202611
    v: Id


def period_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=_(f"report.p_{code}"), callback_data=ReportCb(p=ReportChoice(code)).pack())
        for code in (*rep.PERIODS, ReportChoice.CUSTOM)
    ]
    buttons.append(
        InlineKeyboardButton(
            text=_("report.btn_cancel"), callback_data=ReportCb(p=ReportChoice.CANCEL).pack()
        )
    )
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _pad_button(spec: dict[str, Any]) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=spec["label"] if "label" in spec else _(spec["text"]), callback_data=spec["data"]
    )


def pad_markup(card_id: int, month: int, value: int) -> InlineKeyboardMarkup:
    rows = offline.pad(card_id, month, value)
    return InlineKeyboardMarkup(inline_keyboard=[[_pad_button(spec) for spec in row] for row in rows])
