"""The registration dialog and the one-field profile edit, declared on the form engine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.models import User, UserStatus
from handlers import forms
from handlers.common import error_text, target
from handlers.forms import Form, FormContext, Step, WrongKind, coded, typed
from handlers.registration.views import send_welcome, show_profile
from keyboards.menu import main_menu, public_menu
from keyboards.registration import phone_keyboard
from services import users as users_service
from services.errors import DomainError, ValidationFailed


def telegram_name(ctx: FormContext) -> str | None:
    user = ctx.event.from_user
    if user is None:
        return None
    try:
        return users_service.clean_name(user.full_name)
    except ValidationFailed:
        return None


def _name_choices(ctx: FormContext) -> list[tuple[str, str]]:
    name = telegram_name(ctx)
    return [(_("reg.keep_name").format(name=name), "keep")] if name else []


def _keep_name(raw: str, ctx: FormContext) -> str:
    name = telegram_name(ctx)
    if raw != "keep" or name is None:
        raise ValueError(raw)
    return name


def _org_choices(ctx: FormContext) -> list[tuple[str, str]]:
    return [(_("reg.keep_organisation"), "keep")] if ctx.draft.get("organisation") else []


def _keep_org(raw: str, ctx: FormContext) -> str:
    current = ctx.draft.get("organisation")
    if raw != "keep" or not current:
        raise ValueError(raw)
    return current


def _phone(message: Message, ctx: FormContext) -> str:
    if message.contact is not None:
        if message.from_user is None or message.contact.user_id != message.from_user.id:
            raise ValidationFailed("reg.not_your_contact")
        return users_service.clean_phone(message.contact.phone_number)
    if message.text is None:
        raise WrongKind
    return users_service.clean_phone(message.text)


def _phone_answered(value: Any) -> str:
    return _("reg.phone_saved") if value else _("reg.phone_skipped")


def _picked(name: str, field: str, codes: Iterable[str], **more: Any) -> Step:
    """A choice among ``codes``: «reg.ask_<name>», a button «<name>.<code>» each, «profile.edit_<name>»
    in the profile."""
    return Step(
        name,
        f"reg.ask_{name}",
        choices=coded(f"{name}.", codes),
        hint="reg.hint_buttons",
        field=field,
        label=f"profile.edit_{name}",
        **more,
    )


STEPS = (
    Step(
        "name",
        "reg.ask_name",
        choices=_name_choices,
        pick=_keep_name,
        parse=typed(users_service.clean_name),
        width=1,
        hint="reg.hint_text",
        field="full_name",
        label="profile.edit_name",
    ),
    _picked("group", "target_group", users_service.TARGET_GROUPS, width=1),
    Step(
        "org",
        "reg.ask_organisation",
        choices=_org_choices,
        pick=_keep_org,
        parse=typed(users_service.clean_organisation),
        skip_if=lambda draft: not users_service.needs_organisation(draft.get("target_group")),
        width=1,
        hint="reg.hint_text",
        field="organisation",
        label="profile.edit_org",
    ),
    _picked("district", "district", users_service.DISTRICTS),
    Step(
        "phone",
        "reg.ask_phone",
        parse=_phone,
        optional=True,
        reply_keyboard=lambda ctx: phone_keyboard(),
        answered=_phone_answered,
        hint="reg.hint_phone",
        field="phone",
        label="profile.edit_phone",
    ),
    Step(
        "news",
        "reg.ask_news",
        choices=lambda ctx: [(_("btn.yes"), "1"), (_("btn.no"), "0")],
        pick=lambda raw, ctx: {"1": True, "0": False}[raw],
        hint="reg.hint_buttons",
        field="news_opt_in",
        label="profile.edit_news",
    ),
)


async def _register(ctx: FormContext) -> None:
    profile = dict(ctx.draft)
    profile["username"] = ctx.event.from_user.username if ctx.event.from_user else None
    try:
        registered = await users_service.complete_registration(ctx.session, ctx.from_id, profile)
    except DomainError as exc:
        await ctx.state.clear()
        await ctx.message.answer(error_text(exc), reply_markup=public_menu())
        return None
    await ctx.state.clear()
    await ctx.message.answer(
        _("reg.done").format(name=hd.quote(registered.first_name)), reply_markup=main_menu()
    )
    return None


async def _leave_registration(ctx: FormContext) -> None:
    await ctx.message.answer(_("consent.short_registered"), reply_markup=public_menu())


REGISTRATION = Form(
    name="reg",
    steps=STEPS,
    finish=_register,
    step_header="reg.step",
    on_exit=_leave_registration,
)


async def _save_profile(ctx: FormContext) -> str | None:
    if users_service.needs_organisation(ctx.draft.get("target_group")) and not ctx.draft.get("organisation"):
        return "org"  # a new role that needs an organisation: ask for it before saving
    updated = await users_service.update_profile(ctx.session, ctx.from_id, ctx.draft)
    await ctx.state.clear()
    await ctx.message.answer(_("profile.saved"))
    await show_profile(ctx.message, updated)
    return None


async def _back_to_profile(ctx: FormContext) -> None:
    if ctx.user is not None:
        await show_profile(ctx.message, ctx.user)


PROFILE = Form(name="prof", steps=STEPS, finish=_save_profile, on_exit=_back_to_profile)


async def begin_registration(event: Message | CallbackQuery, state: FSMContext, data: dict[str, Any]) -> None:
    await target(event).answer(_("reg.intro"))
    await forms.start(REGISTRATION, event, state, data)


async def welcome_or_resume(
    message: Message, state: FSMContext, user: User | None, data: dict[str, Any]
) -> None:
    """What /start shows: the welcome and consent, or the registration resumed after consent."""
    if user is not None and user.status == UserStatus.CONSENTED:
        await message.answer(_("reg.resume"))
        await begin_registration(message, state, {**data, "user": user})
        return
    await send_welcome(message, user)
