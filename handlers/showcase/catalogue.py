"""The resident's catalogue: /services by district and category, a page at a time, search by words,
a card, and the cards taking part in an EXPO event."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.models.showcase import CardStatus
from handlers.common import PUBLIC, acknowledge, target
from handlers.showcase.views import NOT_A_COMMAND, card_text_for, current_language, esc, send_card, show
from keyboards.common import NavCb
from keyboards.menu import MenuCb
from keyboards.showcase import (
    ALL,
    BrowseAction,
    BrowseCb,
    ExpoCb,
    ViewCb,
    card_keyboard,
    district_picker,
    expo_cards_keyboard,
    format_label,
    home_keyboard,
    list_keyboard,
    search_keyboard,
)
from services import showcase as svc
from services.plural import plural
from services.users import DISTRICTS

SEARCH_MAX = 100


class Browse(StatesGroup):
    search = State()


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


async def _list_header(
    session: AsyncSession, query: str | None, district: str, category_id: int, total: int
) -> str:
    if query is not None:
        return _("showcase.found").format(query=esc(query), district=district_name(district), total=total)
    category = await svc.category(session, category_id) if category_id else None
    title = esc(svc.category_title(category, current_language())) if category else _("showcase.all_services")
    return _("showcase.list_header").format(category=title, district=district_name(district), total=total)


def _list_lines(result: Any, found: bool) -> list[str]:
    lines = []
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
        lines += ["", _("showcase.pick_number")]
    return lines


async def show_list(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    district: str,
    category_id: int,
    page: int,
    found: bool,
) -> None:
    query = (await state.get_data()).get("sc_q") if found else None
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
    header = await _list_header(session, query, district, category_id, result.total)
    action = BrowseAction.FOUND if found else BrowseAction.LIST
    back = BrowseCb(a=action, d=district, c=category_id, p=result.page)
    await state.update_data(sc_back=back.pack(), sc_d=district)
    card_ids = [c.id for c in result.cards]
    markup = list_keyboard(card_ids, result.page, result.pages, district, category_id, found)
    await show(event, "\n".join([header, *_list_lines(result, found)]), markup)


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
    await acknowledge(event)
    text = await card_text_for(session, card, current_language(), tz=settings.tz)
    back_data = (await state.get_data()).get("sc_back")
    back = BrowseCb.unpack(back_data) if back_data else None
    own = user is not None and card.provider_id == user.id
    if own:
        text += "\n\n" + _("showcase.your_own_card")
    await send_card(bot, target(event).chat.id, card, text, card_keyboard(card.id, back, not own))


# --- handlers -----------------------------------------------------------------------------------


async def open_home(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
) -> None:
    """/services, «Услуги» in the menu, or «Назад» from the search: the catalogue's home."""
    await acknowledge(event)
    await state.set_state(None)
    await show_home(event, state, session, user)


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
    if await state.get_state() is not None and action != BrowseAction.SEARCH:
        await state.set_state(None)
    if action == BrowseAction.HOME:
        await show_home(callback, state, session, user, district)
    elif action == BrowseAction.PICK_DISTRICT:
        served = [(code, _("district." + code)) for code in DISTRICTS if code != "other"]
        await show(callback, _("showcase.pick_district"), district_picker(served, district))
    elif action == BrowseAction.SEARCH:
        await ask_search(callback, state, district)
    else:
        found = action == BrowseAction.FOUND
        await show_list(callback, state, session, district, callback_data.c, callback_data.p, found)


async def search_text(message: Message, state: FSMContext, session: AsyncSession, user: User | None) -> None:
    query = (message.text or "").strip()
    if not svc.search_words(query) or len(query) > SEARCH_MAX:
        await message.answer(plural(_, "showcase.bad_search", SEARCH_MAX))
        return
    district = await _district(state, user)
    await state.update_data(sc_q=query)
    await state.set_state(None)
    await show_list(message, state, session, district, 0, 0, True)


async def search_other(message: Message) -> None:
    await message.answer(plural(_, "showcase.bad_search", SEARCH_MAX))


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


async def expo_cards(callback: CallbackQuery, callback_data: ExpoCb, session: AsyncSession) -> None:
    cards = await svc.cards_for_event(session, callback_data.id)
    if not cards:
        await callback.answer(_("showcase.expo_none"), show_alert=True)
        return
    await callback.answer()
    lines = [_("showcase.expo_title")]
    lines += [f"• <b>{esc(card.title)}</b> — {esc(card.organisation)}" for card in cards]
    markup = expo_cards_keyboard([(card.id, card.title) for card in cards])
    await target(callback).answer("\n".join(lines), reply_markup=markup)


def register(router: Router) -> None:
    router.message.register(open_home, Command("services"), flags=PUBLIC)
    router.callback_query.register(open_home, MenuCb.filter(F.action == "services"), flags=PUBLIC)
    router.callback_query.register(browse, BrowseCb.filter(), flags=PUBLIC)
    router.message.register(search_text, Browse.search, F.text, NOT_A_COMMAND, flags=PUBLIC)
    router.message.register(search_other, Browse.search, NOT_A_COMMAND, flags=PUBLIC)
    router.callback_query.register(
        open_home, StateFilter(Browse.search), NavCb.filter(F.action == "back"), flags=PUBLIC
    )
    router.callback_query.register(view_card, ViewCb.filter(), flags=PUBLIC)
    router.callback_query.register(expo_cards, ExpoCb.filter(), flags=PUBLIC)
