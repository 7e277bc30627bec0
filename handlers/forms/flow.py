"""Answers and moves: accept, back, cancel, finish, the preview's «Изменить поле»."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.common import error_text, menu_for, rest_keyboard
from handlers.forms.model import FIELDS, PREVIEW, STAY, Form, FormContext, Reask, Step, call, confirms_of
from handlers.forms.view import ask, choices_of, context, drop_buttons, save
from services.errors import DomainError, ValidationFailed
from services.plural import keyed_text

# --- answers ----------------------------------------------------------------------------------


async def accept(ctx: FormContext, step: Step, value: Any) -> None:
    """Store one answer and go on: the next step, the preview (after an edit too), or finish.
    ``STAY`` (the step changed the draft itself) shows the same step again."""
    if value is STAY:
        await save(ctx, step.name)
        await ask(ctx, step.name)
        return
    ctx.draft[step.key] = value
    stored = await ctx.state.get_data()
    if stored.get("editing"):
        active = {s.name for s in ctx.form.active(ctx.draft)}
        follow = next((name for name in step.edit_with if name in active), None)
        if follow is not None:
            await save(ctx, follow)
            await ask(ctx, follow)
            return
        await ctx.state.update_data(editing=False)
        await save(ctx, PREVIEW)
        await ask(ctx, PREVIEW)
        return
    if ctx.single:
        await complete(ctx)
        return
    names = [s.name for s in ctx.form.active(ctx.draft)]
    position = names.index(step.name) if step.name in names else len(names) - 1
    if position + 1 < len(names):
        await save(ctx, names[position + 1])
        await ask(ctx, names[position + 1])
        return
    if ctx.form.preview is not None and not stored.get("finishing"):
        await save(ctx, PREVIEW)
        await ask(ctx, PREVIEW)
        return
    await complete(ctx)


async def complete(ctx: FormContext) -> None:
    """All answered (and confirmed): ``finish`` saves; the form's state is left unless finish moved on.
    The dialog message loses its buttons first, so a second press cannot finish twice."""
    stored = await ctx.state.get_data()
    if isinstance(ctx.event, CallbackQuery):
        await drop_buttons(ctx, stored.get("msg"))
    try:
        follow = await ctx.form.finish(ctx)
    except DomainError as exc:
        await ctx.message.answer(error_text(exc))
        if await ctx.state.get_state() == ctx.form.state.state:
            stored = await ctx.state.get_data()
            await ask(ctx, stored.get("step") or ctx.form.active(ctx.draft)[-1].name)
        return
    if follow:  # the steps asked after the confirmation end in finish again, not in the preview
        await save(ctx, follow, finishing=True)
        await ask(ctx, follow)
        return
    if await ctx.state.get_state() == ctx.form.state.state:
        await ctx.state.clear()


async def hint(ctx: FormContext, step_name: str, key: str) -> None:
    await ctx.message.answer(_(key))
    await ask(ctx, step_name)


async def reask(ctx: FormContext, step_name: str, reason: Reask) -> None:
    """A parser or pick kept the dialog going (see Reask): its note, then the step it names."""
    if reason.key:
        await ctx.message.answer(keyed_text(_, reason.key, reason.values))
    await ask(ctx, reason.at or step_name)


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
    step = ctx.form.step(step_name)
    went = await call(step.on_back, ctx) if step.on_back is not None else None
    if went:  # True: the step handled it; a step name (the preview too): go there
        where = went if isinstance(went, str) else step_name
        await save(ctx, where, finishing=False)
        await ask(ctx, where)
        return
    position = names.index(step_name) if step_name in names else 0
    if ctx.single or position == 0:
        await exit_form(ctx)
        return
    await ask(ctx, names[position - 1])


async def exit_form(ctx: FormContext) -> None:
    stored = await ctx.state.get_data()
    await drop_buttons(ctx, stored.get("msg"))
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
            await ctx.event.message.edit_text(_(ctx.form.cancelled), reply_markup=None)
        except TelegramAPIError:
            await drop_buttons(ctx, stored.get("msg"))
    else:
        await drop_buttons(ctx, stored.get("msg"))
        await ctx.message.answer(_(ctx.form.cancelled), reply_markup=rest_keyboard(ctx.message))
    if ctx.form.staff:
        return
    await ctx.message.answer(_("menu.title"), reply_markup=menu_for(ctx.user))


async def take_keyboard_away(ctx: FormContext, step: Step, value: Any) -> None:
    text = step.answered(value) if step.answered is not None else _("forms.noted")
    await ctx.message.answer(text, reply_markup=rest_keyboard(ctx.message))


async def reply_keyboard_button(ctx: FormContext, step: Step, text: str) -> None:
    if text == _("btn.skip") and step.optional:
        await take_keyboard_away(ctx, step, None)
        await accept(ctx, step, None)
    elif text == _("btn.back"):
        await ctx.message.answer(_("common.going_back"), reply_markup=rest_keyboard(ctx.message))
        await back(ctx, step.name)
    elif text == _("btn.cancel"):
        await cancel(ctx)
    else:
        await hint(ctx, step.name, step.hint or "forms.hint_text")


async def confirm(ctx: FormContext, value: str) -> None:
    """A confirm button of the preview: only one of the form's own values counts (else re-ask)."""
    if value not in {v for _key, v in await confirms_of(ctx)}:
        await ask(ctx, PREVIEW)
        return
    ctx.extra["confirm"] = value
    await complete(ctx)


async def choose_field(ctx: FormContext) -> None:
    """«Изменить поле»: the list of fields, or the field itself when there is only one."""
    labelled = [s.name for s in ctx.form.active(ctx.draft) if s.label]
    if len(labelled) == 1:
        await edit_field(ctx, labelled[0])
        return
    await ask(ctx, FIELDS)


async def edit_field(ctx: FormContext, name: str) -> None:
    labelled = {s.name for s in ctx.form.active(ctx.draft) if s.label}
    if name not in labelled:
        await ask(ctx, FIELDS)
        return
    await ctx.state.update_data(editing=True)
    await ask(ctx, name)


async def pick(ctx: FormContext, step: Step, raw: str) -> None:
    """A pressed choice: only one of the step's own values counts (a forged or old value re-asks);
    ``pick`` then turns it into the field's value."""
    if raw not in {value for _label, value in await choices_of(step, ctx)}:
        await ask(ctx, step.name)
        return
    value: Any = raw
    if step.pick is not None:
        try:
            value = await call(step.pick, raw, ctx)
        except ValidationFailed as exc:
            await ctx.message.answer(error_text(exc))
            await ask(ctx, step.name)
            return
        except Reask as reason:
            await reask(ctx, step.name, reason)
            return
    await accept(ctx, step, value)


# --- beginning ---------------------------------------------------------------------------------


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
    ctx = await context(form, event, state, data)
    if at is None:
        steps = form.active(ctx.draft)
        if not steps:
            await complete(ctx)
            return
        at = steps[0].name
    await ask(ctx, at)


async def restart_prompt(form: Form, event: Message | CallbackQuery, state: FSMContext, data: dict) -> None:
    """Show the current step again (e.g. after a hint from outside the engine)."""
    ctx = await context(form, event, state, data)
    stored = await state.get_data()
    await ask(ctx, stored.get("step") or form.active(ctx.draft)[0].name)
