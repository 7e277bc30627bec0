"""Answering a button press that looks something up: silently when it is found, with an alert when it
is gone (deleted, already decided) — the lookups of the idea, catalogue and moderation buttons."""

from __future__ import annotations

from typing import TypeVar

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

T = TypeVar("T")


async def found_or_alert(callback: CallbackQuery, found: T | None, gone: str) -> T | None:
    """``found``, the press answered; or None, the ``gone`` text (a locale key) shown as an alert.
    The caller stops on None."""
    if found is None:
        await callback.answer(_(gone), show_alert=True)
    else:
        await callback.answer()
    return found
