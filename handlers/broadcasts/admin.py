"""/broadcast (as a reply to a message in the admin chat): the audience, a preview, send now (or
schedule: schedule.py). The sending is services.broadcast_sender."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from db.base import utcnow
from handlers.broadcasts.schedule import ask_day
from handlers.broadcasts.views import (
    BroadcastForm,
    alert,
    content_of,
    preview_text,
    quiet_window,
    show,
    what_text,
    who_lines,
)
from handlers.common import error_text, target
from keyboards import broadcasts as kb
from keyboards.broadcasts import BcAction, BcCb
from keyboards.common import NavCb
from services import broadcasts as service
from services.broadcast_sender import SOURCE_GONE, BroadcastSender
from services.errors import DomainError, ValidationFailed
from services.users import DISTRICTS, TARGET_GROUPS

SOURCE_KEYS = ("source", "ref", "label")


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
    await show(event, text, kb.audience_keyboard(audience, bool(service.AUDIENCES)))


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


def _without_source(audience: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in audience.items() if k not in SOURCE_KEYS}


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


async def show_preview(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, bot: Bot, settings: Settings
) -> None:
    data = await state.get_data()
    count = await service.count_audience(session, data.get("aud", {}))
    if count == 0:
        await alert(callback, _("broadcast.nobody"))
        return
    try:
        private = await send_preview(bot, callback.from_user.id, target(callback).chat.id, data)
    except DomainError as exc:
        await state.clear()
        await show(callback, error_text(exc), None)
        return
    await state.set_state(BroadcastForm.preview)
    await state.update_data(private=private)
    text = preview_text({**data, "private": private}, count)
    if service.in_quiet_hours(utcnow(), settings.quiet_hours_start, settings.quiet_hours_end, settings.tz):
        start, end = quiet_window(settings)
        text += "\n\n" + _("broadcast.quiet_now").format(start=start, end=end)
    if private:
        await show(callback, text, kb.confirm_keyboard())
    else:  # the preview copy is now the last message: put the question under it
        await callback.answer()
        await target(callback).answer(text, reply_markup=kb.confirm_keyboard())


# --- handlers ---------------------------------------------------------------------------------------


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


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("broadcast.cancelled_dialog"))


async def btn_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, _("broadcast.cancelled_dialog"), None)


async def btn_back(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    current = await state.get_state()
    if current == BroadcastForm.time.state:
        await ask_day(callback, state, settings)
    elif current == BroadcastForm.day.state:
        await state.set_state(BroadcastForm.preview)
        data = await state.get_data()
        count = await service.count_audience(session, data.get("aud", {}))
        await show(callback, preview_text(data, count), kb.confirm_keyboard())
    else:
        await show_audience(callback, state, session)


async def btn_filter(callback: CallbackQuery, callback_data: BcCb, state: FSMContext) -> None:
    if callback_data.v not in kb.FILTERS:
        await alert(callback, _("broadcast.bad_audience"))
        return
    await state.set_state(BroadcastForm.pick)
    await state.update_data(pick=callback_data.v)
    action = BcAction.SOURCE if callback_data.v == "source" else BcAction.SET
    markup = kb.values_keyboard(_choices(callback_data.v), action)
    await show(callback, _(f"broadcast.pick_{callback_data.v}"), markup)


async def btn_set(
    callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    pick = data.get("pick")
    audience = dict(data.get("aud", {}))
    if pick not in ("group", "district", "interest"):
        await alert(callback, _("broadcast.bad_audience"))
        return
    if callback_data.v:
        if callback_data.v not in {value for _label, value in _choices(pick)}:
            await alert(callback, _("broadcast.bad_audience"))
            return
        audience[pick] = callback_data.v
    else:
        audience.pop(pick, None)
    await state.update_data(aud=audience)
    await show_audience(callback, state, session)


async def btn_source(
    callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession
) -> None:
    spec = service.AUDIENCES.get(callback_data.v)
    if spec is None:
        await alert(callback, _("broadcast.bad_audience"))
        return
    audience = _without_source((await state.get_data()).get("aud", {}))
    if spec.options is None:
        audience["source"] = callback_data.v
        await state.update_data(aud=audience)
        await show_audience(callback, state, session)
        return
    options = await _ref_options(session, callback_data.v)
    if not options:
        await alert(callback, _("broadcast.no_options"))
        return
    await state.update_data(src=callback_data.v)
    text = _("broadcast.pick_ref").format(source=_(spec.label_key))
    markup = kb.values_keyboard([(kb.escape(lbl), ref) for lbl, ref in options], BcAction.REF)
    await show(callback, text, markup)


async def btn_ref(
    callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    source = data.get("src")
    if source not in service.AUDIENCES:
        await alert(callback, _("broadcast.bad_audience"))
        return
    labels = {ref: label for label, ref in await _ref_options(session, source)}
    if callback_data.v not in labels:
        await alert(callback, _("broadcast.bad_audience"))
        return
    audience = _without_source(data.get("aud", {}))
    audience.update(source=source, ref=callback_data.v, label=labels[callback_data.v][:60])
    await state.update_data(aud=audience)
    await show_audience(callback, state, session)


async def btn_reset(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await state.update_data(aud={})
    await show_audience(callback, state, session)


async def btn_send(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    broadcast_sender: BroadcastSender | None = None,
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
        await alert(callback, error_text(exc))
        return
    await state.clear()
    count = await service.count_audience(session, row.audience)
    await show(callback, _("broadcast.started").format(id=row.id, count=count), None)
    if broadcast_sender is not None:
        broadcast_sender.wake()


def register(router: Router) -> None:
    in_dialog = StateFilter(BroadcastForm)
    on_audience, on_pick = StateFilter(BroadcastForm.audience), StateFilter(BroadcastForm.pick)
    button = router.callback_query.register
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(cmd_cancel, Command("cancel"), in_dialog)
    button(btn_cancel, NavCb.filter(F.action == "cancel"), in_dialog)
    button(btn_back, NavCb.filter(F.action == "back"), in_dialog)
    button(btn_filter, BcCb.filter(F.action == BcAction.FILTER), on_audience)
    button(btn_set, BcCb.filter(F.action == BcAction.SET), on_pick)
    button(btn_source, BcCb.filter(F.action == BcAction.SOURCE), on_pick)
    button(btn_ref, BcCb.filter(F.action == BcAction.REF), on_pick)
    button(btn_reset, BcCb.filter(F.action == BcAction.RESET), on_audience)
    button(show_preview, BcCb.filter(F.action == BcAction.NEXT), on_audience)
    button(btn_send, BcCb.filter(F.action == BcAction.SEND), StateFilter(BroadcastForm.preview))
