"""The resident's request for a catalogue card, as a dialog: «Оставить заявку», a short note (text or
voice, or skipped), the phone only with consent, then the request sent and the provider told. The
request buttons that work in any state, «Оставить заявку» among them, are in requests."""

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
from db.models.showcase import CardStatus
from handlers.common import error_text, menu_for, target
from handlers.messengers import tell
from handlers.showcase.catalogue import show_card, show_home
from handlers.showcase.views import NOT_A_COMMAND, esc, fresh, provider_request_text, send_note_voice
from keyboards.common import NavCb
from keyboards.showcase import (
    ReqAction,
    ReqCb,
    note_keyboard,
    phone_consent_keyboard,
    provider_request_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.numbers import number
from services.plural import plural


class Ask(StatesGroup):
    note = State()
    phone = State()


def on(action: ReqAction) -> Any:
    return ReqCb.filter(F.a == action)


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
    delivered = await tell(
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


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    msg(note_text, Ask.note, F.text, NOT_A_COMMAND)
    msg(note_voice, Ask.note, F.voice)
    cb(note_skip, Ask.note, on(ReqAction.SKIP))
    cb(phone_choice, Ask.phone, on(ReqAction.PHONE))
    cb(ask_back, StateFilter(Ask), NavCb.filter(F.action == "back"))
    msg(note_wrong, Ask.note, NOT_A_COMMAND)
    msg(phone_wrong, Ask.phone, NOT_A_COMMAND)
