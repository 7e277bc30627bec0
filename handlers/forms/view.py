"""Showing a step: the prompt, its buttons, the dialog message edited in place."""

from __future__ import annotations

import functools
import logging
from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _

from handlers.forms.model import (
    FIELDS,
    PREVIEW,
    Form,
    FormAction,
    FormCb,
    FormContext,
    Step,
    call,
    confirms_of,
)

log = logging.getLogger(__name__)


# --- state ------------------------------------------------------------------------------------


async def context(form: Form, event: Message | CallbackQuery, state: FSMContext, data: dict) -> FormContext:
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


async def save(ctx: FormContext, step: str, **more: Any) -> None:
    stored = await ctx.state.get_data()
    stored.update(form=ctx.form.name, step=step, draft=ctx.draft, extra=ctx.extra, single=ctx.single, **more)
    await ctx.state.set_state(ctx.form.state)
    await ctx.state.set_data(stored)
    if ctx.form.on_save is not None:
        await ctx.form.on_save(ctx, step)


# --- showing a step ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _callback_data(form: str, step: str, action: FormAction, value: str) -> str:
    """A button's packed FormCb: the same few per step, packed once (pydantic's model and pack are
    most of a keyboard's cost)."""
    return FormCb(f=form, s=step, a=action, v=value).pack()


def _button(form: Form, step: str, action: FormAction, text: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=_callback_data(form.name, step, action, value))


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


async def rows_of(step: Step, ctx: FormContext) -> list[list[tuple[str, str]]]:
    """The step's (label, value) buttons in rows: ``rows`` as given, or ``choices`` by ``width``."""
    if step.rows is not None:
        return [list(row) for row in await call(step.rows, ctx)]
    items = list(await call(step.choices, ctx)) if step.choices is not None else []
    return [items[i : i + step.width] for i in range(0, len(items), step.width)]


async def choices_of(step: Step, ctx: FormContext) -> list[tuple[str, str]]:
    return [item for row in await rows_of(step, ctx) for item in row]


async def _keyboard(step: Step, ctx: FormContext) -> InlineKeyboardMarkup:
    rows = [
        [_button(ctx.form, step.name, FormAction.PICK, label, value) for label, value in row]
        for row in await rows_of(step, ctx)
    ]
    rows += _nav(ctx.form, step.name, skip=step.optional)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _prompt_text(step: Step, ctx: FormContext) -> str:
    text = _(step.prompt) if isinstance(step.prompt, str) else await call(step.prompt, ctx)
    if ctx.form.step_header and not ctx.single:
        active = ctx.form.active(ctx.draft)
        names = [s.name for s in active]
        if step.name in names:
            header = _(ctx.form.step_header).format(n=names.index(step.name) + 1, total=len(names))
            text = header + "\n" + text
    return text


async def show(
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
            await save(ctx, step)
            return
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                await save(ctx, step)
                return
            log.info("form %s: edit failed (%s), sending anew", ctx.form.name, exc)
    await drop_buttons(ctx, current)
    sent = await ctx.message.answer(text, reply_markup=markup)
    await save(ctx, step, msg=None if isinstance(markup, ReplyKeyboardMarkup) else sent.message_id)


async def drop_buttons(ctx: FormContext, message_id: int | None) -> None:
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
        await show(ctx, text, step.reply_keyboard(ctx), name)
        return
    await show(ctx, text, await _keyboard(step, ctx), name)


async def _show_preview(ctx: FormContext) -> None:
    assert ctx.form.preview is not None
    text = await call(ctx.form.preview, ctx)
    form = ctx.form
    rows = [
        [_button(form, PREVIEW, FormAction.CONFIRM, _(key), value)] for key, value in await confirms_of(ctx)
    ]
    if any(s.label for s in form.active(ctx.draft)):
        rows.append([_button(form, PREVIEW, FormAction.EDIT, _(form.edit_label))])
    rows += _nav(form, PREVIEW)
    await show(ctx, text, InlineKeyboardMarkup(inline_keyboard=rows), PREVIEW)


async def _show_fields(ctx: FormContext) -> None:
    form = ctx.form
    rows = [
        [_button(form, FIELDS, FormAction.FIELD, _(step.label), step.name)]
        for step in form.active(ctx.draft)
        if step.label
    ]
    rows += _nav(form, FIELDS)
    await show(ctx, _("forms.which_field"), InlineKeyboardMarkup(inline_keyboard=rows), FIELDS)
