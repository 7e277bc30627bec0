"""The services showcase (ЭКСПО услуг) in private chats: shared pieces (how a card and a request look,
telling the other party), the conversation relayed between resident and provider, and create_router()
that joins the resident's side (showcase_resident) and the provider's side (showcase_provider)."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.models.showcase import ServiceCard, ServiceRequest
from handlers.common import RequireRegistration, error_text, menu_for, target
from handlers.filters import private_only
from keyboards.showcase import (
    ReqCb,
    card_status_label,
    format_label,
    reply_keyboard,
    request_status_label,
    write_keyboard,
)
from services import showcase as svc
from services.errors import DomainError

log = logging.getLogger(__name__)

CAPTION_MAX = 1024


def esc(value: str | None) -> str:
    return html.escape(value or "")


def current_language() -> str:
    """The language this update is answered in (the person's choice, else their Telegram's)."""
    return get_i18n().current_locale


def language_of(user: User | None, i18n: I18n) -> str:
    if user is not None and user.language in i18n.available_locales:
        return user.language
    return i18n.default_locale


def districts_label(codes: list[str]) -> str:
    from services.users import DISTRICTS

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
    return f"{esc(event.title)}, {event.starts_at.astimezone(tz).strftime('%d.%m.%Y %H:%M')}"


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


async def notify(
    bot: Bot,
    i18n: I18n,
    user: User,
    text: Callable[[], str],
    markup: Callable[[], InlineKeyboardMarkup | None] | None = None,
) -> bool:
    """Tell another person something, in their language. A failure (blocked bot...) is logged only."""
    if user.tg_id is None:
        return False
    with i18n.use_locale(language_of(user, i18n)):
        body = text()
        keyboard = markup() if markup else None
    try:
        await bot.send_message(user.tg_id, body, reply_markup=keyboard)
    except TelegramAPIError:
        log.info("could not reach user %s", user.id, exc_info=True)
        return False
    return True


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
        _("showcase.req_title").format(id=request.id, title=esc(view.card.title)),
        _("showcase.req_from").format(
            name=esc(view.resident.full_name or _("showcase.someone")),
            district=_("district." + view.resident.district) if view.resident.district else "—",
        ),
    ]
    if request.note:
        lines.append(_("showcase.req_note").format(note=esc(request.note)))
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
            id=request.id, title=esc(view.card.title), organisation=esc(view.card.organisation)
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


# --- the conversation relayed by the bot ----------------------------------------------------------


class Talk(StatesGroup):
    message = State()


def _kind(message: Message) -> str:
    for kind in ("text", "photo", "document", "voice", "video", "audio", "video_note", "location", "contact"):
        if getattr(message, kind, None):
            return kind
    return "other"


def create_chat_router() -> Router:
    router = Router(name="showcase-chat")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    @router.callback_query(ReqCb.filter(F.a == "write"))
    async def start_writing(
        callback: CallbackQuery, callback_data: ReqCb, state: FSMContext, session: AsyncSession
    ) -> None:
        try:
            talk = await svc.conversation(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await state.set_state(Talk.message)
        await state.update_data(sc_talk=callback_data.id)
        key = "showcase.write_to_provider" if talk.sender_role == "resident" else "showcase.write_to_resident"
        await target(callback).answer(
            _(key).format(id=talk.view.request.id, title=esc(talk.view.card.title)),
            reply_markup=write_keyboard(),
        )

    @router.message(Talk.message, F.sticker | F.dice | F.poll | F.game | F.media_group_id)
    async def unsupported(message: Message) -> None:
        await message.answer(_("showcase.write_unsupported"))

    @router.message(Talk.message, ~F.text.startswith("/"))
    async def relay(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        bot: Bot,
        i18n: I18n,
        user: User | None,
    ) -> None:
        request_id = (await state.get_data()).get("sc_talk")
        assert message.from_user is not None
        if message.text is not None and len(message.text) > 3500:
            await message.answer(_("showcase.write_too_long"))
            return
        try:
            talk = await svc.conversation(session, message.from_user.id, int(request_id or 0))
        except DomainError as exc:
            await state.set_state(None)
            await message.answer(error_text(exc), reply_markup=menu_for(user))
            return
        recipient = talk.recipient
        assert recipient.tg_id is not None
        header_key = (
            "showcase.msg_from_resident" if talk.sender_role == "resident" else "showcase.msg_from_provider"
        )
        with i18n.use_locale(language_of(recipient, i18n)):
            header = _(header_key).format(
                id=talk.view.request.id,
                title=esc(talk.view.card.title),
                organisation=esc(talk.view.card.organisation),
                name=esc(talk.sender.first_name or _("showcase.someone")),
            )
            keyboard = reply_keyboard(talk.view.request.id)
        try:
            await bot.send_message(recipient.tg_id, header)
            await bot.copy_message(
                chat_id=recipient.tg_id,
                from_chat_id=message.chat.id,
                message_id=message.message_id,
                reply_markup=keyboard,
            )
        except TelegramForbiddenError:
            await message.answer(_("showcase.peer_unreachable"))
            return
        except TelegramAPIError:
            log.warning("relay of request %s failed", request_id, exc_info=True)
            await message.answer(_("showcase.relay_failed"))
            return
        await svc.log_message(
            session, talk.view.request.id, talk.sender.id, _kind(message), message.text or message.caption
        )
        await state.set_state(None)
        await message.answer(_("showcase.relayed"), reply_markup=reply_keyboard(talk.view.request.id))

    @router.callback_query(StateFilter(Talk), F.data.startswith("nav:back"))
    async def back(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
        await callback.answer()
        await state.set_state(None)
        await target(callback).answer(_("menu.title"), reply_markup=menu_for(user))

    return router


def create_router() -> Router:
    """Everything of the showcase in private chats."""
    from handlers import showcase_provider, showcase_resident

    router = Router(name="showcase")
    router.include_router(create_chat_router())
    router.include_router(showcase_resident.create_router())
    router.include_router(showcase_provider.create_router())
    return router
