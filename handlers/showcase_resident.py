"""The resident's side of the showcase: /services (by district and category, a page at a time, search
by words), a card, the request dialog (a short note, the phone only with consent), /my requests, and
the rating after «Выполнено»."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.models.showcase import CardStatus, RequestStatus
from handlers.common import RequireRegistration, error_text, menu_for, target
from handlers.filters import private_only
from handlers.my import MyCb
from handlers.showcase import (
    card_text_for,
    current_language,
    esc,
    fresh,
    notify,
    provider_request_text,
    resident_request_text,
    send_card,
    show,
    status_label,
)
from keyboards.common import NavCb
from keyboards.menu import MenuCb
from keyboards.showcase import (
    ALL,
    BrowseCb,
    ExpoCb,
    ReqCb,
    ViewCb,
    card_keyboard,
    confirm_cancel_request,
    district_picker,
    expo_cards_keyboard,
    format_label,
    home_keyboard,
    list_keyboard,
    note_keyboard,
    phone_consent_keyboard,
    provider_request_keyboard,
    rating_keyboard,
    requests_list_keyboard,
    resident_request_keyboard,
    search_keyboard,
    skip_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.users import DISTRICTS

log = logging.getLogger(__name__)


class Browse(StatesGroup):
    search = State()


class Ask(StatesGroup):
    note = State()
    phone = State()


class Rate(StatesGroup):
    comment = State()


def default_district(user: User | None) -> str:
    if user is not None and user.district and user.district != "other":
        return user.district
    return ALL


def district_name(code: str) -> str:
    return _("showcase.all_districts") if code == ALL else _("district." + code)


async def _district(state: FSMContext, user: User | None, given: str | None = None) -> str:
    if given and (given == ALL or given in DISTRICTS):
        await state.update_data(sc_d=given)
        return given
    stored = (await state.get_data()).get("sc_d")
    return stored if stored else default_district(user)


# --- the catalogue --------------------------------------------------------------------------------


async def show_home(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    district: str | None = None,
) -> None:
    district = await _district(state, user, district)
    language = current_language()
    counts = await svc.category_counts(session, None if district == ALL else district)
    items = [
        (cat.id, svc.category_title(cat, language), counts[cat.id])
        for cat in await svc.categories(session)
        if counts.get(cat.id)
    ]
    total = sum(counts.values())
    text = _("showcase.home").format(district=district_name(district), total=total)
    if not total:
        text += "\n\n" + _("showcase.home_empty")
    markup = home_keyboard(items, district_name(district), district, total, svc.is_provider(user))
    await show(event, text, markup)


async def show_list(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    district: str,
    category_id: int,
    page: int,
    found: bool,
) -> None:
    data = await state.get_data()
    query = data.get("sc_q") if found else None
    if found and not query:
        await ask_search(event, state, district)
        return
    result = await svc.find_cards(
        session,
        district=None if district == ALL else district,
        category_id=category_id or None,
        query=query,
        page=page,
    )
    if found:
        header = _("showcase.found").format(
            query=esc(query), district=district_name(district), total=result.total
        )
    else:
        category = await svc.category(session, category_id) if category_id else None
        header = _("showcase.list_header").format(
            category=esc(svc.category_title(category, current_language()))
            if category
            else _("showcase.all_services"),
            district=district_name(district),
            total=result.total,
        )
    lines = [header]
    if result.pages > 1:
        lines.append(_("showcase.page").format(page=result.page + 1, pages=result.pages))
    lines.append("")
    for index, card in enumerate(result.cards):
        rating = result.ratings.get(card.id)
        stars = f" · ⭐ {rating[0]:.1f}" if rating else ""
        price = esc(card.price) if card.price else _("showcase.free")
        lines.append(
            f"{result.page * svc.PAGE_SIZE + index + 1}. <b>{esc(card.title)}</b>"
            f" — {esc(card.organisation)}\n"
            f"    {price} · {format_label(card.format)}{stars}"
        )
    if not result.cards:
        lines.append(_("showcase.nothing_found") if found else _("showcase.list_empty"))
    else:
        lines.append("")
        lines.append(_("showcase.pick_number"))
    back = BrowseCb(a="found" if found else "list", d=district, c=category_id, p=result.page)
    await state.update_data(sc_back=back.pack(), sc_d=district)
    await show(
        event,
        "\n".join(lines),
        list_keyboard([c.id for c in result.cards], result.page, result.pages, district, category_id, found),
    )


async def ask_search(event: Message | CallbackQuery, state: FSMContext, district: str) -> None:
    await state.set_state(Browse.search)
    await state.update_data(sc_d=district)
    await target(event).answer(
        _("showcase.ask_search").format(district=district_name(district)),
        reply_markup=search_keyboard(district),
    )


async def show_card(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    bot: Bot,
    card_id: int,
    settings: Any,
) -> None:
    card = await svc.card(session, card_id)
    if card is None or card.status != CardStatus.PUBLISHED:
        if isinstance(event, CallbackQuery):
            await event.answer(_("showcase.card_unavailable"), show_alert=True)
        else:
            await event.answer(_("showcase.card_unavailable"))
        return
    if isinstance(event, CallbackQuery):
        await event.answer()
    text = await card_text_for(session, card, current_language(), tz=settings.tz)
    back_data = (await state.get_data()).get("sc_back")
    back = BrowseCb.unpack(back_data) if back_data else None
    own = user is not None and card.provider_id == user.id
    if own:
        text += "\n\n" + _("showcase.your_own_card")
    await send_card(bot, target(event).chat.id, card, text, card_keyboard(card.id, back, not own))


# --- the request dialog ---------------------------------------------------------------------------


async def ask_note(event: Message | CallbackQuery, state: FSMContext, title: str) -> None:
    await state.set_state(Ask.note)
    await target(event).answer(
        _("showcase.ask_note").format(title=esc(title), max=svc.NOTE_MAX), reply_markup=note_keyboard()
    )


async def ask_phone(event: Message | CallbackQuery, state: FSMContext, user: User, organisation: str) -> None:
    await state.set_state(Ask.phone)
    await target(event).answer(
        _("showcase.ask_phone").format(phone=esc(user.phone), organisation=esc(organisation)),
        reply_markup=phone_consent_keyboard(),
    )


async def submit_request(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    bot: Bot,
    i18n: I18n,
    share_phone: bool,
) -> None:
    data = await state.get_data()
    assert event.from_user is not None
    try:
        request, card, _resident, provider = await svc.create_request(
            session, event.from_user.id, int(data.get("sc_card") or 0), data.get("sc_note"), share_phone
        )
    except DomainError as exc:
        await state.set_state(None)
        await target(event).answer(error_text(exc), reply_markup=menu_for(await fresh(session, user)))
        return
    await state.set_state(None)
    await state.update_data(sc_note=None, sc_card=None)
    await target(event).answer(
        _("showcase.request_sent").format(
            id=request.id, title=esc(card.title), organisation=esc(card.organisation)
        ),
        reply_markup=menu_for(user),
    )
    view = await svc.request_view(session, request.id)
    assert view is not None
    await notify(
        bot,
        i18n,
        provider,
        lambda: _("showcase.new_request") + "\n\n" + provider_request_text(view),
        lambda: provider_request_keyboard(request.id, request.status),
    )


# --- the resident's requests ----------------------------------------------------------------------


async def show_my_requests(event: Message | CallbackQuery, session: AsyncSession, user: User) -> None:
    views = await svc.resident_requests(session, user.id)
    if not views:
        await show(event, _("showcase.my_requests_empty"), None)
        return
    lines = [_("showcase.my_requests_title")]
    items = []
    for view in views:
        label = f"№{view.request.id} · {view.card.title[:30]} · {status_label(view.request)}"
        items.append((view.request.id, label))
    lines.append(_("showcase.my_requests_hint"))
    await show(event, "\n".join(lines), requests_list_keyboard(items))


async def show_my_request(event: Message | CallbackQuery, session: AsyncSession, request_id: int) -> None:
    assert event.from_user is not None
    try:
        view = await svc.view_as_resident(session, event.from_user.id, request_id)
    except DomainError as exc:
        if isinstance(event, CallbackQuery):
            await event.answer(error_text(exc), show_alert=True)
        return
    if isinstance(event, CallbackQuery):
        await event.answer()
    request = view.request
    can_rate = request.status == RequestStatus.DONE and request.rating is None
    await show(
        event,
        resident_request_text(view),
        resident_request_keyboard(request.id, view.card.id, request.status, can_rate),
    )


def create_router() -> Router:
    router = Router(name="showcase-resident")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    @router.message(Command("services"))
    async def cmd_services(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await state.set_state(None)
        await show_home(message, state, session, user)

    @router.callback_query(MenuCb.filter(F.action == "services"))
    async def menu_services(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        await state.set_state(None)
        await show_home(callback, state, session, user)

    @router.callback_query(BrowseCb.filter())
    async def browse(
        callback: CallbackQuery,
        callback_data: BrowseCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        await callback.answer()
        action = callback_data.a
        district = callback_data.d if callback_data.d == ALL or callback_data.d in DISTRICTS else ALL
        if await state.get_state() is not None and action != "search":
            await state.set_state(None)
        if action == "home":
            await show_home(callback, state, session, user, district)
        elif action == "pickd":
            await show(
                callback,
                _("showcase.pick_district"),
                district_picker(
                    [(code, _("district." + code)) for code in DISTRICTS if code != "other"], district
                ),
            )
        elif action == "search":
            await ask_search(callback, state, district)
        elif action in ("list", "found"):
            await show_list(
                callback, state, session, user, district, callback_data.c, callback_data.p, action == "found"
            )

    @router.message(Browse.search, F.text, ~F.text.startswith("/"))
    async def search_text(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        query = (message.text or "").strip()
        if not svc.search_words(query) or len(query) > 100:
            await message.answer(_("showcase.bad_search"))
            return
        district = await _district(state, user)
        await state.update_data(sc_q=query)
        await state.set_state(None)
        await show_list(message, state, session, user, district, 0, 0, True)

    @router.message(Browse.search, ~F.text.startswith("/"))
    async def search_other(message: Message) -> None:
        await message.answer(_("showcase.bad_search"))

    @router.callback_query(StateFilter(Browse.search), NavCb.filter(F.action == "back"))
    async def search_back(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await callback.answer()
        await state.set_state(None)
        await show_home(callback, state, session, user)

    @router.callback_query(ViewCb.filter())
    async def view_card(
        callback: CallbackQuery,
        callback_data: ViewCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        settings: Any,
    ) -> None:
        await show_card(callback, state, session, user, bot, callback_data.id, settings)

    @router.callback_query(ExpoCb.filter())
    async def expo_cards(callback: CallbackQuery, callback_data: ExpoCb, session: AsyncSession) -> None:
        cards = await svc.cards_for_event(session, callback_data.id)
        if not cards:
            await callback.answer(_("showcase.expo_none"), show_alert=True)
            return
        await callback.answer()
        lines = [_("showcase.expo_title")]
        lines += [f"• <b>{esc(card.title)}</b> — {esc(card.organisation)}" for card in cards]
        await target(callback).answer(
            "\n".join(lines), reply_markup=expo_cards_keyboard([(card.id, card.title) for card in cards])
        )

    # --- request ----------------------------------------------------------------------------------

    @router.callback_query(ReqCb.filter(F.a == "new"))
    async def new_request(
        callback: CallbackQuery,
        callback_data: ReqCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
    ) -> None:
        assert user is not None
        card = await svc.card(session, callback_data.id)
        if card is None or card.status != CardStatus.PUBLISHED:
            await callback.answer(_("showcase.card_unavailable"), show_alert=True)
            return
        if card.provider_id == user.id:
            await callback.answer(_("showcase.own_card"), show_alert=True)
            return
        await callback.answer()
        await state.update_data(sc_card=card.id, sc_note=None)
        await ask_note(callback, state, card.title)

    @router.message(Ask.note, F.text, ~F.text.startswith("/"))
    async def note_text(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
    ) -> None:
        try:
            note = svc.clean_note(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        await state.update_data(sc_note=note)
        await after_note(message, state, session, user, bot, i18n)

    @router.callback_query(Ask.note, ReqCb.filter(F.a == "skip"))
    async def note_skip(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
    ) -> None:
        await callback.answer()
        await state.update_data(sc_note=None)
        await after_note(callback, state, session, user, bot, i18n)

    async def after_note(
        event: Message | CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
    ) -> None:
        assert user is not None
        card = await svc.card(session, int((await state.get_data()).get("sc_card") or 0))
        if card is None:
            await state.set_state(None)
            await target(event).answer(_("showcase.card_unavailable"), reply_markup=menu_for(user))
            return
        if user.phone:
            await ask_phone(event, state, user, card.organisation)
            return
        await submit_request(event, state, session, user, bot, i18n, False)

    @router.callback_query(Ask.phone, ReqCb.filter(F.a == "phone"))
    async def phone_choice(
        callback: CallbackQuery,
        callback_data: ReqCb,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        i18n: I18n,
    ) -> None:
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await submit_request(callback, state, session, user, bot, i18n, callback_data.v == 1)

    @router.callback_query(StateFilter(Ask), NavCb.filter(F.action == "back"))
    async def ask_back(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User | None,
        bot: Bot,
        settings: Any,
    ) -> None:
        await callback.answer()
        current = await state.get_state()
        card_id = int((await state.get_data()).get("sc_card") or 0)
        card = await svc.card(session, card_id)
        if current == Ask.phone.state and card is not None:
            await ask_note(callback, state, card.title)
            return
        await state.set_state(None)
        if card is None:
            await show_home(callback, state, session, user)
            return
        await show_card(callback, state, session, user, bot, card_id, settings)

    @router.message(Ask.note, ~F.text.startswith("/"))
    async def note_wrong(message: Message) -> None:
        await message.answer(_("showcase.hint_note"))

    @router.message(Ask.phone, ~F.text.startswith("/"))
    async def phone_wrong(message: Message) -> None:
        await message.answer(_("showcase.hint_buttons"))

    # --- the resident's requests ------------------------------------------------------------------

    @router.callback_query(MyCb.filter(F.section == "sc_req"))
    async def my_requests(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        assert user is not None
        await callback.answer()
        await state.set_state(None)
        await show_my_requests(callback, session, user)

    @router.callback_query(ReqCb.filter(F.a == "list"))
    async def list_requests(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
        assert user is not None
        await callback.answer()
        await show_my_requests(callback, session, user)

    @router.callback_query(ReqCb.filter(F.a == "open"))
    async def open_request(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
        await show_my_request(callback, session, callback_data.id)

    @router.callback_query(ReqCb.filter(F.a == "cancel"))
    async def cancel_request(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
        try:
            view = await svc.view_as_resident(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await show(
            callback,
            _("showcase.cancel_request_confirm").format(id=view.request.id, title=esc(view.card.title)),
            confirm_cancel_request(view.request.id),
        )

    @router.callback_query(ReqCb.filter(F.a == "cancel_yes"))
    async def cancel_request_yes(
        callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession, bot: Bot, i18n: I18n
    ) -> None:
        try:
            view = await svc.cancel_request(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await show(callback, _("showcase.request_cancelled").format(id=view.request.id), None)
        await notify(
            bot,
            i18n,
            view.provider,
            lambda: _("showcase.request_cancelled_provider").format(
                id=view.request.id, title=esc(view.card.title)
            ),
        )

    # --- rating -----------------------------------------------------------------------------------

    @router.callback_query(ReqCb.filter(F.a == "ratemenu"))
    async def rate_menu(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
        try:
            view = await svc.view_as_resident(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("showcase.ask_rating").format(id=view.request.id, title=esc(view.card.title)),
            reply_markup=rating_keyboard(view.request.id),
        )

    @router.callback_query(ReqCb.filter(F.a == "rate"))
    async def rate(
        callback: CallbackQuery,
        callback_data: ReqCb,
        state: FSMContext,
        session: AsyncSession,
        bot: Bot,
        i18n: I18n,
    ) -> None:
        try:
            view = await svc.rate(session, callback.from_user.id, callback_data.id, callback_data.v)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await state.set_state(Rate.comment)
        await state.update_data(sc_rate=view.request.id)
        await target(callback).answer(
            _("showcase.rated").format(stars="⭐" * callback_data.v), reply_markup=skip_keyboard()
        )
        stars, title = "⭐" * callback_data.v, esc(view.card.title)
        await notify(
            bot,
            i18n,
            view.provider,
            lambda: _("showcase.rated_provider").format(id=view.request.id, title=title, stars=stars),
        )

    @router.message(Rate.comment, F.text, ~F.text.startswith("/"))
    async def rate_comment(
        message: Message, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        assert message.from_user is not None
        request_id = int((await state.get_data()).get("sc_rate") or 0)
        try:
            await svc.comment_rating(session, message.from_user.id, request_id, message.text or "")
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        except DomainError as exc:
            await state.set_state(None)
            await message.answer(error_text(exc), reply_markup=menu_for(await fresh(session, user)))
            return
        await state.set_state(None)
        await message.answer(_("showcase.review_thanks"), reply_markup=menu_for(user))

    @router.callback_query(Rate.comment, ReqCb.filter(F.a == "skip"))
    async def rate_skip(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
        await callback.answer()
        await state.set_state(None)
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("showcase.rating_thanks"), reply_markup=menu_for(user))

    @router.message(Rate.comment, ~F.text.startswith("/"))
    async def rate_wrong(message: Message) -> None:
        await message.answer(_("showcase.hint_review"), reply_markup=skip_keyboard())

    return router
