"""First contact: consent asked when a person first acts, the short registration it needs, and the
action done afterwards.

A person who did not register may look at everything open (the menu, «О Центре», events, the catalogue,
ideas). When they act (sign up, book, ask, propose, support...), handlers.common.RequireRegistration
asks for consent with the action carried in the «Даю согласие» button (keyboards/firstcontact.py):
nothing is stored about them before they agree. On consent the short registration asks only what the
action needs (the name, offered from Telegram; «Кто вы»; the organisation only for the groups that
have one; the phone only where staff call back), and then the action is played again through the
dispatcher, as if the person had pressed the button (or typed the command) once more.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from aiogram import Dispatcher, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User, UserStatus
from handlers import forms
from handlers.common import rest_keyboard, settle_question, target
from handlers.forms import Form, FormContext
from handlers.registration.dialog import STEPS
from handlers.registration.views import operator_line
from keyboards.firstcontact import FirstAction, FirstCb, decode_then, join_keyboard
from keyboards.menu import MenuCb, home_only, main_menu
from services import users as users_service
from services.consent import last_consent, needs_consent
from services.errors import DomainError

THEN = "_then"
PHONE = "_phone"
PRIVATE_KEYS = (THEN, PHONE)

# Actions after which staff call the person back: the phone is asked (it stays optional).
CALL_BACK_ACTIONS = (MenuCb(action="consult").pack(), "/consult")


def needs_phone(action: str) -> bool:
    return any(action == a or action.startswith(a + " ") for a in CALL_BACK_ACTIONS)


_steps = {step.name: step for step in STEPS}
QUICK_STEPS = (
    _steps["name"],
    _steps["group"],
    _steps["org"],  # skipped unless the group has an organisation
    replace(_steps["phone"], skip_if=lambda draft: not draft.get(PHONE)),
)


class ReplayedCallback(CallbackQuery):
    """The button pressed before registration, pressed again: its query was answered long ago, so an
    answer is a no-op, and an alert becomes a message."""

    def answer(self, text: str | None = None, show_alert: bool | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if text and isinstance(self.message, Message):
            return self.message.answer(text)
        return asyncio.sleep(0)


async def replay(
    action: str,
    event: Message | CallbackQuery,
    user: User,
    data: dict[str, Any],
    under: Message | None = None,
) -> None:
    """Do ``action`` (callback data or a typed command) for the now registered person, through the
    dispatcher's routers and their middlewares, as a new press or message in this chat. A press is
    made on ``under`` (a message of the bot's, which a handler may edit), by default the one pressed."""
    dispatcher: Dispatcher | None = data.get("dispatcher")
    message = under if under is not None else target(event)
    if dispatcher is None or event.from_user is None:
        return
    bot = data.get("bot") or message.bot
    message = message.as_(bot)  # a reply's result may come unmounted: its shortcuts need the bot
    skip = {"callback_data", "command", "handler", "event_router", "raw_state", "user"}
    kwargs = {k: v for k, v in data.items() if k not in skip}
    kwargs.update(user=user, raw_state=await kwargs["state"].get_state())
    if action.startswith("/"):
        replayed: Message | CallbackQuery = Message(
            message_id=message.message_id,
            date=message.date,
            chat=message.chat,
            from_user=event.from_user,
            text=action,
        ).as_(bot)
        await dispatcher.propagate_event("message", replayed, **kwargs)
        return
    replayed = ReplayedCallback(
        id=event.id if isinstance(event, CallbackQuery) else "0",
        from_user=event.from_user,
        chat_instance=str(message.chat.id),
        message=message,
        data=action,
    ).as_(bot)
    await dispatcher.propagate_event("callback_query", replayed, **kwargs)


async def _finish(ctx: FormContext) -> None:
    then = str(ctx.draft.get(THEN) or "")
    profile = {k: v for k, v in ctx.draft.items() if k not in PRIVATE_KEYS}
    profile["username"] = ctx.event.from_user.username if ctx.event.from_user else None
    try:
        registered = await users_service.complete_registration(ctx.session, ctx.from_id, profile)
    except DomainError as exc:
        await ctx.state.clear()
        await ctx.message.answer(_(exc.key).format(**exc.values), reply_markup=home_only())
        return None
    await ctx.state.clear()
    done = await ctx.message.answer(
        _("fc.done").format(name=hd.quote(registered.first_name)), reply_markup=rest_keyboard(ctx.message)
    )
    if then:
        await replay(then, ctx.event, registered, {**ctx.data, "state": ctx.state}, under=done)
    else:
        await ctx.message.answer(_("menu.title"), reply_markup=main_menu())
    return None


async def _leave(ctx: FormContext) -> None:
    await ctx.message.answer(_("fc.later"), reply_markup=home_only())


QUICK = Form(name="rq", steps=QUICK_STEPS, finish=_finish, step_header="reg.step", on_exit=_leave)


async def begin(event: CallbackQuery, state: FSMContext, data: dict[str, Any], then: str) -> None:
    draft = {THEN: then, PHONE: needs_phone(then)} if then else {}
    await forms.start(QUICK, event, state, data, draft=draft)


async def agree(
    callback: CallbackQuery,
    callback_data: FirstCb,
    session: AsyncSession,
    user: User | None,
    settings: Any,
    state: FSMContext,
    **data: Any,
) -> None:
    """«Даю согласие»: consent logged (the person's row made), then the short registration, or the
    action at once for a person who is registered already."""
    await callback.answer()
    then = decode_then(callback_data.then)
    # Before consent the handlers got a state kept in memory only; from now on the real one.
    state = data.pop("persistent_state", None) or state
    await state.clear()
    fresh = user is None or user.status not in (UserStatus.CONSENTED, UserStatus.REGISTERED)
    if fresh or needs_consent(await last_consent(session, user.id), settings.policy_version):
        user = await users_service.give_consent(session, callback.from_user.id, settings.policy_version)
    await target(callback).edit_reply_markup(reply_markup=None)
    data.update(session=session, user=user, settings=settings)
    if user.is_registered:
        if then:
            await replay(then, callback, user, {**data, "state": state})
        else:
            await target(callback).answer(_("menu.title"), reply_markup=main_menu())
        return
    await begin(callback, state, data, then)


async def policy(callback: CallbackQuery, callback_data: FirstCb, settings: Any) -> None:
    await callback.answer()
    await target(callback).answer(
        _("consent.policy").format(
            version=settings.policy_version, operator=hd.quote(operator_line(settings))
        ),
        reply_markup=join_keyboard(callback_data.then),
    )


async def not_now(callback: CallbackQuery) -> None:
    await settle_question(callback, _("fc.later"), home_only())


def create_router() -> Router:
    router = Router(name="first-contact")
    router.callback_query.register(agree, FirstCb.filter(F.a == FirstAction.YES))
    router.callback_query.register(policy, FirstCb.filter(F.a == FirstAction.POLICY))
    router.callback_query.register(not_now, FirstCb.filter(F.a == FirstAction.NO))
    router.include_router(forms.router_for(QUICK))
    return router
