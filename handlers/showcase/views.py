"""What the showcase's sides share: how a card and a request look, sending a card with its photo,
telling the other party, editing a pressed message in place; the provider's «Мои услуги» and an own
card (shown from several of the provider's dialogs), and posting a card for moderation."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import User
from db.models.showcase import ServiceCard, ServiceRequest, TrialApplication
from handlers.common import error_text, target
from handlers.forms import FormContext
from handlers.messengers import language_of
from handlers.workspace import staff_thread
from keyboards.showcase import CardAction, CardCb, card_status_label, format_label, request_status_label
from keyboards.showcase_provider import own_card_keyboard, provider_hub_keyboard
from keyboards.showcase_staff import moderation_keyboard
from services import dates
from services import showcase as svc
from services.errors import DomainError
from services.numbers import number
from services.users import DISTRICTS

log = logging.getLogger(__name__)

CAPTION_MAX = 1024
T = TypeVar("T")
NOT_A_COMMAND = ~F.text.startswith("/")
"""A message filter for the showcase's typed answers: a command keeps its own meaning."""


def esc(value: str | None) -> str:
    return html.escape(value or "")


async def listed(callback: CallbackQuery, rows: Awaitable[Sequence[T]], empty: str) -> Sequence[T]:
    """A staff list pressed for: the press answered, then its rows (none: the ``empty`` key is said)."""
    await callback.answer()
    found = await rows
    if not found:
        await target(callback).answer(_(empty))
    return found


def current_language() -> str:
    """The language this update is answered in (the person's choice, else their Telegram's)."""
    return get_i18n().current_locale


def districts_label(codes: list[str]) -> str:
    if set(DISTRICTS) - {"other"} <= set(codes):
        return _("showcase.everywhere")
    return ", ".join(_("district." + code) for code in codes)


def rating_label(rating: tuple[float, int] | None) -> str:
    if not rating:
        return _("showcase.no_ratings")
    average, count = rating
    return _("showcase.rating").format(average=f"{average:.1f}", count=count)


def price_label(card: ServiceCard) -> str:
    return esc(card.price) if card.price else _("showcase.free")


def card_text(
    card: ServiceCard,
    category_title: str,
    rating: tuple[float, int] | None,
    *,
    status: bool = False,
    events: list[str] | None = None,
) -> str:
    lines = [
        f"<b>{esc(card.title)}</b>",
        _("showcase.card_org").format(value=esc(card.organisation)),
        _("showcase.card_category").format(value=esc(category_title)),
        _("showcase.card_districts").format(value=districts_label(card.districts)),
        _("showcase.card_price").format(value=price_label(card)),
        _("showcase.card_format").format(value=format_label(card.format)),
        rating_label(rating),
    ]
    if status:
        lines.append(_("showcase.card_status").format(value=card_status_label(card.status)))
        if card.staff_comment:
            lines.append(_("showcase.card_comment").format(value=esc(card.staff_comment)))
    for event in events or []:
        lines.append(_("showcase.card_expo").format(event=event))
    lines += ["", esc(card.description)]
    return "\n".join(lines)


def event_label(event: Any, tz: Any) -> str:
    return f"{esc(event.title)}, {dates.moment_text(event.starts_at, tz, _)}"


async def card_text_for(
    session: AsyncSession,
    card: ServiceCard,
    language: str | None,
    *,
    status: bool = False,
    tz: Any = None,
    published_events_only: bool = True,
) -> str:
    """The card's text; with ``tz``, the upcoming EXPO events it takes part in are listed too."""
    category = await svc.category(session, card.category_id)
    ratings = await svc.ratings(session, [card.id])
    events = None
    if tz is not None:
        found = await svc.events_for_card(session, card.id, published_only=published_events_only)
        events = [event_label(event, tz) for event in found]
    return card_text(
        card, svc.category_title(category, language), ratings.get(card.id), status=status, events=events
    )


async def send_card(
    bot: Bot,
    chat_id: int,
    card: ServiceCard,
    text: str,
    markup: InlineKeyboardMarkup | None,
    **kwargs: Any,
) -> None:
    """A card with its photo (the caption if it fits, else the photo then the text)."""
    if card.photo_file_id:
        if len(text) <= CAPTION_MAX:
            await bot.send_photo(chat_id, card.photo_file_id, caption=text, reply_markup=markup, **kwargs)
            return
        await bot.send_photo(chat_id, card.photo_file_id, **kwargs)
    await bot.send_message(chat_id, text, reply_markup=markup, **kwargs)


async def send_note_voice(bot: Bot, i18n: I18n, provider: User, request_id: int, file_id: str) -> None:
    """The resident's voice message with the request, to the provider as voice."""
    if provider.tg_id is None:
        return
    with i18n.use_locale(language_of(provider, i18n)):
        caption = _("flows.showcase.note_voice").format(id=request_id)
    try:
        await bot.send_voice(provider.tg_id, file_id, caption=caption)
    except TelegramAPIError:
        log.info("could not send the voice of request %s", request_id, exc_info=True)


async def show(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message in place when it is a text message (fewer messages on slow links)."""
    message = target(event)
    if isinstance(event, CallbackQuery) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                return
    await message.answer(text, reply_markup=markup)


async def fresh(session: AsyncSession, user: User | None) -> User | None:
    """The person reloaded after a failed write (its rollback expired every loaded object)."""
    if user is not None:
        await session.refresh(user)
    return user


def status_label(request: ServiceRequest) -> str:
    return request_status_label(request.status)


def provider_request_text(view: svc.RequestView) -> str:
    request = view.request
    phone = (
        _("showcase.req_phone").format(phone=esc(view.phone)) if view.phone else _("showcase.req_no_phone")
    )
    lines = [
        _("showcase.req_title").format(id=number("request", request.id), title=esc(view.card.title)),
        _("showcase.req_from").format(
            name=esc(view.resident.full_name or _("showcase.someone")),
            district=_("district." + view.resident.district) if view.resident.district else "—",
        ),
    ]
    if request.note:
        lines.append(_("showcase.req_note").format(note=esc(request.note)))
    if request.note_voice:
        lines.append(_("flows.showcase.req_voice"))
    lines += [phone, _("showcase.req_status").format(status=status_label(request))]
    if request.rating:
        lines.append(_("showcase.req_rating").format(stars="⭐" * request.rating))
        if request.rating_comment:
            lines.append(_("showcase.req_review").format(text=esc(request.rating_comment)))
    return "\n".join(lines)


def resident_request_text(view: svc.RequestView) -> str:
    request = view.request
    lines = [
        _("showcase.my_req_title").format(
            id=number("request", request.id),
            title=esc(view.card.title),
            organisation=esc(view.card.organisation),
        ),
        _("showcase.req_status").format(status=status_label(request)),
    ]
    if request.note:
        lines.append(_("showcase.my_req_note").format(note=esc(request.note)))
    lines.append(
        _("showcase.my_req_phone_shared") if request.phone_shared else _("showcase.my_req_phone_kept")
    )
    if request.rating:
        lines.append(_("showcase.req_rating").format(stars="⭐" * request.rating))
    return "\n".join(lines)


def open_card_markup(card_id: int) -> InlineKeyboardMarkup:
    """«Открыть карточку» under a message telling the provider about their card."""
    data = CardCb(a=CardAction.OPEN, id=card_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("showcase.btn_open_card"), callback_data=data)]]
    )


def with_back(markup: InlineKeyboardMarkup | None, back: CardCb) -> InlineKeyboardMarkup:
    rows = list(markup.inline_keyboard) if markup else []
    rows.append([InlineKeyboardButton(text=_("showcase.btn_requests_back"), callback_data=back.pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def refused_to_non_provider(callback: CallbackQuery, user: User | None) -> bool:
    """True (and an alert) when the person pressing a provider's button is not a provider."""
    if svc.is_provider(user):
        return False
    await callback.answer(_("showcase.not_provider"), show_alert=True)
    return True


# --- the provider's own cards -------------------------------------------------------------------


async def show_hub(event: Message | CallbackQuery, session: AsyncSession, user: User | None) -> None:
    """«Мои услуги»: the provider's cards with their status, requests, the trial office."""
    if not svc.is_provider(user):
        await show(event, _("showcase.not_provider_hint"), None)
        return
    assert user is not None
    cards = await svc.provider_cards(session, user.id)
    requests = await svc.provider_requests(session, user.id)
    open_count = sum(1 for v in requests if v.request.status in svc.OPEN_REQUEST)
    lines = [_("showcase.hub_title").format(organisation=esc(user.organisation))]
    lines.append(_("showcase.hub_cards") if cards else _("showcase.hub_empty"))
    items = [(card.id, f"{card.title[:34]} · {card_status_label(card.status)}") for card in cards[:20]]
    await show(event, "\n".join(lines), provider_hub_keyboard(items, open_count))


async def back_to_hub(ctx: FormContext) -> None:
    """A provider's dialog (a card, a trial application) left or done: «Мои услуги» again."""
    await show_hub(ctx.event, ctx.session, ctx.user)


async def show_own_card(event: Message | CallbackQuery, session: AsyncSession, card_id: int) -> None:
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


async def post_for_moderation(desk: Desk, card: ServiceCard, provider: User, edited: bool) -> None:
    """The new or changed card in the admin chat, with the moderation buttons."""
    if desk.settings.admin_chat_id is None:
        return
    with desk.i18n.use_locale(desk.settings.default_locale):
        header = _("showcase.mod_edited" if edited else "showcase.mod_new").format(
            id=number("card", card.id), name=esc(provider.full_name), organisation=esc(provider.organisation)
        )
        text = header + "\n\n" + await card_text_for(desk.session, card, desk.settings.default_locale)
        markup = moderation_keyboard(card.id)
    thread = await staff_thread(desk, "catalogue")
    try:
        await send_card(desk.bot, desk.settings.admin_chat_id, card, text, markup, message_thread_id=thread)
    except Exception:  # the card is saved and listed in the queue; staff still find it
        log.warning("could not post card %s to the admin chat", card.id, exc_info=True)


def trial_staff_text(application: TrialApplication, user: User | None) -> str:
    """An application for the trial office as staff see it."""
    return _("showcase.trial_staff").format(
        id=number("trial", application.id),
        name=esc(user.full_name if user else None),
        organisation=esc(application.organisation),
        start=dates.day_text(application.date_from, _),
        end=dates.day_text(application.date_to, _),
        purpose=esc(application.purpose),
    )
