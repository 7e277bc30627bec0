"""Project ideas for people: /idea (the form), /ideas (published ideas, support), ideas in /my.

The half-filled form is kept in the FSM storage under a destiny of its own ("ideas"): it survives a
restart (SQL or Redis storage) and also /menu, /my or «Отмена», which clear only the dialog state.
Coming back to /idea with a draft offers «Продолжить» / «Начать заново».
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Idea, IdeaStatus, User
from handlers.admin import ideas as staff_ideas
from handlers.common import RequireRegistration, error_text, menu_for, target
from handlers.filters import private_only
from handlers.my import MyCb
from keyboards.common import NavCb, nav_keyboard, parse_id
from keyboards.ideas import (
    IdeaCb,
    IdeaFormCb,
    IdeasListCb,
    edit_fields_keyboard,
    filter_keyboard,
    help_keyboard,
    list_keyboard,
    media_keyboard,
    my_ideas_keyboard,
    own_idea_keyboard,
    pick_keyboard,
    preview_keyboard,
    public_card_keyboard,
    resume_keyboard,
    text_step_keyboard,
    update_confirm_keyboard,
)
from keyboards.menu import MenuCb
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed
from services.users import DISTRICTS

log = logging.getLogger(__name__)

DRAFT_DESTINY = "ideas"
STEPS = ("title", "problem", "description", "district", "audience", "help", "media")
TEXT_STEPS = ("title", "problem", "description")
SNIPPET = 140


class IdeaForm(StatesGroup):
    title = State()
    problem = State()
    description = State()
    district = State()
    audience = State()
    help = State()
    media = State()
    preview = State()
    edit_menu = State()


class IdeaUpdateForm(StatesGroup):
    text = State()
    confirm = State()


STATE_OF = {name: getattr(IdeaForm, name) for name in (*STEPS, "preview", "edit_menu")}


# --- the draft ----------------------------------------------------------------------------------------


def _draft_ctx(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=replace(state.key, destiny=DRAFT_DESTINY))


async def load_draft(state: FSMContext) -> dict[str, Any]:
    return dict(await _draft_ctx(state).get_data())


async def save_draft(state: FSMContext, draft: dict[str, Any]) -> None:
    await _draft_ctx(state).set_data(draft)


async def drop_draft(state: FSMContext) -> None:
    await _draft_ctx(state).set_data({})


def has_content(draft: dict[str, Any]) -> bool:
    return bool(draft.get("idea_id")) or any(draft.get(step) for step in STEPS)


# --- rendering ----------------------------------------------------------------------------------------


def status_label(status: str) -> str:
    return _(f"ideas.status.{status}")


def idea_body(values: dict[str, Any]) -> str:
    """The idea's content as HTML; every typed value is escaped."""
    help_kinds = values.get("help") or []
    lines = [
        _("ideas.view.title").format(title=hd.quote(values.get("title") or "—")),
        _("ideas.view.district").format(
            value=_("district." + values["district"]) if values.get("district") else "—"
        ),
        _("ideas.view.audience").format(
            value=_(f"ideas.aud.{values['audience']}") if values.get("audience") else "—"
        ),
        _("ideas.view.help").format(
            value=", ".join(_(f"ideas.help.{h}") for h in help_kinds) if help_kinds else "—"
        ),
        "",
        _("ideas.view.problem").format(text=hd.quote(values.get("problem") or "—")),
        "",
        _("ideas.view.idea").format(text=hd.quote(values.get("description") or "—")),
    ]
    media = values.get("media") or []
    if media:
        lines += ["", _("ideas.view.media").format(count=len(media))]
    return "\n".join(lines)


async def send_media(bot: Bot, chat_id: int, media: list[dict[str, Any]]) -> None:
    """Resend the attachments by their file ids (photos, documents, voice messages)."""
    for item in media:
        try:
            if item["kind"] == "photo":
                await bot.send_photo(chat_id, item["file_id"])
            elif item["kind"] == "document":
                await bot.send_document(chat_id, item["file_id"])
            elif item["kind"] == "voice":
                await bot.send_voice(chat_id, item["file_id"])
        except TelegramAPIError:
            log.warning("could not resend an idea attachment to %s", chat_id, exc_info=True)


# --- the form -----------------------------------------------------------------------------------------


async def ask(event: Message | CallbackQuery, state: FSMContext, step: str, draft: dict[str, Any]) -> None:
    """Show the prompt of ``step``, remember it in the draft and move the dialog there."""
    message = target(event)
    draft["step"] = step
    await save_draft(state, draft)
    await state.set_state(STATE_OF[step])
    if step == "preview":
        await show_preview(event, draft)
        return
    editing = bool(draft.get("editing"))
    header = "" if editing else _("ideas.step").format(n=STEPS.index(step) + 1, total=len(STEPS)) + "\n"
    if step in TEXT_STEPS:
        current = draft.get(step)
        text = header + _(f"ideas.ask.{step}").format(
            max=ideas_service.TITLE_MAX if step == "title" else ideas_service.TEXT_MAX
        )
        if current:
            text += "\n\n" + _("ideas.current").format(value=hd.quote(current))
        await message.answer(
            text, reply_markup=text_step_keyboard(bool(current), back=step != "title" or editing)
        )
    elif step == "district":
        await message.answer(
            header + _("ideas.ask.district"),
            reply_markup=pick_keyboard("district", DISTRICTS, "district.", draft.get("district")),
        )
    elif step == "audience":
        await message.answer(
            header + _("ideas.ask.audience"),
            reply_markup=pick_keyboard(
                "audience", ideas_service.AUDIENCES, "ideas.aud.", draft.get("audience")
            ),
        )
    elif step == "help":
        await message.answer(
            header + _("ideas.ask.help"),
            reply_markup=help_keyboard(ideas_service.HELP_KINDS, draft.get("help") or []),
        )
    elif step == "media":
        count = len(draft.get("media") or [])
        await message.answer(
            header + _("ideas.ask.media").format(max=ideas_service.MEDIA_MAX, count=count),
            reply_markup=media_keyboard(count),
        )


async def show_preview(event: Message | CallbackQuery, draft: dict[str, Any]) -> None:
    message = target(event)
    if draft.get("media"):
        assert message.bot is not None
        await send_media(message.bot, message.chat.id, draft["media"])
    head = _("ideas.preview.resubmit" if draft.get("idea_id") else "ideas.preview.title")
    comment = draft.get("staff_comment")
    if comment:
        head += "\n" + _("ideas.preview.staff_comment").format(comment=hd.quote(comment))
    await message.answer(
        head + "\n\n" + idea_body(draft) + "\n\n" + _("ideas.preview.hint"),
        reply_markup=preview_keyboard(bool(draft.get("idea_id"))),
    )


async def next_step(
    event: Message | CallbackQuery, state: FSMContext, draft: dict[str, Any], step: str
) -> None:
    """After an answer: back to the preview when editing one field, else the next step."""
    if draft.get("editing") or step == STEPS[-1]:
        draft["editing"] = False
        await ask(event, state, "preview", draft)
        return
    await ask(event, state, STEPS[STEPS.index(step) + 1], draft)


async def start_form(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
    *,
    fresh: bool = False,
) -> None:
    message = target(event)
    draft = await load_draft(state)
    if not fresh and has_content(draft):
        await state.set_state(None)
        key = "ideas.resume_edit" if draft.get("idea_id") else "ideas.resume"
        await message.answer(
            _(key).format(title=hd.quote(draft.get("title") or "—")), reply_markup=resume_keyboard()
        )
        return
    left = await ideas_service.submissions_left(session, user, settings.ideas_daily_limit)
    if left <= 0:
        await drop_draft(state)
        await state.clear()
        await message.answer(
            _("ideas.limit_reached").format(limit=settings.ideas_daily_limit), reply_markup=menu_for(user)
        )
        return
    await message.answer(
        _("ideas.intro").format(
            title_max=ideas_service.TITLE_MAX,
            text_max=ideas_service.TEXT_MAX,
            media_max=ideas_service.MEDIA_MAX,
            limit=settings.ideas_daily_limit,
            left=left,
        )
    )
    await ask(event, state, "title", {})


async def start_edit(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User, idea_id: int
) -> None:
    """Load an idea returned for changes into the form, at its preview."""
    idea = await ideas_service.get_own(session, idea_id, user.id)
    if idea.status != IdeaStatus.REVISION:
        raise ValidationFailed("ideas.not_in_revision")
    draft = ideas_service.draft_of(idea)
    draft.update(idea_id=idea.id, staff_comment=idea.staff_comment)
    await ask(event, state, "preview", draft)


# --- lists and cards ----------------------------------------------------------------------------------


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
    buttons = [(idea.id, _short(idea.title, 40)) for idea in ideas[:20]]
    await message.answer("\n".join(lines), reply_markup=my_ideas_keyboard(buttons))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def show_own_idea(
    message: Message, session: AsyncSession, user: User, idea: Idea, settings: Any
) -> None:
    if idea.media:
        assert message.bot is not None
        await send_media(message.bot, message.chat.id, idea.media)
    lines = [
        _("ideas.own.head").format(id=idea.id, status=status_label(idea.status)),
        "",
        idea_body(ideas_service.draft_of(idea)),
        "",
        _("ideas.own.supports").format(count=idea.support_count),
    ]
    comments = [r for r in await ideas_service.reviews(session, idea.id) if r.comment]
    if comments:
        lines += ["", _("ideas.own.comments")]
        for review in comments[-3:]:
            lines.append(
                _("ideas.own.comment").format(
                    date=review.at.astimezone(settings.tz).strftime("%d.%m.%Y"),
                    status=status_label(review.status),
                    comment=hd.quote(review.comment or ""),
                )
            )
    if idea.status == IdeaStatus.REVISION:
        lines += ["", _("ideas.own.revision_hint")]
    next_at = ideas_service.next_update_at(idea, settings.ideas_update_interval_days)
    can_update = idea.status in ideas_service.PUBLIC
    if can_update and next_at is not None and next_at > ideas_service.utcnow():
        lines += [
            "",
            _("ideas.own.next_update").format(
                date=next_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
            ),
        ]
    await message.answer(
        "\n".join(lines),
        reply_markup=own_idea_keyboard(
            idea.id, can_edit=idea.status == IdeaStatus.REVISION, can_update=can_update
        ),
    )


def _support_state(idea: Idea, user: User, supported: set[int]) -> str:
    if idea.author_id == user.id:
        return "own"
    return "done" if idea.id in supported else "can"


async def render_list(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
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
    ideas, total = await ideas_service.browse(
        session, district=district or None, help_kind=help_kind or None, page=page, page_size=size
    )
    pages = max((total + size - 1) // size, 1)
    if page >= pages and total:
        page = pages - 1
        ideas, total = await ideas_service.browse(
            session, district=district or None, help_kind=help_kind or None, page=page, page_size=size
        )
    supported = await ideas_service.supported_ids(session, user.id, [i.id for i in ideas])
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
        lines.append(
            _("ideas.list.item").format(
                n=number,
                title=hd.quote(idea.title),
                district=_("district." + idea.district),
                count=idea.support_count,
                status=status_label(idea.status),
                snippet=hd.quote(_short(idea.problem.replace("\n", " "), SNIPPET)),
            )
        )
        items.append(
            (
                idea.id,
                f"{number}. {_short(idea.title, 28)}",
                idea.support_count,
                _support_state(idea, user, supported),
            )
        )
    markup = list_keyboard(items, district=district, help_kind=help_kind, page=page, pages=pages)
    text = "\n\n".join(lines)
    if edit and isinstance(event, CallbackQuery):
        try:
            await target(event).edit_text(text, reply_markup=markup)
            return
        except TelegramAPIError:  # not modified, or too old to edit: send a new one
            log.debug("list not edited", exc_info=True)
            return
    await target(event).answer(text, reply_markup=markup)


async def show_public_idea(
    message: Message, session: AsyncSession, user: User, idea_id: int, back: IdeasListCb | None
) -> None:
    idea = await ideas_service.get_public(session, idea_id)
    values = ideas_service.draft_of(idea)
    # A voice message identifies its author: it goes to staff, not to the public card.
    values["media"] = [m for m in values["media"] if m.get("kind") != "voice"]
    if values["media"]:
        assert message.bot is not None
        await send_media(message.bot, message.chat.id, values["media"])
    supported = await ideas_service.supported_ids(session, user.id, [idea.id])
    text = "\n".join(
        [
            _("ideas.public.head").format(status=status_label(idea.status)),
            "",
            idea_body(values),
            "",
            _("ideas.own.supports").format(count=idea.support_count),
        ]
    )
    await message.answer(
        text,
        reply_markup=public_card_keyboard(
            idea.id, idea.support_count, _support_state(idea, user, supported), back
        ),
    )


async def do_support(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    settings: Any,
    i18n: I18n,
    bot: Bot,
    idea_id: int,
) -> ideas_service.SupportResult | None:
    try:
        result = await ideas_service.support(
            session,
            idea_id,
            user,
            milestones=settings.ideas_support_milestones,
            threshold=settings.ideas_support_threshold,
        )
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return None
    await callback.answer(_("ideas.supported").format(count=result.count), show_alert=True)
    if result.raise_threshold:
        await staff_ideas.raise_threshold(bot, session, settings, i18n, result.idea)
    return result


# --- the router ---------------------------------------------------------------------------------------


def create_router() -> Router:
    router = Router(name="ideas")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    # --- entry points ---

    @router.message(Command("idea"))
    async def cmd_idea(
        message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await state.set_state(None)
        await start_form(message, state, session, user, settings)

    @router.callback_query(MenuCb.filter(F.action == "idea_new"))
    @router.callback_query(IdeaFormCb.filter(F.action == "start"))
    async def menu_idea(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await state.set_state(None)
        await start_form(callback, state, session, user, settings)

    @router.callback_query(IdeaFormCb.filter(F.action == "resume"))
    async def resume(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        draft = await load_draft(state)
        if not has_content(draft):
            await target(callback).answer(_("ideas.no_draft"))
            return
        step = draft.get("step") if draft.get("step") in STATE_OF else "title"
        if step == "edit_menu":
            step = "preview"
        await ask(callback, state, step, draft)

    @router.callback_query(IdeaFormCb.filter(F.action == "restart"))
    async def restart(
        callback: CallbackQuery,
        callback_data: IdeaFormCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        await callback.answer()
        await drop_draft(state)
        await state.set_state(None)
        if (idea_id := parse_id(callback_data.value)) is not None:
            try:
                await start_edit(callback, state, session, user, idea_id)
            except DomainError as exc:
                await target(callback).answer(error_text(exc))
            return
        await target(callback).answer(_("ideas.draft_dropped"))
        await start_form(callback, state, session, user, settings, fresh=True)

    # --- text steps ---

    @router.message(StateFilter(IdeaForm.title, IdeaForm.problem, IdeaForm.description), F.text)
    async def text_step(message: Message, state: FSMContext, raw_state: str | None) -> None:
        step = (raw_state or "").split(":")[-1]
        draft = await load_draft(state)
        try:
            value = (
                ideas_service.clean_title(message.text)
                if step == "title"
                else ideas_service.clean_body(message.text)
            )
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        draft[step] = value
        await next_step(message, state, draft, step)

    @router.callback_query(
        IdeaFormCb.filter(F.action == "keep"),
        StateFilter(IdeaForm.title, IdeaForm.problem, IdeaForm.description),
    )
    async def keep_value(callback: CallbackQuery, state: FSMContext, raw_state: str | None) -> None:
        await callback.answer()
        step = (raw_state or "").split(":")[-1]
        draft = await load_draft(state)
        if not draft.get(step):
            await ask(callback, state, step, draft)
            return
        await next_step(callback, state, draft, step)

    # --- choices ---

    @router.callback_query(IdeaFormCb.filter(F.action == "district"), IdeaForm.district)
    async def pick_district(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
        if callback_data.value not in DISTRICTS:
            await callback.answer(_("ideas.pick_button"), show_alert=True)
            return
        await callback.answer()
        draft = await load_draft(state)
        draft["district"] = callback_data.value
        await next_step(callback, state, draft, "district")

    @router.callback_query(IdeaFormCb.filter(F.action == "audience"), IdeaForm.audience)
    async def pick_audience(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
        if callback_data.value not in ideas_service.AUDIENCES:
            await callback.answer(_("ideas.pick_button"), show_alert=True)
            return
        await callback.answer()
        draft = await load_draft(state)
        draft["audience"] = callback_data.value
        await next_step(callback, state, draft, "audience")

    @router.callback_query(IdeaFormCb.filter(F.action == "help"), IdeaForm.help)
    async def toggle_help(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
        if callback_data.value not in ideas_service.HELP_KINDS:
            await callback.answer(_("ideas.pick_button"), show_alert=True)
            return
        await callback.answer()
        draft = await load_draft(state)
        chosen = [h for h in draft.get("help") or [] if h in ideas_service.HELP_KINDS]
        if callback_data.value in chosen:
            chosen.remove(callback_data.value)
        else:
            chosen.append(callback_data.value)
        draft["help"] = [h for h in ideas_service.HELP_KINDS if h in chosen]
        await save_draft(state, draft)
        try:
            await target(callback).edit_reply_markup(
                reply_markup=help_keyboard(ideas_service.HELP_KINDS, draft["help"])
            )
        except TelegramAPIError:
            await ask(callback, state, "help", draft)

    @router.callback_query(IdeaFormCb.filter(F.action == "help_done"), IdeaForm.help)
    async def help_done(callback: CallbackQuery, state: FSMContext) -> None:
        draft = await load_draft(state)
        if not draft.get("help"):
            await callback.answer(_("ideas.help_required"), show_alert=True)
            return
        await callback.answer()
        await next_step(callback, state, draft, "help")

    # --- attachments ---

    @router.message(IdeaForm.media, F.photo | F.document | F.voice)
    async def add_media(message: Message, state: FSMContext) -> None:
        draft = await load_draft(state)
        media = list(draft.get("media") or [])
        if len(media) >= ideas_service.MEDIA_MAX:
            await message.answer(
                _("ideas.media_full").format(max=ideas_service.MEDIA_MAX),
                reply_markup=media_keyboard(len(media)),
            )
            return
        if message.photo:
            item = {"kind": "photo", "file_id": message.photo[-1].file_id}
        elif message.document:
            item = {"kind": "document", "file_id": message.document.file_id}
        else:
            assert message.voice is not None
            item = {"kind": "voice", "file_id": message.voice.file_id}
        media.append(item)
        draft["media"] = media
        await save_draft(state, draft)
        await message.answer(
            _("ideas.media_added").format(
                kind=_(f"ideas.kind.{item['kind']}"), count=len(media), max=ideas_service.MEDIA_MAX
            ),
            reply_markup=media_keyboard(len(media)),
        )

    @router.callback_query(IdeaFormCb.filter(F.action == "media_clear"), IdeaForm.media)
    async def media_clear(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer(_("ideas.media_cleared"))
        draft = await load_draft(state)
        draft["media"] = []
        await ask(callback, state, "media", draft)

    @router.callback_query(IdeaFormCb.filter(F.action == "media_done"), IdeaForm.media)
    async def media_done(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        draft = await load_draft(state)
        draft.setdefault("media", [])
        await next_step(callback, state, draft, "media")

    # --- preview, edit, submit ---

    @router.callback_query(IdeaFormCb.filter(F.action == "edit_menu"), IdeaForm.preview)
    async def edit_menu(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await state.set_state(IdeaForm.edit_menu)
        await target(callback).answer(_("ideas.edit_which"), reply_markup=edit_fields_keyboard())

    @router.callback_query(IdeaFormCb.filter(F.action == "edit"), IdeaForm.edit_menu)
    async def edit_field(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
        if callback_data.value not in STEPS:
            await callback.answer(_("ideas.pick_button"), show_alert=True)
            return
        await callback.answer()
        draft = await load_draft(state)
        draft["editing"] = True
        await ask(callback, state, callback_data.value, draft)

    @router.callback_query(IdeaFormCb.filter(F.action == "preview"), StateFilter(IdeaForm))
    async def to_preview(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        draft = await load_draft(state)
        draft["editing"] = False
        await ask(callback, state, "preview", draft)

    @router.callback_query(IdeaFormCb.filter(F.action == "submit"), IdeaForm.preview)
    async def submit(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
        i18n: I18n,
        bot: Bot,
    ) -> None:
        draft = await load_draft(state)
        resubmitted = bool(draft.get("idea_id"))
        try:
            if resubmitted:
                idea = await ideas_service.resubmit(session, user, int(draft["idea_id"]), draft)
            else:
                idea = await ideas_service.submit(
                    session, user, draft, daily_limit=settings.ideas_daily_limit
                )
        except DomainError as exc:
            await callback.answer()
            await target(callback).answer(error_text(exc), reply_markup=preview_keyboard(resubmitted))
            return
        await callback.answer()
        await drop_draft(state)
        await state.clear()
        try:
            await target(callback).edit_reply_markup(reply_markup=None)
        except TelegramAPIError:
            log.debug("preview keyboard not removed", exc_info=True)
        await target(callback).answer(
            _("ideas.resubmitted" if resubmitted else "ideas.submitted").format(title=hd.quote(idea.title)),
            reply_markup=menu_for(user),
        )
        await staff_ideas.send_card(bot, session, settings, i18n, idea, resubmitted=resubmitted)

    # --- «Назад» in the form ---

    @router.callback_query(NavCb.filter(F.action == "back"), StateFilter(IdeaForm))
    async def back(callback: CallbackQuery, state: FSMContext, raw_state: str | None) -> None:
        await callback.answer()
        step = (raw_state or "").split(":")[-1]
        draft = await load_draft(state)
        if step in ("preview", "edit_menu") or draft.get("editing"):
            if step == "preview":
                target_step = STEPS[-1]
            else:
                target_step = "preview"
            draft["editing"] = False
            await ask(callback, state, target_step, draft)
            return
        if step == STEPS[0]:
            await ask(callback, state, step, draft)
            return
        await ask(callback, state, STEPS[STEPS.index(step) - 1], draft)

    # --- anything else inside the form: a hint, the step stays ---

    @router.message(StateFilter(IdeaForm))
    async def form_other(message: Message, state: FSMContext, raw_state: str | None) -> None:
        step = (raw_state or "").split(":")[-1]
        if step in TEXT_STEPS:
            await message.answer(_("ideas.hint_text"))
        elif step == "media":
            draft = await load_draft(state)
            await message.answer(
                _("ideas.hint_media").format(max=ideas_service.MEDIA_MAX),
                reply_markup=media_keyboard(len(draft.get("media") or [])),
            )
        else:
            await message.answer(_("ideas.hint_buttons"))

    # --- the person's own ideas ---

    @router.callback_query(MyCb.filter(F.section == "ideas"))
    @router.callback_query(IdeaCb.filter(F.action == "mine"))
    async def my_ideas(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
        await callback.answer()
        await state.set_state(None)
        await show_my_ideas(target(callback), session, user)

    @router.callback_query(IdeaCb.filter(F.action == "own"))
    async def own_idea(
        callback: CallbackQuery, callback_data: IdeaCb, session: AsyncSession, user: User, settings: Any
    ) -> None:
        try:
            idea = await ideas_service.get_own(session, callback_data.id, user.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await show_own_idea(target(callback), session, user, idea, settings)

    @router.callback_query(IdeaCb.filter(F.action == "edit"))
    async def edit_returned(
        callback: CallbackQuery, callback_data: IdeaCb, state: FSMContext, session: AsyncSession, user: User
    ) -> None:
        draft = await load_draft(state)
        if has_content(draft) and draft.get("idea_id") != callback_data.id:
            # Another draft is half-filled: nothing is thrown away without asking.
            await callback.answer()
            await state.set_state(None)
            await target(callback).answer(
                _("ideas.replace_draft").format(title=hd.quote(draft.get("title") or "—")),
                reply_markup=resume_keyboard(str(callback_data.id)),
            )
            return
        if draft.get("idea_id") == callback_data.id and draft.get("step") in STATE_OF:
            # Corrections already begun are continued, not replaced by the stored version.
            await callback.answer()
            step = "preview" if draft["step"] == "edit_menu" else draft["step"]
            await ask(callback, state, step, draft)
            return
        try:
            await start_edit(callback, state, session, user, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()

    # --- writing to supporters ---

    @router.callback_query(IdeaCb.filter(F.action == "update"))
    async def update_start(
        callback: CallbackQuery,
        callback_data: IdeaCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        try:
            idea = await ideas_service.get_own(session, callback_data.id, user.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        next_at = ideas_service.next_update_at(idea, settings.ideas_update_interval_days)
        if idea.status not in ideas_service.PUBLIC:
            await callback.answer(_("ideas.update_not_public"), show_alert=True)
            return
        if next_at is not None and next_at > ideas_service.utcnow():
            await callback.answer(
                _("ideas.update_too_soon").format(
                    date=next_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
                ),
                show_alert=True,
            )
            return
        if idea.support_count == 0:
            await callback.answer(_("ideas.update_no_supporters"), show_alert=True)
            return
        await callback.answer()
        await state.set_state(IdeaUpdateForm.text)
        await state.set_data({"idea_id": idea.id})
        await target(callback).answer(
            _("ideas.update.ask").format(
                title=hd.quote(idea.title),
                count=idea.support_count,
                max=ideas_service.UPDATE_MAX,
                days=settings.ideas_update_interval_days,
            ),
            reply_markup=nav_keyboard(back=False),
        )

    @router.message(IdeaUpdateForm.text, F.text)
    async def update_text(message: Message, state: FSMContext) -> None:
        try:
            text = ideas_service.clean_update(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        data = await state.get_data()
        await state.update_data(text=text)
        await state.set_state(IdeaUpdateForm.confirm)
        await message.answer(
            _("ideas.update.preview").format(text=hd.quote(text)),
            reply_markup=update_confirm_keyboard(int(data.get("idea_id") or 0)),
        )

    @router.message(IdeaUpdateForm.text)
    async def update_other(message: Message) -> None:
        await message.answer(_("ideas.hint_text"))

    @router.message(IdeaUpdateForm.confirm)
    async def confirm_other(message: Message) -> None:
        await message.answer(_("ideas.hint_buttons"))

    @router.callback_query(NavCb.filter(F.action == "back"), IdeaUpdateForm.confirm)
    async def update_back(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await state.set_state(IdeaUpdateForm.text)
        await target(callback).answer(_("ideas.update.again"), reply_markup=nav_keyboard(back=False))

    @router.callback_query(IdeaCb.filter(F.action == "send_update"), IdeaUpdateForm.confirm)
    async def update_send(
        callback: CallbackQuery,
        callback_data: IdeaCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        data = await state.get_data()
        if int(data.get("idea_id") or 0) != callback_data.id or not data.get("text"):
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        try:
            _update, queued = await ideas_service.post_update(
                session,
                callback_data.id,
                user,
                data["text"],
                interval_days=settings.ideas_update_interval_days,
                tz=settings.tz,
            )
        except DomainError as exc:
            await callback.answer()
            await state.clear()
            await target(callback).answer(error_text(exc), reply_markup=menu_for(user))
            return
        await callback.answer()
        await state.clear()
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(
            _("ideas.update.sent").format(count=queued), reply_markup=menu_for(user)
        )

    # --- published ideas ---

    @router.message(Command("ideas"))
    async def cmd_ideas(
        message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await state.set_state(None)
        await render_list(message, session, user, settings)

    @router.callback_query(MenuCb.filter(F.action == "ideas"))
    async def menu_ideas(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await state.set_state(None)
        await render_list(callback, session, user, settings)

    @router.callback_query(IdeasListCb.filter(F.a == "page"))
    async def list_page(
        callback: CallbackQuery, callback_data: IdeasListCb, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await render_list(
            callback,
            session,
            user,
            settings,
            district=callback_data.d,
            help_kind=callback_data.h,
            page=max(callback_data.p, 0),
            edit=True,
        )

    @router.callback_query(IdeasListCb.filter(F.a.in_({"fd", "fh"})))
    async def list_filter(callback: CallbackQuery, callback_data: IdeasListCb) -> None:
        await callback.answer()
        values = DISTRICTS if callback_data.a == "fd" else ideas_service.HELP_KINDS
        markup = filter_keyboard(callback_data.a, values, district=callback_data.d, help_kind=callback_data.h)
        try:
            await target(callback).edit_reply_markup(reply_markup=markup)
        except TelegramAPIError:
            await target(callback).answer(_("ideas.filter.pick"), reply_markup=markup)

    @router.callback_query(IdeasListCb.filter(F.a == "open"))
    async def list_open(
        callback: CallbackQuery, callback_data: IdeasListCb, session: AsyncSession, user: User
    ) -> None:
        back = IdeasListCb(a="page", d=callback_data.d, h=callback_data.h, p=callback_data.p)
        try:
            await callback.answer()
            await show_public_idea(target(callback), session, user, callback_data.id, back)
        except DomainError as exc:
            await target(callback).answer(error_text(exc))

    @router.callback_query(IdeaCb.filter(F.action == "open"))
    async def open_idea(
        callback: CallbackQuery, callback_data: IdeaCb, session: AsyncSession, user: User
    ) -> None:
        try:
            await callback.answer()
            await show_public_idea(target(callback), session, user, callback_data.id, None)
        except DomainError as exc:
            await target(callback).answer(error_text(exc))

    @router.callback_query(IdeasListCb.filter(F.a == "sup"))
    async def list_support(
        callback: CallbackQuery,
        callback_data: IdeasListCb,
        session: AsyncSession,
        user: User,
        settings: Any,
        i18n: I18n,
        bot: Bot,
    ) -> None:
        if await do_support(callback, session, user, settings, i18n, bot, callback_data.id) is None:
            return
        await render_list(
            callback,
            session,
            user,
            settings,
            district=callback_data.d,
            help_kind=callback_data.h,
            page=callback_data.p,
            edit=True,
        )

    @router.callback_query(IdeaCb.filter(F.action == "support"))
    async def card_support(
        callback: CallbackQuery,
        callback_data: IdeaCb,
        session: AsyncSession,
        user: User,
        settings: Any,
        i18n: I18n,
        bot: Bot,
    ) -> None:
        result = await do_support(callback, session, user, settings, i18n, bot, callback_data.id)
        if result is None:
            return
        markup = target(callback).reply_markup
        back = None
        if markup is not None and len(markup.inline_keyboard) > 1:
            back_data = markup.inline_keyboard[-1][0].callback_data or ""
            if back_data.startswith(IdeasListCb.__prefix__ + ":"):
                back = IdeasListCb.unpack(back_data)
        try:
            await target(callback).edit_reply_markup(
                reply_markup=public_card_keyboard(result.idea.id, result.count, "done", back)
            )
        except TelegramAPIError:
            log.debug("card keyboard not updated", exc_info=True)

    return router
