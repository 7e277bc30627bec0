"""The form engine's declarations: Form, Step, the context a step's callables get, the buttons' data."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    CallbackQuery,
    Message,
    ReplyKeyboardMarkup,
)

from bot.desk import Desk
from handlers.common import target

PREVIEW = "_preview"
FIELDS = "_fields"
PASS_THROUGH_COMMANDS = frozenset({"start", "cancel", "help"})


class _Stay:
    def __repr__(self) -> str:
        return "STAY"


STAY: Any = _Stay()
"""Returned by a step's ``pick`` or ``parse`` that changed ``ctx.draft`` itself and wants the same
step shown again (a choice of several: districts toggled one by one, attachments added one by one);
the step is left by another of its answers (e.g. «Готово»), which returns the value."""


class FormAction(StrEnum):
    PICK = "p"
    BACK = "b"
    CANCEL = "c"
    SKIP = "s"
    CONFIRM = "ok"
    EDIT = "e"
    FIELD = "f"


class FormCb(CallbackData, prefix="fm"):
    f: str  # the form
    s: str  # the step the button belongs to (a press for another step is out of date)
    a: FormAction
    v: str = ""


Choices = Sequence[tuple[str, str]]
MaybeAwaitable = Any


async def call(function: Callable[..., Any], *args: Any) -> Any:
    result = function(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


@dataclass
class FormContext:
    """What a step's callables get: the form, the draft, the event and the handler data."""

    form: Form
    event: Message | CallbackQuery
    state: FSMContext
    data: dict[str, Any]
    draft: dict[str, Any]
    extra: dict[str, Any]
    single: bool = False

    @property
    def session(self) -> Any:
        return self.data.get("session")

    @property
    def user(self) -> Any:
        return self.data.get("user")

    @property
    def settings(self) -> Any:
        return self.data.get("settings")

    @property
    def desk(self) -> Desk:
        return self.data["desk"]

    @property
    def bot(self) -> Bot:
        bot = self.data.get("bot") or self.event.bot
        assert bot is not None
        return bot

    @property
    def from_id(self) -> int:
        assert self.event.from_user is not None
        return self.event.from_user.id

    @property
    def message(self) -> Message:
        return target(self.event)


@dataclass(frozen=True)
class Step:
    """One question. ``prompt`` is a locale key or a callable(ctx) returning the text."""

    name: str
    prompt: str | Callable[[FormContext], MaybeAwaitable]
    choices: Callable[[FormContext], MaybeAwaitable] | None = None
    """(label, value) buttons; ``pick`` turns a pressed value into the field's value (default: the
    value itself, if it is one of the choices)."""
    pick: Callable[[str, FormContext], MaybeAwaitable] | None = None
    parse: Callable[[Message, FormContext], MaybeAwaitable] | None = None
    """A typed answer (text, contact, photo...) → the value; raise ValidationFailed for a hint."""
    skip_if: Callable[[dict[str, Any]], bool] | None = None
    optional: bool = False
    width: int = 2
    hint: str | None = None
    """Shown after input of the wrong kind; default: «write text» or «press a button»."""
    reply_keyboard: Callable[[FormContext], ReplyKeyboardMarkup] | None = None
    """A reply keyboard (e.g. «send my phone number»): the prompt is then a new message."""
    answered: Callable[[Any], str] | None = None
    """After a reply-keyboard step: the text that takes the keyboard away (default «Принято»)."""
    label: str | None = None
    """The field's name on «Изменить поле» (a locale key); steps without one are not offered there."""
    field: str | None = None
    on_back: Callable[[FormContext], MaybeAwaitable] | None = None
    """«Назад» on this step: True if the step handled it (left a sub-screen of its own, changing the
    draft: it is shown again), a step name (or PREVIEW) to go there, else the usual step back."""
    edit_with: tuple[str, ...] = ()
    """Steps asked right after this one when it is changed from the preview (the first active one;
    e.g. the place after its kind), before the preview comes back."""
    rows: Callable[[FormContext], MaybeAwaitable] | None = None
    """Instead of ``choices`` + ``width``: the (label, value) buttons already laid out in rows (a
    calendar, or a width that depends on the data); every value counts as one of the choices."""

    @property
    def key(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Form:
    name: str
    steps: tuple[Step, ...]
    finish: Callable[[FormContext], Awaitable[str | None]]
    """Called with the complete draft; may return a step name to ask next (the dialog goes on; those
    steps end in ``finish`` again, not in the preview, and the state data says ``finishing``)."""
    preview: Callable[[FormContext], MaybeAwaitable] | None = None
    step_header: str | None = None
    """A locale key with {n} and {total} put above each prompt (not when one field is edited)."""
    on_exit: Callable[[FormContext], Awaitable[None]] | None = None
    """«Назад» from the first step (or while editing one field); default: cancel to the menu."""
    staff: bool = False
    on_save: Callable[[FormContext, str], Awaitable[None]] | None = None
    """Called after every save of the dialog (with the step it stands on): a form whose draft must
    outlive the dialog's state (/menu, «Отмена») keeps a copy of its own here."""
    replies_only: bool | None = None
    """Text counts only as a reply to the dialog message; default: ``staff``. A staff dialog whose
    text has always been taken as a plain message in the admin chat sets False."""
    confirms: Callable[[FormContext], MaybeAwaitable] | None = None
    """The preview's confirm buttons as (locale key, value); default one «Подтвердить». ``finish``
    finds the pressed value in ``ctx.extra["confirm"]``."""
    cancelled: str = "common.cancelled"
    """What «Отмена» (and /cancel) say (a locale key)."""
    edit_label: str = "btn.edit_field"
    """The preview's «Изменить поле» (a locale key). With one labelled step it opens that step."""
    state: State = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", State(self.name, group_name="form"))

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def active(self, draft: dict[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.skip_if is None or not s.skip_if(draft)]

    @property
    def takes_replies_only(self) -> bool:
        return self.staff if self.replies_only is None else self.replies_only


DEFAULT_CONFIRMS = (("btn.confirm", ""),)


async def confirms_of(ctx: FormContext) -> list[tuple[str, str]]:
    """The preview's confirm buttons: (locale key, value)."""
    if ctx.form.confirms is None:
        return list(DEFAULT_CONFIRMS)
    return list(await call(ctx.form.confirms, ctx))


class WrongKind(Exception):
    """Raised by a parser for input of the wrong kind (a sticker where text is expected)."""


class Reask(Exception):
    """Raised by ``parse`` or ``pick`` to keep the dialog going without accepting an answer, with a
    note: a file added, a calendar's month flipped, a time that no longer fits. The note (a locale
    key with its values) is shown, then the prompt of ``at`` (default: the same step); what the
    callable put into ``ctx.draft`` or ``ctx.extra`` is kept. (``STAY`` is the quiet form of it.)"""

    def __init__(self, key: str | None = None, *, at: str | None = None, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.at = at
        self.values = values


def text_of(message: Message) -> str:
    """The text of a message, or WrongKind: the usual first line of a text parser."""
    if message.text is None:
        raise WrongKind
    return message.text
