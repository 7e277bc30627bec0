"""The form engine: a dialog is declared as steps; the engine gives every dialog the same behaviour.

A :class:`Form` is a name and a tuple of :class:`Step`. Each step fills one field of the *draft* (a
dict kept in the FSM data, so it survives a restart with the SQL or Redis storage) from a button
(``choices`` → ``pick``) or from a message (``parse``). The engine owns everything around that:

- one dialog message, edited in place from step to step; when the person answers by typing, the next
  prompt is a new message and the old one loses its buttons (an old step's buttons stop working: a
  press on any message but the current one, or for another step, is «out of date»);
- «Назад» and «Отмена» on every step (and «Пропустить» on optional steps); «Назад» on the first step
  leaves the dialog through ``Form.on_exit`` (the menu by default);
- bad input (a validator's ``ValidationFailed``, a sticker where text is expected, text where a
  button is expected) gets a hint and the same prompt again; nothing entered is lost;
- a command in the middle of a dialog gets a hint (``create_guard_router``), except /start, /cancel
  and /help, which keep their meaning;
- a form with ``preview`` ends in a confirmation: the preview, «Подтвердить», «Изменить поле» (a list
  of the steps; the chosen one is asked again and the preview comes back), «Назад», «Отмена»;
- ``finish`` gets the draft; a ``DomainError`` from it is shown and the person stays where they were.

State: the FSM state is ``form:<name>``; the data holds ``{"form", "step", "draft", "msg", "single",
"extra"}``. Staff forms (``staff=True``) run in the admin chat and take text only as a reply to the
dialog message, so a line to a colleague is never taken as an answer.

A feature declares its forms in its package and includes ``router_for(form)`` in its router; the
dialog is started with ``await start(form, event, state, data)`` from any handler.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import BaseFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _

from handlers.common import error_text, menu_for, target
from services.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

PREVIEW = "_preview"
FIELDS = "_fields"
PASS_THROUGH_COMMANDS = frozenset({"start", "cancel", "help"})


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


async def _call(function: Callable[..., Any], *args: Any) -> Any:
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

    @property
    def key(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Form:
    name: str
    steps: tuple[Step, ...]
    finish: Callable[[FormContext], Awaitable[str | None]]
    """Called with the complete draft; may return a step name to ask next (the dialog goes on)."""
    preview: Callable[[FormContext], MaybeAwaitable] | None = None
    step_header: str | None = None
    """A locale key with {n} and {total} put above each prompt (not when one field is edited)."""
    on_exit: Callable[[FormContext], Awaitable[None]] | None = None
    """«Назад» from the first step (or while editing one field); default: cancel to the menu."""
    staff: bool = False
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


# --- state ------------------------------------------------------------------------------------


async def _context(form: Form, event: Message | CallbackQuery, state: FSMContext, data: dict) -> FormContext:
    stored = await state.get_data()
    return FormContext(
        form=form,
        event=event,
        state=state,
        data=data,
        draft=dict(stored.get("draft") or {}),
        extra=dict(stored.get("extra") or {}),
        single=bool(stored.get("single")),
    )


async def _save(ctx: FormContext, step: str, **more: Any) -> None:
    stored = await ctx.state.get_data()
    stored.update(form=ctx.form.name, step=step, draft=ctx.draft, extra=ctx.extra, single=ctx.single, **more)
    await ctx.state.set_state(ctx.form.state)
    await ctx.state.set_data(stored)


async def start(
    form: Form,
    event: Message | CallbackQuery,
    state: FSMContext,
    data: dict[str, Any],
    *,
    draft: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    at: str | None = None,
    single: bool = False,
) -> None:
    """Begin ``form`` (or one field of it, ``single``) with an optional draft, at a step or the first."""
    await state.set_state(form.state)
    await state.set_data({"form": form.name, "draft": draft or {}, "extra": extra or {}, "single": single})
    ctx = await _context(form, event, state, data)
    if at is None:
        steps = form.active(ctx.draft)
        if not steps:
            await _complete(ctx)
            return
        at = steps[0].name
    await ask(ctx, at)


async def restart_prompt(form: Form, event: Message | CallbackQuery, state: FSMContext, data: dict) -> None:
    """Show the current step again (e.g. after a hint from outside the engine)."""
    ctx = await _context(form, event, state, data)
    stored = await state.get_data()
    await ask(ctx, stored.get("step") or form.active(ctx.draft)[0].name)


# --- showing a step ---------------------------------------------------------------------------


def _button(form: Form, step: str, action: FormAction, text: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=FormCb(f=form.name, s=step, a=action, v=value).pack()
    )


def _nav(form: Form, step: str, *, skip: bool = False) -> list[list[InlineKeyboardButton]]:
    rows = []
    if skip:
        rows.append([_button(form, step, FormAction.SKIP, _("btn.skip"))])
    rows.append(
        [
            _button(form, step, FormAction.BACK, _("btn.back")),
            _button(form, step, FormAction.CANCEL, _("btn.cancel")),
        ]
    )
    return rows


async def choices_of(step: Step, ctx: FormContext) -> list[tuple[str, str]]:
    return list(await _call(step.choices, ctx)) if step.choices is not None else []


async def _keyboard(step: Step, ctx: FormContext) -> InlineKeyboardMarkup:
    buttons = [
        _button(ctx.form, step.name, FormAction.PICK, label, value)
        for label, value in await choices_of(step, ctx)
    ]
    rows = [buttons[i : i + step.width] for i in range(0, len(buttons), step.width)]
    rows += _nav(ctx.form, step.name, skip=step.optional)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _prompt_text(step: Step, ctx: FormContext) -> str:
    text = _(step.prompt) if isinstance(step.prompt, str) else await _call(step.prompt, ctx)
    if ctx.form.step_header and not ctx.single:
        active = ctx.form.active(ctx.draft)
        names = [s.name for s in active]
        if step.name in names:
            header = _(ctx.form.step_header).format(n=names.index(step.name) + 1, total=len(names))
            text = header + "\n" + text
    return text


async def _show(
    ctx: FormContext, text: str, markup: InlineKeyboardMarkup | ReplyKeyboardMarkup, step: str
) -> None:
    """Edit the dialog message in place when the press came from it; else a new message (and the old
    one's buttons are taken away)."""
    stored = await ctx.state.get_data()
    current: int | None = stored.get("msg")
    event = ctx.event
    if (
        isinstance(markup, InlineKeyboardMarkup)
        and isinstance(event, CallbackQuery)
        and isinstance(event.message, Message)
        and event.message.message_id == current
        and event.message.text is not None
    ):
        try:
            await event.message.edit_text(text, reply_markup=markup)
            await _save(ctx, step)
            return
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                await _save(ctx, step)
                return
            log.info("form %s: edit failed (%s), sending anew", ctx.form.name, exc)
    await _drop_buttons(ctx, current)
    sent = await ctx.message.answer(text, reply_markup=markup)
    await _save(ctx, step, msg=None if isinstance(markup, ReplyKeyboardMarkup) else sent.message_id)


async def _drop_buttons(ctx: FormContext, message_id: int | None) -> None:
    if message_id is None:
        return
    try:
        await ctx.bot.edit_message_reply_markup(
            chat_id=ctx.message.chat.id, message_id=message_id, reply_markup=None
        )
    except TelegramAPIError:
        pass  # deleted, too old or unchanged: its buttons are out of date anyway


async def ask(ctx: FormContext, name: str) -> None:
    """Show step ``name`` (or the preview, or the list of fields) and wait for its answer there."""
    if name == PREVIEW:
        await _show_preview(ctx)
        return
    if name == FIELDS:
        await _show_fields(ctx)
        return
    step = ctx.form.step(name)
    text = await _prompt_text(step, ctx)
    if step.reply_keyboard is not None:
        await _show(ctx, text, step.reply_keyboard(ctx), name)
        return
    await _show(ctx, text, await _keyboard(step, ctx), name)


async def _show_preview(ctx: FormContext) -> None:
    assert ctx.form.preview is not None
    text = await _call(ctx.form.preview, ctx)
    form = ctx.form
    rows = [[_button(form, PREVIEW, FormAction.CONFIRM, _("btn.confirm"))]]
    if any(s.label for s in form.active(ctx.draft)):
        rows.append([_button(form, PREVIEW, FormAction.EDIT, _("btn.edit_field"))])
    rows += _nav(form, PREVIEW)
    await _show(ctx, text, InlineKeyboardMarkup(inline_keyboard=rows), PREVIEW)


async def _show_fields(ctx: FormContext) -> None:
    form = ctx.form
    rows = [
        [_button(form, FIELDS, FormAction.FIELD, _(step.label), step.name)]
        for step in form.active(ctx.draft)
        if step.label
    ]
    rows += _nav(form, FIELDS)
    await _show(ctx, _("forms.which_field"), InlineKeyboardMarkup(inline_keyboard=rows), FIELDS)


# --- answers ----------------------------------------------------------------------------------


async def accept(ctx: FormContext, step: Step, value: Any) -> None:
    """Store one answer and go on: the next step, the preview (after an edit too), or finish."""
    ctx.draft[step.key] = value
    stored = await ctx.state.get_data()
    if stored.get("editing"):
        await ctx.state.update_data(editing=False)
        await _save(ctx, PREVIEW)
        await ask(ctx, PREVIEW)
        return
    if ctx.single:
        await _complete(ctx)
        return
    names = [s.name for s in ctx.form.active(ctx.draft)]
    position = names.index(step.name) if step.name in names else len(names) - 1
    if position + 1 < len(names):
        await _save(ctx, names[position + 1])
        await ask(ctx, names[position + 1])
        return
    if ctx.form.preview is not None:
        await _save(ctx, PREVIEW)
        await ask(ctx, PREVIEW)
        return
    await _complete(ctx)


async def _complete(ctx: FormContext) -> None:
    """All answered (and confirmed): ``finish`` saves; the form's state is left unless finish moved on.
    The dialog message loses its buttons first, so a second press cannot finish twice."""
    stored = await ctx.state.get_data()
    if isinstance(ctx.event, CallbackQuery):
        await _drop_buttons(ctx, stored.get("msg"))
    try:
        follow = await ctx.form.finish(ctx)
    except DomainError as exc:
        await ctx.message.answer(error_text(exc))
        if await ctx.state.get_state() == ctx.form.state.state:
            stored = await ctx.state.get_data()
            await ask(ctx, stored.get("step") or ctx.form.active(ctx.draft)[-1].name)
        return
    if follow:
        await _save(ctx, follow)
        await ask(ctx, follow)
        return
    if await ctx.state.get_state() == ctx.form.state.state:
        await ctx.state.clear()


async def hint(ctx: FormContext, step_name: str, key: str) -> None:
    await ctx.message.answer(_(key))
    await ask(ctx, step_name)


async def back(ctx: FormContext, step_name: str) -> None:
    stored = await ctx.state.get_data()
    if stored.get("editing"):
        await ctx.state.update_data(editing=False)
        await ask(ctx, PREVIEW)
        return
    if step_name == FIELDS:
        await ask(ctx, PREVIEW)
        return
    names = [s.name for s in ctx.form.active(ctx.draft)]
    if step_name == PREVIEW:
        await ask(ctx, names[-1])
        return
    position = names.index(step_name) if step_name in names else 0
    if ctx.single or position == 0:
        await exit_form(ctx)
        return
    await ask(ctx, names[position - 1])


async def exit_form(ctx: FormContext) -> None:
    stored = await ctx.state.get_data()
    await _drop_buttons(ctx, stored.get("msg"))
    if ctx.form.on_exit is not None:
        await ctx.state.clear()
        await ctx.form.on_exit(ctx)
        return
    await cancel(ctx)


async def cancel(ctx: FormContext) -> None:
    stored = await ctx.state.get_data()
    await ctx.state.clear()
    if isinstance(ctx.event, CallbackQuery) and stored.get("msg") and isinstance(ctx.event.message, Message):
        try:
            await ctx.event.message.edit_text(_("common.cancelled"), reply_markup=None)
        except TelegramAPIError:
            await _drop_buttons(ctx, stored.get("msg"))
    else:
        await _drop_buttons(ctx, stored.get("msg"))
        await ctx.message.answer(_("common.cancelled"), reply_markup=ReplyKeyboardRemove())
    if ctx.form.staff:
        return
    await ctx.message.answer(_("menu.title"), reply_markup=menu_for(ctx.user))


# --- handlers ---------------------------------------------------------------------------------


class InForm(BaseFilter):
    """The person is in this form (state ``form:<name>``)."""

    def __init__(self, form: Form) -> None:
        self.state = form.state.state

    async def __call__(self, event: Any, raw_state: str | None = None) -> bool:
        return raw_state == self.state


class RepliesToDialog(BaseFilter):
    """Staff forms: text counts only as a reply to the bot's dialog message."""

    async def __call__(self, message: Message, state: FSMContext) -> bool:
        reply = message.reply_to_message
        if reply is None:
            return False
        return reply.message_id == (await state.get_data()).get("msg")


def _is_command(message: Message) -> bool:
    return bool(message.text and message.text.startswith("/") and len(message.text) > 1)


async def on_message(message: Message, state: FSMContext, form: Form, data: dict[str, Any]) -> None:
    ctx = await _context(form, message, state, data)
    stored = await state.get_data()
    name: str = stored.get("step") or ""
    if name in (PREVIEW, FIELDS):
        await hint(ctx, name, "forms.hint_buttons")
        return
    step = form.step(name)
    text = (message.text or "").strip()
    if step.reply_keyboard is not None and text in (_("btn.back"), _("btn.cancel"), _("btn.skip")):
        await _reply_keyboard_button(ctx, step, text)
        return
    if step.parse is None:
        await hint(ctx, name, step.hint or "forms.hint_buttons")
        return
    try:
        value = await _call(step.parse, message, ctx)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        await ask(ctx, name)
        return
    except WrongKind:
        await hint(ctx, name, step.hint or "forms.hint_text")
        return
    if step.reply_keyboard is not None:
        await _take_keyboard_away(ctx, step, value)
    await accept(ctx, step, value)


async def _take_keyboard_away(ctx: FormContext, step: Step, value: Any) -> None:
    text = step.answered(value) if step.answered is not None else _("forms.noted")
    await ctx.message.answer(text, reply_markup=ReplyKeyboardRemove())


class WrongKind(Exception):
    """Raised by a parser for input of the wrong kind (a sticker where text is expected)."""


def text_of(message: Message) -> str:
    """The text of a message, or WrongKind: the usual first line of a text parser."""
    if message.text is None:
        raise WrongKind
    return message.text


async def _reply_keyboard_button(ctx: FormContext, step: Step, text: str) -> None:
    if text == _("btn.skip") and step.optional:
        await _take_keyboard_away(ctx, step, None)
        await accept(ctx, step, None)
    elif text == _("btn.back"):
        await ctx.message.answer(_("common.going_back"), reply_markup=ReplyKeyboardRemove())
        await back(ctx, step.name)
    elif text == _("btn.cancel"):
        await cancel(ctx)
    else:
        await hint(ctx, step.name, step.hint or "forms.hint_text")


async def on_button(
    callback: CallbackQuery, callback_data: FormCb, state: FSMContext, form: Form, data: dict
) -> None:
    stored = await state.get_data()
    message = callback.message
    current = stored.get("step")
    if (
        stored.get("form") != form.name
        or not isinstance(message, Message)
        or message.message_id != stored.get("msg")
        or callback_data.s != current
    ):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    await callback.answer()
    ctx = await _context(form, callback, state, data)
    action = callback_data.a
    if action is FormAction.CANCEL:
        await cancel(ctx)
    elif action is FormAction.BACK:
        await back(ctx, current)
    elif action is FormAction.CONFIRM and current == PREVIEW:
        await _complete(ctx)
    elif action is FormAction.EDIT and current == PREVIEW:
        await ask(ctx, FIELDS)
    elif action is FormAction.FIELD and current == FIELDS:
        await _edit_field(ctx, callback_data.v)
    elif action is FormAction.SKIP and form.step(current).optional:
        await accept(ctx, form.step(current), None)
    elif action is FormAction.PICK and current not in (PREVIEW, FIELDS):
        await _pick(ctx, form.step(current), callback_data.v)
    else:
        await ask(ctx, current)


async def _edit_field(ctx: FormContext, name: str) -> None:
    labelled = {s.name for s in ctx.form.active(ctx.draft) if s.label}
    if name not in labelled:
        await ask(ctx, FIELDS)
        return
    await ctx.state.update_data(editing=True)
    await ask(ctx, name)


async def _pick(ctx: FormContext, step: Step, raw: str) -> None:
    """A pressed choice: only one of the step's own values counts (a forged or old value re-asks);
    ``pick`` then turns it into the field's value."""
    if raw not in {value for _label, value in await choices_of(step, ctx)}:
        await ask(ctx, step.name)
        return
    value: Any = raw
    if step.pick is not None:
        try:
            value = await _call(step.pick, raw, ctx)
        except ValidationFailed as exc:
            await ctx.message.answer(error_text(exc))
            await ask(ctx, step.name)
            return
    await accept(ctx, step, value)


def router_for(form: Form) -> Router:
    """The handlers of one form: its buttons, and messages while the person is in it."""
    router = Router(name=f"form-{form.name}")
    message_filters: list[Any] = [InForm(form)]
    if form.staff:
        message_filters.append(RepliesToDialog())

    async def message_handler(message: Message, state: FSMContext, **data: Any) -> None:
        await on_message(message, state, form, data)

    async def button_handler(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, **data: Any
    ) -> None:
        await on_button(callback, callback_data, state, form, data)

    router.message.register(message_handler, *message_filters)
    router.callback_query.register(button_handler, FormCb.filter(F.f == form.name))
    return router


async def _command_hint(message: Message) -> None:
    await message.answer(_("forms.command_hint"))


class InAnyForm(BaseFilter):
    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if not raw_state or not raw_state.startswith("form:") or not _is_command(message):
            return False
        command = (message.text or "")[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
        return command not in PASS_THROUGH_COMMANDS


def create_guard_router() -> Router:
    """A command in the middle of a form gets a hint; /start, /cancel and /help keep their meaning."""
    router = Router(name="form-guard")
    router.message.register(_command_hint, InAnyForm())
    return router
