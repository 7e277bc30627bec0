"""The provider's side of the showcase: «Мои услуги» (cards with their status; edit, pause, remove,
resubmit) and requests from residents («Принять» / «Отклонить» / «Выполнено»)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import User
from db.models.showcase import RequestStatus, ServiceCard
from handlers.common import error_text, or_alert, target
from handlers.messengers import tell
from handlers.showcase import card_form
from handlers.showcase.views import (
    esc,
    post_for_moderation,
    provider_request_text,
    refused_to_non_provider,
    show,
    show_hub,
    show_own_card,
    status_label,
    with_back,
)
from keyboards.my import MyCb
from keyboards.showcase import (
    CardAction,
    CardCb,
    ReqAction,
    ReqCb,
    provider_request_keyboard,
    rating_keyboard,
    resident_request_keyboard,
)
from keyboards.showcase_provider import confirm_remove_keyboard, edit_fields_keyboard
from services import showcase as svc
from services.errors import DomainError
from services.numbers import number


def on(action: CardAction) -> Any:
    return CardCb.filter(F.a == action)


async def _own(callback: CallbackQuery, session: AsyncSession, card_id: int) -> ServiceCard | None:
    """The provider's own card, or None (and an alert) when it is not theirs."""
    return await or_alert(callback, svc.own_card(session, callback.from_user.id, card_id))


# --- the hub and the cards ----------------------------------------------------------------------


async def hub(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None) -> None:
    await callback.answer()
    await state.set_state(None)
    await show_hub(callback, session, user)


async def new_card(callback: CallbackQuery, state: FSMContext, user: User | None, **data: Any) -> None:
    if await refused_to_non_provider(callback, user):
        return
    assert user is not None
    await callback.answer()
    await card_form.start_form(callback, state, user, data)


async def open_card(
    callback: CallbackQuery, callback_data: CardCb, state: FSMContext, session: AsyncSession
) -> None:
    await state.set_state(None)
    await callback.answer()
    await show_own_card(callback, session, callback_data.id)


async def edit_card(callback: CallbackQuery, callback_data: CardCb, session: AsyncSession) -> None:
    if (card := await _own(callback, session, callback_data.id)) is None:
        return
    await callback.answer()
    await target(callback).answer(
        _("showcase.edit_what").format(title=esc(card.title)), reply_markup=edit_fields_keyboard(card.id)
    )


EDITABLE = frozenset(step.name for step in card_form.STEPS)


async def edit_field(
    callback: CallbackQuery, callback_data: CardCb, state: FSMContext, session: AsyncSession, **data: Any
) -> None:
    if (card := await _own(callback, session, callback_data.id)) is None:
        return
    if callback_data.f not in EDITABLE or card.status in ("declined", "removed"):
        await callback.answer(_("showcase.card_closed"), show_alert=True)
        return
    await callback.answer()
    await card_form.edit_field(callback, state, card, callback_data.f, {**data, "session": session})


async def pause(callback: CallbackQuery, callback_data: CardCb, session: AsyncSession) -> None:
    paused = callback_data.a == CardAction.PAUSE
    try:
        await svc.set_paused(session, callback.from_user.id, callback_data.id, paused)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer(_("showcase.paused" if paused else "showcase.resumed"))
    await show_own_card(callback, session, callback_data.id)


async def resubmit(callback: CallbackQuery, callback_data: CardCb, user: User | None, desk: Desk) -> None:
    card = await or_alert(
        callback,
        svc.resubmit(
            desk.session,
            callback.from_user.id,
            callback_data.id,
            pending_limit=desk.settings.showcase_pending_limit,
        ),
    )
    if card is None:
        return
    assert user is not None
    await callback.answer()
    await target(callback).answer(_("showcase.card_sent").format(title=esc(card.title)))
    await post_for_moderation(desk, card, user, edited=True)
    await show_hub(callback, desk.session, user)


async def remove(callback: CallbackQuery, callback_data: CardCb, session: AsyncSession) -> None:
    if (card := await _own(callback, session, callback_data.id)) is None:
        return
    await callback.answer()
    await target(callback).answer(
        _("showcase.remove_confirm").format(title=esc(card.title)),
        reply_markup=confirm_remove_keyboard(card.id),
    )


async def remove_yes(
    callback: CallbackQuery,
    callback_data: CardCb,
    session: AsyncSession,
    user: User | None,
    bot: Bot,
    i18n: I18n,
) -> None:
    result = await or_alert(callback, svc.remove_card(session, callback.from_user.id, callback_data.id))
    if result is None:
        return
    card, closed = result
    await callback.answer()
    title = esc(card.title)
    await show(callback, _("showcase.removed").format(title=title), None)
    for item in closed:
        request_id = number("request", item.request.id)
        await tell(
            bot,
            i18n,
            item.resident,
            lambda request_id=request_id: _("showcase.card_gone_resident").format(id=request_id, title=title),
        )
    await show_hub(callback, session, user)


# --- requests -----------------------------------------------------------------------------------


async def requests_list(callback: CallbackQuery, session: AsyncSession, user: User | None) -> None:
    if await refused_to_non_provider(callback, user):
        return
    assert user is not None
    await callback.answer()
    views = await svc.provider_requests(session, user.id)
    back = CardCb(a=CardAction.HUB)
    if not views:
        await show(callback, _("showcase.prov_requests_empty"), with_back(None, back))
        return
    rows = [
        [
            InlineKeyboardButton(
                text=f"{number('request', v.request.id)} · {v.card.title[:28]} · {status_label(v.request)}",
                callback_data=ReqCb(a=ReqAction.PROVIDER_OPEN, id=v.request.id).pack(),
            )
        ]
        for v in views
    ]
    await show(
        callback,
        _("showcase.prov_requests_title"),
        with_back(InlineKeyboardMarkup(inline_keyboard=rows), back),
    )


async def provider_open(callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession) -> None:
    view = await or_alert(callback, svc.view_as_provider(session, callback.from_user.id, callback_data.id))
    if view is None:
        return
    await callback.answer()
    markup = provider_request_keyboard(view.request.id, view.request.status)
    await show(callback, provider_request_text(view), with_back(markup, CardCb(a=CardAction.REQUESTS)))


ANSWERS = {
    ReqAction.ACCEPT: (svc.accept_request, "showcase.accepted"),
    ReqAction.DECLINE: (svc.decline_request, "showcase.declined"),
    ReqAction.DONE: (svc.complete_request, "showcase.done"),
}
# What the resident is told, and whether a keyboard goes with it.
TOLD = {
    RequestStatus.ACCEPTED: "showcase.accepted_resident",
    RequestStatus.DECLINED: "showcase.declined_resident",
    RequestStatus.DONE: "showcase.done_resident",
}


async def answer_request(
    callback: CallbackQuery, callback_data: ReqCb, session: AsyncSession, bot: Bot, i18n: I18n
) -> None:
    action, done_key = ANSWERS[callback_data.a]
    view = await or_alert(callback, action(session, callback.from_user.id, callback_data.id))
    if view is None:
        return
    request = view.request
    await callback.answer(_(done_key))
    await show(callback, provider_request_text(view), provider_request_keyboard(request.id, request.status))
    key = TOLD.get(request.status)
    if key is None:
        return
    title, organisation = esc(view.card.title), esc(view.card.organisation)

    def markup() -> InlineKeyboardMarkup | None:
        if request.status == RequestStatus.ACCEPTED:
            return resident_request_keyboard(request.id, view.card.id, request.status, False)
        return rating_keyboard(request.id) if request.status == RequestStatus.DONE else None

    text = lambda: _(key).format(id=number("request", request.id), title=title, organisation=organisation)  # noqa: E731
    await tell(bot, i18n, view.resident, text, markup)


def register(router: Router) -> None:
    cb = router.callback_query.register
    cb(hub, MyCb.filter(F.section == "sc_prov"))
    cb(hub, on(CardAction.HUB))
    cb(new_card, on(CardAction.NEW))
    cb(open_card, on(CardAction.OPEN))
    cb(edit_card, on(CardAction.EDIT))
    cb(edit_field, on(CardAction.FIELD))
    cb(pause, CardCb.filter(F.a.in_({CardAction.PAUSE, CardAction.RESUME})))
    cb(resubmit, on(CardAction.RESUBMIT))
    cb(remove, on(CardAction.REMOVE))
    cb(remove_yes, on(CardAction.REMOVE_YES))


def register_requests(router: Router) -> None:
    cb = router.callback_query.register
    cb(requests_list, on(CardAction.REQUESTS))
    cb(provider_open, ReqCb.filter(F.a == ReqAction.PROVIDER_OPEN))
    cb(answer_request, ReqCb.filter(F.a.in_(set(ANSWERS))))
