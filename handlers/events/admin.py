"""Staff side of events (admin chat): the list, an event's card, publish (and announce), cancel, the
deep link and its QR for posters, the participant list with check-in toggles, the check-in QR shown
at the door, the registration sheet and the feedback. The dialog that creates and edits is form.py."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Event, EventStatus, SignupStatus
from handlers.common import acknowledge, or_alert, target
from handlers.events.sheet import participants_xlsx
from handlers.events.views import (
    bot_link,
    drop_buttons,
    feedback_lines,
    qr_png,
    reply,
    staff_card_text,
    staff_list_label,
)
from handlers.texts import join_lines
from keyboards.admin import AdminAction, AdminCb
from keyboards.events import (
    EaCb,
    StaffAction,
    code_keyboard,
    people_keyboard,
    staff_card_keyboard,
    staff_confirm_cancel_keyboard,
    staff_list_keyboard,
)
from services import dates
from services import events as ev
from services.plural import plural

PEOPLE_PAGE = 10


async def show_staff_list(event: Message | CallbackQuery, session: AsyncSession, edit: bool = False) -> None:
    now = utcnow()
    items = [(item.id, staff_list_label(item, held)) for item, held in await ev.staff_events(session, now)]
    text = _("events.staff_list") if items else _("events.staff_list_empty")
    figures = await ev.figures(session, now - timedelta(days=30), now)
    if figures.events_held:
        text += "\n\n" + _("events.staff_figures").format(
            held=figures.events_held,
            signups=figures.signups,
            attended=figures.attended,
            rating=f"{figures.average_rating:.1f}" if figures.average_rating is not None else "—",
        )
    await reply(event, text, staff_list_keyboard(items), edit)


async def _event_or_reply(
    event: Message | CallbackQuery, session: AsyncSession, event_id: int
) -> Event | None:
    item = await ev.get_event(session, event_id)
    if item is None:
        await reply(event, _("events.err_not_found"), None)
    return item


async def show_staff_card(
    event: Message | CallbackQuery, session: AsyncSession, bot: Bot, event_id: int, edit: bool = False
) -> None:
    item = await _event_or_reply(event, session, event_id)
    if item is None:
        return
    counts = await ev.counts(session, event_id)
    link = await bot_link(bot, f"ev_{item.id}")
    await reply(event, staff_card_text(item, counts, link), staff_card_keyboard(item.id, item.status), edit)


def _person_line(number: int, signup: Any, person: Any) -> str:
    name = person.full_name or "—"
    district = _("district." + person.district) if person.district else None
    details = ", ".join(hd.quote(v) for v in (person.organisation, district, person.phone) if v)
    status = _(f"events.status_{signup.status}")
    mark = " ✅" if signup.checked_in_at else ""
    return f"{number}. {hd.quote(name)}{mark} — {status}" + (f"\n    {details}" if details else "")


async def show_people(
    event: Message | CallbackQuery, session: AsyncSession, event_id: int, page: int, edit: bool
) -> None:
    item = await _event_or_reply(event, session, event_id)
    if item is None:
        return
    people = await ev.participants(session, event_id)
    if not people:
        text = _("events.people_empty").format(title=hd.quote(item.title))
        await reply(event, text, people_keyboard(event_id, [], 0, 1), edit)
        return
    pages = max(1, math.ceil(len(people) / PEOPLE_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [_("events.people_title").format(title=hd.quote(item.title), page=page + 1, pages=pages)]
    toggles = []
    first = page * PEOPLE_PAGE
    for number, (signup, person) in enumerate(people[first : first + PEOPLE_PAGE], start=first + 1):
        lines.append(_person_line(number, signup, person))
        if signup.status in (SignupStatus.CONFIRMED, SignupStatus.OFFERED):
            label = f"{number}. {person.full_name or '—'}"[:40]
            toggles.append((signup.id, label, signup.checked_in_at is not None))
    await reply(event, "\n".join(lines), people_keyboard(event_id, toggles, page, pages), edit)


async def _event_or_alert(
    callback: CallbackQuery, session: AsyncSession, event_id: int, *, live: bool = False
) -> Event | None:
    """The event, the press answered; or None after an alert (also for a cancelled one when ``live``)."""
    item = await ev.get_event(session, event_id)
    if item is None or (live and item.status == EventStatus.CANCELLED):
        await callback.answer(_("events.err_cancelled" if item else "events.err_not_found"), show_alert=True)
        return None
    await callback.answer()
    return item


# --- handlers ---------------------------------------------------------------------------------------


async def staff_list(event: Message | CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    """/staff_events and the staff menu's button."""
    await acknowledge(event)
    await state.clear()
    await show_staff_list(event, session)


async def list_again(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    await show_staff_list(callback, session, edit=True)


async def card(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
    await callback.answer()
    await show_staff_card(callback, session, bot, callback_data.e, edit=True)


async def do_publish(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
    announce = callback_data.a == StaffAction.PUBLISH_ANNOUNCE
    result = await or_alert(
        callback, ev.publish(session, callback.from_user.id, callback_data.e, announce=announce)
    )
    if result is None:
        return
    _event, announced = result
    await callback.answer()
    await target(callback).answer(_("events.published").format(announced=announced))
    await show_staff_card(callback, session, bot, callback_data.e)


async def ask_cancel(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
    item = await _event_or_alert(callback, session, callback_data.e)
    if item is None:
        return
    counts = await ev.counts(session, item.id)
    people = sum(counts.get(s, 0) for s in ("confirmed", "offered", "waiting"))
    await target(callback).answer(
        _("events.staff_cancel_confirm").format(title=hd.quote(item.title), people=people),
        reply_markup=staff_confirm_cancel_keyboard(item.id),
    )


async def do_cancel(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
    result = await or_alert(callback, ev.cancel_event(session, callback.from_user.id, callback_data.e))
    if result is None:
        return
    _event, told = result
    await callback.answer()
    await drop_buttons(callback)
    await target(callback).answer(_("events.staff_cancelled").format(told=told))
    await show_staff_card(callback, session, bot, callback_data.e)


async def people(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
    await callback.answer()
    await show_people(callback, session, callback_data.e, callback_data.v, edit=True)


async def toggle(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
    signup = await or_alert(
        callback, ev.toggle_checkin(session, callback.from_user.id, callback_data.e, callback_data.v)
    )
    if signup is None:
        return
    await callback.answer(_("events.checkin_on") if signup.checked_in_at else _("events.checkin_off"))
    ids = [s.id for s, _u in await ev.participants(session, callback_data.e)]
    page = ids.index(signup.id) // PEOPLE_PAGE if signup.id in ids else 0
    await show_people(callback, session, callback_data.e, page, edit=True)


async def xlsx(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
    item = await _event_or_alert(callback, session, callback_data.e)
    if item is None:
        return
    people = await ev.participants(session, item.id)
    data = participants_xlsx(item, people)
    await ev.record_export(session, callback.from_user.id, item.id, len(people))
    await target(callback).answer_document(
        BufferedInputFile(data, filename=f"event-{item.id}-participants.xlsx"),
        caption=plural(_, "events.xlsx_caption", len(people), title=hd.quote(item.title)),
    )


async def show_feedback(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
    item = await _event_or_alert(callback, session, callback_data.e)
    if item is None:
        return
    rows = await ev.feedback(session, item.id)
    if not rows:
        await target(callback).answer(_("events.feedback_none").format(title=hd.quote(item.title)))
        return
    await target(callback).answer(join_lines(feedback_lines(item, rows)))  # a cut never splits a tag


async def link_qr(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
    item = await _event_or_alert(callback, session, callback_data.e)
    if item is None:
        return
    link = await bot_link(bot, f"ev_{item.id}")
    await target(callback).answer_photo(
        BufferedInputFile(qr_png(link), filename=f"event-{item.id}-qr.png"),
        caption=_("events.qr_caption").format(title=hd.quote(item.title), link=hd.quote(link)),
    )


async def send_code(callback: CallbackQuery, item: Event, bot: Bot, session: AsyncSession) -> None:
    door = await ev.door_code(session, item, utcnow())  # each event day has its own code
    link = await bot_link(bot, f"ci_{item.id}_{door.code}")
    await target(callback).answer_photo(
        BufferedInputFile(qr_png(link), filename=f"event-{item.id}-checkin.png"),
        caption=_("events.checkin_caption").format(
            title=hd.quote(item.title),
            code=door.code,
            link=hd.quote(link),
            day=dates.day_text(door.day, _),
            renewed=ev.fmt_dt(door.renewed_at, gettext=_),
            until=ev.fmt_dt(door.valid_until, gettext=_),
        ),
        reply_markup=code_keyboard(item.id),
    )


async def code(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
    item = await _event_or_alert(callback, session, callback_data.e, live=True)
    if item is None:
        return
    await send_code(callback, item, bot, session)


async def new_code(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
    item = await or_alert(callback, ev.new_checkin_code(session, callback.from_user.id, callback_data.e))
    if item is None:
        return
    await callback.answer(_("events.code_renewed"))
    await send_code(callback, item, bot, session)


def _on(*actions: StaffAction) -> Any:
    return EaCb.filter(F.a.in_(actions))


def register_list(router: Router) -> None:
    """The list first: the dialog's router comes between it and the cards (as the handlers always ran)."""
    router.message.register(staff_list, Command("staff_events", "events_staff"))
    router.callback_query.register(staff_list, AdminCb.filter(F.action == AdminAction.EVENTS))
    router.callback_query.register(list_again, _on(StaffAction.LIST))


CARD_BUTTONS = {
    StaffAction.CARD: card,
    StaffAction.PUBLISH: do_publish,
    StaffAction.PUBLISH_ANNOUNCE: do_publish,
    StaffAction.CANCEL: ask_cancel,
    StaffAction.CANCEL_YES: do_cancel,
    StaffAction.PEOPLE: people,
    StaffAction.CHECKIN: toggle,
    StaffAction.XLSX: xlsx,
    StaffAction.FEEDBACK: show_feedback,
    StaffAction.LINK_QR: link_qr,
    StaffAction.CODE: code,
    StaffAction.NEW_CODE: new_code,
}
"""What each button of an event's staff card does."""


def register_cards(router: Router) -> None:
    for action, handler in CARD_BUTTONS.items():
        router.callback_query.register(handler, _on(action))
