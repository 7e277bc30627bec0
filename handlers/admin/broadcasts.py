"""/broadcast (as a reply to a message in the admin chat): audience, preview, send now or schedule;
stop/resume/cancel buttons; /broadcasts history. The sending is bot.delivery.broadcasts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from db.base import utcnow
from handlers.common import error_text, target
from keyboards import broadcasts as kb
from keyboards.admin import AdminCb
from keyboards.broadcasts import BcCb, UnsubCb
from keyboards.common import NavCb
from services import broadcasts as service
from services.broadcasts import SOURCE_GONE
from services.errors import DomainError, ValidationFailed
from services.ports import BroadcastControl
from services.users import DISTRICTS, TARGET_GROUPS


class BroadcastForm(StatesGroup):
    audience = State()
    pick = State()
    preview = State()
    day = State()
    time = State()


_DATE = re.compile(r"^\s*(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?(?:[\s,]+(\d{1,2})[:.\s](\d{2}))?\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.\s](\d{2})\s*$")


# --- what is being sent ---------------------------------------------------------------------------


def content_of(message: Message) -> tuple[str, str | None] | None:
    """(kind, text or caption) of a message that can be copied to people, else None."""
    if message.text:
        return "text", message.text
    for kind in ("photo", "video", "document", "animation", "audio", "voice"):
        if getattr(message, kind, None):
            return kind, message.caption
    return None


def what_text(data: dict[str, Any]) -> str:
    return _("broadcast.what").format(
        kind=_(f"broadcast.kind_{data['kind']}"), excerpt=kb.escape(data["excerpt"])
    )


def _value_label(key: str, value: str) -> str:
    return _(f"group.{value}") if key == "group" else _(f"district.{value}")


def who_lines(audience: dict[str, str]) -> list[str]:
    lines = [_("broadcast.who_all")]
    for key in ("group", "district", "interest"):
        if key in audience:
            lines.append(_(f"broadcast.who_{key}").format(value=_value_label(key, audience[key])))
    source = audience.get("source")
    if source and source in service.AUDIENCES:
        value = _(service.AUDIENCES[source].label_key)
        if audience.get("label"):
            value += f": {kb.escape(audience['label'])}"
        lines.append(_("broadcast.who_source").format(value=value))
    return lines


def who_short(audience: dict[str, Any]) -> str:
    lines = who_lines(audience)[1:]
    return "; ".join(line.lstrip("• ") for line in lines) if lines else _("broadcast.who_short_all")


async def _show(event: Message | CallbackQuery, text: str, markup: Any) -> None:
    """Edit the dialog's message when a button was pressed, else answer with a new one."""
    if isinstance(event, CallbackQuery):
        await event.answer()
        try:
            await target(event).edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest:
            pass
    await target(event).answer(text, reply_markup=markup)


async def show_audience(event: Message | CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await state.set_state(BroadcastForm.audience)
    data = await state.get_data()
    audience = data.get("aud", {})
    count = await service.count_audience(session, audience)
    text = _("broadcast.audience_title").format(
        what=what_text(data), who="\n".join(who_lines(audience)), count=count
    )
    if data.get("album"):
        text += "\n\n" + _("broadcast.album_note")
    await _show(event, text, kb.audience_keyboard(audience, bool(service.AUDIENCES)))


async def _alert(callback: CallbackQuery, text: str) -> None:
    await callback.answer(text, show_alert=True)


# --- the dialog -----------------------------------------------------------------------------------


def _choices(pick: str) -> list[tuple[str, str]]:
    if pick == "group":
        return [(_(f"group.{g}"), g) for g in TARGET_GROUPS]
    if pick in ("district", "interest"):
        return [(_(f"district.{d}"), d) for d in DISTRICTS]
    return [(_(spec.label_key), name) for name, spec in service.AUDIENCES.items()]


async def _ref_options(session: AsyncSession, source: str) -> list[tuple[str, str]]:
    """(label, ref) for a feature audience; the label "*" means every topic/object."""
    options = await service.source_options(session, source)
    return [(_("broadcast.all_topics") if label == "*" else label, ref) for ref, label in options]


async def send_preview(bot: Bot, staff_id: int, admin_chat_id: int, data: dict[str, Any]) -> bool:
    """Copy the message to the staff member privately (with the button people get); if the bot cannot
    write to them, into the admin chat. True if it went privately."""
    markup = kb.unsubscribe_keyboard(0)
    try:
        await bot.copy_message(staff_id, data["chat"], data["msg"], reply_markup=markup)
        return True
    except TelegramForbiddenError:
        pass
    except TelegramBadRequest as exc:
        if any(marker in exc.message.lower() for marker in SOURCE_GONE):
            raise ValidationFailed("broadcast.source_gone") from exc
    try:
        await bot.copy_message(admin_chat_id, data["chat"], data["msg"], reply_markup=markup)
    except TelegramBadRequest as exc:
        raise ValidationFailed("broadcast.source_gone") from exc
    return False


def _quiet_window(settings: Settings) -> tuple[str, str]:
    return settings.quiet_hours_start.strftime("%H:%M"), settings.quiet_hours_end.strftime("%H:%M")


async def show_preview(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, bot: Bot, settings: Settings
) -> None:
    data = await state.get_data()
    audience = data.get("aud", {})
    count = await service.count_audience(session, audience)
    if count == 0:
        await _alert(callback, _("broadcast.nobody"))
        return
    try:
        private = await send_preview(bot, callback.from_user.id, target(callback).chat.id, data)
    except DomainError as exc:
        await state.clear()
        await _show(callback, error_text(exc), None)
        return
    await state.set_state(BroadcastForm.preview)
    await state.update_data(private=private)
    text = _("broadcast.preview").format(
        where=_("broadcast.preview_private") if private else _("broadcast.preview_here"),
        what=what_text(data),
        who="\n".join(who_lines(audience)),
        count=count,
    )
    start, end = _quiet_window(settings)
    if service.in_quiet_hours(utcnow(), settings.quiet_hours_start, settings.quiet_hours_end, settings.tz):
        text += "\n\n" + _("broadcast.quiet_now").format(start=start, end=end)
    if private:
        await _show(callback, text, kb.confirm_keyboard())
    else:  # the preview copy is now the last message: put the question under it
        await callback.answer()
        await target(callback).answer(text, reply_markup=kb.confirm_keyboard())


async def ask_day(event: Message | CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await state.set_state(BroadcastForm.day)
    today = utcnow().astimezone(settings.tz).date()
    await _show(event, _("broadcast.ask_day").format(tz=settings.timezone), kb.days_keyboard(today))


async def ask_time(event: Message | CallbackQuery, state: FSMContext, settings: Settings, day: date) -> None:
    await state.set_state(BroadcastForm.time)
    await state.update_data(day=day.isoformat())
    now = utcnow().astimezone(settings.tz)
    times = [t for t in kb.QUICK_TIMES if day > now.date() or t > now.strftime("%H:%M")]
    start, end = _quiet_window(settings)
    label = f"{day:%d.%m}"
    await _show(
        event, _("broadcast.ask_time").format(day=label, start=start, end=end), kb.times_keyboard(times)
    )


async def schedule(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    day: date,
    at: dtime,
    staff_id: int,
) -> None:
    tz = settings.tz
    wanted = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    start_at = service.after_quiet_hours(wanted, settings.quiet_hours_start, settings.quiet_hours_end, tz)
    data = await state.get_data()
    try:
        count = await service.count_audience(session, data.get("aud", {}))
        row = await service.create(
            session,
            staff_tg_id=staff_id,
            source_chat_id=data["chat"],
            source_message_id=data["msg"],
            content_kind=data["kind"],
            excerpt=data["excerpt"],
            audience=data.get("aud", {}),
            start_at=start_at,
        )
    except DomainError as exc:
        if isinstance(event, CallbackQuery):
            await _alert(event, error_text(exc))
        else:
            await event.answer(error_text(exc))
        return
    await state.clear()
    when = kb.local(row.start_at, tz)
    text = _("broadcast.scheduled").format(id=row.id, when=when, count=count)
    if start_at != wanted:
        start, end = _quiet_window(settings)
        text += "\n" + _("broadcast.quiet_shifted").format(start=start, end=end, when=when)
    await _show(event, text, kb.control_keyboard(row.id, row.status))


def parse_day(text: str, today: date) -> tuple[date, dtime | None] | None:
    match = _DATE.match(text or "")
    if match is None:
        return None
    day_s, month_s, year_s, hour_s, minute_s = match.groups()
    year = int(year_s) if year_s else today.year
    if year < 100:
        year += 2000
    try:
        day = date(year, int(month_s), int(day_s))
        at = dtime(int(hour_s), int(minute_s)) if hour_s is not None else None
    except ValueError:
        return None
    if not year_s and day < today:
        day = day.replace(year=today.year + 1)
    return day, at


def parse_time(text: str) -> dtime | None:
    match = _TIME.match(text or "")
    if match is None:
        return None
    try:
        return dtime(int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


# --- history --------------------------------------------------------------------------------------


async def send_history(message: Message, session: AsyncSession, settings: Settings) -> None:
    items = await service.history(session)
    if not items:
        await message.answer(_("broadcast.history_empty"))
        return
    parts = [_("broadcast.history_title").format(n=len(items))]
    for row, counts in items:
        data = {"kind": row.content_kind, "excerpt": row.excerpt}
        if row.status == "scheduled":
            figures = _("broadcast.figures_scheduled").format(when=kb.local(row.start_at, settings.tz))
        else:
            figures = _("broadcast.figures").format(
                sent=counts.sent, total=counts.total, blocked=counts.blocked, failed=counts.failed
            )
            if counts.pending and row.status != "running":
                figures += _("broadcast.figures_left").format(left=counts.pending)
            if row.unsubscribed:
                figures += _("broadcast.figures_unsub").format(n=row.unsubscribed)
        parts.append(
            _("broadcast.history_item").format(
                id=row.id,
                when=kb.local(row.started_at or row.created_at, settings.tz),
                status=_(f"broadcast.st_{row.status}"),
                what=what_text(data),
                who=who_short(row.audience or {}),
                figures=figures,
            )
        )
    parts.append(_("broadcast.history_hint"))
    markup = kb.history_keyboard([(row.id, row.status) for row, _counts in items])
    await message.answer("\n\n".join(parts), reply_markup=markup)


# --- the router -----------------------------------------------------------------------------------


def create_router() -> Router:
    router = Router(name="admin-broadcasts")
    in_dialog = StateFilter(BroadcastForm)

    @router.message(Command("broadcast"))
    async def cmd_broadcast(message: Message, state: FSMContext, session: AsyncSession) -> None:
        source = message.reply_to_message
        if source is None or source.forum_topic_created is not None:
            await message.answer(_("broadcast.reply_needed"))
            return
        content = content_of(source)
        if content is None:
            await message.answer(_("broadcast.unsupported"))
            return
        kind, excerpt = content
        await state.set_state(BroadcastForm.audience)
        await state.set_data(
            {
                "chat": source.chat.id,
                "msg": source.message_id,
                "kind": kind,
                "excerpt": service.clean_excerpt(excerpt),
                "album": source.media_group_id is not None,
                "aud": {},
            }
        )
        await show_audience(message, state, session)

    @router.message(Command("cancel"), in_dialog)
    async def cmd_cancel(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(_("broadcast.cancelled_dialog"))

    @router.callback_query(NavCb.filter(F.action == "cancel"), in_dialog)
    async def btn_cancel(callback: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await _show(callback, _("broadcast.cancelled_dialog"), None)

    @router.callback_query(NavCb.filter(F.action == "back"), in_dialog)
    async def btn_back(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Settings
    ) -> None:
        current = await state.get_state()
        if current == BroadcastForm.time.state:
            await ask_day(callback, state, settings)
        elif current == BroadcastForm.day.state:
            await callback.answer()
            await state.set_state(BroadcastForm.preview)
            data = await state.get_data()
            count = await service.count_audience(session, data.get("aud", {}))
            text = _("broadcast.preview").format(
                where=_("broadcast.preview_private" if data.get("private") else "broadcast.preview_here"),
                what=what_text(data),
                who="\n".join(who_lines(data.get("aud", {}))),
                count=count,
            )
            await _show(callback, text, kb.confirm_keyboard())
        else:
            await show_audience(callback, state, session)

    @router.callback_query(BcCb.filter(F.action == "f"), StateFilter(BroadcastForm.audience))
    async def btn_filter(callback: CallbackQuery, callback_data: BcCb, state: FSMContext) -> None:
        if callback_data.v not in kb.FILTERS:
            await _alert(callback, _("broadcast.bad_audience"))
            return
        await state.set_state(BroadcastForm.pick)
        await state.update_data(pick=callback_data.v)
        action = "src" if callback_data.v == "source" else "set"
        await _show(
            callback,
            _(f"broadcast.pick_{callback_data.v}"),
            kb.values_keyboard(_choices(callback_data.v), action),
        )

    @router.callback_query(BcCb.filter(F.action == "set"), StateFilter(BroadcastForm.pick))
    async def btn_set(
        callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession
    ) -> None:
        data = await state.get_data()
        pick = data.get("pick")
        audience = dict(data.get("aud", {}))
        if pick not in ("group", "district", "interest"):
            await _alert(callback, _("broadcast.bad_audience"))
            return
        if callback_data.v:
            if callback_data.v not in {value for _label, value in _choices(pick)}:
                await _alert(callback, _("broadcast.bad_audience"))
                return
            audience[pick] = callback_data.v
        else:
            audience.pop(pick, None)
        await state.update_data(aud=audience)
        await show_audience(callback, state, session)

    @router.callback_query(BcCb.filter(F.action == "src"), StateFilter(BroadcastForm.pick))
    async def btn_source(
        callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession
    ) -> None:
        spec = service.AUDIENCES.get(callback_data.v)
        if spec is None:
            await _alert(callback, _("broadcast.bad_audience"))
            return
        data = await state.get_data()
        audience = {k: v for k, v in data.get("aud", {}).items() if k not in ("source", "ref", "label")}
        if spec.options is None:
            audience["source"] = callback_data.v
            await state.update_data(aud=audience)
            await show_audience(callback, state, session)
            return
        options = await _ref_options(session, callback_data.v)
        if not options:
            await _alert(callback, _("broadcast.no_options"))
            return
        await state.update_data(src=callback_data.v)
        text = _("broadcast.pick_ref").format(source=_(spec.label_key))
        await _show(
            callback, text, kb.values_keyboard([(kb.escape(lbl), ref) for lbl, ref in options], "ref")
        )

    @router.callback_query(BcCb.filter(F.action == "ref"), StateFilter(BroadcastForm.pick))
    async def btn_ref(
        callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession
    ) -> None:
        data = await state.get_data()
        source = data.get("src")
        if source not in service.AUDIENCES:
            await _alert(callback, _("broadcast.bad_audience"))
            return
        labels = {ref: label for label, ref in await _ref_options(session, source)}
        if callback_data.v not in labels:
            await _alert(callback, _("broadcast.bad_audience"))
            return
        audience = {k: v for k, v in data.get("aud", {}).items() if k not in ("source", "ref", "label")}
        audience.update(source=source, ref=callback_data.v, label=labels[callback_data.v][:60])
        await state.update_data(aud=audience)
        await show_audience(callback, state, session)

    @router.callback_query(BcCb.filter(F.action == "reset"), StateFilter(BroadcastForm.audience))
    async def btn_reset(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
        await state.update_data(aud={})
        await show_audience(callback, state, session)

    @router.callback_query(BcCb.filter(F.action == "next"), StateFilter(BroadcastForm.audience))
    async def btn_next(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, bot: Bot, settings: Settings
    ) -> None:
        await show_preview(callback, state, session, bot, settings)

    @router.callback_query(BcCb.filter(F.action == "send"), StateFilter(BroadcastForm.preview))
    async def btn_send(
        callback: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        broadcast_sender: BroadcastControl | None = None,
    ) -> None:
        data = await state.get_data()
        try:
            row = await service.create(
                session,
                staff_tg_id=callback.from_user.id,
                source_chat_id=data["chat"],
                source_message_id=data["msg"],
                content_kind=data["kind"],
                excerpt=data["excerpt"],
                audience=data.get("aud", {}),
            )
        except DomainError as exc:
            await _alert(callback, error_text(exc))
            return
        await state.clear()
        count = await service.count_audience(session, row.audience)
        await _show(callback, _("broadcast.started").format(id=row.id, count=count), None)
        if broadcast_sender is not None:
            broadcast_sender.wake()

    @router.callback_query(BcCb.filter(F.action == "sched"), StateFilter(BroadcastForm.preview))
    async def btn_schedule(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
        await ask_day(callback, state, settings)

    @router.callback_query(BcCb.filter(F.action == "day"), StateFilter(BroadcastForm.day))
    async def btn_day(
        callback: CallbackQuery, callback_data: BcCb, state: FSMContext, settings: Settings
    ) -> None:
        today = utcnow().astimezone(settings.tz).date()
        try:
            day = date.fromisoformat(callback_data.v)
        except ValueError:
            day = None
        if day is None or not today <= day <= today + timedelta(days=service.SCHEDULE_MAX_DAYS):
            await _alert(callback, _("broadcast.bad_day"))
            return
        await ask_time(callback, state, settings, day)

    @router.message(StateFilter(BroadcastForm.day))
    async def typed_day(
        message: Message, state: FSMContext, session: AsyncSession, settings: Settings
    ) -> None:
        today = utcnow().astimezone(settings.tz).date()
        parsed = parse_day(message.text or "", today)
        if parsed is None:
            await message.answer(_("broadcast.bad_day"), reply_markup=kb.days_keyboard(today))
            return
        day, at = parsed
        if day > today + timedelta(days=service.SCHEDULE_MAX_DAYS):
            await message.answer(_("broadcast.time_far").format(days=service.SCHEDULE_MAX_DAYS))
            return
        if at is None:
            await ask_time(message, state, settings, day)
            return
        await schedule(
            message, state, session, settings, day, at, message.from_user.id if message.from_user else 0
        )

    @router.callback_query(BcCb.filter(F.action == "time"), StateFilter(BroadcastForm.time))
    async def btn_time(
        callback: CallbackQuery,
        callback_data: BcCb,
        state: FSMContext,
        session: AsyncSession,
        settings: Settings,
    ) -> None:
        value = callback_data.v
        at = parse_time(f"{value[:2]}:{value[2:]}") if len(value) == 4 else None
        data = await state.get_data()
        if at is None or "day" not in data:
            await _alert(callback, _("broadcast.bad_time"))
            return
        await schedule(
            callback, state, session, settings, date.fromisoformat(data["day"]), at, callback.from_user.id
        )

    @router.message(StateFilter(BroadcastForm.time))
    async def typed_time(
        message: Message, state: FSMContext, session: AsyncSession, settings: Settings
    ) -> None:
        at = parse_time(message.text or "")
        data = await state.get_data()
        if at is None or "day" not in data:
            await message.answer(_("broadcast.bad_time"))
            return
        staff_id = message.from_user.id if message.from_user else 0
        await schedule(message, state, session, settings, date.fromisoformat(data["day"]), at, staff_id)

    # --- controlling a broadcast ------------------------------------------------------------------

    @router.callback_query(BcCb.filter(F.action.in_({"stop", "cancel"})))
    async def btn_stop(
        callback: CallbackQuery,
        callback_data: BcCb,
        session: AsyncSession,
        settings: Settings,
        broadcast_sender: BroadcastControl | None = None,
    ) -> None:
        try:
            status = await service.stop(session, callback_data.id, callback.from_user.id)
        except DomainError as exc:
            await _alert(callback, error_text(exc))
            return
        if broadcast_sender is not None:
            broadcast_sender.stop_now(callback_data.id)
        await callback.answer(
            _("broadcast.stopping" if status == "stopped" else "broadcast.cancelled_scheduled")
        )
        await _refresh(callback, session, settings, callback_data.id)

    @router.callback_query(BcCb.filter(F.action == "resume"))
    async def btn_resume(
        callback: CallbackQuery,
        callback_data: BcCb,
        session: AsyncSession,
        settings: Settings,
        broadcast_sender: BroadcastControl | None = None,
    ) -> None:
        try:
            await service.resume(session, callback_data.id, callback.from_user.id)
        except DomainError as exc:
            await _alert(callback, error_text(exc))
            return
        if broadcast_sender is not None:
            broadcast_sender.wake()
        await callback.answer(_("broadcast.resumed"))
        await _refresh(callback, session, settings, callback_data.id)

    @router.callback_query(UnsubCb.filter())
    async def preview_button(callback: CallbackQuery) -> None:
        await _alert(callback, _("broadcast.preview_button"))

    @router.message(Command("broadcasts"))
    async def cmd_history(
        message: Message, state: FSMContext, session: AsyncSession, settings: Settings
    ) -> None:
        await send_history(message, session, settings)

    @router.callback_query(AdminCb.filter(F.action == "broadcasts"))
    async def btn_history(callback: CallbackQuery, session: AsyncSession, settings: Settings) -> None:
        await callback.answer()
        await send_history(target(callback), session, settings)

    return router


async def _refresh(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, broadcast_id: int
) -> None:
    """Show the broadcast's new state on the pressed message if it is its progress message, and keep
    the progress message itself right (the sender edits it too while it runs)."""
    row = await service.get(session, broadcast_id)
    counts = await service.counts(session, broadcast_id)
    text = kb.status_text(
        row.id, row.status, counts, tz=settings.tz, rate=settings.broadcast_rate, now=utcnow()
    )
    markup = kb.control_keyboard(row.id, row.status)
    message = target(callback)
    if row.progress_message_id is None or message.message_id == row.progress_message_id:
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest:
            pass
    else:
        try:
            await callback.bot.edit_message_text(  # type: ignore[union-attr]
                text=text,
                chat_id=row.progress_chat_id,
                message_id=row.progress_message_id,
                reply_markup=markup,
            )
        except TelegramBadRequest:
            pass
