"""/start and consent to personal-data processing (152-ФЗ), then the registration dialog."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import settle_question, target
from handlers.registration.dialog import begin_registration, welcome_or_resume
from handlers.registration.views import operator_line
from keyboards.menu import MenuCb, home_reply, main_menu, public_menu
from keyboards.privacy import confirm_withdraw_keyboard
from keyboards.registration import ConsentAnswer, ConsentCb, consent_keyboard
from services import users as users_service
from services.consent import GATED_STATUSES, last_consent, needs_consent


async def cmd_start(message: Message, state: FSMContext, user: User | None, **data: Any) -> None:
    await state.clear()
    await welcome_or_resume(message, state, user, data)


async def show_consent(callback: CallbackQuery) -> None:
    await callback.answer()
    await target(callback).answer(_("consent.short"), reply_markup=consent_keyboard())


async def consent_policy(callback: CallbackQuery, settings: Any) -> None:
    await callback.answer()
    await target(callback).answer(
        _("consent.policy").format(
            version=settings.policy_version, operator=hd.quote(operator_line(settings))
        ),
        reply_markup=consent_keyboard(),
    )


async def renew(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    await users_service.give_consent(session, callback.from_user.id, settings.policy_version)
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(
        _("consent.renewed").format(version=settings.policy_version), reply_markup=main_menu()
    )


async def consent_renew(
    callback: CallbackQuery, session: AsyncSession, user: User | None, settings: Any
) -> None:
    await callback.answer()
    if user is None or user.status not in GATED_STATUSES:
        await target(callback).answer(_("consent.short"), reply_markup=consent_keyboard())
        return
    await renew(callback, session, settings)


async def consent_renew_no(callback: CallbackQuery) -> None:
    await settle_question(callback, _("consent.renew_refused"), confirm_withdraw_keyboard())


async def consent_no(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
    await state.clear()
    await callback.answer()
    if user is not None and user.is_registered:
        await target(callback).answer(_("consent.already_registered"), reply_markup=main_menu())
        return
    await target(callback).answer(_("consent.refused"), reply_markup=public_menu())


async def consent_yes(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    settings: Any,
    **data: Any,
) -> None:
    await callback.answer()
    if user is not None and user.is_registered:
        if needs_consent(await last_consent(session, user.id), settings.policy_version):
            await renew(callback, session, settings)  # asked again: the policy changed
            return
        await target(callback).answer(_("consent.already_registered"), reply_markup=main_menu())
        return
    state = data.pop("persistent_state", None) or state  # before consent the state was kept in memory only
    await state.clear()
    await users_service.give_consent(session, callback.from_user.id, settings.policy_version)
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(_("consent.thanks"), reply_markup=home_reply())  # «🏠 Меню» from now on
    data.update(session=session, user=user, settings=settings)
    await begin_registration(callback, state, data)


def create_router() -> Router:
    router = Router(name="registration-start")
    router.message.register(cmd_start, CommandStart())
    router.callback_query.register(show_consent, MenuCb.filter(F.action == "consent"))
    router.callback_query.register(consent_policy, ConsentCb.filter(F.answer == ConsentAnswer.POLICY))
    router.callback_query.register(consent_renew, ConsentCb.filter(F.answer == ConsentAnswer.RENEW))
    router.callback_query.register(consent_renew_no, ConsentCb.filter(F.answer == ConsentAnswer.RENEW_NO))
    router.callback_query.register(consent_no, ConsentCb.filter(F.answer == ConsentAnswer.NO))
    router.callback_query.register(consent_yes, ConsentCb.filter(F.answer == ConsentAnswer.YES))
    return router
