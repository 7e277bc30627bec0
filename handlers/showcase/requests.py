"""The resident's requests: the request dialog (a short note, the phone only with consent), the
person's requests in /my (open, cancel), and the rating with an optional review after «Выполнено»."""

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
from db.models.showcase import CardStatus, RequestStatus
from handlers.common import error_text, menu_for, or_alert, target
from handlers.showcase.catalogue import show_card, show_home
from handlers.showcase.views import (
    NOT_A_COMMAND,
    esc,
    fresh,
    notify,
    provider_request_text,
    resident_request_text,
    send_note_voice,
    show,
    status_label,
)
from keyboards.common import NavCb
from keyboards.my import MyCb
from keyboards.showcase import (
    ReqAction,
    ReqCb,
    confirm_cancel_request,
    note_keyboard,
    phone_consent_keyboard,
    provider_request_keyboard,
    rating_keyboard,
    requests_list_keyboard,
    resident_request_keyboard,
    skip_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.numbers import number
from services.plural import plural


class Ask(StatesGroup):
    note = State()
    phone = State()


class Rate(StatesGroup):
    comment = State()


def on(action: ReqAction) -> Any:
    return ReqCb.filter(F.a == action)


# --- the request dialog -------------------------------------------------------------------------


async def ask_note(event: Message | CallbackQuery, state: FSMContext, title: str) -> None:
    await state.set_state(Ask.note)
    await target(event).answer(
        plural(_, "showcase.ask_note", svc.NOTE_MAX, title=esc(title))
        + "\n"
        + _("flows.showcase.voice_hint"),
        reply_markup=note_keyboard(),
    )


async def ask_phone(event: Message | CallbackQuery, state: FSMContext, user: User, organisation: str) -> None:
    await state.set_state(Ask.phone)
    await target(event).answer(
        _("showcase.ask_phone").format(phone=esc(user.phone), organisation=esc(organisation)),
        reply_markup=phone_consent_keyboard(),
    )


@dataclass(frozen=True)
class Asking:
    """A resident's request on its way, as the dialog's steps hand it on: where they answered, their
    state and session, and the bot and i18n that tell the provider."""

    event: Message | CallbackQuery
    state: FSMContext
    session: AsyncSession
    user: User | None
    bot: Bot
    i18n: I18n


async def submit_request(asking: Asking, share_phone: bool) -> None:
    event, state, session, user = asking.event, asking.state, asking.session, asking.user
    data = await state.get_data()
    assert event.from_user is not None
    try:
        request, card, _resident, provider = await svc.create_request(
            session,
            event.from_user.id,
            int(data.get("sc_card") or 0),
            data.get("sc_note"),
            share_phone,
            note_voice=data.get("sc_voice"),
        )
    except DomainError as exc:
        await state.set_state(None)
        await target(event).answer(error_text(exc), reply_markup=menu_for(await fresh(session, user)))
        return
    await state.set_state(None)
    await state.update_data(sc_note=None, sc_card=None, sc_voice=None)
    await target(event).answer(
        _("showcase.request_sent").format(
            id=number("request", request.id), title=esc(card.title), organisation=esc(card.organisation)
        ),
        reply_markup=menu_for(user),
    )
    view = await svc.request_view(session, request.id)
    assert view is not None
    delivered = await notify(
        asking.bot,
        asking.i18n,
        provider,
        lambda: _("showcase.new_request") + "\n\n" + provider_request_text(view),
        lambda: provider_request_keyboard(request.id, request.status),
    )
    if delivered and request.note_voice:
        await send_note_voice(asking.bot, asking.i18n, provider, request.id, request.note_voice)


async def new_request(
    callback: CallbackQuery, callback_data: ReqCb, state: FSMContext, session: AsyncSession, user: User | None
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
    await state.update_data(sc_card=card.id, sc_note=None, sc_voice=None)
    await ask_note(callback, state, card.title)


async def after_note(asking: Asking) -> None:
    """The note taken (or skipped): the phone asked about if the resident has one, else the request sent."""
    event, state, user = asking.event, asking.state, asking.user
    assert user is not None
    card = await svc.card(asking.session, int((await state.get_data()).get("sc_card") or 0))
    if card is None:
        await state.set_state(None)
        await target(event).answer(_("showcase.card_unavailable"), reply_markup=menu_for(user))
        return
    if user.phone:
        await ask_phone(event, state, user, card.organisation)
        return
    await submit_request(asking, False)


async def note_text(
    message: Message, state: FSMContext, session: AsyncSession, user: User | None, bot: Bot, i18n: I18n
) -> None:
    try:
        note = svc.clean_note(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    await state.update_data(sc_note=note)
    await after_note(Asking(message, state, session, user, bot, i18n))


async def note_voice(
    message: Message, state: FSMContext, session: AsyncSession, user: User | None, bot: Bot, i18n: I18n
) -> None:
    """A voice message instead of (or with) the note: kept by its file_id, sent to the provider as voice."""
    assert message.voice is not None
    note = None
    if message.caption:
        try:
            note = svc.clean_note(message.caption)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
    await state.update_data(sc_note=note, sc_voice=message.voice.file_id)
    await message.answer(_("flows.showcase.voice_taken"))
    await after_note(Asking(message, state, session, user, bot, i18n))


async def note_skip(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, bot: Bot, i18n: I18n
) -> None:
    await callback.answer()
    await state.update_data(sc_note=None, sc_voice=None)
    await after_note(Asking(callback, state, session, user, bot, i18n))


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
    await submit_request(Asking(callback, state, session, user, bot, i18n), callback_data.v == 1)


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


async def note_wrong(message: Message) -> None:
    await message.answer(_("showcase.hint_note"))


async def phone_wrong(message: Message) -> None:
    await message.answer(_("showcase.hint_buttons"))


# --- the resident's requests --------------------------------------------------------------------


async def show_my_requests(event: Message | CallbackQuery, session: AsyncSession, user: User) -> None:
    views = await svc.resident_requests(session, user.id)
    if not views:
        await show(event, _("showcase.my_requests_empty"), None)
        return
    items = [
        (v.request.id, f"{number('request', v.request.id)} · {v.card.title[:30]} · {status_label(v.request)}")
        for v in views
    ]
    text = "\n".join([_("showcase.my_requests_title"), _("showcase.my_requests_hint")])
    await show(event, text, requests_list_keyboard(items))


async def my_requests(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None
) -> None:
    assert user is not None
    await callback.answer()
    await state.set_state(None)
    await show_my_requests(callback, session, user)


async def list_requests(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
    assert user is not None
    await callback.answer()
    await show_my_requests(callback, session, user)


async def _own_view(
    callback: CallbackQuery, session: AsyncSession, request_id: int
) -> svc.RequestView | None:
    """The resident's own request, or None (and an alert) when it is not theirs or gone."""
    return await or_alert(callback, svc.view_as_resident(session, callback.from_user.id, request_id))


async def open_request(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
    if (view := await _own_view(callback, session, callback_data.id)) is None:
        return
    await callback.answer()
    request = view.request
    can_rate = request.status == RequestStatus.DONE and request.rating is None
    markup = resident_request_keyboard(request.id, view.card.id, request.status, can_rate)
    await show(callback, resident_request_text(view), markup)


async def cancel_request(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
    if (view := await _own_view(callback, session, callback_data.id)) is None:
        return
    await callback.answer()
    text = _("showcase.cancel_request_confirm").format(
        id=number("request", view.request.id), title=esc(view.card.title)
    )
    await show(callback, text, confirm_cancel_request(view.request.id))


async def cancel_request_yes(
    callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession, bot: Bot, i18n: I18n
) -> None:
    view = await or_alert(callback, svc.cancel_request(session, callback.from_user.id, callback_data.id))
    if view is None:
        return
    await callback.answer()
    await show(callback, _("showcase.request_cancelled").format(id=number("request", view.request.id)), None)
    title = esc(view.card.title)
    await notify(
        bot,
        i18n,
        view.provider,
        lambda: _("showcase.request_cancelled_provider").format(
            id=number("request", view.request.id), title=title
        ),
    )


# --- rating -------------------------------------------------------------------------------------


async def rate_menu(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
    if (view := await _own_view(callback, session, callback_data.id)) is None:
        return
    await callback.answer()
    await target(callback).answer(
        _("showcase.ask_rating").format(id=number("request", view.request.id), title=esc(view.card.title)),
        reply_markup=rating_keyboard(view.request.id),
    )


async def rate(
    callback: CallbackQuery,
    callback_data: ReqCb,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
) -> None:
    view = await or_alert(
        callback, svc.rate(session, callback.from_user.id, callback_data.id, callback_data.v)
    )
    if view is None:
        return
    await callback.answer()
    await target(callback).edit_reply_markup(reply_markup=None)
    await state.set_state(Rate.comment)
    await state.update_data(sc_rate=view.request.id)
    stars, title = "⭐" * callback_data.v, esc(view.card.title)
    await target(callback).answer(_("showcase.rated").format(stars=stars), reply_markup=skip_keyboard())
    await notify(
        bot,
        i18n,
        view.provider,
        lambda: _("showcase.rated_provider").format(
            id=number("request", view.request.id), title=title, stars=stars
        ),
    )


async def rate_comment(message: Message, state: FSMContext, session: AsyncSession, user: User | None) -> None:
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


async def rate_skip(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
    await callback.answer()
    await state.set_state(None)
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(_("showcase.rating_thanks"), reply_markup=menu_for(user))


async def rate_wrong(message: Message) -> None:
    await message.answer(_("showcase.hint_review"), reply_markup=skip_keyboard())


BUTTONS = {
    ReqAction.NEW: new_request,
    ReqAction.LIST: list_requests,
    ReqAction.OPEN: open_request,
    ReqAction.CANCEL: cancel_request,
    ReqAction.CANCEL_YES: cancel_request_yes,
    ReqAction.RATE_MENU: rate_menu,
    ReqAction.RATE: rate,
}
"""The request buttons that work in any state: which handler answers which."""


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    for action, handler in BUTTONS.items():
        cb(handler, on(action))
    msg(note_text, Ask.note, F.text, NOT_A_COMMAND)
    msg(note_voice, Ask.note, F.voice)
    cb(note_skip, Ask.note, on(ReqAction.SKIP))
    cb(phone_choice, Ask.phone, on(ReqAction.PHONE))
    cb(ask_back, StateFilter(Ask), NavCb.filter(F.action == "back"))
    msg(note_wrong, Ask.note, NOT_A_COMMAND)
    msg(phone_wrong, Ask.phone, NOT_A_COMMAND)
    cb(my_requests, MyCb.filter(F.section == "sc_req"))
    msg(rate_comment, Rate.comment, F.text, NOT_A_COMMAND)
    cb(rate_skip, Rate.comment, on(ReqAction.SKIP))
    msg(rate_wrong, Rate.comment, NOT_A_COMMAND)
