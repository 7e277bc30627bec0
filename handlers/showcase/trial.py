"""The provider's application for the social-business trial office, on the form engine: the first
and the last day, the purpose, then the summary with «Подтвердить» / «Изменить поле»; staff decide in
the admin chat."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db import clock
from db.models import User
from db.models.showcase import TrialApplication
from handlers import forms
from handlers.common import menu_for
from handlers.forms import Form, FormContext, Step, text_of
from handlers.showcase.views import back_to_hub, esc, refused_to_non_provider, show, trial_staff_text
from handlers.workspace import staff_thread
from keyboards.showcase import CardAction, CardCb, trial_status_label
from keyboards.showcase_provider import trial_hub_keyboard
from keyboards.showcase_staff import trial_decision_keyboard
from services import dates
from services import showcase as svc
from services.errors import ValidationFailed
from services.plural import plural

log = logging.getLogger(__name__)


def _today(settings: Any) -> date:
    return clock.current().today(settings.tz)


def _fmt(iso: str | None) -> str:
    return dates.day_text(date.fromisoformat(iso), _) if iso else "—"


def _first_day(message: Message, ctx: FormContext) -> str:
    today = _today(ctx.settings)
    value = svc.parse_date(text_of(message), today)
    svc.check_trial_dates(value, value, today)
    return value.isoformat()


def _last_day(message: Message, ctx: FormContext) -> str:
    today = _today(ctx.settings)
    value = svc.parse_date(text_of(message), today)
    if not ctx.draft.get("from"):
        raise ValidationFailed("showcase.bad_date")
    svc.check_trial_dates(date.fromisoformat(ctx.draft["from"]), value, today)
    return value.isoformat()


def _summary(ctx: FormContext) -> str:
    draft = ctx.draft
    return _("showcase.trial_summary").format(
        start=_fmt(draft.get("from")), end=_fmt(draft.get("to")), purpose=esc(draft.get("purpose"))
    )


async def trial_hub(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
    if await refused_to_non_provider(callback, user):
        return
    assert user is not None
    await callback.answer()
    lines = [_("showcase.trial_intro")]
    for application in await svc.trial_applications(session, user.id):
        lines.append(
            _("showcase.trial_line").format(
                start=dates.day_text(application.date_from, _),
                end=dates.day_text(application.date_to, _),
                status=trial_status_label(application.status),
            )
        )
    await show(callback, "\n".join(lines), trial_hub_keyboard())


async def _tell_staff(desk: Desk, user: User, application: TrialApplication) -> None:
    if desk.settings.admin_chat_id is None:
        return
    with desk.i18n.use_locale(desk.settings.default_locale):
        text = trial_staff_text(application, user)
        markup = trial_decision_keyboard(application.id)
        thread = await staff_thread(desk, "catalogue")
    try:
        await desk.bot.send_message(
            desk.settings.admin_chat_id, text, reply_markup=markup, message_thread_id=thread
        )
    except Exception:
        log.warning("could not post trial application %s", application.id, exc_info=True)


async def _send(ctx: FormContext) -> None:
    """«Подтвердить»: the application is saved, the provider told, staff get it with the buttons."""
    draft, user = ctx.draft, ctx.user
    application = await svc.create_trial(
        ctx.session,
        ctx.from_id,
        date.fromisoformat(draft["from"]),
        date.fromisoformat(draft["to"]),
        draft.get("purpose") or "",
        _today(ctx.settings),
        pending_limit=ctx.settings.approval_pending_limit,
    )
    await ctx.state.clear()
    await ctx.message.answer(_("showcase.trial_sent"), reply_markup=menu_for(user))
    assert user is not None
    await _tell_staff(ctx.desk, user, application)


TRIAL = Form(
    name="trial",
    steps=(
        Step(
            "from",
            lambda ctx: _("showcase.ask_trial_from").format(
                example=_today(ctx.settings).strftime("%d.%m.%Y")
            ),
            parse=_first_day,
            label="showcase.trial_field_from",
        ),
        Step(
            "to",
            lambda ctx: plural(
                _, "showcase.ask_trial_to", svc.TRIAL_MAX_DAYS, start=_fmt(ctx.draft.get("from"))
            ),
            parse=_last_day,
            label="showcase.trial_field_to",
        ),
        Step(
            "purpose",
            lambda ctx: plural(_, "showcase.ask_trial_purpose", svc.PURPOSE_MAX),
            parse=lambda message, ctx: svc.clean_purpose(text_of(message)),
            label="showcase.trial_field_purpose",
        ),
    ),
    finish=_send,
    preview=_summary,
    on_exit=back_to_hub,
)


async def trial_new(callback: CallbackQuery, state: FSMContext, user: User | None, **data: Any) -> None:
    if await refused_to_non_provider(callback, user):
        return
    await callback.answer()
    await forms.start(TRIAL, callback, state, {**data, "user": user})


def register(router: Router) -> None:
    router.callback_query.register(trial_hub, CardCb.filter(F.a == CardAction.TRIAL))
    router.callback_query.register(trial_new, CardCb.filter(F.a == CardAction.TRIAL_NEW))
    router.include_router(forms.router_for(TRIAL))
