"""The provider's card dialog: organisation, title, category, description, districts, price, format,
photo, then a preview with «Отправить на модерацию». Editing one field of a saved card asks that
step alone and saves it at once (the card goes back to moderation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.models.showcase import ServiceCard
from handlers.common import error_text, target
from handlers.showcase.views import (
    card_text,
    current_language,
    esc,
    fresh,
    post_for_moderation,
    send_card,
    show_hub,
    show_own_card,
)
from keyboards.common import NavCb, parse_id
from keyboards.showcase import ALL, FormCb, FormField
from keyboards.showcase_provider import (
    category_keyboard,
    districts_keyboard,
    format_keyboard,
    keep_keyboard,
    photo_keyboard,
    price_keyboard,
    submit_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.users import DISTRICTS

NOT_A_COMMAND = ~F.text.startswith("/")


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
CLEANERS = {
    "organisation": svc.clean_organisation,
    "title": svc.clean_title,
    "description": svc.clean_description,
    "price": svc.clean_price,
}


@dataclass
class Deps:
    """What a step's answer needs beyond the event and the state (from the dispatcher's data)."""

    session: AsyncSession
    user: User | None
    bot: Bot
    i18n: I18n
    settings: Any

    @classmethod
    def of(cls, data: dict[str, Any]) -> Deps:
        return cls(data["session"], data.get("user"), data["bot"], data["i18n"], data["settings"])


def step_of(state_name: str | None) -> str:
    return state_name.split(":")[1] if state_name and ":" in state_name else "organisation"


def form_of_card(card: ServiceCard) -> dict[str, Any]:
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


async def _form(state: FSMContext) -> dict[str, Any]:
    return (await state.get_data()).get("sc_form") or {}


# --- asking -------------------------------------------------------------------------------------


async def _prompt(step: str, form: dict[str, Any], session: AsyncSession) -> tuple[str, Any]:
    if step == "organisation":
        keep = form.get("organisation")
        label = _("showcase.btn_keep").format(value=esc(keep[:40])) if keep else None
        return _("showcase.ask_organisation"), keep_keyboard(label, FormField.ORGANISATION)
    if step in ("title", "description"):
        limit = svc.TITLE_MAX if step == "title" else svc.DESCRIPTION_MAX
        return _(f"showcase.ask_{step}").format(max=limit), keep_keyboard()
    if step == "category":
        language = current_language()
        items = [(c.id, svc.category_title(c, language)) for c in await svc.categories(session)]
        return _("showcase.ask_category"), category_keyboard(items)
    if step == "districts":
        items = [(code, _("district." + code)) for code in SERVED]
        return _("showcase.ask_districts"), districts_keyboard(items, form.get("districts") or [])
    if step == "price":
        return _("showcase.ask_price").format(max=svc.PRICE_MAX), price_keyboard()
    if step == "format":
        return _("showcase.ask_format"), format_keyboard(svc.FORMATS)
    return _("showcase.ask_photo"), photo_keyboard(bool(form.get("photo")))


async def ask(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, step: str
) -> None:
    data = await state.get_data()
    form: dict[str, Any] = data.get("sc_form") or {}
    await state.set_state(getattr(CardForm, step))
    if step == "confirm":
        await show_preview(target(event), session, form)
        return
    header = "" if data.get("sc_edit") else _("showcase.step").format(n=STEPS.index(step) + 1, total=8) + "\n"
    text, markup = await _prompt(step, form, session)
    await target(event).answer(header + text, reply_markup=markup)


async def show_preview(message: Message, session: AsyncSession, form: dict[str, Any]) -> None:
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


async def _save_field(
    event: Message | CallbackQuery, state: FSMContext, deps: Deps, card_id: int, step: str, value: Any
) -> None:
    """Editing a saved card: the one field is written at once and the card goes to moderation."""
    assert event.from_user is not None
    field = FIELD.get(step, step)
    try:
        card = await svc.update_card(deps.session, event.from_user.id, card_id, {field: value})
    except DomainError as exc:
        user = await fresh(deps.session, deps.user)
        await target(event).answer(error_text(exc))
        if isinstance(exc, ValidationFailed):
            await ask(event, state, deps.session, user, step)
        else:
            await state.set_state(None)
        return
    await state.set_state(None)
    await state.update_data(sc_form=None, sc_edit=None)
    await target(event).answer(_("showcase.card_updated"))
    assert deps.user is not None
    await post_for_moderation(deps.bot, deps.settings, deps.i18n, deps.session, card, deps.user, edited=True)
    await show_own_card(event, deps.session, card.id)


async def accept(
    event: Message | CallbackQuery, state: FSMContext, deps: Deps, step: str, value: Any
) -> None:
    """A step's answer: into the form, then the next step (or saved at once when editing a card)."""
    data = await state.get_data()
    form: dict[str, Any] = data.get("sc_form") or {}
    form[FIELD.get(step, step)] = value
    await state.update_data(sc_form=form)
    if data.get("sc_edit"):
        await _save_field(event, state, deps, int(data["sc_edit"]), step, value)
        return
    await ask(event, state, deps.session, deps.user, STEPS[STEPS.index(step) + 1])


async def start_form(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await state.update_data(sc_form={"organisation": user.organisation, "districts": []}, sc_edit=None)
    await target(event).answer(_("showcase.form_intro"))
    await ask(event, state, session, user, "organisation")


# --- the steps' answers (``data`` is the dispatcher's data: session, user, bot, i18n, settings) --


async def form_text(message: Message, state: FSMContext, **data: Any) -> None:
    step = step_of(await state.get_state())
    try:
        value = CLEANERS[step](message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    await accept(message, state, Deps.of(data), step, value)


async def keep_organisation(callback: CallbackQuery, state: FSMContext, **data: Any) -> None:
    await callback.answer()
    deps = Deps.of(data)
    form = await _form(state)
    if not form.get("organisation"):
        await ask(callback, state, deps.session, deps.user, "organisation")
        return
    await accept(callback, state, deps, "organisation", form["organisation"])


async def pick_category(
    callback: CallbackQuery, callback_data: FormCb, state: FSMContext, **data: Any
) -> None:
    await callback.answer()
    deps = Deps.of(data)
    category_id = parse_id(callback_data.v)
    category = await svc.category(deps.session, category_id) if category_id is not None else None
    if category is None or not category.active:
        await ask(callback, state, deps.session, deps.user, "category")
        return
    await accept(callback, state, deps, "category", category.id)


async def toggle_district(callback: CallbackQuery, callback_data: FormCb, state: FSMContext) -> None:
    form = await _form(state)
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


async def districts_done(callback: CallbackQuery, state: FSMContext, **data: Any) -> None:
    form = await _form(state)
    if not form.get("districts"):
        await callback.answer(_("showcase.bad_districts"), show_alert=True)
        return
    await callback.answer()
    await accept(callback, state, Deps.of(data), "districts", form["districts"])


async def price_free(callback: CallbackQuery, state: FSMContext, **data: Any) -> None:
    await callback.answer()
    await accept(callback, state, Deps.of(data), "price", None)


async def pick_format(callback: CallbackQuery, callback_data: FormCb, state: FSMContext, **data: Any) -> None:
    await callback.answer()
    deps = Deps.of(data)
    if callback_data.v not in svc.FORMATS:
        await ask(callback, state, deps.session, deps.user, "format")
        return
    await accept(callback, state, deps, "format", callback_data.v)


async def photo(message: Message, state: FSMContext, **data: Any) -> None:
    assert message.photo
    await accept(message, state, Deps.of(data), "photo", message.photo[-1].file_id)


async def photo_choice(
    callback: CallbackQuery, callback_data: FormCb, state: FSMContext, **data: Any
) -> None:
    await callback.answer()
    value = (await _form(state)).get("photo") if callback_data.v == "keep" else None
    await accept(callback, state, Deps.of(data), "photo", value)


async def submit(callback: CallbackQuery, state: FSMContext, **data: Any) -> None:
    deps = Deps.of(data)
    try:
        card = await svc.create_card(
            deps.session,
            callback.from_user.id,
            await _form(state),
            pending_limit=deps.settings.showcase_pending_limit,
        )
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer()
    await target(callback).edit_reply_markup(reply_markup=None)
    await state.set_state(None)
    await state.update_data(sc_form=None, sc_edit=None)
    await target(callback).answer(_("showcase.card_sent").format(title=esc(card.title)))
    assert deps.user is not None
    await post_for_moderation(deps.bot, deps.settings, deps.i18n, deps.session, card, deps.user, edited=False)
    await show_hub(callback, deps.session, deps.user)


async def form_back(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
) -> None:
    await callback.answer()
    data = await state.get_data()
    step = step_of(await state.get_state())
    if data.get("sc_edit"):
        await state.set_state(None)
        await show_own_card(callback, session, int(data["sc_edit"]))
        return
    index = STEPS.index(step) if step in STEPS else 0
    if index == 0:
        await state.set_state(None)
        await show_hub(callback, session, user)
        return
    await ask(callback, state, session, user, STEPS[index - 1])


async def form_wrong(message: Message, state: FSMContext, session: AsyncSession, user: User | None) -> None:
    step = step_of(await state.get_state())
    if step in TEXT_STEPS:
        await message.answer(_("showcase.hint_text"))
    elif step == "photo":
        await message.answer(_("showcase.hint_photo"))
    else:
        await message.answer(_("showcase.hint_buttons"))
    await ask(message, state, session, user, step)


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    text_states = StateFilter(CardForm.organisation, CardForm.title, CardForm.description, CardForm.price)
    msg(form_text, text_states, F.text, NOT_A_COMMAND)
    cb(keep_organisation, CardForm.organisation, FormCb.filter(F.f == FormField.ORGANISATION))
    cb(pick_category, CardForm.category, FormCb.filter(F.f == FormField.CATEGORY))
    cb(toggle_district, CardForm.districts, FormCb.filter(F.f == FormField.DISTRICT))
    cb(districts_done, CardForm.districts, FormCb.filter(F.f == FormField.DISTRICTS_DONE))
    cb(price_free, CardForm.price, FormCb.filter(F.f == FormField.PRICE))
    cb(pick_format, CardForm.format, FormCb.filter(F.f == FormField.FORMAT))
    msg(photo, CardForm.photo, F.photo)
    cb(photo_choice, CardForm.photo, FormCb.filter(F.f == FormField.PHOTO))
    cb(submit, CardForm.confirm, FormCb.filter(F.f == FormField.SUBMIT))
    cb(form_back, StateFilter(CardForm), NavCb.filter(F.action == "back"))
    msg(form_wrong, StateFilter(CardForm), NOT_A_COMMAND)
