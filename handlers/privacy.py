"""/privacy: what is stored, a copy of it as a file, and erasure after confirmation."""

from __future__ import annotations

import json
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.repositories import users as users_repo
from handlers.common import target
from handlers.filters import private_only
from keyboards.menu import MenuCb, public_menu
from keyboards.privacy import PrivacyCb, confirm_erase_keyboard, confirm_withdraw_keyboard, privacy_keyboard
from services import privacy as privacy_service


async def show_privacy(message: Message, user: User | None, session: AsyncSession) -> None:
    if user is None:
        await message.answer(_("privacy.nothing_stored"), reply_markup=public_menu())
        return
    consents = await users_repo.consents(session, user.id)
    given = next((c for c in reversed(consents) if c.action == "given"), None)
    await message.answer(
        _("privacy.summary").format(
            version=given.policy_version if given else "—",
            date=given.at.strftime("%d.%m.%Y") if given else "—",
        ),
        reply_markup=privacy_keyboard(),
    )


def create_router() -> Router:
    router = Router(name="privacy")
    private_only(router)

    @router.message(Command("privacy"))
    async def cmd_privacy(
        message: Message, state: FSMContext, user: User | None, session: AsyncSession
    ) -> None:
        await state.clear()
        await show_privacy(message, user, session)

    @router.callback_query(MenuCb.filter(F.action == "privacy"))
    async def menu_privacy(callback: CallbackQuery, user: User | None, session: AsyncSession) -> None:
        await callback.answer()
        await show_privacy(target(callback), user, session)

    @router.callback_query(PrivacyCb.filter(F.action == "export"))
    async def export(callback: CallbackQuery, user: User | None, session: AsyncSession) -> None:
        await callback.answer()
        if user is None:
            await target(callback).answer(_("privacy.nothing_stored"))
            return
        data = await privacy_service.export(session, user)
        payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
        await target(callback).answer_document(
            BufferedInputFile(payload, filename="my_data.json"), caption=_("privacy.export_caption")
        )

    @router.callback_query(PrivacyCb.filter(F.action == "erase"))
    async def erase_ask(callback: CallbackQuery, user: User | None) -> None:
        await callback.answer()
        if user is None:
            await target(callback).answer(_("privacy.nothing_stored"))
            return
        await target(callback).answer(_("privacy.erase_confirm"), reply_markup=confirm_erase_keyboard())

    @router.callback_query(PrivacyCb.filter(F.action == "withdraw"))
    async def withdraw_ask(callback: CallbackQuery, user: User | None) -> None:
        await callback.answer()
        if user is None:
            await target(callback).answer(_("privacy.nothing_stored"))
            return
        await target(callback).answer(_("privacy.withdraw_confirm"), reply_markup=confirm_withdraw_keyboard())

    @router.callback_query(PrivacyCb.filter(F.action.in_({"erase_yes", "withdraw_yes"})))
    async def erase_yes(
        callback: CallbackQuery, state: FSMContext, user: User | None, session: AsyncSession, settings: Any
    ) -> None:
        await callback.answer()
        if user is None:
            await target(callback).answer(_("privacy.nothing_stored"))
            return
        await privacy_service.erase(session, callback.from_user.id, settings.policy_version)
        await state.clear()
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("privacy.erased"), reply_markup=public_menu())

    @router.callback_query(PrivacyCb.filter(F.action == "erase_no"))
    async def erase_no(callback: CallbackQuery) -> None:
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("privacy.erase_kept"))

    return router
