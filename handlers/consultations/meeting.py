"""Staff set a meeting for a request from its card: «Встреча» → a working day → a time → a place (the
Center, phone, chat, or another place typed as a reply). The person gets the meeting with an .ics file
and a reminder is queued by the service."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.base import utcnow
from db.models import Consultation, ConsultationLink
from db.models.consultations import OPEN_STATUSES
from handlers.consultations.delivery import notify_undelivered, prompt_on_card, refresh_card, send_meeting
from handlers.consultations.views import card_markup, fail, local, mention, num, or_fail, staff_name
from keyboards import consultations as kb
from keyboards.consultations import ConsultAdmCb, ConsultStaff
from services import consultations as svc
from services.errors import DomainError

PLACES = ("center", "phone", "chat")
MEETING_TIMES = [f"{h:02d}{m:02d}" for h in range(9, 18) for m in (0, 30)]


def parse_stamp(stamp: str, settings: Any) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=settings.tz)
    except ValueError:
        return None


async def open_request(callback: CallbackQuery, session: AsyncSession, number: int) -> Consultation | None:
    """Request ``number`` if it is still open; None (the press answered) if not."""
    c = await session.get(Consultation, number)
    if c is None or c.status not in OPEN_STATUSES:
        await callback.answer(_("consult.err_closed"), show_alert=True)
        return None
    return c


async def set_meeting(
    event: CallbackQuery | Message,
    consultation_id: int,
    at: datetime,
    place: str,
    desk: Desk,
) -> None:
    c0 = await desk.session.get(Consultation, consultation_id)
    if c0 is None:
        await fail(event, DomainError("consult.err_not_found"))
        return
    # rendered by the outbox in the person's language at send time
    params: dict[str, Any] = {
        "number": num(c0.id),
        "when": {"at": at.isoformat()},  # dated by the outbox in the person's language
        "place": {"t": "consult.place." + place[1:]} if place.startswith("@") else html.escape(place),
    }
    assert event.from_user is not None
    meeting = svc.set_meeting(
        desk.session,
        consultation_id,
        event.from_user.id,
        staff_name(event),
        at=at,
        place=place,
        reminder_params=params,
    )
    if (outcome := await or_fail(event, meeting)) is None:
        return
    c, person = outcome
    if isinstance(event, CallbackQuery):
        await event.answer(_("consult.adm_meeting_set"))
        if isinstance(event.message, Message) and event.message.message_id != c.card_message_id:
            await event.message.edit_reply_markup(reply_markup=card_markup(c))
    else:
        await event.reply(_("consult.adm_meeting_set"))
    await refresh_card(desk, c.id)
    delivered = await send_meeting(desk, c, person)
    await notify_undelivered(desk, c, delivered)


async def reply_place(message: Message, link: ConsultationLink, desk: Desk) -> None:
    """A reply to «Где встреча?»: the place typed by staff."""
    assert link.consultation_id is not None
    at = parse_stamp(link.purpose.removeprefix("place:"), desk.settings)
    if at is None or message.text is None:
        await message.reply(_("consult.adm_hint_place"))
        return
    try:
        place = svc.clean_place(message.text)
    except DomainError as exc:
        await fail(message, exc)
        return
    await set_meeting(message, link.consultation_id, at, place, desk)


async def _pick(callback: CallbackQuery, prompt_key: str, markup: InlineKeyboardMarkup | None) -> None:
    """The next choice of the meeting (day, time, place) in place of the card's buttons; None when the
    pressed button's value is not one the bot gives (an old or forged button)."""
    if markup is None:
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    await callback.answer(_(prompt_key))
    assert isinstance(callback.message, Message)
    await callback.message.edit_reply_markup(reply_markup=markup)


async def meet_days(
    callback: CallbackQuery, callback_data: ConsultAdmCb, session: AsyncSession, settings: Any
) -> None:
    if (c := await open_request(callback, session, callback_data.id)) is None:
        return
    days = svc.working_days_ahead(utcnow(), settings.tz, 10)
    await _pick(
        callback,
        "consult.adm_pick_day",
        kb.meeting_days_keyboard(c.id, [(kb.day_label(d), d.strftime("%Y%m%d")) for d in days]),
    )


async def meet_times(callback: CallbackQuery, callback_data: ConsultAdmCb) -> None:
    day = callback_data.v
    valid = len(day) == 8 and day.isdigit()
    times = kb.meeting_times_keyboard(callback_data.id, day, MEETING_TIMES) if valid else None
    await _pick(callback, "consult.adm_pick_time", times)


async def meet_place(callback: CallbackQuery, callback_data: ConsultAdmCb, settings: Any) -> None:
    stamp = callback_data.v
    valid = parse_stamp(stamp, settings) is not None
    places = kb.meeting_place_keyboard(callback_data.id, stamp, PLACES) if valid else None
    await _pick(callback, "consult.adm_pick_place", places)


async def _ask_other_place(
    callback: CallbackQuery,
    number: int,
    stamp: str,
    at: datetime,
    desk: Desk,
) -> None:
    """«Другое место»: a prompt staff answer with a reply; the link remembers the time."""
    if (c := await open_request(callback, desk.session, number)) is None:
        return
    await callback.answer()
    text = _("consult.adm_place_prompt").format(
        number=num(c.id), when=local(at, desk.settings), who=mention(callback)
    )
    await prompt_on_card(desk, c, text, "consult.adm_place_placeholder", "place:" + stamp)


async def meet_set(
    callback: CallbackQuery,
    callback_data: ConsultAdmCb,
    desk: Desk,
) -> None:
    stamp, _sep, code = callback_data.v.partition("-")
    at = parse_stamp(stamp, desk.settings)
    if at is None or code not in (*PLACES, "other"):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    if code == "other":
        await _ask_other_place(callback, callback_data.id, stamp, at, desk)
        return
    place = desk.settings.center_address if code == "center" else "@" + code
    await set_meeting(callback, callback_data.id, at, place, desk)


def register(router: Router) -> None:
    pressed = ConsultAdmCb.filter
    router.callback_query.register(meet_days, pressed(F.action == ConsultStaff.MEET))
    router.callback_query.register(meet_times, pressed(F.action == ConsultStaff.MEET_DAY))
    router.callback_query.register(meet_place, pressed(F.action == ConsultStaff.MEET_TIME))
    router.callback_query.register(meet_set, pressed(F.action == ConsultStaff.MEET_PLACE))
