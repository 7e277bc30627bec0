"""Buttons every dialog shares: «Назад» and «Отмена»; a button, a list of items, a column of buttons,
a grid; one item's actions as data (``item_row``, ``item_column``); the bounded ``Id`` and the
``ActionId`` pair (action, id) most buttons carry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Annotated, Generic, Self, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1
"""The largest id (and page, rating, count) a button may carry: a database INTEGER. A forged button with
more, or a negative one, does not match its CallbackData filter and gets «the button is out of date»,
instead of an OverflowError (SQLite) or DataError (PostgreSQL) deep in a query."""

Id = Annotated[int, Field(ge=0, le=MAX_ID)]
"""Every integer field of every CallbackData is an ``Id``."""


def parse_id(raw: str | None) -> int | None:
    """An id carried as text in a button (``v="17"``): the number if it is a bounded id, else None."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def require_id(raw: str | None) -> int:
    """``parse_id`` for code that turns a bad button into «out of date» on ValueError."""
    value = parse_id(raw)
    if value is None:
        raise ValueError(f"not a bounded id: {raw!r}")
    return value


Action = TypeVar("Action", bound=StrEnum)


class ActionId(BaseModel, Generic[Action]):
    """The two fields most buttons carry, first and in this order: what to do (the feature's StrEnum)
    and the id it acts on (0 when none). ``class IdeaCb(CallbackData, ActionId[IdeaAction],
    prefix="idea")`` packs as ``idea:<action>:<id>``, then any fields the class adds itself. Not a
    CallbackData, so it is no button of its own."""

    action: Action
    id: Id = 0

    @classmethod
    def on(cls, item_id: int) -> Callable[[Action], Self]:
        """The data of each action on one item, for ``item_row`` and ``item_column``: ``IdeaCb.on(7)``."""
        return lambda action: cls(action=action, id=item_id)


class NavAction(StrEnum):
    BACK = "back"
    CANCEL = "cancel"


class NavCb(CallbackData, prefix="nav"):
    action: NavAction


def nav_row(back: bool = True, cancel: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if back:
        row.append(InlineKeyboardButton(text=_("btn.back"), callback_data=NavCb(action="back").pack()))
    if cancel:
        row.append(InlineKeyboardButton(text=_("btn.cancel"), callback_data=NavCb(action="cancel").pack()))
    return row


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def picks(
    items: Iterable[tuple[int, str]], data: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """A button per (id, label) of a list, carrying ``data(id)``."""
    return [button(label, data(item_id)) for item_id, label in items]


def column(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    """The buttons one under another (a list of items, a menu, a confirmation)."""
    return InlineKeyboardMarkup(inline_keyboard=[[each] for each in buttons])


def row(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    """The buttons side by side in one row (a yes/no choice, a pair of actions)."""
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


def item_row(data: Callable[[Action], CallbackData], *actions: tuple[str, Action]) -> InlineKeyboardMarkup:
    """One item's actions side by side (a confirmation, a pair of choices): a button per (text,
    action), carrying ``data(action)``, the action with the item's id (``ConsultCb.on(number)``)."""
    return row(*(button(text, data(action)) for text, action in actions))


def item_column(
    data: Callable[[Action], CallbackData],
    actions: Iterable[tuple[str, Action, bool]],
    *after: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    """One item's screen: a button per action that applies now (text, action, applies), one under
    another, each carrying ``data(action)``; then ``after`` (the way back)."""
    return column(*(button(text, data(action)) for text, action, applies in actions if applies), *after)


def nav_keyboard(back: bool = True, cancel: bool = True) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back, cancel)])


def grid(
    buttons: Sequence[InlineKeyboardButton], width: int, *after: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    """The buttons in rows of ``width`` (the last one may be shorter), then the rows ``after`` that are
    not empty (a way back, the nav row).

    Built directly: InlineKeyboardBuilder re-validates its markup at every step and took most of a
    dialog step's time (8 ms of a registration step under profiling)."""
    rows = [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *(each for each in after if each)])


def choices(
    items: list[tuple[str, str]], cb: type[CallbackData], field: str, width: int = 2, **nav: bool
) -> InlineKeyboardMarkup:
    """A grid of (label, value) choices, packed as ``cb(field=..., value=...)``, then the nav row."""
    buttons = [
        InlineKeyboardButton(text=label, callback_data=cb(field=field, value=value).pack())  # type: ignore[call-arg]
        for label, value in items
    ]
    return grid(buttons, width, nav_row(**nav) if nav else [])
