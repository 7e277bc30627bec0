"""Events for people: /events, the card, sign-up with an .ics, the wait-list and its offers, reminder
answers and /my sign-ups. Deep links, self check-in and feedback are in checkin.py."""

from __future__ import annotations

import math
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Event, EventStatus, SignupStatus, User
from handlers.common import PUBLIC, acknowledge, error_text, or_alert, resident_router, target
from handlers.events.views import (
    CAPTION_MAX,
    drop_buttons,
    event_ics,
    list_item,
    offer_ttl,
    place_line,
    render_card,
    reply,
    short,
)
from keyboards.events import (
    EvAction,
    EvCb,
    card_keyboard,
    confirm_cancel_keyboard,
    list_keyboard,
    my_keyboard,
    signed_up_keyboard,
    waitlist_offer_keyboard,
)
from keyboards.menu import MenuCb, home_only
from keyboards.my import MyCb
from services import events as ev
from services.errors import DomainError


async def alert(callback: CallbackQuery, exc: DomainError) -> None:
    await callback.answer(error_text(exc), show_alert=True)


def _can_check_in(item: Event, signup: Any, registered: bool, now: Any) -> bool:
    return (
        registered
        and item.status == EventStatus.PUBLISHED
        and item.starts_at - ev.CHECKIN_EARLY <= now <= item.ends_at
        and not (signup is not None and signup.checked_in_at is not None and signup.status == "confirmed")
    )


async def show_card(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User | None,
    event_id: int,
    *,
    edit: bool = True,
    with_poster: bool = False,
) -> None:
    item = await ev.get_event(session, event_id)
    if item is None or item.status == EventStatus.DRAFT:
        await reply(event, _("events.err_not_found"), None, edit=False)
        return
    held = await ev.holding_count(session, event_id)
    signup = await ev.signup_of(session, user.id, event_id) if user is not None else None
    position = await ev.waiting_position(session, signup) if signup and signup.status == "waiting" else 0
    text = render_card(item, held, signup, position)
    now = utcnow()
    open_ = item.status == EventStatus.PUBLISHED and now < item.starts_at and now <= item.reg_deadline
    registered = user is not None and user.is_registered
    markup = card_keyboard(
        item.id,
        status=signup.status if signup is not None and registered else None,
        can_sign_up=open_,  # shown to everyone: a person not registered is asked to consent when pressing
        full=item.capacity is not None and held >= item.capacity,
        checkin=_can_check_in(item, signup, registered, now),
    )
    if with_poster and item.poster_file_id:
        message = target(event)
        if len(text) <= CAPTION_MAX:
            await message.answer_photo(item.poster_file_id, caption=text, reply_markup=markup)
            return
        await message.answer_photo(item.poster_file_id)
        edit = False
    await reply(event, text, markup, edit)


async def show_list(
    event: Message | CallbackQuery, session: AsyncSession, settings: Any, page: int, edit: bool
) -> None:
    size = int(getattr(settings, "events_page_size", 5))
    now = utcnow()
    items, total = await ev.upcoming(session, now, offset=page * size, limit=size)
    if total == 0:
        await reply(event, _("events.list_empty"), None, edit)
        return
    pages = max(1, math.ceil(total / size))
    if not items and page > 0:
        page = pages - 1
        items, total = await ev.upcoming(session, now, offset=page * size, limit=size)
    lines = [_("events.list_title").format(page=page + 1, pages=pages)]
    buttons = []
    for number, (item, held) in enumerate(items, start=page * size + 1):
        lines.append(list_item(number, item, held))
        buttons.append((item.id, f"{number}. {short(item.title)}"))
    await reply(event, "\n\n".join(lines), list_keyboard(buttons, page, pages), edit)


async def send_confirmation(message: Message, event: Event) -> None:
    """The sign-up confirmed as text, with «📆 В календарь» (the .ics on request) and «Отменить запись»."""
    text = _("flows.events.signed_up").format(
        title=hd.quote(event.title),
        when=ev.fmt_when(event, gettext=_),
        place=place_line(event, show_link=True),
    )
    await message.answer(text, reply_markup=signed_up_keyboard(event.id))


async def show_my(event: Message | CallbackQuery, session: AsyncSession, user: User, edit: bool) -> None:
    rows = await ev.my_signups(session, user.id, utcnow())
    if not rows:
        await reply(event, _("events.my_empty"), my_keyboard([]), edit)
        return
    lines = [_("events.my_title")]
    buttons = []
    for signup, item in rows:
        lines.append(
            _("events.my_item").format(
                title=hd.quote(item.title),
                when=ev.fmt_when(item, gettext=_),
                status=_(f"events.status_{signup.status}"),
            )
        )
        buttons.append((item.id, short(item.title)))
    await reply(event, "\n\n".join(lines), my_keyboard(buttons), edit)


# --- handlers ---------------------------------------------------------------------------------------


async def events(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    """/events and the menu's button: the first page of the list."""
    await acknowledge(event)
    await state.clear()
    await show_list(event, session, settings, 0, edit=False)


async def page(callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, settings: Any) -> None:
    await callback.answer()
    await show_list(callback, session, settings, max(callback_data.v, 0), edit=True)


async def card(
    callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User | None
) -> None:
    await callback.answer()
    await show_card(callback, session, user, callback_data.e, edit=True)


async def my_section(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await callback.answer()
    await state.clear()
    await show_my(callback, session, user, edit=False)


async def sign_up(
    callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, settings: Any
) -> None:
    waitlist = callback_data.a == EvAction.WAITLIST
    try:
        result = await ev.sign_up(
            session, user, callback_data.e, waitlist=waitlist, offer_ttl=offer_ttl(settings)
        )
    except ev.EventFull as exc:
        await alert(callback, exc)
        markup = waitlist_offer_keyboard(callback_data.e)
        await reply(callback, _("events.full_offer_waitlist"), markup, edit=False)
        return
    except DomainError as exc:
        await alert(callback, exc)
        return
    await callback.answer()
    if result.status == SignupStatus.CONFIRMED:
        await send_confirmation(target(callback), result.event)
    else:
        await target(callback).answer(
            _("events.waitlisted").format(title=hd.quote(result.event.title), position=result.position)
        )
    await show_card(callback, session, user, callback_data.e, edit=False)


async def calendar(callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User) -> None:
    item = await ev.get_event(session, callback_data.e)
    signup = await ev.signup_of(session, user.id, callback_data.e)
    if item is None or signup is None or signup.status != SignupStatus.CONFIRMED:
        await callback.answer(_("events.err_not_signed_up"), show_alert=True)
        return
    await callback.answer()
    await target(callback).answer_document(event_ics(item), caption=_("flows.calendar_caption"))


async def ask_cancel(callback: CallbackQuery, callback_data: EvCb, session: AsyncSession) -> None:
    await callback.answer()
    item = await ev.get_event(session, callback_data.e)
    if item is None:
        await target(callback).answer(_("events.err_not_found"))
        return
    text = _("events.cancel_confirm").format(title=hd.quote(item.title), when=ev.fmt_when(item, gettext=_))
    await reply(callback, text, confirm_cancel_keyboard(item.id), edit=True)


async def do_cancel(
    callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, settings: Any
) -> None:
    cancelled = ev.cancel_signup(session, user, callback_data.e, offer_ttl=offer_ttl(settings))
    if await or_alert(callback, cancelled) is None:
        return
    await callback.answer()
    if callback_data.a == EvAction.WONT_COME:
        await drop_buttons(callback)
    await target(callback).answer(_("events.cancelled_signup"))
    await show_card(callback, session, user, callback_data.e, edit=False)


async def will_come(callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User) -> None:
    if (item := await or_alert(callback, ev.will_come(session, user, callback_data.e))) is None:
        return
    await callback.answer()
    await drop_buttons(callback)
    await target(callback).answer(
        _("events.will_come_thanks").format(title=hd.quote(item.title)), reply_markup=home_only()
    )


async def offer(
    callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, settings: Any
) -> None:
    accept = callback_data.a == EvAction.OFFER_YES
    answer = ev.confirm_offer if accept else ev.decline_offer
    answered = answer(session, user, callback_data.e, offer_ttl=offer_ttl(settings))
    if await or_alert(callback, answered) is None:
        await drop_buttons(callback)
        return
    await callback.answer()
    await drop_buttons(callback)
    item = await ev.get_event(session, callback_data.e)
    assert item is not None
    if accept:
        await send_confirmation(target(callback), item)
    else:
        await target(callback).answer(
            _("events.offer_declined").format(title=hd.quote(item.title)), reply_markup=home_only()
        )


def _on(*actions: EvAction) -> Any:
    return EvCb.filter(F.a.in_(actions))


def create_router() -> Router:
    router = resident_router("events-main")
    router.message.register(events, Command("events"), flags=PUBLIC)
    button = router.callback_query.register
    button(events, MenuCb.filter(F.action == "events"), flags=PUBLIC)
    button(page, _on(EvAction.LIST), flags=PUBLIC)
    button(card, _on(EvAction.CARD), flags=PUBLIC)
    button(my_section, MyCb.filter(F.section == "events"))
    button(sign_up, _on(EvAction.SIGN_UP, EvAction.WAITLIST))
    button(calendar, _on(EvAction.ICS))
    button(ask_cancel, _on(EvAction.CANCEL))
    button(do_cancel, _on(EvAction.CANCEL_YES, EvAction.WONT_COME))
    button(will_come, _on(EvAction.WILL_COME))
    button(offer, _on(EvAction.OFFER_YES, EvAction.OFFER_NO))
    return router
