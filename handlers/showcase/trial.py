"""The provider's application for the social-business trial office: the first and the last day,
the purpose, then «Отправить»; staff decide in the admin chat."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db import clock
from db.models import User
from db.models.showcase import TrialApplication
from handlers.common import error_text, menu_for, target
from handlers.showcase.views import esc, refused_to_non_provider, show, show_hub, trial_staff_text
from keyboards.common import NavCb, nav_keyboard
from keyboards.showcase import CardAction, CardCb, FormCb, FormField, trial_status_label
from keyboards.showcase_provider import trial_confirm_keyboard, trial_hub_keyboard
from keyboards.showcase_staff import trial_decision_keyboard
from services import showcase as svc
from services.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

NOT_A_COMMAND = ~F.text.startswith("/")
ORDER = ("date_from", "date_to", "purpose", "confirm")


class TrialForm(StatesGroup):
    date_from = State()
    date_to = State()
    purpose = State()
    confirm = State()


def _step_of(state_name: str | None) -> str:
    return state_name.split(":")[1] if state_name and ":" in state_name else "date_from"


def _today(settings: Any) -> date:
    return clock.current().today(settings.tz)


def _fmt(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else "—"


async def _trial(state: FSMContext) -> dict[str, Any]:
    return (await state.get_data()).get("sc_trial") or {}


async def ask_trial(event: Message | CallbackQuery, state: FSMContext, step: str, settings: Any) -> None:
    await state.set_state(getattr(TrialForm, step))
    trial = await _trial(state)
    if step == "date_from":
        text = _("showcase.ask_trial_from").format(example=_today(settings).strftime("%d.%m.%Y"))
    elif step == "date_to":
        text = _("showcase.ask_trial_to").format(start=_fmt(trial.get("from")), days=svc.TRIAL_MAX_DAYS)
    elif step == "purpose":
        text = _("showcase.ask_trial_purpose").format(max=svc.PURPOSE_MAX)
    else:
        text = _("showcase.trial_summary").format(
            start=_fmt(trial.get("from")), end=_fmt(trial.get("to")), purpose=esc(trial.get("purpose"))
        )
    markup = trial_confirm_keyboard() if step == "confirm" else nav_keyboard()
    await target(event).answer(text, reply_markup=markup)


async def trial_hub(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
    if await refused_to_non_provider(callback, user):
        return
    assert user is not None
    await callback.answer()
    lines = [_("showcase.trial_intro")]
    for application in await svc.trial_applications(session, user.id):
        lines.append(
            _("showcase.trial_line").format(
                start=application.date_from.strftime("%d.%m.%Y"),
                end=application.date_to.strftime("%d.%m.%Y"),
                status=trial_status_label(application.status),
            )
        )
    await show(callback, "\n".join(lines), trial_hub_keyboard())


async def trial_new(callback: CallbackQuery, state: FSMContext, user: User | None, settings: Any) -> None:
    if await refused_to_non_provider(callback, user):
        return
    await callback.answer()
    await state.update_data(sc_trial={})
    await ask_trial(callback, state, "date_from", settings)


async def trial_date(message: Message, state: FSMContext, settings: Any) -> None:
    step = _step_of(await state.get_state())
    trial = await _trial(state)
    today = _today(settings)
    try:
        value = svc.parse_date(message.text, today)
        start = value if step == "date_from" else date.fromisoformat(trial["from"])
        svc.check_trial_dates(start, value, today)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    except KeyError:
        await message.answer(_("showcase.bad_date"))
        return
    trial["from" if step == "date_from" else "to"] = value.isoformat()
    await state.update_data(sc_trial=trial)
    await ask_trial(message, state, "date_to" if step == "date_from" else "purpose", settings)


async def trial_purpose(message: Message, state: FSMContext, settings: Any) -> None:
    try:
        purpose = svc.clean_purpose(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    trial = await _trial(state)
    trial["purpose"] = purpose
    await state.update_data(sc_trial=trial)
    await ask_trial(message, state, "confirm", settings)


async def _tell_staff(bot: Bot, i18n: I18n, settings: Any, user: User, application: TrialApplication) -> None:
    if settings.admin_chat_id is None:
        return
    with i18n.use_locale(settings.default_locale):
        text = trial_staff_text(application, user)
        markup = trial_decision_keyboard(application.id)
    try:
        await bot.send_message(settings.admin_chat_id, text, reply_markup=markup)
    except Exception:
        log.warning("could not post trial application %s", application.id, exc_info=True)


async def trial_send(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    bot: Bot,
    i18n: I18n,
    settings: Any,
) -> None:
    trial = await _trial(state)
    try:
        application = await svc.create_trial(
            session,
            callback.from_user.id,
            date.fromisoformat(trial["from"]),
            date.fromisoformat(trial["to"]),
            trial.get("purpose") or "",
            _today(settings),
            pending_limit=settings.approval_pending_limit,
        )
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer()
    await target(callback).edit_reply_markup(reply_markup=None)
    await state.set_state(None)
    await state.update_data(sc_trial=None)
    await target(callback).answer(_("showcase.trial_sent"), reply_markup=menu_for(user))
    assert user is not None
    await _tell_staff(bot, i18n, settings, user, application)


async def trial_back(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, settings: Any
) -> None:
    await callback.answer()
    step = _step_of(await state.get_state())
    index = ORDER.index(step) if step in ORDER else 0
    if index == 0:
        await state.set_state(None)
        await show_hub(callback, session, user)
        return
    await ask_trial(callback, state, ORDER[index - 1], settings)


async def trial_wrong(message: Message, state: FSMContext, settings: Any) -> None:
    step = _step_of(await state.get_state())
    await message.answer(_("showcase.hint_buttons") if step == "confirm" else _("showcase.hint_text"))
    await ask_trial(message, state, step, settings)


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    cb(trial_hub, CardCb.filter(F.a == CardAction.TRIAL))
    cb(trial_new, CardCb.filter(F.a == CardAction.TRIAL_NEW))
    msg(trial_date, StateFilter(TrialForm.date_from, TrialForm.date_to), F.text, NOT_A_COMMAND)
    msg(trial_purpose, TrialForm.purpose, F.text, NOT_A_COMMAND)
    cb(trial_send, TrialForm.confirm, FormCb.filter(F.f == FormField.TRIAL_SEND))
    cb(trial_back, StateFilter(TrialForm), NavCb.filter(F.action == "back"))
    msg(trial_wrong, StateFilter(TrialForm), NOT_A_COMMAND)
