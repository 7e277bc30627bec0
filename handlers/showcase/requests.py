"""The resident's requests outside the request dialog: the buttons that work in any state (BUTTONS,
registered first), the person's requests in /my (open, cancel), and the rating with an optional
review after «Выполнено». The request dialog itself is in request_dialog."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.models.showcase import RequestStatus
from handlers.common import error_text, menu_for, or_alert, target
from handlers.messengers import tell
from handlers.showcase.request_dialog import new_request, on
from handlers.showcase.views import (
    NOT_A_COMMAND,
    esc,
    fresh,
    resident_request_text,
    show,
    status_label,
)
from keyboards.my import MyCb
from keyboards.showcase import (
    ReqAction,
    ReqCb,
    confirm_cancel_request,
    rating_keyboard,
    requests_list_keyboard,
    resident_request_keyboard,
    skip_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.numbers import number


class Rate(StatesGroup):
    comment = State()


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
    await tell(
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
    await tell(
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
    cb(my_requests, MyCb.filter(F.section == "sc_req"))
    msg(rate_comment, Rate.comment, F.text, NOT_A_COMMAND)
    cb(rate_skip, Rate.comment, on(ReqAction.SKIP))
    msg(rate_wrong, Rate.comment, NOT_A_COMMAND)
