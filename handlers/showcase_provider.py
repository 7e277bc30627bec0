"""The provider's side of the showcase: «Мои услуги» (cards with their status; edit, pause, remove),
the card dialog, requests from residents («Принять» / «Отклонить» / «Выполнено»), and the application
for the social-business trial office."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db import clock
from db.models import User
from db.models.showcase import RequestStatus, ServiceCard
from handlers.common import RequireRegistration, error_text, menu_for, target
from handlers.filters import private_only
from handlers.my import MyCb
from handlers.showcase import (
    card_text,
    card_text_for,
    current_language,
    esc,
    fresh,
    notify,
    provider_request_text,
    send_card,
    show,
    status_label,
)
from keyboards.common import NavCb, parse_id
from keyboards.showcase import (
    ALL,
    CardCb,
    FormCb,
    ReqCb,
    card_status_label,
    category_keyboard,
    confirm_remove_keyboard,
    districts_keyboard,
    edit_fields_keyboard,
    format_keyboard,
    keep_keyboard,
    moderation_keyboard,
    own_card_keyboard,
    photo_keyboard,
    price_keyboard,
    provider_hub_keyboard,
    provider_request_keyboard,
    rating_keyboard,
    resident_request_keyboard,
    submit_keyboard,
    trial_confirm_keyboard,
    trial_decision_keyboard,
    trial_hub_keyboard,
    trial_status_label,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.users import DISTRICTS

log = logging.getLogger(__name__)


class CardForm(StatesGroup):
    organisation = State()
    title = State()
    category = State()
    description = State()
    districts = State()
    price = State()
    format = State()
    photo = State()
    confirm = State()


class TrialForm(StatesGroup):
    date_from = State()
    date_to = State()
    purpose = State()
    confirm = State()


STEPS = (
    "organisation",
    "title",
    "category",
    "description",
    "districts",
    "price",
    "format",
    "photo",
    "confirm",
)
FIELD = {"category": "category_id"}
TEXT_STEPS = frozenset({"organisation", "title", "description", "price"})
SERVED = tuple(code for code in DISTRICTS if code != "other")


def _step_of(state_name: str | None) -> str:
    return state_name.split(":")[1] if state_name and ":" in state_name else "organisation"


def _form_of_card(card: ServiceCard) -> dict[str, Any]:
    return {
        "organisation": card.organisation,
        "title": card.title,
        "category_id": card.category_id,
        "description": card.description,
        "districts": list(card.districts),
        "price": card.price,
        "format": card.format,
        "photo": card.photo_file_id,
    }


# --- the card dialog ------------------------------------------------------------------------------


async def ask(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, step: str
) -> None:
    data = await state.get_data()
    form: dict[str, Any] = data.get("sc_form") or {}
    editing = bool(data.get("sc_edit"))
    await state.set_state(getattr(CardForm, step))
    message = target(event)
    header = (
        ""
        if editing or step == "confirm"
        else _("showcase.step").format(n=STEPS.index(step) + 1, total=8) + "\n"
    )
    if step == "organisation":
        keep = (
            _("showcase.btn_keep").format(value=esc(form["organisation"][:40]))
            if form.get("organisation")
            else None
        )
        await message.answer(
            header + _("showcase.ask_organisation"), reply_markup=keep_keyboard(keep, "organisation")
        )
    elif step == "title":
        await message.answer(
            header + _("showcase.ask_title").format(max=svc.TITLE_MAX),
            reply_markup=keep_keyboard(None, "title"),
        )
    elif step == "category":
        language = current_language()
        items = [(c.id, svc.category_title(c, language)) for c in await svc.categories(session)]
        await message.answer(header + _("showcase.ask_category"), reply_markup=category_keyboard(items))
    elif step == "description":
        await message.answer(
            header + _("showcase.ask_description").format(max=svc.DESCRIPTION_MAX),
            reply_markup=keep_keyboard(None, "description"),
        )
    elif step == "districts":
        items = [(code, _("district." + code)) for code in SERVED]
        await message.answer(
            header + _("showcase.ask_districts"),
            reply_markup=districts_keyboard(items, form.get("districts") or []),
        )
    elif step == "price":
        await message.answer(
            header + _("showcase.ask_price").format(max=svc.PRICE_MAX), reply_markup=price_keyboard()
        )
    elif step == "format":
        await message.answer(header + _("showcase.ask_format"), reply_markup=format_keyboard(svc.FORMATS))
    elif step == "photo":
        await message.answer(
            header + _("showcase.ask_photo"), reply_markup=photo_keyboard(bool(form.get("photo")))
        )
    elif step == "confirm":
        await show_preview(message, session, user, form)


async def show_preview(
    message: Message, session: AsyncSession, user: User | None, form: dict[str, Any]
) -> None:
    card = ServiceCard(
        organisation=form.get("organisation") or "",
        title=form.get("title") or "",
        category_id=int(form.get("category_id") or 0),
        description=form.get("description") or "",
        districts=form.get("districts") or [],
        price=form.get("price"),
        format=form.get("format") or "online",
        photo_file_id=form.get("photo"),
    )
    category = await svc.category(session, card.category_id)
    text = (
        _("showcase.preview")
        + "\n\n"
        + card_text(card, svc.category_title(category, current_language()), None)
    )
    assert message.bot is not None
    await send_card(message.bot, message.chat.id, card, text, submit_keyboard())


async def post_for_moderation(
    bot: Bot,
    settings: Any,
    i18n: I18n,
    session: AsyncSession,
    card: ServiceCard,
    provider: User,
    edited: bool,
) -> None:
    if settings.admin_chat_id is None:
        return
    with i18n.use_locale(settings.default_locale):
        header = _("showcase.mod_edited" if edited else "showcase.mod_new").format(
            id=card.id,
            name=esc(provider.full_name),
            organisation=esc(provider.organisation),
        )
        text = header + "\n\n" + await card_text_for(session, card, settings.default_locale)
        markup = moderation_keyboard(card.id)
    try:
        await send_card(bot, settings.admin_chat_id, card, text, markup)
    except Exception:  # the card is saved and listed in the queue; staff still find it
        log.warning("could not post card %s to the admin chat", card.id, exc_info=True)


async def accept(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    bot: Bot,
    i18n: I18n,
    settings: Any,
    step: str,
    value: Any,
) -> None:
    data = await state.get_data()
    form: dict[str, Any] = data.get("sc_form") or {}
    field = FIELD.get(step, step)
    form[field] = value
    await state.update_data(sc_form=form)
    card_id = data.get("sc_edit")
    assert event.from_user is not None
    if card_id:
        try:
            card = await svc.update_card(session, event.from_user.id, int(card_id), {field: value})
        except DomainError as exc:
            user = await fresh(session, user)
            await target(event).answer(error_text(exc))
            if isinstance(exc, ValidationFailed):
                await ask(event, state, session, user, step)
            else:
                await state.set_state(None)
            return
        await state.set_state(None)
        await state.update_data(sc_form=None, sc_edit=None)
        await target(event).answer(_("showcase.card_updated"))
        assert user is not None
        await post_for_moderation(bot, settings, i18n, session, card, user, edited=True)
        await show_own_card(event, session, user, card.id)
        return
    await ask(event, state, session, user, STEPS[STEPS.index(step) + 1])


async def start_form(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await state.update_data(sc_form={"organisation": user.organisation, "districts": []}, sc_edit=None)
    await target(event).answer(_("showcase.form_intro"))
    await ask(event, state, session, user, "organisation")


# --- the provider's hub and cards ------------------------------------------------------------------


async def show_hub(event: Message | CallbackQuery, session: AsyncSession, user: User | None) -> None:
    if not svc.is_provider(user):
        await show(event, _("showcase.not_provider_hint"), None)
        return
    assert user is not None
    cards = await svc.provider_cards(session, user.id)
    requests = await svc.provider_requests(session, user.id)
    open_count = sum(1 for v in requests if v.request.status in svc.OPEN_REQUEST)
    lines = [_("showcase.hub_title").format(organisation=esc(user.organisation))]
    if not cards:
        lines.append(_("showcase.hub_empty"))
    else:
        lines.append(_("showcase.hub_cards"))
    items = [(card.id, f"{card.title[:34]} · {card_status_label(card.status)}") for card in cards[:20]]
    await show(event, "\n".join(lines), provider_hub_keyboard(items, open_count))


async def show_own_card(
    event: Message | CallbackQuery, session: AsyncSession, user: User, card_id: int
) -> None:
    assert event.from_user is not None
    try:
        card = await svc.own_card(session, event.from_user.id, card_id)
    except DomainError as exc:
        if isinstance(event, CallbackQuery):
            await event.answer(error_text(exc), show_alert=True)
        else:
            await event.answer(error_text(exc))
        return
    text = await card_text_for(session, card, current_language(), status=True)
    message = target(event)
    assert message.bot is not None
    await send_card(message.bot, message.chat.id, card, text, own_card_keyboard(card.id, card.status))


def _with_back(markup: InlineKeyboardMarkup | None, back: CardCb) -> InlineKeyboardMarkup:
    rows = list(markup.inline_keyboard) if markup else []
    rows.append([InlineKeyboardButton(text=_("showcase.btn_requests_back"), callback_data=back.pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_provider_requests(event: Message | CallbackQuery, session: AsyncSession, user: User) -> None:
    views = await svc.provider_requests(session, user.id)
    if not views:
        await show(event, _("showcase.prov_requests_empty"), _with_back(None, CardCb(a="hub")))
        return
    builder_rows = [
        [
            InlineKeyboardButton(
                text=f"№{v.request.id} · {v.card.title[:28]} · {status_label(v.request)}",
                callback_data=ReqCb(a="popen", id=v.request.id).pack(),
            )
        ]
        for v in views
    ]
    markup = _with_back(InlineKeyboardMarkup(inline_keyboard=builder_rows), CardCb(a="hub"))
    await show(event, _("showcase.prov_requests_title"), markup)


# --- trial office ---------------------------------------------------------------------------------


def _today(settings: Any) -> date:
    return clock.current().today(settings.tz)


async def ask_trial(event: Message | CallbackQuery, state: FSMContext, step: str, settings: Any) -> None:
    await state.set_state(getattr(TrialForm, step))
    data = await state.get_data()
    trial = data.get("sc_trial") or {}
    message = target(event)
    from keyboards.common import nav_keyboard

    if step == "date_from":
        example = _today(settings).strftime("%d.%m.%Y")
        await message.answer(
            _("showcase.ask_trial_from").format(example=example), reply_markup=nav_keyboard()
        )
    elif step == "date_to":
        await message.answer(
            _("showcase.ask_trial_to").format(start=_fmt(trial.get("from")), days=svc.TRIAL_MAX_DAYS),
            reply_markup=nav_keyboard(),
        )
    elif step == "purpose":
        await message.answer(
            _("showcase.ask_trial_purpose").format(max=svc.PURPOSE_MAX), reply_markup=nav_keyboard()
        )
    elif step == "confirm":
        await message.answer(
            _("showcase.trial_summary").format(
                start=_fmt(trial.get("from")), end=_fmt(trial.get("to")), purpose=esc(trial.get("purpose"))
            ),
            reply_markup=trial_confirm_keyboard(),
        )


def _fmt(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else "—"


def create_router() -> Router:
    router = Router(name="showcase-provider")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    # --- hub ------------------------------------------------------------------------------------

    @router.callback_query(MyCb.filter(F.section == "sc_prov"))
    async def my_services(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        await state.set_state(None)
        await show_hub(callback, session, user)

    @router.callback_query(CardCb.filter(F.a == "hub"))
    async def hub(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        await state.set_state(None)
        await show_hub(callback, session, user)

    @router.callback_query(CardCb.filter(F.a == "new"))
    async def new_card(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        if not svc.is_provider(user):
            await callback.answer(_("showcase.not_provider"), show_alert=True)
            return
        assert user is not None
        await callback.answer()
        await start_form(callback, state, session, user)

    @router.callback_query(CardCb.filter(F.a == "open"))
    async def open_card(
        callback: CallbackQuery,
        callback_data: CardCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        assert user is not None
        await state.set_state(None)
        await callback.answer()
        await show_own_card(callback, session, user, callback_data.id)

    @router.callback_query(CardCb.filter(F.a == "edit"))
    async def edit_card(callback: CallbackQuery, callback_data: CardCb, session: AsyncSession) -> None:
        try:
            card = await svc.own_card(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("showcase.edit_what").format(title=esc(card.title)), reply_markup=edit_fields_keyboard(card.id)
        )

    @router.callback_query(CardCb.filter(F.a == "field"))
    async def edit_field(
        callback: CallbackQuery,
        callback_data: CardCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        try:
            card = await svc.own_card(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        if (
            callback_data.f not in STEPS
            or callback_data.f == "confirm"
            or card.status in ("declined", "removed")
        ):
            await callback.answer(_("showcase.card_closed"), show_alert=True)
            return
        await callback.answer()
        await state.update_data(sc_form=_form_of_card(card), sc_edit=card.id)
        await ask(callback, state, session, user, callback_data.f)

    @router.callback_query(CardCb.filter(F.a.in_({"pause", "resume"})))
    async def pause(
        callback: CallbackQuery, callback_data: CardCb, session: AsyncSession, user: User | None
    ) -> None:
        assert user is not None
        try:
            await svc.set_paused(session, callback.from_user.id, callback_data.id, callback_data.a == "pause")
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(_("showcase.paused" if callback_data.a == "pause" else "showcase.resumed"))
        await show_own_card(callback, session, user, callback_data.id)

    @router.callback_query(CardCb.filter(F.a == "resubmit"))
    async def resubmit(
        callback: CallbackQuery,
        callback_data: CardCb,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        try:
            card = await svc.resubmit(
                session,
                callback.from_user.id,
                callback_data.id,
                pending_limit=settings.showcase_pending_limit,
            )
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        assert user is not None
        await callback.answer()
        await target(callback).answer(_("showcase.card_sent").format(title=esc(card.title)))
        await post_for_moderation(bot, settings, i18n, session, card, user, edited=True)
        await show_hub(callback, session, user)

    @router.callback_query(CardCb.filter(F.a == "remove"))
    async def remove(callback: CallbackQuery, callback_data: CardCb, session: AsyncSession) -> None:
        try:
            card = await svc.own_card(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("showcase.remove_confirm").format(title=esc(card.title)),
            reply_markup=confirm_remove_keyboard(card.id),
        )

    @router.callback_query(CardCb.filter(F.a == "remove_yes"))
    async def remove_yes(
        callback: CallbackQuery,
        callback_data: CardCb,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
    ) -> None:
        try:
            card, closed = await svc.remove_card(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await show(callback, _("showcase.removed").format(title=esc(card.title)), None)
        for item in closed:
            await notify(
                bot,
                i18n,
                item.resident,
                lambda item=item: _("showcase.card_gone_resident").format(
                    id=item.request.id, title=esc(card.title)
                ),
            )
        await show_hub(callback, session, user)

    # --- the dialog steps -----------------------------------------------------------------------

    @router.message(
        StateFilter(CardForm.organisation, CardForm.title, CardForm.description, CardForm.price),
        F.text,
        ~F.text.startswith("/"),
    )
    async def form_text(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        step = _step_of(await state.get_state())
        cleaner = {
            "organisation": svc.clean_organisation,
            "title": svc.clean_title,
            "description": svc.clean_description,
            "price": svc.clean_price,
        }[step]
        try:
            value = cleaner(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        await accept(message, state, session, user, bot, i18n, settings, step, value)

    @router.callback_query(CardForm.organisation, FormCb.filter(F.f == "organisation"))
    async def keep_organisation(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        await callback.answer()
        form = (await state.get_data()).get("sc_form") or {}
        if not form.get("organisation"):
            await ask(callback, state, session, user, "organisation")
            return
        await accept(
            callback, state, session, user, bot, i18n, settings, "organisation", form["organisation"]
        )

    @router.callback_query(CardForm.category, FormCb.filter(F.f == "category"))
    async def pick_category(
        callback: CallbackQuery,
        callback_data: FormCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        await callback.answer()
        category = (
            await svc.category(session, category_id)
            if (category_id := parse_id(callback_data.v)) is not None
            else None
        )
        if category is None or not category.active:
            await ask(callback, state, session, user, "category")
            return
        await accept(callback, state, session, user, bot, i18n, settings, "category", category.id)

    @router.callback_query(CardForm.districts, FormCb.filter(F.f == "district"))
    async def toggle_district(callback: CallbackQuery, callback_data: FormCb, state: FSMContext) -> None:
        form = (await state.get_data()).get("sc_form") or {}
        chosen: list[str] = list(form.get("districts") or [])
        if callback_data.v == ALL:
            chosen = [] if set(SERVED) <= set(chosen) else list(SERVED)
        elif callback_data.v in SERVED:
            chosen = (
                [c for c in chosen if c != callback_data.v]
                if callback_data.v in chosen
                else [*chosen, callback_data.v]
            )
        form["districts"] = [c for c in SERVED if c in chosen]
        await state.update_data(sc_form=form)
        await callback.answer()
        items = [(code, _("district." + code)) for code in SERVED]
        await target(callback).edit_reply_markup(reply_markup=districts_keyboard(items, form["districts"]))

    @router.callback_query(CardForm.districts, FormCb.filter(F.f == "districts_done"))
    async def districts_done(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        form = (await state.get_data()).get("sc_form") or {}
        if not form.get("districts"):
            await callback.answer(_("showcase.bad_districts"), show_alert=True)
            return
        await callback.answer()
        await accept(callback, state, session, user, bot, i18n, settings, "districts", form["districts"])

    @router.callback_query(CardForm.price, FormCb.filter(F.f == "price"))
    async def price_free(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        await callback.answer()
        await accept(callback, state, session, user, bot, i18n, settings, "price", None)

    @router.callback_query(CardForm.format, FormCb.filter(F.f == "format"))
    async def pick_format(
        callback: CallbackQuery,
        callback_data: FormCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        await callback.answer()
        if callback_data.v not in svc.FORMATS:
            await ask(callback, state, session, user, "format")
            return
        await accept(callback, state, session, user, bot, i18n, settings, "format", callback_data.v)

    @router.message(CardForm.photo, F.photo)
    async def photo(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        assert message.photo
        await accept(message, state, session, user, bot, i18n, settings, "photo", message.photo[-1].file_id)

    @router.callback_query(CardForm.photo, FormCb.filter(F.f == "photo"))
    async def photo_choice(
        callback: CallbackQuery,
        callback_data: FormCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        await callback.answer()
        form = (await state.get_data()).get("sc_form") or {}
        value = form.get("photo") if callback_data.v == "keep" else None
        await accept(callback, state, session, user, bot, i18n, settings, "photo", value)

    @router.callback_query(CardForm.confirm, FormCb.filter(F.f == "submit"))
    async def submit(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        form = (await state.get_data()).get("sc_form") or {}
        try:
            card = await svc.create_card(
                session, callback.from_user.id, form, pending_limit=settings.showcase_pending_limit
            )
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await state.set_state(None)
        await state.update_data(sc_form=None, sc_edit=None)
        await target(callback).answer(_("showcase.card_sent").format(title=esc(card.title)))
        assert user is not None
        await post_for_moderation(bot, settings, i18n, session, card, user, edited=False)
        await show_hub(callback, session, user)

    @router.callback_query(StateFilter(CardForm), NavCb.filter(F.action == "back"))
    async def form_back(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        data = await state.get_data()
        step = _step_of(await state.get_state())
        if data.get("sc_edit"):
            await state.set_state(None)
            assert user is not None
            await show_own_card(callback, session, user, int(data["sc_edit"]))
            return
        index = STEPS.index(step) if step in STEPS else 0
        if index == 0:
            await state.set_state(None)
            await show_hub(callback, session, user)
            return
        await ask(callback, state, session, user, STEPS[index - 1])

    @router.message(StateFilter(CardForm), ~F.text.startswith("/"))
    async def form_wrong(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        step = _step_of(await state.get_state())
        if step in TEXT_STEPS:
            await message.answer(_("showcase.hint_text"))
        elif step == "photo":
            await message.answer(_("showcase.hint_photo"))
        else:
            await message.answer(_("showcase.hint_buttons"))
        await ask(message, state, session, user, step)

    # --- requests -------------------------------------------------------------------------------

    @router.callback_query(CardCb.filter(F.a == "reqs"))
    async def requests_list(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
        if not svc.is_provider(user):
            await callback.answer(_("showcase.not_provider"), show_alert=True)
            return
        assert user is not None
        await callback.answer()
        await show_provider_requests(callback, session, user)

    @router.callback_query(ReqCb.filter(F.a == "popen"))
    async def provider_open(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
        try:
            view = await svc.view_as_provider(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        markup = _with_back(provider_request_keyboard(view.request.id, view.request.status), CardCb(a="reqs"))
        await show(callback, provider_request_text(view), markup)

    @router.callback_query(ReqCb.filter(F.a.in_({"acc", "dec", "done"})))
    async def answer_request(
        callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession, bot: Bot, i18n: I18n
    ) -> None:
        action = {"acc": svc.accept_request, "dec": svc.decline_request, "done": svc.complete_request}[
            callback_data.a
        ]
        try:
            view = await action(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        request = view.request
        await callback.answer(
            {"acc": _("showcase.accepted"), "dec": _("showcase.declined"), "done": _("showcase.done")}[
                callback_data.a
            ]
        )
        await show(
            callback, provider_request_text(view), provider_request_keyboard(request.id, request.status)
        )
        title = esc(view.card.title)
        organisation = esc(view.card.organisation)
        if request.status == RequestStatus.ACCEPTED:
            await notify(
                bot,
                i18n,
                view.resident,
                lambda: _("showcase.accepted_resident").format(
                    id=request.id, title=title, organisation=organisation
                ),
                lambda: resident_request_keyboard(request.id, view.card.id, request.status, False),
            )
        elif request.status == RequestStatus.DECLINED:
            await notify(
                bot,
                i18n,
                view.resident,
                lambda: _("showcase.declined_resident").format(
                    id=request.id, title=title, organisation=organisation
                ),
            )
        elif request.status == RequestStatus.DONE:
            await notify(
                bot,
                i18n,
                view.resident,
                lambda: _("showcase.done_resident").format(
                    id=request.id, title=title, organisation=organisation
                ),
                lambda: rating_keyboard(request.id),
            )

    # --- trial office ---------------------------------------------------------------------------

    @router.callback_query(CardCb.filter(F.a == "trial"))
    async def trial_hub(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
        if not svc.is_provider(user):
            await callback.answer(_("showcase.not_provider"), show_alert=True)
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

    @router.callback_query(CardCb.filter(F.a == "trial_new"))
    async def trial_new(callback: CallbackQuery, state: FSMContext, user: User | None, settings: Any) -> None:
        if not svc.is_provider(user):
            await callback.answer(_("showcase.not_provider"), show_alert=True)
            return
        await callback.answer()
        await state.update_data(sc_trial={})
        await ask_trial(callback, state, "date_from", settings)

    @router.message(StateFilter(TrialForm.date_from, TrialForm.date_to), F.text, ~F.text.startswith("/"))
    async def trial_date(message: Message, state: FSMContext, settings: Any) -> None:
        step = _step_of(await state.get_state())
        trial = (await state.get_data()).get("sc_trial") or {}
        today = _today(settings)
        try:
            value = svc.parse_date(message.text, today)
            if step == "date_from":
                svc.check_trial_dates(value, value, today)
            else:
                svc.check_trial_dates(date.fromisoformat(trial["from"]), value, today)
        except (ValidationFailed, KeyError) as exc:
            await message.answer(
                error_text(exc) if isinstance(exc, ValidationFailed) else _("showcase.bad_date")
            )
            return
        trial["from" if step == "date_from" else "to"] = value.isoformat()
        await state.update_data(sc_trial=trial)
        await ask_trial(message, state, "date_to" if step == "date_from" else "purpose", settings)

    @router.message(TrialForm.purpose, F.text, ~F.text.startswith("/"))
    async def trial_purpose(message: Message, state: FSMContext, settings: Any) -> None:
        try:
            purpose = svc.clean_purpose(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        trial = (await state.get_data()).get("sc_trial") or {}
        trial["purpose"] = purpose
        await state.update_data(sc_trial=trial)
        await ask_trial(message, state, "confirm", settings)

    @router.callback_query(TrialForm.confirm, FormCb.filter(F.f == "trial_send"))
    async def trial_send(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        trial = (await state.get_data()).get("sc_trial") or {}
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
        if settings.admin_chat_id is not None:
            assert user is not None
            with i18n.use_locale(settings.default_locale):
                text = _("showcase.trial_staff").format(
                    id=application.id,
                    name=esc(user.full_name),
                    organisation=esc(application.organisation),
                    start=application.date_from.strftime("%d.%m.%Y"),
                    end=application.date_to.strftime("%d.%m.%Y"),
                    purpose=esc(application.purpose),
                )
                markup = trial_decision_keyboard(application.id)
            try:
                await bot.send_message(settings.admin_chat_id, text, reply_markup=markup)
            except Exception:
                log.warning("could not post trial application %s", application.id, exc_info=True)

    @router.callback_query(StateFilter(TrialForm), NavCb.filter(F.action == "back"))
    async def trial_back(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, settings: Any
    ) -> None:
        await callback.answer()
        order = ("date_from", "date_to", "purpose", "confirm")
        step = _step_of(await state.get_state())
        index = order.index(step) if step in order else 0
        if index == 0:
            await state.set_state(None)
            await show_hub(callback, session, user)
            return
        await ask_trial(callback, state, order[index - 1], settings)

    @router.message(StateFilter(TrialForm), ~F.text.startswith("/"))
    async def trial_wrong(message: Message, state: FSMContext, settings: Any) -> None:
        step = _step_of(await state.get_state())
        await message.answer(_("showcase.hint_buttons") if step == "confirm" else _("showcase.hint_text"))
        await ask_trial(message, state, step, settings)

    return router
