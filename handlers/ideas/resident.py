"""Ideas for residents beyond the form: /ideas (published ideas by district and kind of help, a page
at a time, support), a public card, and the person's own ideas in /my."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import Idea, IdeaStatus, User
from handlers.common import PUBLIC, acknowledge, error_text, or_alert, target
from handlers.ideas.draft import has_content, load_draft, resume_at
from handlers.ideas.form import resume_draft, start_edit
from handlers.ideas.views import idea_body, raise_threshold, send_media, short, status_label
from keyboards.ideas import (
    IdeaAction,
    IdeaCb,
    IdeasListCb,
    ListAction,
    filter_keyboard,
    list_keyboard,
    my_ideas_keyboard,
    own_idea_keyboard,
    public_card_keyboard,
    resume_keyboard,
)
from keyboards.menu import MenuCb, with_home
from keyboards.my import MyCb
from services import dates
from services import ideas as ideas_service
from services.errors import DomainError
from services.numbers import number as prefixed
from services.users import DISTRICTS

log = logging.getLogger(__name__)

SNIPPET = 140


def support_state(idea: Idea, user: User | None, supported: set[int]) -> str:
    if user is not None and idea.author_id == user.id:
        return "own"
    return "done" if idea.id in supported else "can"


# --- the published list -------------------------------------------------------------------------


def _uid(user: User | None) -> int:
    """The person's id, or 0 (no one) for a visitor who did not register: the list is open to all."""
    return user.id if user is not None else 0


async def _page(session: AsyncSession, district: str, help_kind: str, page: int, size: int) -> Any:
    """(ideas, total, page): the page asked for, or the last one when the list got shorter."""
    found = {"district": district or None, "help_kind": help_kind or None, "page_size": size}
    ideas, total = await ideas_service.browse(session, page=page, **found)
    pages = max((total + size - 1) // size, 1)
    if page >= pages and total:
        page = pages - 1
        ideas, total = await ideas_service.browse(session, page=page, **found)
    return ideas, total, page


def _list_line(number: int, idea: Idea) -> str:
    return _("ideas.list.item").format(
        n=number,
        title=hd.quote(idea.title),
        district=_("district." + idea.district),
        count=idea.support_count,
        status=status_label(idea.status),
        snippet=hd.quote(short(idea.problem.replace("\n", " "), SNIPPET)),
    )


async def render_list(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User | None,
    settings: Any,
    *,
    district: str = "",
    help_kind: str = "",
    page: int = 0,
    edit: bool = False,
) -> None:
    district = district if district in DISTRICTS else ""
    help_kind = help_kind if help_kind in ideas_service.HELP_KINDS else ""
    size = max(settings.ideas_page_size, 1)
    ideas, total, page = await _page(session, district, help_kind, page, size)
    pages = max((total + size - 1) // size, 1)
    supported = await ideas_service.supported_ids(session, _uid(user), [i.id for i in ideas])
    filters = " · ".join(
        [
            _("district." + district) if district else _("ideas.filter.any_district"),
            _(f"ideas.help.{help_kind}") if help_kind else _("ideas.filter.any_help"),
        ]
    )
    lines = [_("ideas.list.title").format(filters=filters, total=total)]
    if not ideas:
        lines.append(_("ideas.list.empty"))
    items = []
    for number, idea in enumerate(ideas, start=page * size + 1):
        lines.append(_list_line(number, idea))
        label = f"{number}. {short(idea.title, 28)}"
        items.append((idea.id, label, idea.support_count, support_state(idea, user, supported)))
    listed = list_keyboard(items, district=district, help_kind=help_kind, page=page, pages=pages)
    propose = InlineKeyboardButton(text=_("ideas.menu_new"), callback_data=MenuCb(action="idea_new").pack())
    markup = with_home(InlineKeyboardMarkup(inline_keyboard=[*listed.inline_keyboard, [propose]]))
    text = "\n\n".join(lines)
    if edit and isinstance(event, CallbackQuery):
        try:
            await target(event).edit_text(text, reply_markup=markup)
        except TelegramAPIError:  # not modified, or too old to edit
            log.debug("list not edited", exc_info=True)
        return
    await target(event).answer(text, reply_markup=markup)


async def show_public_idea(
    message: Message, session: AsyncSession, user: User | None, idea_id: int, back: IdeasListCb | None
) -> None:
    idea = await ideas_service.get_public(session, idea_id)
    values = ideas_service.draft_of(idea)
    # A voice message identifies its author: it goes to staff, not to the public card.
    values["media"] = [m for m in values["media"] if m.get("kind") != "voice"]
    if values["media"]:
        assert message.bot is not None
        await send_media(message.bot, message.chat.id, values["media"])
    supported = await ideas_service.supported_ids(session, _uid(user), [idea.id])
    text = "\n".join(
        [
            _("ideas.public.head").format(status=status_label(idea.status)),
            "",
            idea_body(values),
            "",
            _("ideas.own.supports").format(count=idea.support_count),
        ]
    )
    state = support_state(idea, user, supported)
    markup = with_home(public_card_keyboard(idea.id, idea.support_count, state, back))
    await message.answer(text, reply_markup=markup)


async def open_list(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, settings: Any
) -> None:
    """/ideas or «Идеи» in the menu: the published ideas from the first page."""
    await acknowledge(event)
    await state.set_state(None)
    await render_list(event, session, user, settings)


async def list_page(
    callback: CallbackQuery,
    callback_data: IdeasListCb,
    session: AsyncSession,
    user: User | None,
    settings: Any,
) -> None:
    await callback.answer()
    where = {"district": callback_data.d, "help_kind": callback_data.h}
    await render_list(callback, session, user, settings, page=max(callback_data.p, 0), edit=True, **where)


async def list_filter(callback: CallbackQuery, callback_data: IdeasListCb) -> None:
    await callback.answer()
    kind = callback_data.a
    values = DISTRICTS if kind == ListAction.PICK_DISTRICT else ideas_service.HELP_KINDS
    markup = filter_keyboard(kind, values, district=callback_data.d, help_kind=callback_data.h)
    try:
        await target(callback).edit_reply_markup(reply_markup=markup)
    except TelegramAPIError:
        await target(callback).answer(_("ideas.filter.pick"), reply_markup=markup)


async def _open_public(
    callback: CallbackQuery, session: AsyncSession, user: User | None, idea_id: int, back: IdeasListCb | None
) -> None:
    try:
        await callback.answer()
        await show_public_idea(target(callback), session, user, idea_id, back)
    except DomainError as exc:
        await target(callback).answer(error_text(exc))


async def list_open(
    callback: CallbackQuery, callback_data: IdeasListCb, session: AsyncSession, user: User | None
) -> None:
    """An idea from the list: its «К списку» comes back to the same filters and page."""
    back = IdeasListCb(a=ListAction.PAGE, d=callback_data.d, h=callback_data.h, p=callback_data.p)
    await _open_public(callback, session, user, callback_data.id, back)


async def open_idea(
    callback: CallbackQuery, callback_data: IdeaCb, session: AsyncSession, user: User | None
) -> None:
    await _open_public(callback, session, user, callback_data.id, None)


def _back_of(callback: CallbackQuery) -> IdeasListCb | None:
    """The card's «to the list» button, kept when the card's keyboard is redrawn."""
    markup = target(callback).reply_markup
    if markup is None or len(markup.inline_keyboard) <= 1:
        return None
    back_data = markup.inline_keyboard[-1][0].callback_data or ""
    return IdeasListCb.unpack(back_data) if back_data.startswith(IdeasListCb.__prefix__ + ":") else None


async def _support(
    callback: CallbackQuery, user: User, desk: Desk, idea_id: int
) -> ideas_service.SupportResult | None:
    """The support counted and told in an alert (the staff told when it reaches the threshold), or
    None once the refusal is shown."""
    try:
        result = await ideas_service.support(
            desk.session,
            idea_id,
            user,
            milestones=desk.settings.ideas_support_milestones,
            threshold=desk.settings.ideas_support_threshold,
        )
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return None
    await callback.answer(_("ideas.supported").format(count=result.count), show_alert=True)
    if result.raise_threshold:
        await raise_threshold(desk, result.idea)
    return result


async def support(
    callback: CallbackQuery, callback_data: IdeasListCb | IdeaCb, user: User, desk: Desk
) -> None:
    """«Поддержать» in the list (the page is drawn again) or on an idea's card (its buttons are)."""
    result = await _support(callback, user, desk, callback_data.id)
    if result is None:
        return
    if isinstance(callback_data, IdeasListCb):
        where = {"district": callback_data.d, "help_kind": callback_data.h}
        await render_list(
            callback, desk.session, user, desk.settings, page=callback_data.p, edit=True, **where
        )
        return
    markup = public_card_keyboard(result.idea.id, result.count, "done", _back_of(callback))
    try:
        await target(callback).edit_reply_markup(reply_markup=markup)
    except TelegramAPIError:
        log.debug("card keyboard not updated", exc_info=True)


# --- the person's own ideas ---------------------------------------------------------------------


async def show_my_ideas(message: Message, session: AsyncSession, user: User) -> None:
    ideas = await ideas_service.list_own(session, user.id)
    if not ideas:
        await message.answer(_("ideas.my.empty"), reply_markup=my_ideas_keyboard([]))
        return
    lines = [_("ideas.my.title")]
    for idea in ideas:
        lines.append(
            _("ideas.my.line").format(
                title=hd.quote(idea.title), status=status_label(idea.status), count=idea.support_count
            )
        )
    buttons = [(idea.id, short(idea.title, 40)) for idea in ideas[:20]]
    await message.answer("\n".join(lines), reply_markup=my_ideas_keyboard(buttons))


async def _comment_lines(session: AsyncSession, idea: Idea, settings: Any) -> list[str]:
    comments = [r for r in await ideas_service.reviews(session, idea.id) if r.comment]
    if not comments:
        return []
    lines = ["", _("ideas.own.comments")]
    for review in comments[-3:]:
        lines.append(
            _("ideas.own.comment").format(
                date=dates.day_text(review.at.astimezone(settings.tz).date(), _),
                status=status_label(review.status),
                comment=hd.quote(review.comment or ""),
            )
        )
    return lines


async def show_own_idea(message: Message, session: AsyncSession, idea: Idea, settings: Any) -> None:
    if idea.media:
        assert message.bot is not None
        await send_media(message.bot, message.chat.id, idea.media)
    lines = [
        _("ideas.own.head").format(id=prefixed("idea", idea.id), status=status_label(idea.status)),
        "",
        idea_body(ideas_service.draft_of(idea)),
        "",
        _("ideas.own.supports").format(count=idea.support_count),
    ]
    lines += await _comment_lines(session, idea, settings)
    if idea.status == IdeaStatus.REVISION:
        lines += ["", _("ideas.own.revision_hint")]
    next_at = ideas_service.next_update_at(idea, settings.ideas_update_interval_days)
    can_update = idea.status in ideas_service.PUBLIC
    if can_update and next_at is not None and next_at > ideas_service.utcnow():
        date = dates.moment_text(next_at, settings.tz, _)
        lines += ["", _("ideas.own.next_update").format(date=date)]
    markup = own_idea_keyboard(idea.id, can_edit=idea.status == IdeaStatus.REVISION, can_update=can_update)
    await message.answer("\n".join(lines), reply_markup=markup)


async def my_ideas(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await callback.answer()
    await state.set_state(None)
    await show_my_ideas(target(callback), session, user)


async def own_idea(
    callback: CallbackQuery, callback_data: IdeaCb, session: AsyncSession, user: User, settings: Any
) -> None:
    idea = await or_alert(callback, ideas_service.get_own(session, callback_data.id, user.id))
    if idea is None:
        return
    await callback.answer()
    await show_own_idea(target(callback), session, idea, settings)


async def edit_returned(
    callback: CallbackQuery, callback_data: IdeaCb, state: FSMContext, user: User, **data: Any
) -> None:
    saved = await load_draft(state)
    draft_of = (saved.get("extra") or {}).get("idea_id")
    data = {**data, "user": user}
    if has_content(saved) and draft_of != callback_data.id:
        # Another draft is half-filled: nothing is thrown away without asking.
        await callback.answer()
        await state.set_state(None)
        title = (saved.get("draft") or {}).get("title") or "—"
        await target(callback).answer(
            _("ideas.replace_draft").format(title=hd.quote(title)),
            reply_markup=resume_keyboard(str(callback_data.id)),
        )
        return
    if draft_of == callback_data.id and resume_at(saved):
        # Corrections already begun are continued, not replaced by the stored version.
        await callback.answer()
        await resume_draft(callback, state, data, saved)
        return
    try:
        await start_edit(callback, state, user, data, callback_data.id)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer()


def register_own(router: Router) -> None:
    cb = router.callback_query.register
    cb(my_ideas, MyCb.filter(F.section == "ideas"))
    cb(my_ideas, IdeaCb.filter(F.action == IdeaAction.MINE))
    cb(own_idea, IdeaCb.filter(F.action == IdeaAction.OWN))
    cb(edit_returned, IdeaCb.filter(F.action == IdeaAction.EDIT))


def register_public(router: Router) -> None:
    cb = router.callback_query.register
    router.message.register(open_list, Command("ideas"), flags=PUBLIC)
    cb(open_list, MenuCb.filter(F.action == "ideas"), flags=PUBLIC)
    cb(list_page, IdeasListCb.filter(F.a == ListAction.PAGE), flags=PUBLIC)
    pick = {ListAction.PICK_DISTRICT, ListAction.PICK_HELP}
    cb(list_filter, IdeasListCb.filter(F.a.in_(pick)), flags=PUBLIC)
    cb(list_open, IdeasListCb.filter(F.a == ListAction.OPEN), flags=PUBLIC)
    cb(open_idea, IdeaCb.filter(F.action == IdeaAction.OPEN), flags=PUBLIC)
    cb(support, IdeasListCb.filter(F.a == ListAction.SUPPORT))
    cb(support, IdeaCb.filter(F.action == IdeaAction.SUPPORT))
