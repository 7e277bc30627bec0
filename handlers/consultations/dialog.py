"""/consult: topic → question (with files) → more files → organisation → format → time → confirmation,
which files the request, posts its card to the admin chat and gives the person its number. The draft
is kept in the FSM data under "c"."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import error_text, target
from handlers.consultations.delivery import post_card
from handlers.consultations.states import ConsultForm
from handlers.consultations.views import attachment, quote_cut
from keyboards import consultations as kb
from keyboards.common import NavCb
from keyboards.consultations import Consult, ConsultCb
from keyboards.menu import MenuCb, main_menu
from services import consultations as svc
from services import users as users_service
from services.errors import DomainError, ValidationFailed

STEPS = ("topic", "question", "files", "org", "format", "time", "confirm")
STATES = {step: getattr(ConsultForm, step) for step in STEPS}
FORM_STATES = StateFilter(*STATES.values())


async def _form(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("c") or {})


async def _save(state: FSMContext, form: dict[str, Any]) -> None:
    await state.update_data(c=form)


async def _files_markup(state: FSMContext) -> InlineKeyboardMarkup:
    return kb.files_keyboard(len((await _form(state)).get("files") or []))


# --- the prompts ---------------------------------------------------------------------------------------

Prompt = tuple[str, InlineKeyboardMarkup]


async def _topic(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    topics = await svc.list_topics(session)
    items = [(t.id, svc.topic_title(t, user.language)) for t in topics]
    return _("consult.ask_topic"), kb.topics_keyboard(items)


async def _question(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    text = _("consult.ask_question").format(max=svc.QUESTION_MAX)
    if form.get("question"):
        text += "\n\n" + _("consult.current_question").format(question=quote_cut(form["question"], 1500))
    return text, kb.question_keyboard(bool(form.get("question")))


async def _files(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    count = len(form.get("files") or [])
    return _("consult.ask_files").format(count=count, max=svc.ATTACHMENTS_MAX), kb.files_keyboard(count)


async def _org(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    current = form.get("org", user.organisation)
    text = _("consult.ask_org")
    if current:
        text += "\n" + _("consult.org_current").format(org=html.escape(current))
    return text, kb.organisation_keyboard(current)


async def _format(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    return _("consult.ask_format"), kb.format_keyboard(svc.FORMATS)


async def _time(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    return _("consult.ask_time"), kb.time_keyboard(svc.TIMES)


async def _confirm(form: dict[str, Any], session: AsyncSession, user: User) -> Prompt:
    topic = await session.get(svc.ConsultationTopic, form.get("topic_id", 0))
    text = _("consult.summary").format(
        topic=html.escape(svc.topic_title(topic, user.language)),
        question=quote_cut(form.get("question"), 2500),
        files=len(form.get("files") or []),
        org=html.escape(form.get("org") or "—"),
        format=_(f"consult.format.{form.get('format', 'chat')}"),
        time=_(f"consult.time.{form.get('time', 'any')}"),
    )
    return text, kb.confirm_keyboard()


PROMPTS: dict[str, Callable[[dict[str, Any], AsyncSession, User], Awaitable[Prompt]]] = {
    "topic": _topic,
    "question": _question,
    "files": _files,
    "org": _org,
    "format": _format,
    "time": _time,
    "confirm": _confirm,
}


async def ask(
    event: Message | CallbackQuery, state: FSMContext, step: str, session: AsyncSession, user: User
) -> None:
    """Show the prompt of ``step`` and move the dialog there."""
    form = await _form(state)
    await state.set_state(STATES[step])
    text, markup = await PROMPTS[step](form, session, user)
    header = _("consult.step").format(n=STEPS.index(step) + 1, total=len(STEPS)) + "\n"
    await target(event).answer(header + text, reply_markup=markup)


async def _fill(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    then: str,
    **values: Any,
) -> None:
    """Put ``values`` into the draft and ask the step ``then``."""
    form = await _form(state)
    form.update(values)
    await _save(state, form)
    await ask(event, state, then, session, user)


async def start(event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await state.set_data({"c": {}})
    await target(event).answer(_("consult.intro"))
    await ask(event, state, "topic", session, user)


# --- entry points, «Назад» ---------------------------------------------------------------------------


async def cmd_consult(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    await start(message, state, session, user)


async def start_pressed(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    """«Консультация» in the main menu, or «Новый запрос» under the person's requests."""
    await callback.answer()
    await start(callback, state, session, user)


async def back(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await callback.answer()
    current = await state.get_state()
    step = next((s for s, st in STATES.items() if st.state == current), "topic")
    await ask(callback, state, STEPS[max(0, STEPS.index(step) - 1)], session, user)


async def command_in_dialog(message: Message) -> None:
    await message.answer(_("consult.hint_command"))


# --- the steps -------------------------------------------------------------------------------------------


async def pick_topic(
    callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await callback.answer()
    topic = await session.get(svc.ConsultationTopic, callback_data.id)
    if topic is None or not topic.active:
        await target(callback).answer(_("consult.err_topic_gone"))
        await ask(callback, state, "topic", session, user)
        return
    await _fill(callback, state, session, user, "question", topic_id=topic.id)


async def question_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    try:
        question = svc.clean_question(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc) + "\n" + _("consult.hint_question"))
        return
    await _fill(message, state, session, user, "files", question=question)


async def question_file(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    form = await _form(state)
    files = list(form.get("files") or [])
    found = attachment(message)
    if found is not None and len(files) < svc.ATTACHMENTS_MAX:
        files.append(found)
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


async def question_other(message: Message) -> None:
    await message.answer(_("consult.hint_question"))


async def question_keep(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await callback.answer()
    has_question = bool((await _form(state)).get("question"))
    await ask(callback, state, "files" if has_question else "question", session, user)


async def add_file(message: Message, state: FSMContext) -> None:
    form = await _form(state)
    files = list(form.get("files") or [])
    if len(files) >= svc.ATTACHMENTS_MAX:
        await message.answer(
            _("consult.files_full").format(max=svc.ATTACHMENTS_MAX),
            reply_markup=kb.files_keyboard(len(files)),
        )
        return
    found = attachment(message)
    assert found is not None
    if message.caption:
        found["caption"] = message.caption[: svc.MESSAGE_MAX]
    files.append(found)
    form["files"] = files
    await _save(state, form)
    await message.answer(
        _("consult.file_added").format(count=len(files), max=svc.ATTACHMENTS_MAX),
        reply_markup=kb.files_keyboard(len(files)),
    )


async def files_text(message: Message, state: FSMContext) -> None:
    form = await _form(state)
    combined = (form.get("question") or "") + "\n\n" + (message.text or "")
    try:
        form["question"] = svc.clean_question(combined)
    except ValidationFailed as exc:
        await message.answer(error_text(exc), reply_markup=await _files_markup(state))
        return
    await _save(state, form)
    await message.answer(_("consult.text_appended"), reply_markup=await _files_markup(state))


async def files_other(message: Message, state: FSMContext) -> None:
    await message.answer(_("consult.hint_files"), reply_markup=await _files_markup(state))


async def files_done(callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User) -> None:
    await callback.answer()
    await ask(callback, state, "org", session, user)


async def org_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    try:
        organisation = users_service.clean_organisation(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    await _fill(message, state, session, user, "format", org=organisation)


async def org_other(message: Message) -> None:
    await message.answer(_("consult.hint_org"))


async def org_button(
    callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await callback.answer()
    keep = callback_data.action == Consult.ORG_KEEP
    organisation = (await _form(state)).get("org", user.organisation) if keep else None
    await _fill(callback, state, session, user, "format", org=organisation)


async def pick_format(
    callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await callback.answer()
    if callback_data.v not in svc.FORMATS:
        await ask(callback, state, "format", session, user)
        return
    await _fill(callback, state, session, user, "time", format=callback_data.v)


async def pick_time(
    callback: CallbackQuery, callback_data: ConsultCb, state: FSMContext, session: AsyncSession, user: User
) -> None:
    await callback.answer()
    if callback_data.v not in svc.TIMES:
        await ask(callback, state, "time", session, user)
        return
    await _fill(callback, state, session, user, "confirm", time=callback_data.v)


async def use_buttons(message: Message) -> None:
    await message.answer(_("consult.hint_buttons"))


async def submit(
    callback: CallbackQuery, state: FSMContext, bot: Bot, session: AsyncSession, user: User, settings: Any
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
    except DomainError as exc:
        await callback.answer()
        if exc.key == "consult.err_too_many_open":  # nothing to fix in the form: back to the menu
            await state.clear()
            await target(callback).edit_reply_markup(reply_markup=None)
            await target(callback).answer(error_text(exc), reply_markup=main_menu())
            return
        await target(callback).answer(error_text(exc))
        again = "confirm" if isinstance(exc, ValidationFailed) and "topic" not in exc.key else "topic"
        await ask(callback, state, again, session, user)
        return
    await state.clear()
    await callback.answer()
    await target(callback).edit_reply_markup(reply_markup=None)
    await post_card(bot, session, settings, c.id)
    await target(callback).answer(_("consult.created").format(number=c.id), reply_markup=main_menu())


def register(router: Router) -> None:
    """The dialog's handlers, in the order they are tried."""
    pressed = ConsultCb.filter
    form = ConsultForm
    router.message.register(cmd_consult, Command("consult"))
    router.callback_query.register(start_pressed, MenuCb.filter(F.action == "consult"))
    router.callback_query.register(start_pressed, pressed(F.action == Consult.NEW))
    router.callback_query.register(back, FORM_STATES, NavCb.filter(F.action == "back"))
    router.message.register(command_in_dialog, StateFilter(ConsultForm), F.text.startswith("/"))
    router.callback_query.register(pick_topic, form.topic, pressed(F.action == Consult.TOPIC))
    router.message.register(question_text, form.question, F.text)
    router.message.register(question_file, form.question, F.photo | F.document)
    router.message.register(question_other, form.question)
    router.callback_query.register(question_keep, form.question, pressed(F.action == Consult.QUESTION_KEEP))
    router.message.register(add_file, form.files, F.photo | F.document)
    router.message.register(files_text, form.files, F.text)
    router.message.register(files_other, form.files)
    router.callback_query.register(files_done, form.files, pressed(F.action == Consult.FILES_DONE))
    router.message.register(org_text, form.org, F.text)
    router.message.register(org_other, form.org)
    org_buttons = F.action.in_({Consult.ORG_KEEP, Consult.ORG_NONE})
    router.callback_query.register(org_button, form.org, pressed(org_buttons))
    router.callback_query.register(pick_format, form.format, pressed(F.action == Consult.FORMAT))
    router.callback_query.register(pick_time, form.time, pressed(F.action == Consult.TIME))
    router.message.register(use_buttons, StateFilter(form.format, form.time, form.confirm, form.topic))
    router.callback_query.register(submit, form.confirm, pressed(F.action == Consult.SUBMIT))
