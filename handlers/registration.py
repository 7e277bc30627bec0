"""/start, consent (152-ФЗ), the registration dialog and /profile (which reuses its steps)."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User, UserStatus
from handlers.common import cancel_dialog, error_text, target
from handlers.filters import private_only
from keyboards.common import NavCb
from keyboards.menu import MenuCb, main_menu, public_menu
from keyboards.privacy import confirm_withdraw_keyboard
from keyboards.registration import (
    ConsentCb,
    ProfileCb,
    RegCb,
    consent_keyboard,
    district_keyboard,
    name_keyboard,
    news_keyboard,
    organisation_keyboard,
    phone_keyboard,
    profile_keyboard,
    target_group_keyboard,
)
from services import users as users_service
from services.consent import GATED_STATUSES, last_consent, needs_consent
from services.errors import DomainError, ValidationFailed


class Reg(StatesGroup):
    name = State()
    group = State()
    org = State()
    district = State()
    phone = State()
    news = State()


STEPS = ("name", "group", "org", "district", "phone", "news")
STATES = {step: getattr(Reg, step) for step in STEPS}
FIELD_OF_STEP = {
    "name": "full_name",
    "group": "target_group",
    "org": "organisation",
    "district": "district",
    "phone": "phone",
    "news": "news_opt_in",
}


def _steps_for(profile: dict[str, Any]) -> list[str]:
    return [s for s in STEPS if s != "org" or users_service.needs_organisation(profile.get("target_group"))]


def _telegram_name(event: Message | CallbackQuery) -> str | None:
    user = event.from_user
    if user is None:
        return None
    try:
        return users_service.clean_name(user.full_name)
    except ValidationFailed:
        return None


async def ask(event: Message | CallbackQuery, state: FSMContext, step: str) -> None:
    """Show the prompt of ``step`` and move the dialog there."""
    data = await state.get_data()
    profile: dict[str, Any] = data.get("profile", {})
    editing = bool(data.get("edit"))
    message = target(event)
    await state.set_state(STATES[step])
    steps = _steps_for(profile)
    header = "" if editing else _("reg.step").format(n=steps.index(step) + 1, total=len(steps)) + "\n"
    if step == "name":
        await message.answer(header + _("reg.ask_name"), reply_markup=name_keyboard(_telegram_name(event)))
    elif step == "group":
        await message.answer(
            header + _("reg.ask_group"), reply_markup=target_group_keyboard(users_service.TARGET_GROUPS)
        )
    elif step == "org":
        await message.answer(
            header + _("reg.ask_organisation"),
            reply_markup=organisation_keyboard(profile.get("organisation")),
        )
    elif step == "district":
        await message.answer(
            header + _("reg.ask_district"), reply_markup=district_keyboard(users_service.DISTRICTS)
        )
    elif step == "phone":
        await message.answer(header + _("reg.ask_phone"), reply_markup=phone_keyboard())
    elif step == "news":
        await message.answer(header + _("reg.ask_news"), reply_markup=news_keyboard())


async def _accept(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    step: str,
    value: Any,
) -> None:
    """Store one answer and go on: the next step, or (editing) save and show the profile."""
    data = await state.get_data()
    profile: dict[str, Any] = data.get("profile", {})
    profile[FIELD_OF_STEP[step]] = value
    await state.update_data(profile=profile)
    if step == "phone" and isinstance(event, Message):
        await event.answer(
            _("reg.phone_saved") if value else _("reg.phone_skipped"), reply_markup=ReplyKeyboardRemove()
        )
    if data.get("edit"):
        if step == "group" and users_service.needs_organisation(value) and not (user and user.organisation):
            await ask(event, state, "org")
            return
        assert event.from_user is not None
        try:
            updated = await users_service.update_profile(session, event.from_user.id, profile)
        except DomainError as exc:
            await target(event).answer(error_text(exc))
            return
        await state.clear()
        await target(event).answer(_("profile.saved"))
        await show_profile(target(event), updated)
        return
    steps = _steps_for(profile)
    position = steps.index(step)
    if position + 1 < len(steps):
        await ask(event, state, steps[position + 1])
        return
    assert event.from_user is not None
    profile["username"] = event.from_user.username
    try:
        registered = await users_service.complete_registration(session, event.from_user.id, profile)
    except DomainError as exc:
        await state.clear()
        await target(event).answer(error_text(exc), reply_markup=public_menu())
        return
    await state.clear()
    await target(event).answer(
        _("reg.done").format(name=hd.quote(registered.first_name)), reply_markup=main_menu()
    )


async def show_profile(message: Message, user: User) -> None:
    lines = [
        _("profile.title"),
        _("profile.name").format(value=hd.quote(user.full_name or "—")),
        _("profile.group").format(value=_("group." + user.target_group) if user.target_group else "—"),
    ]
    if users_service.needs_organisation(user.target_group):
        lines.append(_("profile.org").format(value=hd.quote(user.organisation or "—")))
    lines += [
        _("profile.district").format(value=_("district." + user.district) if user.district else "—"),
        _("profile.phone").format(value=hd.quote(user.phone or _("profile.no_phone"))),
        _("profile.news").format(value=_("btn.yes") if user.news_opt_in else _("btn.no")),
    ]
    await message.answer(
        "\n".join(lines),
        reply_markup=profile_keyboard(users_service.needs_organisation(user.target_group)),
    )


async def send_welcome(message: Message, user: User | None) -> None:
    if user is not None and user.is_registered:
        await message.answer(
            _("start.welcome_back").format(name=hd.quote(user.first_name)), reply_markup=main_menu()
        )
        return
    await message.answer(_("start.welcome"))
    await message.answer(_("consent.short"), reply_markup=consent_keyboard())


async def begin_registration(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_data({"profile": {}})
    await target(event).answer(_("reg.intro"))
    await ask(event, state, "name")


def operator_line(settings: Any) -> str:
    """The operator of personal data as the law names it: the legal entity, its ИНН, its address."""
    parts = [settings.operator_name]
    if settings.operator_inn:
        parts.append(_("consent.inn").format(inn=settings.operator_inn))
    parts.append(settings.operator_address)
    return ", ".join(part for part in parts if part)


def create_router() -> Router:
    router = Router(name="registration")
    private_only(router)

    @router.message(CommandStart())
    async def cmd_start(message: Message, state: FSMContext, user: User | None) -> None:
        await state.clear()
        if user is not None and user.status == UserStatus.CONSENTED:
            await message.answer(_("reg.resume"))
            await begin_registration(message, state)
            return
        await send_welcome(message, user)

    @router.callback_query(MenuCb.filter(F.action == "consent"))
    async def show_consent(callback: CallbackQuery) -> None:
        await callback.answer()
        await target(callback).answer(_("consent.short"), reply_markup=consent_keyboard())

    @router.callback_query(ConsentCb.filter(F.answer == "policy"))
    async def consent_policy(callback: CallbackQuery, settings: Any) -> None:
        await callback.answer()
        await target(callback).answer(
            _("consent.policy").format(
                version=settings.policy_version,
                operator=hd.quote(operator_line(settings)),
            ),
            reply_markup=consent_keyboard(),
        )

    async def renew(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await users_service.give_consent(session, callback.from_user.id, settings.policy_version)
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(
            _("consent.renewed").format(version=settings.policy_version), reply_markup=main_menu()
        )

    @router.callback_query(ConsentCb.filter(F.answer == "renew"))
    async def consent_renew(
        callback: CallbackQuery, session: AsyncSession, user: User | None, settings: Any
    ) -> None:
        await callback.answer()
        if user is None or user.status not in GATED_STATUSES:
            await target(callback).answer(_("consent.short"), reply_markup=consent_keyboard())
            return
        await renew(callback, session, settings)

    @router.callback_query(ConsentCb.filter(F.answer == "renew_no"))
    async def consent_renew_no(callback: CallbackQuery) -> None:
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("consent.renew_refused"), reply_markup=confirm_withdraw_keyboard())

    @router.callback_query(ConsentCb.filter(F.answer == "no"))
    async def consent_no(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
        await state.clear()
        await callback.answer()
        if user is not None and user.is_registered:
            await target(callback).answer(_("consent.already_registered"), reply_markup=main_menu())
            return
        await target(callback).answer(_("consent.refused"), reply_markup=public_menu())

    @router.callback_query(ConsentCb.filter(F.answer == "yes"))
    async def consent_yes(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, settings: Any
    ) -> None:
        await callback.answer()
        if user is not None and user.is_registered:
            if needs_consent(await last_consent(session, user.id), settings.policy_version):
                await renew(callback, session, settings)  # asked again: the policy changed
                return
            await target(callback).answer(_("consent.already_registered"), reply_markup=main_menu())
            return
        await users_service.give_consent(session, callback.from_user.id, settings.policy_version)
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("consent.thanks"))
        await begin_registration(callback, state)

    # --- the steps -------------------------------------------------------------------------------

    @router.message(Reg.name, F.text)
    async def step_name_text(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        try:
            name = users_service.clean_name(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            await ask(message, state, "name")
            return
        await _accept(message, state, session, user, "name", name)

    @router.callback_query(Reg.name, RegCb.filter((F.field == "name") & (F.value == "keep")))
    async def step_name_keep(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        name = _telegram_name(callback)
        if name is None:
            await ask(callback, state, "name")
            return
        await _accept(callback, state, session, user, "name", name)

    @router.callback_query(Reg.group, RegCb.filter(F.field == "group"))
    async def step_group(
        callback: CallbackQuery,
        callback_data: RegCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        await callback.answer()
        if callback_data.value not in users_service.TARGET_GROUPS:
            await ask(callback, state, "group")
            return
        await _accept(callback, state, session, user, "group", callback_data.value)

    @router.message(Reg.org, F.text)
    async def step_org_text(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        try:
            organisation = users_service.clean_organisation(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            await ask(message, state, "org")
            return
        await _accept(message, state, session, user, "org", organisation)

    @router.callback_query(Reg.org, RegCb.filter((F.field == "org") & (F.value == "keep")))
    async def step_org_keep(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        current = (await state.get_data()).get("profile", {}).get("organisation")
        if not current:
            await ask(callback, state, "org")
            return
        await _accept(callback, state, session, user, "org", current)

    @router.callback_query(Reg.district, RegCb.filter(F.field == "district"))
    async def step_district(
        callback: CallbackQuery,
        callback_data: RegCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        await callback.answer()
        if callback_data.value not in users_service.DISTRICTS:
            await ask(callback, state, "district")
            return
        await _accept(callback, state, session, user, "district", callback_data.value)

    @router.message(Reg.phone, F.contact)
    async def step_phone_contact(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        contact = message.contact
        assert contact is not None and message.from_user is not None
        if contact.user_id != message.from_user.id:
            await message.answer(_("reg.not_your_contact"))
            await ask(message, state, "phone")
            return
        try:
            phone = users_service.clean_phone(contact.phone_number)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            await ask(message, state, "phone")
            return
        await _accept(message, state, session, user, "phone", phone)

    @router.message(Reg.phone, F.text)
    async def step_phone_text(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        text = (message.text or "").strip()
        if text == _("btn.skip"):
            await _accept(message, state, session, user, "phone", None)
            return
        if text == _("btn.back"):
            await message.answer(_("common.going_back"), reply_markup=ReplyKeyboardRemove())
            await go_back(message, state, user)
            return
        if text == _("btn.cancel"):
            await cancel_dialog(message, state, user)
            return
        try:
            phone = users_service.clean_phone(text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            await ask(message, state, "phone")
            return
        await _accept(message, state, session, user, "phone", phone)

    @router.callback_query(Reg.news, RegCb.filter((F.field == "news") & F.value.in_({"0", "1"})))
    async def step_news(
        callback: CallbackQuery,
        callback_data: RegCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        await callback.answer()
        await _accept(callback, state, session, user, "news", callback_data.value == "1")

    @router.message(StateFilter(Reg))
    async def wrong_input(message: Message, state: FSMContext) -> None:
        """A sticker, a photo, a voice... where text or a button is expected: hint and repeat."""
        current = await state.get_state()
        step = current.split(":")[1] if current else "name"
        hint = (
            "reg.hint_text"
            if step in ("name", "org")
            else "reg.hint_phone"
            if step == "phone"
            else "reg.hint_buttons"
        )
        await message.answer(_(hint))
        await ask(message, state, step)

    async def go_back(event: Message | CallbackQuery, state: FSMContext, user: User | None) -> None:
        data = await state.get_data()
        current = await state.get_state()
        step = current.split(":")[1] if current else "name"
        if data.get("edit"):
            await state.clear()
            if user is not None:
                await show_profile(target(event), user)
            return
        steps = _steps_for(data.get("profile", {}))
        position = steps.index(step) if step in steps else 0
        if position == 0:
            await state.clear()
            await target(event).answer(_("consent.short_registered"), reply_markup=public_menu())
            return
        await ask(event, state, steps[position - 1])

    @router.callback_query(StateFilter(Reg), NavCb.filter(F.action == "back"))
    async def nav_back(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
        await callback.answer()
        await go_back(callback, state, user)

    # --- profile ---------------------------------------------------------------------------------

    @router.message(Command("profile"))
    async def cmd_profile(message: Message, state: FSMContext, user: User | None) -> None:
        await state.clear()
        if user is None or not user.is_registered:
            await message.answer(_("reg.required"))
            return
        await show_profile(message, user)

    @router.callback_query(MenuCb.filter(F.action == "profile"))
    async def menu_profile(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
        await callback.answer()
        await state.clear()
        if user is None or not user.is_registered:
            await target(callback).answer(_("reg.required"))
            return
        await show_profile(target(callback), user)

    @router.callback_query(ProfileCb.filter())
    async def profile_edit(
        callback: CallbackQuery, callback_data: ProfileCb, state: FSMContext, user: User | None
    ) -> None:
        await callback.answer()
        if user is None or not user.is_registered or callback_data.field not in STEPS:
            await target(callback).answer(_("reg.required"))
            return
        # Only the edited field (and the organisation, offered again after a role change) is saved.
        profile = {"organisation": user.organisation} if user.organisation else {}
        await state.set_data({"edit": True, "profile": profile})
        await ask(callback, state, callback_data.field)

    return router
