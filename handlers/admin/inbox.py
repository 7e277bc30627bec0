"""«📥 Ждут ответа»: one inbox of everything waiting for staff across features (oldest first, each
line a button to its card, with who took it), the pinned count the bot keeps up to date, and
«/find К-12»: a prefixed number opens what it names."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.base import utcnow
from handlers.booking.views import card_keyboard as booking_card_keyboard
from handlers.booking.views import staff_card as booking_card
from handlers.common import target
from handlers.consultations.views import card_markup as consultation_card_markup
from handlers.consultations.views import card_text as consultation_card_text
from handlers.ideas.views import send_card as send_idea_card
from handlers.workspace import refresh_pin, waiting_line
from keyboards.admin import AdminAction, AdminCb, admin_menu, inbox_keyboard, more_menu
from keyboards.booking import Staff, StaffBk
from keyboards.consultations import ConsultAdmCb, ConsultStaff
from keyboards.ideas import IdeaQueueCb, QueueAction
from keyboards.showcase_staff import StaffAction, StaffCb
from services import booking as booking_service
from services import consultations as consultations_service
from services import ideas as ideas_service
from services import numbers
from services import workspace as svc

SHOWN = 30
"""Inbox lines (and buttons) in one message; the rest are counted."""


def open_data(item: svc.Waiting) -> CallbackData | None:
    """The feature's own «open the card» button data for an item (None: it has no staff card)."""
    if item.kind == "consultation":
        return ConsultAdmCb(action=ConsultStaff.SHOW, id=item.id)
    if item.kind == "booking":
        return StaffBk(a=Staff.OPEN, id=item.id)
    if item.kind == "idea":
        return IdeaQueueCb(action=QueueAction.CARD, id=item.id)
    if item.kind == "card":
        return StaffCb(action=StaffAction.CARD, id=item.id)
    if item.kind == "trial":
        return StaffCb(action=StaffAction.TRIALS)
    return None


def button_label(item: svc.Waiting) -> str:
    title = " ".join(item.title.split())
    return f"{item.number} · {title}"


async def send_inbox(message: Message, desk: Desk) -> None:
    items = await svc.inbox(desk.session)
    count = await refresh_pin(desk)
    if not items:
        await message.answer(_("staff.inbox.empty"))
        return
    now = utcnow()
    lines = [_("staff.inbox.title").format(count=count), ""]
    lines += [waiting_line(item, now) for item in items[:SHOWN]]
    if count > SHOWN:
        lines.append(_("staff.inbox.more").format(count=count - SHOWN))
    buttons = [(button_label(item), data) for item in items[:SHOWN] if (data := open_data(item)) is not None]
    await message.answer("\n".join(lines), reply_markup=inbox_keyboard(buttons))


async def cmd_admin(message: Message, session: AsyncSession) -> None:
    await message.answer(_("admin.menu"), reply_markup=admin_menu(await svc.waiting_count(session)))


async def show_menu(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    await target(callback).answer(_("admin.menu"), reply_markup=admin_menu(await svc.waiting_count(session)))


async def cmd_inbox(message: Message, desk: Desk) -> None:
    await send_inbox(message, desk)


async def btn_inbox(callback: CallbackQuery, desk: Desk) -> None:
    await callback.answer()
    await send_inbox(target(callback), desk)


async def btn_more(callback: CallbackQuery) -> None:
    await callback.answer()
    await target(callback).answer(_("staff.more_title"), reply_markup=more_menu())


async def cmd_find(message: Message, command: CommandObject, desk: Desk) -> None:
    parsed = numbers.parse(command.args)
    if parsed is None:
        await message.reply(_("staff.find.usage"))
        return
    kind, ident = parsed
    item = await svc.find(desk.session, kind, ident)
    if item is None:
        await message.reply(_("staff.find.none").format(number=numbers.number(kind, ident)))
        return
    if await open_card(message, item, desk):
        return
    data = open_data(item)
    markup = inbox_keyboard([(button_label(item), data)]) if data is not None else None
    await message.reply(waiting_line(item, utcnow()), reply_markup=markup)


async def open_card(message: Message, item: svc.Waiting, desk: Desk) -> bool:
    """The staff card itself, with its buttons, where /find was typed (False: this kind has none here;
    the line and a button to it are shown instead)."""
    thread = message.message_thread_id if message.is_topic_message else None
    if item.kind == "consultation":
        data = await consultations_service.card(desk.session, item.id)
        text = consultation_card_text(data, desk.settings)
        await message.reply(text, reply_markup=consultation_card_markup(data.consultation))
        return True
    if item.kind == "booking":
        booking, resource, user = await booking_service.get_booking(desk.session, item.id)
        await message.reply(
            booking_card(booking, resource, user, desk.settings), reply_markup=booking_card_keyboard(booking)
        )
        return True
    if item.kind == "idea":
        idea = await ideas_service.get(desk.session, item.id)
        if idea is None:
            return False
        await send_idea_card(desk, idea, chat_id=message.chat.id, thread=thread)
        return True
    return False


def create_router() -> Router:
    router = Router(name="admin-menu")

    router.message.register(cmd_admin, Command("admin"))
    router.callback_query.register(show_menu, AdminCb.filter(F.action == AdminAction.MENU))
    router.message.register(cmd_inbox, Command("inbox"))
    router.callback_query.register(btn_inbox, AdminCb.filter(F.action == AdminAction.INBOX))
    router.callback_query.register(btn_more, AdminCb.filter(F.action == AdminAction.MORE))
    router.message.register(cmd_find, Command("find"))

    return router
