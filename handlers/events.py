"""Events for people: /events, the card, sign-up with an .ics, the wait-list and its offers,
reminder answers, /my sign-ups, self check-in by QR and feedback after the event."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Event, EventSignup, EventStatus, SignupStatus, User
from handlers.common import RequireRegistration, error_text, target
from handlers.filters import private_only
from handlers.my import MyCb
from keyboards.common import nav_keyboard
from keyboards.events import (
    EvCb,
    card_keyboard,
    comment_keyboard,
    confirm_cancel_keyboard,
    list_keyboard,
    my_keyboard,
    waitlist_offer_keyboard,
)
from keyboards.menu import MenuCb
from services import events as ev
from services import ics
from services.errors import DomainError, ValidationFailed

CAPTION_MAX = 1024
LABEL_MAX = 48


class EvFeedback(StatesGroup):
    comment = State()


class EvCheckin(StatesGroup):
    code = State()


def _offer_ttl(settings: Any) -> timedelta:
    return timedelta(hours=float(getattr(settings, "event_offer_hours", 12)))


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _places_line(event: Event, held: int) -> str:
    if event.capacity is None:
        return _("events.places_unlimited")
    left = ev.places_left(event, held) or 0
    if left == 0:
        return _("events.places_none")
    return _("events.places_left").format(left=left, capacity=event.capacity)


def _place_line(event: Event, show_link: bool) -> str:
    if event.place_kind == "online":
        if show_link:
            return _("events.place_online_link").format(url=hd.quote(event.place))
        return _("events.place_online")
    return _("events.place").format(place=hd.quote(event.place))


def render_card(event: Event, held: int, signup: EventSignup | None, position: int = 0) -> str:
    status = (
        signup.status if signup is not None and signup.status in ("confirmed", "offered", "waiting") else None
    )
    lines = [
        f"<b>{hd.quote(event.title)}</b>",
        _(f"events.kind_{event.kind}"),
        _("events.when").format(when=ev.fmt_when(event)),
        _place_line(event, show_link=status == "confirmed"),
    ]
    if event.status == EventStatus.CANCELLED:
        lines.append(_("events.card_cancelled"))
    else:
        lines.append("👥 " + _places_line(event, held))
        lines.append(_("events.deadline").format(deadline=ev.fmt_dt(event.reg_deadline)))
    if event.audience:
        groups = ", ".join(_("group." + g) for g in event.audience)
        lines.append(_("events.audience").format(groups=groups))
    if event.description:
        lines += ["", hd.quote(event.description)]
    if status == "confirmed":
        lines += ["", _("events.you_confirmed")]
    elif status == "offered" and signup is not None and signup.offer_expires_at is not None:
        lines += ["", _("events.you_offered").format(until=ev.fmt_dt(signup.offer_expires_at))]
    elif status == "waiting":
        lines += ["", _("events.you_waiting").format(position=position)]
    return "\n".join(lines)


async def _reply(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None, edit: bool
) -> None:
    """Edit the pressed message when it is a text message, else send a new one."""
    message = target(event)
    if edit and isinstance(event, CallbackQuery) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest:
            pass
    await message.answer(text, reply_markup=markup)


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
        await _reply(event, _("events.err_not_found"), None, edit=False)
        return
    held = await ev.holding_count(session, event_id)
    signup = await ev.signup_of(session, user.id, event_id) if user is not None else None
    position = await ev.waiting_position(session, signup) if signup and signup.status == "waiting" else 0
    text = render_card(item, held, signup, position)
    now = utcnow()
    open_ = item.status == EventStatus.PUBLISHED and now < item.starts_at and now <= item.reg_deadline
    registered = user is not None and user.is_registered
    status = signup.status if signup is not None else None
    markup = card_keyboard(
        item.id,
        status=status if registered else None,
        can_sign_up=open_ and registered,
        full=item.capacity is not None and held >= item.capacity,
        checkin=registered
        and item.status == EventStatus.PUBLISHED
        and item.starts_at - ev.CHECKIN_EARLY <= now <= item.ends_at
        and not (signup is not None and signup.checked_in_at is not None and signup.status == "confirmed"),
    )
    if with_poster and item.poster_file_id:
        message = target(event)
        if len(text) <= CAPTION_MAX:
            await message.answer_photo(item.poster_file_id, caption=text, reply_markup=markup)
            return
        await message.answer_photo(item.poster_file_id)
        edit = False
    await _reply(event, text, markup, edit)


async def show_list(
    event: Message | CallbackQuery, session: AsyncSession, settings: Any, page: int, edit: bool
) -> None:
    size = int(getattr(settings, "events_page_size", 5))
    now = utcnow()
    items, total = await ev.upcoming(session, now, offset=page * size, limit=size)
    if total == 0:
        await _reply(event, _("events.list_empty"), None, edit)
        return
    pages = max(1, math.ceil(total / size))
    if not items and page > 0:
        page = pages - 1
        items, total = await ev.upcoming(session, now, offset=page * size, limit=size)
    lines = [_("events.list_title").format(page=page + 1, pages=pages)]
    buttons = []
    for number, (item, held) in enumerate(items, start=page * size + 1):
        place = (
            _("events.place_online_short")
            if item.place_kind == "online"
            else hd.quote(_short(item.place, 60))
        )
        lines.append(
            _("events.list_item").format(
                n=number,
                title=hd.quote(item.title),
                when=ev.fmt_when(item),
                place=place,
                places=_places_line(item, held),
            )
        )
        buttons.append((item.id, f"{number}. {_short(item.title)}"))
    await _reply(event, "\n\n".join(lines), list_keyboard(buttons, page, pages), edit)


def _ics(event: Event) -> BufferedInputFile:
    data = ics.event_ics(
        uid=f"event-{event.id}@ccbot",
        start=event.starts_at,
        end=event.ends_at,
        summary=event.title,
        location=event.place,
        description=event.description[:1000] or None,
        alarm_minutes=60,
    )
    return BufferedInputFile(data, filename=ics.filename("event", event.id))


async def send_confirmation(message: Message, event: Event) -> None:
    text = _("events.signed_up").format(
        title=hd.quote(event.title), when=ev.fmt_when(event), place=_place_line(event, show_link=True)
    )
    await message.answer_document(_ics(event), caption=text)


async def show_my(event: Message | CallbackQuery, session: AsyncSession, user: User, edit: bool) -> None:
    rows = await ev.my_signups(session, user.id, utcnow())
    if not rows:
        await _reply(event, _("events.my_empty"), my_keyboard([]), edit)
        return
    lines = [_("events.my_title")]
    buttons = []
    for signup, item in rows:
        lines.append(
            _("events.my_item").format(
                title=hd.quote(item.title), when=ev.fmt_when(item), status=_(f"events.status_{signup.status}")
            )
        )
        buttons.append((item.id, _short(item.title)))
    await _reply(event, "\n\n".join(lines), my_keyboard(buttons), edit)


async def _alert(callback: CallbackQuery, exc: DomainError) -> None:
    await callback.answer(error_text(exc), show_alert=True)


async def _drop_buttons(callback: CallbackQuery) -> None:
    """Remove the buttons of a notice once answered (an offer, a reminder, a feedback question)."""
    try:
        await target(callback).edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass


def _checked_in_text(result: ev.CheckinResult, user: User) -> str:
    if result.already:
        text = _("events.checked_in_already")
    elif result.walk_in:
        text = _("events.checked_in_walk_in")
    else:
        text = _("events.checked_in")
    return text.format(title=hd.quote(result.event.title), name=hd.quote(user.first_name))


def create_deeplink_router() -> Router:
    """/start ev_<id> and /start ci_<id>_<code>: open to everyone, before registration's /start."""
    router = Router(name="events-deeplink")
    private_only(router)

    async def register_first(
        message: Message, state: FSMContext, user: User | None, data: dict[str, Any]
    ) -> None:
        from handlers.registration.dialog import welcome_or_resume

        await message.answer(_("events.register_first"))
        await welcome_or_resume(message, state, user, data)

    @router.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^ev_\d{1,12}$")))
    async def open_event(
        message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await state.clear()
        event_id = int((command.args or "ev_0")[3:])
        await show_card(message, session, user, event_id, edit=False, with_poster=True)
        if user is None or not user.is_registered:
            await register_first(message, state, user, {"session": session})

    @router.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^ci_\d{1,12}_[A-Za-z0-9]{1,16}$")))
    async def self_checkin(
        message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, user: User | None
    ) -> None:
        await state.clear()
        _prefix, event_id, code = (command.args or "").split("_", 2)
        if user is None or not user.is_registered:
            await register_first(message, state, user, {"session": session})
            return
        try:
            result = await ev.self_checkin(session, user, int(event_id), code)
        except DomainError as exc:
            await message.answer(error_text(exc))
            return
        await message.answer(_checked_in_text(result, user))

    return router


def create_main_router() -> Router:
    router = Router(name="events-main")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    @router.message(Command("events"))
    async def cmd_events(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
        await state.clear()
        await show_list(message, session, settings, 0, edit=False)

    @router.callback_query(MenuCb.filter(F.action == "events"))
    async def menu_events(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await show_list(callback, session, settings, 0, edit=False)

    @router.callback_query(EvCb.filter(F.a == "list"))
    async def page(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, settings: Any
    ) -> None:
        await callback.answer()
        await show_list(callback, session, settings, max(callback_data.v, 0), edit=True)

    @router.callback_query(EvCb.filter(F.a == "card"))
    async def card(callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User) -> None:
        await callback.answer()
        await show_card(callback, session, user, callback_data.e, edit=True)

    @router.callback_query(MyCb.filter(F.section == "events"))
    async def my_section(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
    ) -> None:
        await callback.answer()
        await state.clear()
        await show_my(callback, session, user, edit=False)

    @router.callback_query(EvCb.filter(F.a.in_({"su", "wl"})))
    async def sign_up(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, settings: Any
    ) -> None:
        try:
            result = await ev.sign_up(
                session,
                user,
                callback_data.e,
                waitlist=callback_data.a == "wl",
                offer_ttl=_offer_ttl(settings),
            )
        except ev.EventFull as exc:
            await callback.answer(error_text(exc), show_alert=True)
            await _reply(
                callback,
                _("events.full_offer_waitlist"),
                waitlist_offer_keyboard(callback_data.e),
                edit=False,
            )
            return
        except DomainError as exc:
            await _alert(callback, exc)
            return
        await callback.answer()
        if result.status == SignupStatus.CONFIRMED:
            await send_confirmation(target(callback), result.event)
        else:
            await target(callback).answer(
                _("events.waitlisted").format(title=hd.quote(result.event.title), position=result.position)
            )
        await show_card(callback, session, user, callback_data.e, edit=False)

    @router.callback_query(EvCb.filter(F.a == "ics"))
    async def calendar(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User
    ) -> None:
        item = await ev.get_event(session, callback_data.e)
        signup = await ev.signup_of(session, user.id, callback_data.e)
        if item is None or signup is None or signup.status != SignupStatus.CONFIRMED:
            await callback.answer(_("events.err_not_signed_up"), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer_document(_ics(item))

    @router.callback_query(EvCb.filter(F.a == "cx"))
    async def ask_cancel(callback: CallbackQuery, callback_data: EvCb, session: AsyncSession) -> None:
        await callback.answer()
        item = await ev.get_event(session, callback_data.e)
        if item is None:
            await target(callback).answer(_("events.err_not_found"))
            return
        await _reply(
            callback,
            _("events.cancel_confirm").format(title=hd.quote(item.title), when=ev.fmt_when(item)),
            confirm_cancel_keyboard(item.id),
            edit=True,
        )

    @router.callback_query(EvCb.filter(F.a.in_({"cxy", "no"})))
    async def do_cancel(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, settings: Any
    ) -> None:
        try:
            await ev.cancel_signup(session, user, callback_data.e, offer_ttl=_offer_ttl(settings))
        except DomainError as exc:
            await _alert(callback, exc)
            return
        await callback.answer()
        if callback_data.a == "no":
            await _drop_buttons(callback)
        await target(callback).answer(_("events.cancelled_signup"))
        await show_card(callback, session, user, callback_data.e, edit=False)

    @router.callback_query(EvCb.filter(F.a == "yes"))
    async def will_come(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User
    ) -> None:
        try:
            item = await ev.will_come(session, user, callback_data.e)
        except DomainError as exc:
            await _alert(callback, exc)
            return
        await callback.answer()
        await _drop_buttons(callback)
        await target(callback).answer(_("events.will_come_thanks").format(title=hd.quote(item.title)))

    @router.callback_query(EvCb.filter(F.a.in_({"oy", "on"})))
    async def offer(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, settings: Any
    ) -> None:
        accept = callback_data.a == "oy"
        try:
            if accept:
                await ev.confirm_offer(session, user, callback_data.e, offer_ttl=_offer_ttl(settings))
            else:
                await ev.decline_offer(session, user, callback_data.e, offer_ttl=_offer_ttl(settings))
        except DomainError as exc:
            await _alert(callback, exc)
            await _drop_buttons(callback)
            return
        await callback.answer()
        await _drop_buttons(callback)
        item = await ev.get_event(session, callback_data.e)
        assert item is not None
        if accept:
            await send_confirmation(target(callback), item)
        else:
            await target(callback).answer(_("events.offer_declined").format(title=hd.quote(item.title)))

    @router.callback_query(EvCb.filter(F.a == "ci"))
    async def ask_code(callback: CallbackQuery, callback_data: EvCb, state: FSMContext) -> None:
        await callback.answer()
        await state.set_state(EvCheckin.code)
        await state.set_data({"event_id": callback_data.e})
        await target(callback).answer(_("events.ask_code"), reply_markup=nav_keyboard(back=False))

    @router.message(EvCheckin.code, F.text, ~F.text.startswith("/"))
    async def code_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
        event_id = int((await state.get_data()).get("event_id", 0))
        code = "".join((message.text or "").split())[:16]
        try:
            result = await ev.self_checkin(session, user, event_id, code)
        except ValidationFailed as exc:
            await message.answer(error_text(exc), reply_markup=nav_keyboard(back=False))
            return
        except DomainError as exc:
            await state.clear()
            await message.answer(error_text(exc))
            return
        await state.clear()
        await message.answer(_checked_in_text(result, user))

    @router.message(StateFilter(EvCheckin.code))
    async def code_other(message: Message) -> None:
        await message.answer(_("events.hint_code"), reply_markup=nav_keyboard(back=False))

    @router.callback_query(EvCb.filter(F.a == "rate"))
    async def rate(
        callback: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, state: FSMContext
    ) -> None:
        try:
            item = await ev.rate(session, user, callback_data.e, callback_data.v)
        except DomainError as exc:
            await _alert(callback, exc)
            return
        await callback.answer()
        await _drop_buttons(callback)
        await state.set_state(EvFeedback.comment)
        await state.set_data({"event_id": item.id})
        await target(callback).answer(
            _("events.ask_comment").format(rating=callback_data.v, max=ev.COMMENT_MAX),
            reply_markup=comment_keyboard(),
        )

    @router.callback_query(EvCb.filter(F.a == "nocomment"))
    async def no_comment(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await state.clear()
        await _drop_buttons(callback)
        await target(callback).answer(_("events.feedback_thanks"))

    @router.message(EvFeedback.comment, F.text, ~F.text.startswith("/"))
    async def comment_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
        event_id = int((await state.get_data()).get("event_id", 0))
        try:
            await ev.comment(session, user, event_id, message.text)
        except DomainError as exc:
            await message.answer(error_text(exc), reply_markup=comment_keyboard())
            return
        await state.clear()
        await message.answer(_("events.feedback_thanks"))

    @router.message(StateFilter(EvFeedback.comment))
    async def comment_other(message: Message) -> None:
        await message.answer(
            _("events.hint_comment").format(max=ev.COMMENT_MAX), reply_markup=comment_keyboard()
        )

    return router


def create_router(settings: Any | None = None) -> Router:
    if settings is not None:
        ev.set_timezone(settings.tz)
    router = Router(name="events")
    router.include_router(create_deeplink_router())
    router.include_router(create_main_router())
    return router
