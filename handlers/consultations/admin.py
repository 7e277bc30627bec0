"""Consultations, staff side (admin chat): the card's buttons (take, answer, close with an outcome,
contact, the organisation's history, show again), replies to the bot's request messages (answers, a
meeting place, a new topic), the open list, the topics and /consult_org."""

from __future__ import annotations

import html
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.base import utcnow
from db.models import Consultation, ConsultationLink, ConsultationTopic, User
from handlers.consultations.delivery import (
    LinkedReply,
    answer_person,
    notify_undelivered,
    post_card,
    prompt_on_card,
    refresh_card,
    to_card_thread,
)
from handlers.consultations.meeting import open_request, reply_place
from handlers.consultations.views import (
    age_text,
    card_markup,
    fail,
    join_limited,
    local,
    mention,
    num,
    or_fail,
    payload,
    staff_name,
    status_text,
)
from handlers.messengers import tell
from handlers.workspace import pin_after_decision
from keyboards import consultations as kb
from keyboards.admin import AdminAction, AdminCb
from keyboards.consultations import ConsultAdmCb, ConsultStaff
from services import consultations as svc
from services.errors import DomainError


async def _person(session: AsyncSession, c: Consultation) -> User:
    person = await session.get(User, c.user_id)
    assert person is not None
    return person


async def _known_request(callback: CallbackQuery, session: AsyncSession, number: int) -> Consultation | None:
    c = await session.get(Consultation, number)
    if c is None:
        await callback.answer(_("consult.err_not_found"), show_alert=True)
    return c


async def history_text(
    session: AsyncSession, organisation: str, rows: list[Consultation], settings: Any
) -> str:
    lines = [_("consult.adm_history_title").format(org=html.escape(organisation), count=len(rows))]
    for c in rows:
        topic = await session.get(ConsultationTopic, c.topic_id)
        extra = ""
        if c.outcome:
            extra += " · " + _(f"consult.outcome.{c.outcome}")
        if c.rating:
            extra += f" · {'⭐' * c.rating}"
        lines.append(
            _("consult.adm_history_line").format(
                number=num(c.id),
                date=local(c.created_at, settings, with_time=False),
                topic=html.escape(svc.topic_title(topic, None)),
                status=status_text(c),
                extra=extra,
            )
        )
    return join_limited(lines)


async def send_open_list(message: Message, session: AsyncSession, settings: Any) -> None:
    rows = await svc.open_requests(session)
    if not rows:
        await message.answer(_("consult.adm_open_empty"))
        return
    now = utcnow()
    lines = [_("consult.adm_open_title").format(count=len(rows))]
    for c in rows:
        topic = await session.get(ConsultationTopic, c.topic_id)
        lines.append(
            _("consult.adm_open_line").format(
                number=num(c.id),
                age=age_text(c.created_at, now),
                status=status_text(c),
                topic=html.escape(svc.topic_title(topic, None)),
                assignee=html.escape(c.assignee_name or _("consult.adm_nobody")),
            )
        )
    figures = await svc.figures(session)
    rating = figures["average_rating"]
    lines.append("")
    lines.append(
        _("consult.adm_figures").format(
            total=figures["total"],
            closed=figures["by_status"].get("closed", 0),
            rating=rating if rating is not None else "—",
        )
    )
    await message.answer(join_limited(lines), reply_markup=kb.open_list_keyboard([c.id for c in rows][:40]))


async def send_topics(message: Message, session: AsyncSession) -> None:
    topics = await svc.list_topics(session, include_hidden=True)
    await message.answer(
        _("consult.adm_topics_title"),
        reply_markup=kb.topics_admin_keyboard([(t.id, t.title, t.active) for t in topics]),
    )


# --- card buttons ----------------------------------------------------------------------------------------


async def take(callback: CallbackQuery, callback_data: ConsultAdmCb, desk: Desk) -> None:
    try:
        c, changed = await svc.take(
            desk.session, callback_data.id, callback.from_user.id, staff_name(callback)
        )
    except DomainError as exc:
        await fail(callback, exc)
        if isinstance(callback.message, Message):
            await refresh_card(desk, callback_data.id)
        return
    await callback.answer(_("consult.adm_taken_you") if changed else _("consult.adm_already_yours"))
    if not changed:
        return
    await refresh_card(desk, c.id)
    first = (c.assignee_name or "").split(" ")[0]
    delivered = await tell(
        desk.bot,
        desk.i18n,
        await _person(desk.session, c),
        lambda: _("consult.p_taken").format(number=num(c.id), name=html.escape(first)),
        lambda: kb.reply_keyboard(c.id),
    )
    if delivered is not None:  # a Telegram reply to this notice goes to staff too
        await svc.link(desk.session, delivered.chat.id, delivered.message_id, c.id, "answer")
    await notify_undelivered(desk, c, delivered)


async def answer_prompt(callback: CallbackQuery, callback_data: ConsultAdmCb, desk: Desk) -> None:
    if (c := await open_request(callback, desk.session, callback_data.id)) is None:
        return
    await callback.answer()
    text = _("consult.adm_answer_prompt").format(number=num(c.id), who=mention(callback))
    await prompt_on_card(desk, c, text, "consult.adm_answer_placeholder", "answer")


async def card_back(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
    await callback.answer()
    c = await session.get(Consultation, callback_data.id)
    if c is not None and isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=card_markup(c))


async def close_ask(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
    if (c := await open_request(callback, session, callback_data.id)) is None:
        return
    await callback.answer(_("consult.adm_pick_outcome"))
    assert isinstance(callback.message, Message)
    await callback.message.edit_reply_markup(reply_markup=kb.outcome_keyboard(c.id, svc.OUTCOMES))


async def close(callback: CallbackQuery, callback_data: ConsultAdmCb, desk: Desk) -> None:
    try:
        c = await svc.close(
            desk.session, callback_data.id, callback.from_user.id, staff_name(callback), callback_data.v
        )
    except DomainError as exc:
        await fail(callback, exc)
        await refresh_card(desk, callback_data.id)
        return
    await callback.answer(_("consult.adm_closed"))
    await refresh_card(desk, c.id)
    if isinstance(callback.message, Message) and callback.message.message_id != c.card_message_id:
        await callback.message.edit_reply_markup(reply_markup=card_markup(c))

    def text() -> str:
        if c.outcome == "no_show":
            return _("consult.p_closed_noshow").format(number=num(c.id))
        outcome = _(f"consult.outcome.{c.outcome}") if c.outcome else ""
        return _("consult.p_closed").format(number=num(c.id), outcome=outcome)

    def rating() -> InlineKeyboardMarkup | None:
        return None if c.outcome == "no_show" else kb.rating_keyboard(c.id)

    delivered = await tell(desk.bot, desk.i18n, await _person(desk.session, c), text, rating)
    await notify_undelivered(desk, c, delivered)
    await pin_after_decision(desk)


async def contact(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
    person = await or_fail(callback, svc.view_contact(session, callback_data.id, callback.from_user.id))
    if person is None:
        return
    text = _("consult.adm_contact_text").format(
        name=person.full_name or "—",
        phone=person.phone or _("consult.adm_no_phone"),
        username=f"@{person.username}" if person.username else "—",
    )
    await callback.answer(text[:200], show_alert=True)


async def org_history(callback: CallbackQuery, callback_data: ConsultAdmCb, desk: Desk) -> None:
    if (c := await _known_request(callback, desk.session, callback_data.id)) is None:
        return
    if not c.organisation:
        await callback.answer(_("consult.adm_no_org"), show_alert=True)
        return
    await callback.answer()
    rows = await svc.organisation_history(desk.session, c.organisation)
    await to_card_thread(desk, c, await history_text(desk.session, c.organisation, rows, desk.settings))


async def show(callback: CallbackQuery, callback_data: ConsultAdmCb, desk: Desk) -> None:
    if (c := await _known_request(callback, desk.session, callback_data.id)) is None:
        return
    await callback.answer()
    await post_card(desk, c.id)


# --- replies: answers, a meeting place, a new topic ------------------------------------------------------


async def on_reply(message: Message, link: ConsultationLink, desk: Desk) -> None:
    if link.purpose == "topic_add":
        await add_topic(message, desk.session)
        return
    if link.consultation_id is None:
        return
    if link.purpose.startswith("place:"):
        await reply_place(message, link, desk)
        return
    found = payload(message)
    if found is None:
        await message.reply(_("consult.adm_hint_reply"))
        return
    kind, text, file_id, file_name = found
    assert message.from_user is not None
    added = await or_fail(
        message,
        svc.add_staff_message(
            desk.session,
            link.consultation_id,
            message.from_user.id,
            staff_name(message),
            kind=kind,
            text=text,
            file_id=file_id,
            file_name=file_name,
        ),
    )
    if added is None:
        return
    c, row = added
    delivered = await answer_person(desk, c, row)
    await refresh_card(desk, c.id)
    key = "consult.adm_answer_sent" if delivered else "consult.adm_undelivered"
    await message.reply(_(key).format(number=num(c.id)))


async def add_topic(message: Message, session: AsyncSession) -> None:
    assert message.from_user is not None
    if (
        topic := await or_fail(message, svc.add_topic(session, message.from_user.id, message.text or ""))
    ) is None:
        return
    await message.reply(_("consult.adm_topic_added").format(title=html.escape(topic.title)))
    await send_topics(message, session)


# --- lists and topics --------------------------------------------------------------------------------------


async def cmd_open(message: Message, session: AsyncSession, settings: Any) -> None:
    await send_open_list(message, session, settings)


async def btn_open(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    await callback.answer()
    assert isinstance(callback.message, Message)
    await send_open_list(callback.message, session, settings)


async def cmd_topics(message: Message, session: AsyncSession) -> None:
    await send_topics(message, session)


async def btn_topics(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    assert isinstance(callback.message, Message)
    await send_topics(callback.message, session)


async def topic_toggle(callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession) -> None:
    if (
        topic := await or_fail(callback, svc.toggle_topic(session, callback.from_user.id, callback_data.id))
    ) is None:
        return
    await callback.answer(_("consult.adm_topic_shown") if topic.active else _("consult.adm_topic_hidden"))
    assert isinstance(callback.message, Message)
    topics = await svc.list_topics(session, include_hidden=True)
    await callback.message.edit_reply_markup(
        reply_markup=kb.topics_admin_keyboard([(t.id, t.title, t.active) for t in topics])
    )


async def topic_add(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    assert isinstance(callback.message, Message)
    prompt = await callback.message.answer(
        _("consult.adm_topic_prompt").format(who=mention(callback)), reply_markup=ForceReply(selective=True)
    )
    await svc.link(session, prompt.chat.id, prompt.message_id, None, "topic_add")


async def cmd_org(message: Message, command: CommandObject, session: AsyncSession, settings: Any) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.reply(_("consult.adm_org_usage"))
        return
    if (matches := await or_fail(message, svc.search_organisations(session, query))) is None:
        return
    if not matches:
        await message.reply(_("consult.adm_org_none").format(query=html.escape(query)))
        return
    if len(matches) == 1:
        rows = await svc.organisation_history(session, matches[0][0])
        await message.reply(await history_text(session, matches[0][0], rows, settings))
        return
    lines = [_("consult.adm_org_matches")]
    lines += [f"• {html.escape(name)} — {count}" for name, count in matches]
    await message.reply(join_limited(lines))


def register(router: Router) -> None:
    pressed = ConsultAdmCb.filter
    for handler, action in (
        (take, ConsultStaff.TAKE),
        (answer_prompt, ConsultStaff.ANSWER),
        (card_back, ConsultStaff.CARD_BACK),
        (close_ask, ConsultStaff.CLOSE),
        (close, ConsultStaff.OUTCOME),
        (contact, ConsultStaff.CONTACT),
        (org_history, ConsultStaff.ORG),
        (show, ConsultStaff.SHOW),
    ):
        router.callback_query.register(handler, pressed(F.action == action))
    router.message.register(on_reply, LinkedReply())
    router.message.register(cmd_open, Command("consults"))
    router.callback_query.register(btn_open, AdminCb.filter(F.action == AdminAction.CONSULTS))
    router.message.register(cmd_topics, Command("consult_topics"))
    router.callback_query.register(btn_topics, AdminCb.filter(F.action == AdminAction.CONSULT_TOPICS))
    router.callback_query.register(topic_toggle, ConsultAdmCb.filter(F.action == ConsultStaff.TOPIC_TOGGLE))
    router.callback_query.register(topic_add, ConsultAdmCb.filter(F.action == ConsultStaff.TOPIC_ADD))
    router.message.register(cmd_org, Command("consult_org"))
