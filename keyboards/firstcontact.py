"""First contact: the consent asked when a person first acts, carrying what they were doing.

Nothing is stored about a person before consent (152-ФЗ), so the action they were taking travels in the
consent button itself: ``then`` is the pressed button's callback data or the typed command, with ``:``
written as ``|``. After consent and the short registration the action is played again (see
handlers/registration/first.py). An action too long for Telegram's 64 bytes is not carried: the person
lands in the main menu instead.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.menu import home_button

CALLBACK_LIMIT = 64


class FirstAction(StrEnum):
    YES = "y"  # «Даю согласие»
    POLICY = "p"  # the whole consent text
    NO = "n"  # «Не сейчас»


class FirstCb(CallbackData, prefix="fc"):
    a: FirstAction
    then: str = ""


def encode_then(action: str | None) -> str:
    """What the person was doing, fit for the button (empty if it cannot be carried)."""
    if not action or "|" in action:
        return ""
    packed = action.replace(":", "|")
    if len(FirstCb(a=FirstAction.YES, then=packed).pack().encode()) > CALLBACK_LIMIT:
        return ""
    return packed


def decode_then(then: str) -> str:
    return then.replace("|", ":")


def join_keyboard(then: str) -> InlineKeyboardMarkup:
    """«Даю согласие» / «Не сейчас», the whole text, and the way back to the menu."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("fc.btn.agree"), callback_data=FirstCb(a=FirstAction.YES, then=then).pack()
                ),
                InlineKeyboardButton(
                    text=_("fc.btn.not_now"), callback_data=FirstCb(a=FirstAction.NO).pack()
                ),
            ],
            [
                InlineKeyboardButton(
                    text=_("fc.btn.policy"), callback_data=FirstCb(a=FirstAction.POLICY, then=then).pack()
                )
            ],
            [home_button()],
        ]
    )
