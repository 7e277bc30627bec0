"""The staff's view of the catalogue, in the admin chat: providers and their cards, a card with its
EXPO events (put in, take out), the category list (add, rename, hide) and the figures."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.showcase import CardStatus, ServiceCard
from handlers.common import error_text, or_alert, target
from handlers.pressed import found_or_alert
from handlers.showcase.admin import StaffInput, on, staff_write
from handlers.showcase.views import NOT_A_COMMAND, card_text_for, esc, listed, send_card
from keyboards.showcase import card_status_label
from keyboards.showcase_staff import (
    CategoryAction,
    CategoryCb,
    ExpoAction,
    ExpoLinkCb,
    StaffAction,
    StaffCb,
    category_admin_keyboard,
    expo_events_keyboard,
    staff_cancel_keyboard,
    staff_card_keyboard,
    staff_list_keyboard,
)
from services import dates
from services import showcase as svc
from services.errors import DomainError
from services.numbers import number
from services.plural import plural

LISTED = 40


def on_category(action: CategoryAction) -> Any:
    return CategoryCb.filter(F.action == action)


# --- providers and their cards ------------------------------------------------------------------


async def providers(callback: CallbackQuery, session: AsyncSession) -> None:
    rows = await listed(callback, svc.providers(session), "showcase.adm_no_providers")
    if not rows:
        return
    lines = [_("showcase.adm_providers_title")]
    items = []
    for row in rows[:LISTED]:
        published = row.counts.get(CardStatus.PUBLISHED, 0)
        total = sum(count for status, count in row.counts.items() if status != CardStatus.REMOVED)
        lines.append(
            _("showcase.adm_provider_line").format(
                organisation=esc(row.user.organisation or "—"),
                name=esc(row.user.full_name or "—"),
                published=published,
                total=total,
            )
        )
        items.append((row.user.id, (row.user.organisation or row.user.full_name or "—")[:40]))
    markup = staff_list_keyboard(items, StaffCb, StaffAction.PROVIDER)
    await target(callback).answer("\n".join(lines), reply_markup=markup)


async def provider_cards(callback: CallbackQuery, callback_data: StaffCb, session: AsyncSession) -> None:
    cards = await listed(callback, svc.cards_of(session, callback_data.id), "showcase.adm_no_cards")
    if not cards:
        return
    items = [
        (card.id, f"{number('card', card.id)} {card.title[:30]} · {card_status_label(card.status)}")
        for card in cards[:LISTED]
    ]
    markup = staff_list_keyboard(items, StaffCb, StaffAction.CARD)
    await target(callback).answer(_("showcase.adm_cards_title"), reply_markup=markup)


async def send_staff_card(
    event: Message | CallbackQuery, session: AsyncSession, bot: Bot, settings: Any, card: ServiceCard
) -> None:
    text = await card_text_for(
        session, card, settings.default_locale, status=True, tz=settings.tz, published_events_only=False
    )
    linked = await svc.events_for_card(session, card.id, published_only=False)
    markup = staff_card_keyboard(card.id, card.status, [(e.id, e.title) for e in linked])
    await send_card(bot, target(event).chat.id, card, number("card", card.id) + "\n" + text, markup)


async def staff_card(
    callback: CallbackQuery, callback_data: StaffCb, session: AsyncSession, bot: Bot, settings: Any
) -> None:
    card = await found_or_alert(callback, await svc.card(session, callback_data.id), "showcase.card_gone")
    if card is None:
        return
    await send_staff_card(callback, session, bot, settings, card)


async def expo_pick(
    callback: CallbackQuery, callback_data: StaffCb, session: AsyncSession, settings: Any
) -> None:
    card = await svc.card(session, callback_data.id)
    if card is None or card.status != CardStatus.PUBLISHED:
        await callback.answer(_("showcase.expo_not_published"), show_alert=True)
        return
    events = await svc.expo_events(session)
    await callback.answer()
    if not events:
        await target(callback).answer(_("showcase.adm_expo_no_events"))
        return
    items = [
        (e.id, f"{dates.day_text(e.starts_at.astimezone(settings.tz).date(), _)} {e.title}") for e in events
    ]
    await target(callback).answer(
        _("showcase.adm_expo_pick").format(title=esc(card.title)),
        reply_markup=expo_events_keyboard(card.id, items),
    )


async def expo_link(
    callback: CallbackQuery, callback_data: ExpoLinkCb, session: AsyncSession, bot: Bot, settings: Any
) -> None:
    link = callback_data.action == ExpoAction.LINK
    change = svc.link_to_event if link else svc.unlink_from_event
    try:
        await change(session, callback.from_user.id, callback_data.c, callback_data.id)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer(_("showcase.adm_expo_linked") if link else _("showcase.adm_expo_unlinked"))
    card = await svc.card(session, callback_data.c)
    if card is not None:
        await send_staff_card(callback, session, bot, settings, card)


# --- categories ---------------------------------------------------------------------------------


async def show_categories(event: Message | CallbackQuery, session: AsyncSession) -> None:
    items = [
        (cat.id, cat.title_ru + ("" if cat.active else " " + _("showcase.adm_hidden")))
        for cat in await svc.categories(session, active_only=False)
    ]
    markup = staff_list_keyboard(items, CategoryCb, CategoryAction.OPEN)
    add = CategoryCb(action=CategoryAction.ADD).pack()
    markup.inline_keyboard.insert(
        len(markup.inline_keyboard) - 1,
        [InlineKeyboardButton(text=_("showcase.adm_cat_add"), callback_data=add)],
    )
    await target(event).answer(_("showcase.adm_categories_title"), reply_markup=markup)


async def categories(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    await show_categories(callback, session)


async def category(callback: CallbackQuery, callback_data: CategoryCb, session: AsyncSession) -> None:
    cat = await found_or_alert(callback, await svc.category(session, callback_data.id), "showcase.card_gone")
    if cat is None:
        return
    await target(callback).answer(
        _("showcase.adm_category").format(
            title=esc(cat.title_ru), state=_("showcase.adm_shown") if cat.active else _("showcase.adm_hidden")
        ),
        reply_markup=category_admin_keyboard(cat.id, cat.active),
    )


async def category_toggle(callback: CallbackQuery, callback_data: CategoryCb, session: AsyncSession) -> None:
    cat = await or_alert(callback, svc.toggle_category(session, callback.from_user.id, callback_data.id))
    if cat is None:
        return
    await callback.answer(_("showcase.adm_shown") if cat.active else _("showcase.adm_hidden"))
    await show_categories(callback, session)


async def category_ask(callback: CallbackQuery, callback_data: CategoryCb, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(StaffInput.category)
    await state.update_data(sc_cat=callback_data.id if callback_data.action == CategoryAction.RENAME else 0)
    await target(callback).answer(
        plural(_, "showcase.adm_ask_category", svc.CATEGORY_MAX), reply_markup=staff_cancel_keyboard()
    )


async def category_title(message: Message, state: FSMContext, session: AsyncSession) -> None:
    assert message.from_user is not None
    category_id = int((await state.get_data()).get("sc_cat") or 0)
    text = message.text or ""
    if category_id:
        write = svc.rename_category(session, message.from_user.id, category_id, text)
    else:
        write = svc.add_category(session, message.from_user.id, text)
    written, _result = await staff_write(message, state, write)
    if not written:
        return
    await message.answer(_("showcase.adm_category_saved"))
    await show_categories(message, session)


async def category_wrong(message: Message) -> None:
    await message.answer(_("showcase.adm_text_please"), reply_markup=staff_cancel_keyboard())


async def figures(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    data = await svc.figures(session)
    await target(callback).answer(
        _("showcase.adm_figures_text").format(
            **asdict(data), rating=f"{data.rating_avg:.1f}" if data.rating_avg is not None else "—"
        )
    )


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    cb(providers, on(StaffAction.PROVIDERS))
    cb(provider_cards, on(StaffAction.PROVIDER))
    cb(staff_card, on(StaffAction.CARD))
    cb(expo_pick, on(StaffAction.EXPO))
    cb(expo_link, ExpoLinkCb.filter())
    cb(categories, on_category(CategoryAction.LIST))
    cb(category, on_category(CategoryAction.OPEN))
    cb(category_toggle, on_category(CategoryAction.TOGGLE))
    cb(category_ask, CategoryCb.filter(F.action.in_({CategoryAction.RENAME, CategoryAction.ADD})))
    msg(category_title, StaffInput.category, F.text, NOT_A_COMMAND)
    msg(category_wrong, StaffInput.category, NOT_A_COMMAND)
    cb(figures, on(StaffAction.FIGURES))
