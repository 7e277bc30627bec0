"""/profile: the person's card and editing one field of it on the registration's steps."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from db.models import User
from handlers import forms
from handlers.common import action_of, ask_to_join, target
from handlers.registration.dialog import PROFILE
from handlers.registration.views import show_profile
from keyboards.menu import MenuCb
from keyboards.registration import ProfileCb


async def cmd_profile(message: Message, state: FSMContext, user: User | None) -> None:
    await state.clear()
    if user is None or not user.is_registered:
        await ask_to_join(message, action_of(message))
        return
    await show_profile(message, user)


async def menu_profile(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
    await state.clear()
    if user is None or not user.is_registered:
        await ask_to_join(callback, action_of(callback))
        return
    await callback.answer()
    await show_profile(target(callback), user)


async def profile_edit(
    callback: CallbackQuery, callback_data: ProfileCb, state: FSMContext, user: User | None, **data: Any
) -> None:
    names = {step.name for step in PROFILE.steps}
    if user is None or not user.is_registered or callback_data.field not in names:
        await ask_to_join(callback, action_of(callback))
        return
    await callback.answer()
    # Only the edited field (and the organisation, asked after a role change) is saved.
    draft = {"organisation": user.organisation} if user.organisation else {}
    data["user"] = user
    await forms.start(PROFILE, callback, state, data, draft=draft, at=callback_data.field, single=True)


def create_router() -> Router:
    router = Router(name="profile")
    router.message.register(cmd_profile, Command("profile"))
    router.callback_query.register(menu_profile, MenuCb.filter(F.action == "profile"))
    router.callback_query.register(profile_edit, ProfileCb.filter())
    return router
