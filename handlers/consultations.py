"""Consultations, the person's side: /consult (topic -> question with files -> organisation -> format ->
time -> confirmation with a number), the requests in /my (status, add a message, cancel, rate), and
replies to staff answers."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Consultation, User
from db.models.consultations import OPEN_STATUSES
from handlers.admin.consultations import (
    LinkedReply,
    join_limited,
    local,
    place_text,
    post_card,
    quote_cut,
    refresh_card,
    relay_to_staff,
    status_text,
    to_card_thread,
)
from handlers.common import RequireRegistration, error_text, target
from handlers.filters import private_only
from keyboards.common import NavCb, require_id
from keyboards.consultations import (
    ConsultCb,
    cancel_confirm_keyboard,
    comment_keyboard,
    confirm_keyboard,
    files_keyboard,
    format_keyboard,
    my_list_keyboard,
    organisation_keyboard,
    question_keyboard,
    rating_keyboard,
    request_keyboard,
    time_keyboard,
    topics_keyboard,
    write_keyboard,
)
from keyboards.menu import MenuCb, main_menu
from keyboards.my import MyCb
from services import consultations as svc
from services import users as users_service
from services.errors import DomainError, ValidationFailed


class ConsultForm(StatesGroup):
    topic = State()
    question = State()
    files = State()
    org = State()
    format = State()
    time = State()
    confirm = State()
    write = State()  # a message to staff about an open request
    comment = State()  # a comment after rating


STEPS = ("topic", "question", "files", "org", "format", "time", "confirm")
STATES = {step: getattr(ConsultForm, step) for step in STEPS}
FORM_STATES = StateFilter(*STATES.values())


async def _form(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("c") or {})


async def _save(state: FSMContext, form: dict[str, Any]) -> None:
    await state.update_data(c=form)


def _header(step: str) -> str:
    return _("consult.step").format(n=STEPS.index(step) + 1, total=len(STEPS)) + "\n"


async def ask(
    event: Message | CallbackQuery, state: FSMContext, step: str, session: AsyncSession, user: User
) -> None:
    """Show the prompt of ``step`` and move the dialog there."""
    form = await _form(state)
    message = target(event)
    await state.set_state(STATES[step])
    header = _header(step)
    language = user.language
    if step == "topic":
        topics = await svc.list_topics(session)
        await message.answer(
            header + _("consult.ask_topic"),
            reply_markup=topics_keyboard([(t.id, svc.topic_title(t, language)) for t in topics]),
        )
    elif step == "question":
        text = header + _("consult.ask_question").format(max=svc.QUESTION_MAX)
        if form.get("question"):
            text += "\n\n" + _("consult.current_question").format(question=quote_cut(form["question"], 1500))
        await message.answer(text, reply_markup=question_keyboard(bool(form.get("question"))))
    elif step == "files":
        count = len(form.get("files") or [])
        await message.answer(
            header + _("consult.ask_files").format(count=count, max=svc.ATTACHMENTS_MAX),
            reply_markup=files_keyboard(count),
        )
    elif step == "org":
        current = form.get("org", user.organisation)
        text = header + _("consult.ask_org")
        if current:
            text += "\n" + _("consult.org_current").format(org=html.escape(current))
        await message.answer(text, reply_markup=organisation_keyboard(current))
    elif step == "format":
        await message.answer(header + _("consult.ask_format"), reply_markup=format_keyboard(svc.FORMATS))
    elif step == "time":
        await message.answer(header + _("consult.ask_time"), reply_markup=time_keyboard(svc.TIMES))
    elif step == "confirm":
        topic = await session.get(svc.ConsultationTopic, form.get("topic_id", 0))
        await message.answer(
            header
            + _("consult.summary").format(
                topic=html.escape(svc.topic_title(topic, language)),
                question=quote_cut(form.get("question"), 2500),
                files=len(form.get("files") or []),
                org=html.escape(form.get("org") or "—"),
                format=_(f"consult.format.{form.get('format', 'chat')}"),
                time=_(f"consult.time.{form.get('time', 'any')}"),
            ),
            reply_markup=confirm_keyboard(),
        )


def _attachment(message: Message) -> dict[str, Any] | None:
    if message.photo:
        return {"kind": "photo", "file_id": message.photo[-1].file_id, "file_name": None}
    if message.document is not None:
        return {
            "kind": "document",
            "file_id": message.document.file_id,
            "file_name": message.document.file_name,
        }
    return None


async def start(event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await state.set_data({"c": {}})
    await target(event).answer(_("consult.intro"))
    await ask(event, state, "topic", session, user)


# --- /my: the person's requests ----------------------------------------------------------------------


async def show_list(message: Message, session: AsyncSession, user: User, settings: Any) -> None:
    rows = await svc.list_for_person(session, user.tg_id)  # type: ignore[arg-type]
    if not rows:
        await message.answer(_("consult.my_empty"), reply_markup=my_list_keyboard([]))
        return
    items = []
    for c in rows:
        topic = await session.get(svc.ConsultationTopic, c.topic_id)
        title = svc.topic_title(topic, user.language)
        items.append((c.id, f"№{c.id} · {title[:30]} · {status_text(c)}"))
    await message.answer(_("consult.my_title").format(count=len(rows)), reply_markup=my_list_keyboard(items))


async def show_request(
    message: Message, session: AsyncSession, user: User, c: Consultation, settings: Any
) -> None:
    topic = await session.get(svc.ConsultationTopic, c.topic_id)
    lines = [
        _("consult.view_title").format(number=c.id, status=status_text(c)),
        _("consult.view_topic").format(topic=html.escape(svc.topic_title(topic, user.language))),
        _("consult.view_created").format(at=local(c.created_at, settings)),
        _("consult.view_format").format(
            format=_(f"consult.format.{c.format}"), time=_(f"consult.time.{c.preferred_time}")
        ),
    ]
    if c.assignee_name:
        lines.append(_("consult.view_assignee").format(name=html.escape(c.assignee_name.split(" ")[0])))
    if c.meeting_at and c.status == "meeting":
        lines.append(
            _("consult.view_meeting").format(
                when=local(c.meeting_at, settings), place=html.escape(place_text(c.meeting_place, settings))
            )
        )
    if c.outcome:
        lines.append(_("consult.view_outcome").format(outcome=_(f"consult.outcome.{c.outcome}")))
    if c.rating:
        lines.append(_("consult.view_rating").format(stars="⭐" * c.rating))
    lines += ["", _("consult.view_question"), quote_cut(c.question, 1200)]
    history = [m for m in await svc.messages_of(session, c.id) if m.text or m.kind != "text"][-5:]
    if history:
        lines += ["", _("consult.view_history")]
        for m in history:
            who = (
                _("consult.you") if m.author == "person" else html.escape((m.author_name or "").split(" ")[0])
            )
            body = quote_cut(m.text, 300) if m.text else ""
            if m.kind != "text":
                body = (
                    "📎 "
                    + html.escape(m.file_name or _(f"consult.kind.{m.kind}"))
                    + (" " + body if body else "")
                )
            lines.append(f"<b>{who}</b> ({local(m.created_at, settings, '%d.%m %H:%M')}): {body}")
    await message.answer(
        join_limited(lines),
        reply_markup=request_keyboard(
            c.id,
            is_open=c.status in OPEN_STATUSES,
            can_rate=c.status == "closed" and c.rating is None and c.outcome != "no_show",
        ),
    )


async def send_to_staff(
    message: Message,
    state: FSMContext,
    bot: Bot,
    session: AsyncSession,
    settings: Any,
    consultation_id: int,
) -> None:
    """The person's text, photo or document goes under the request's card; the dialog ends."""
    payload = _attachment(message)
    kind = payload["kind"] if payload else "text"
    if payload is None and message.text is None:
        await message.answer(_("consult.hint_write"))
        return
    try:
        c, row = await svc.add_person_message(
            session,
            message.chat.id,
            consultation_id,
            kind=kind,
            text=message.text if kind == "text" else message.caption,
            file_id=payload["file_id"] if payload else None,
            file_name=payload["file_name"] if payload else None,
        )
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    except DomainError as exc:
        await state.clear()
        await message.answer(error_text(exc), reply_markup=main_menu())
        return
    await state.clear()
    if c.card_message_id is None:
        await post_card(bot, session, settings, c.id)
    await relay_to_staff(bot, session, settings, c, row)
    await message.answer(_("consult.sent_to_staff").format(number=c.id), reply_markup=main_menu())


def create_router() -> Router:
    router = Router(name="consultations")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())

    # --- entry points ----------------------------------------------------------------------------

    @router.message(Command("consult"))
    async def cmd_consult(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
        await start(message, state, session, user)

    @router.callback_query(MenuCb.filter(F.action == "consult"))
    async def menu_consult(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
    ) -> None:
        await callback.answer()
        await start(callback, state, session, user)

    @router.callback_query(ConsultCb.filter(F.action == "new"))
    async def new_from_list(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
    ) -> None:
        await callback.answer()
        await start(callback, state, session, user)

    # --- «Назад» -----------------------------------------------------------------------------------

    @router.callback_query(FORM_STATES, NavCb.filter(F.action == "back"))
    async def back(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
        await callback.answer()
        current = await state.get_state()
        step = next((s for s, st in STATES.items() if st.state == current), "topic")
        previous = STEPS[max(0, STEPS.index(step) - 1)]
        await ask(callback, state, previous, session, user)

    @router.message(StateFilter(ConsultForm), F.text.startswith("/"))
    async def command_in_dialog(message: Message) -> None:
        await message.answer(_("consult.hint_command"))

    # --- topic ------------------------------------------------------------------------------------

    @router.callback_query(ConsultForm.topic, ConsultCb.filter(F.action == "topic"))
    async def pick_topic(
        callback: CallbackQuery,
        callback_data: ConsultCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
    ) -> None:
        await callback.answer()
        topic = await session.get(svc.ConsultationTopic, callback_data.id)
        if topic is None or not topic.active:
            await target(callback).answer(_("consult.err_topic_gone"))
            await ask(callback, state, "topic", session, user)
            return
        form = await _form(state)
        form["topic_id"] = topic.id
        await _save(state, form)
        await ask(callback, state, "question", session, user)

    # --- question ---------------------------------------------------------------------------------

    @router.message(ConsultForm.question, F.text)
    async def question_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
        try:
            question = svc.clean_question(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc) + "\n" + _("consult.hint_question"))
            return
        form = await _form(state)
        form["question"] = question
        await _save(state, form)
        await ask(message, state, "files", session, user)

    @router.message(ConsultForm.question, F.photo | F.document)
    async def question_file(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
        form = await _form(state)
        files = list(form.get("files") or [])
        attachment = _attachment(message)
        if attachment is not None and len(files) < svc.ATTACHMENTS_MAX:
            files.append(attachment)
        form["files"] = files
        caption_ok = False
        if message.caption:
            try:
                form["question"] = svc.clean_question(message.caption)
                caption_ok = True
            except ValidationFailed as exc:
                await message.answer(error_text(exc))
        await _save(state, form)
        if caption_ok:
            await ask(message, state, "files", session, user)
            return
        await message.answer(_("consult.file_first").format(count=len(files)))

    @router.message(ConsultForm.question)
    async def question_other(message: Message) -> None:
        await message.answer(_("consult.hint_question"))

    @router.callback_query(ConsultForm.question, ConsultCb.filter(F.action == "q_keep"))
    async def question_keep(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
    ) -> None:
        await callback.answer()
        if not (await _form(state)).get("question"):
            await ask(callback, state, "question", session, user)
            return
        await ask(callback, state, "files", session, user)

    # --- files ------------------------------------------------------------------------------------

    @router.message(ConsultForm.files, F.photo | F.document)
    async def add_file(message: Message, state: FSMContext) -> None:
        form = await _form(state)
        files = list(form.get("files") or [])
        if len(files) >= svc.ATTACHMENTS_MAX:
            await message.answer(
                _("consult.files_full").format(max=svc.ATTACHMENTS_MAX),
                reply_markup=files_keyboard(len(files)),
            )
            return
        attachment = _attachment(message)
        assert attachment is not None
        if message.caption:
            attachment["caption"] = message.caption[: svc.MESSAGE_MAX]
        files.append(attachment)
        form["files"] = files
        await _save(state, form)
        await message.answer(
            _("consult.file_added").format(count=len(files), max=svc.ATTACHMENTS_MAX),
            reply_markup=files_keyboard(len(files)),
        )

    @router.message(ConsultForm.files, F.text)
    async def files_text(message: Message, state: FSMContext) -> None:
        form = await _form(state)
        combined = (form.get("question") or "") + "\n\n" + (message.text or "")
        try:
            form["question"] = svc.clean_question(combined)
        except ValidationFailed as exc:
            await message.answer(error_text(exc), reply_markup=files_keyboard(len(form.get("files") or [])))
            return
        await _save(state, form)
        await message.answer(
            _("consult.text_appended"), reply_markup=files_keyboard(len(form.get("files") or []))
        )

    @router.message(ConsultForm.files)
    async def files_other(message: Message, state: FSMContext) -> None:
        form = await _form(state)
        await message.answer(
            _("consult.hint_files"), reply_markup=files_keyboard(len(form.get("files") or []))
        )

    @router.callback_query(ConsultForm.files, ConsultCb.filter(F.action == "files_done"))
    async def files_done(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
    ) -> None:
        await callback.answer()
        await ask(callback, state, "org", session, user)

    # --- organisation -------------------------------------------------------------------------------

    @router.message(ConsultForm.org, F.text)
    async def org_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
        try:
            organisation = users_service.clean_organisation(message.text)
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        form = await _form(state)
        form["org"] = organisation
        await _save(state, form)
        await ask(message, state, "format", session, user)

    @router.message(ConsultForm.org)
    async def org_other(message: Message) -> None:
        await message.answer(_("consult.hint_org"))

    @router.callback_query(ConsultForm.org, ConsultCb.filter(F.action.in_({"org_keep", "org_none"})))
    async def org_button(
        callback: CallbackQuery,
        callback_data: ConsultCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
    ) -> None:
        await callback.answer()
        form = await _form(state)
        if callback_data.action == "org_keep":
            form["org"] = form.get("org", user.organisation)
        else:
            form["org"] = None
        await _save(state, form)
        await ask(callback, state, "format", session, user)

    # --- format, time -----------------------------------------------------------------------------

    @router.callback_query(ConsultForm.format, ConsultCb.filter(F.action == "fmt"))
    async def pick_format(
        callback: CallbackQuery,
        callback_data: ConsultCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
    ) -> None:
        await callback.answer()
        if callback_data.v not in svc.FORMATS:
            await ask(callback, state, "format", session, user)
            return
        form = await _form(state)
        form["format"] = callback_data.v
        await _save(state, form)
        await ask(callback, state, "time", session, user)

    @router.callback_query(ConsultForm.time, ConsultCb.filter(F.action == "time"))
    async def pick_time(
        callback: CallbackQuery,
        callback_data: ConsultCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
    ) -> None:
        await callback.answer()
        if callback_data.v not in svc.TIMES:
            await ask(callback, state, "time", session, user)
            return
        form = await _form(state)
        form["time"] = callback_data.v
        await _save(state, form)
        await ask(callback, state, "confirm", session, user)

    @router.message(StateFilter(ConsultForm.format, ConsultForm.time, ConsultForm.confirm, ConsultForm.topic))
    async def use_buttons(message: Message) -> None:
        await message.answer(_("consult.hint_buttons"))

    # --- confirmation -------------------------------------------------------------------------------

    @router.callback_query(ConsultForm.confirm, ConsultCb.filter(F.action == "submit"))
    async def submit(
        callback: CallbackQuery,
        state: FSMContext,
        bot: Bot,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        form = await _form(state)
        try:
            c = await svc.create_request(
                session,
                callback.from_user.id,
                topic_id=int(form.get("topic_id", 0)),
                question=form.get("question", ""),
                organisation=form.get("org"),
                format=form.get("format", ""),
                preferred_time=form.get("time", ""),
                attachments=form.get("files") or [],
                open_limit=settings.consult_open_limit,
            )
        except ValidationFailed as exc:
            await callback.answer()
            await target(callback).answer(error_text(exc))
            await ask(callback, state, "topic" if "topic" in exc.key else "confirm", session, user)
            return
        except DomainError as exc:
            await callback.answer()
            if exc.key == "consult.err_too_many_open":  # nothing to fix in the form: back to the menu
                await state.clear()
                await target(callback).edit_reply_markup(reply_markup=None)
                await target(callback).answer(error_text(exc), reply_markup=main_menu())
                return
            await target(callback).answer(error_text(exc))
            await ask(callback, state, "topic", session, user)
            return
        await state.clear()
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await post_card(bot, session, settings, c.id)
        await target(callback).answer(_("consult.created").format(number=c.id), reply_markup=main_menu())

    # --- /my ----------------------------------------------------------------------------------------

    @router.callback_query(MyCb.filter(F.section == "consult"))
    async def my_section(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await show_list(target(callback), session, user, settings)

    @router.callback_query(ConsultCb.filter(F.action == "list"))
    async def my_list(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await show_list(target(callback), session, user, settings)

    @router.callback_query(ConsultCb.filter(F.action == "view"))
    async def view(
        callback: CallbackQuery,
        callback_data: ConsultCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        try:
            c = await svc.get_for_person(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await state.clear()
        await show_request(target(callback), session, user, c, settings)

    @router.callback_query(ConsultCb.filter(F.action == "cancel"))
    async def cancel_ask(callback: CallbackQuery, callback_data: ConsultCb, session: AsyncSession) -> None:
        try:
            c = await svc.get_for_person(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        if c.status not in OPEN_STATUSES:
            await callback.answer(_("consult.err_closed"), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("consult.cancel_confirm").format(number=c.id), reply_markup=cancel_confirm_keyboard(c.id)
        )

    @router.callback_query(ConsultCb.filter(F.action == "cancel_yes"))
    async def cancel_yes(
        callback: CallbackQuery, callback_data: ConsultCb, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        try:
            c = await svc.cancel_by_person(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await refresh_card(bot, session, settings, c.id)
        await to_card_thread(bot, session, settings, c, _("consult.adm_person_cancelled").format(number=c.id))
        await target(callback).answer(_("consult.cancelled").format(number=c.id), reply_markup=main_menu())

    @router.callback_query(ConsultCb.filter(F.action == "write"))
    async def write_ask(
        callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession
    ) -> None:
        try:
            c = await svc.get_for_person(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        if c.status not in OPEN_STATUSES:
            await callback.answer(_("consult.err_closed"), show_alert=True)
            return
        await callback.answer()
        await state.set_state(ConsultForm.write)
        await state.set_data({"cid": c.id})
        await target(callback).answer(
            _("consult.ask_write").format(number=c.id), reply_markup=write_keyboard()
        )

    @router.message(ConsultForm.write)
    async def write_message(
        message: Message, state: FSMContext, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        consultation_id = int((await state.get_data()).get("cid", 0))
        await send_to_staff(message, state, bot, session, settings, consultation_id)

    @router.message(StateFilter(None), LinkedReply())
    async def reply_to_answer(
        message: Message, link: Any, state: FSMContext, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        if link.consultation_id is None:
            return
        await send_to_staff(message, state, bot, session, settings, link.consultation_id)

    # --- rating -------------------------------------------------------------------------------------

    @router.callback_query(ConsultCb.filter(F.action == "rate_ask"))
    async def rate_ask(callback: CallbackQuery, callback_data: ConsultCb, session: AsyncSession) -> None:
        try:
            c = await svc.get_for_person(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("consult.rate_ask").format(number=c.id), reply_markup=rating_keyboard(c.id)
        )

    @router.callback_query(ConsultCb.filter(F.action == "rate"))
    async def rate(
        callback: CallbackQuery, callback_data: ConsultCb, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        try:
            c = await svc.rate(
                session, callback.from_user.id, callback_data.id, require_id(callback_data.v or "0")
            )
        except (DomainError, ValueError) as exc:
            text = error_text(exc) if isinstance(exc, DomainError) else _("common.stale_button")
            await callback.answer(text, show_alert=True)
            return
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await refresh_card(bot, session, settings, c.id)
        await target(callback).answer(
            _("consult.rated").format(stars="⭐" * (c.rating or 0)), reply_markup=comment_keyboard(c.id)
        )

    @router.callback_query(ConsultCb.filter(F.action == "comment"))
    async def comment_ask(
        callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession
    ) -> None:
        try:
            c = await svc.get_for_person(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await state.set_state(ConsultForm.comment)
        await state.set_data({"cid": c.id})
        await target(callback).answer(
            _("consult.ask_comment").format(max=svc.COMMENT_MAX), reply_markup=write_keyboard()
        )

    @router.callback_query(ConsultCb.filter(F.action == "no_comment"))
    async def no_comment(callback: CallbackQuery, user: User) -> None:
        await callback.answer()
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("consult.thanks"), reply_markup=main_menu())

    @router.message(ConsultForm.comment, F.text)
    async def comment_text(
        message: Message, state: FSMContext, bot: Bot, session: AsyncSession, settings: Any
    ) -> None:
        consultation_id = int((await state.get_data()).get("cid", 0))
        try:
            c = await svc.comment(session, message.chat.id, consultation_id, message.text or "")
        except ValidationFailed as exc:
            await message.answer(error_text(exc))
            return
        except DomainError as exc:
            await state.clear()
            await message.answer(error_text(exc), reply_markup=main_menu())
            return
        await state.clear()
        await refresh_card(bot, session, settings, c.id)
        await message.answer(_("consult.thanks"), reply_markup=main_menu())

    @router.message(ConsultForm.comment)
    async def comment_other(message: Message) -> None:
        await message.answer(_("consult.hint_comment"))

    return router
