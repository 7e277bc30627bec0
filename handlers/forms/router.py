"""The handlers: a form's buttons and messages, and the guard for commands mid-dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter, Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
)
from aiogram.utils.i18n import gettext as _

from handlers.common import error_text
from handlers.forms.flow import (
    accept,
    back,
    cancel,
    choose_field,
    confirm,
    edit_field,
    hint,
    pick,
    reask,
    reply_keyboard_button,
    take_keyboard_away,
)
from handlers.forms.model import (
    FIELDS,
    PASS_THROUGH_COMMANDS,
    PREVIEW,
    Form,
    FormAction,
    FormCb,
    Reask,
    WrongKind,
    call,
)
from handlers.forms.view import ask, context
from keyboards.menu import MenuAction, MenuCb
from services.errors import ValidationFailed

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


class NotACommand(BaseFilter):
    """A command is never a form's answer: the guard hints, /start, /cancel and /help keep their meaning."""

    async def __call__(self, message: Message) -> bool:
        return not _is_command(message)


async def on_message(message: Message, state: FSMContext, form: Form, data: dict[str, Any]) -> None:
    ctx = await context(form, message, state, data)
    stored = await state.get_data()
    name: str = stored.get("step") or ""
    if name in (PREVIEW, FIELDS):
        await hint(ctx, name, "forms.hint_buttons")
        return
    step = form.step(name)
    text = (message.text or "").strip()
    if step.reply_keyboard is not None and text in (_("btn.back"), _("btn.cancel"), _("btn.skip")):
        await reply_keyboard_button(ctx, step, text)
        return
    if step.parse is None:
        await hint(ctx, name, step.hint or "forms.hint_buttons")
        return
    try:
        value = await call(step.parse, message, ctx)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        await ask(ctx, name)
        return
    except WrongKind:
        await hint(ctx, name, step.hint or "forms.hint_text")
        return
    except Reask as reason:
        await reask(ctx, name, reason)
        return
    if step.reply_keyboard is not None:
        await take_keyboard_away(ctx, step, value)
    await accept(ctx, step, value)


async def on_button(
    callback: CallbackQuery, callback_data: FormCb, state: FSMContext, form: Form, data: dict
) -> None:
    stored = await state.get_data()
    message = callback.message
    current = stored.get("step")
    if stored.get("form") != form.name or not isinstance(message, Message) or callback_data.s != current:
        # a button of another step (an older prompt) or of a finished form: out of date
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    await callback.answer()
    ctx = await context(form, callback, state, data)
    action = callback_data.a
    if action is FormAction.CANCEL:
        await cancel(ctx)
    elif action is FormAction.BACK:
        await back(ctx, current)
    elif action is FormAction.CONFIRM and current == PREVIEW:
        await confirm(ctx, callback_data.v)
    elif action is FormAction.EDIT and current == PREVIEW:
        await choose_field(ctx)
    elif action is FormAction.FIELD and current == FIELDS:
        await edit_field(ctx, callback_data.v)
    elif action is FormAction.SKIP and current not in (PREVIEW, FIELDS) and form.step(current).optional:
        await accept(ctx, form.step(current), None)
    elif action is FormAction.PICK and current not in (PREVIEW, FIELDS):
        await pick(ctx, form.step(current), callback_data.v)
    else:
        await ask(ctx, current)


def router_for(form: Form) -> Router:
    """The handlers of one form: its buttons, and messages while the person is in it."""
    router = Router(name=f"form-{form.name}")
    message_filters: list[Any] = [InForm(form), NotACommand()]
    if form.takes_replies_only:
        message_filters.append(RepliesToDialog())

    async def message_handler(message: Message, state: FSMContext, **data: Any) -> None:
        await on_message(message, state, form, data)

    async def cancel_command(message: Message, state: FSMContext, **data: Any) -> None:
        await cancel(await context(form, message, state, data))

    router.message.register(cancel_command, InForm(form), Command("cancel"))

    async def button_handler(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, **data: Any
    ) -> None:
        await on_button(callback, callback_data, state, form, data)

    router.message.register(message_handler, *message_filters)
    router.callback_query.register(button_handler, FormCb.filter(F.f == form.name))
    return router


def register_dialog(
    router: Router, form: Form, begin: Callable[..., Any], command: str, menu: MenuAction, *buttons: Any
) -> None:
    """A resident's dialog on ``router``: ``begin`` on its /``command``, on its main-menu button and on
    the feature's own ``buttons`` (callback filters) that open it; then the form's own handlers."""
    router.message.register(begin, Command(command))
    router.callback_query.register(begin, MenuCb.filter(F.action == menu))
    for button in buttons:
        router.callback_query.register(begin, button)
    router.include_router(router_for(form))


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
