"""The staff side, in the admin chat only.

``create_router`` builds the admin router tree: a parent router that only admits updates from the
admin chat sent by staff, with each staff feature's router included under it. Staff commands sent
anywhere else, or by someone who is not staff, are refused by ``create_refusal_router``.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers import booking as booking_feature
from handlers import broadcasts as broadcasts_feature
from handlers import consultations as consultations_feature
from handlers import events as events_feature
from handlers import ideas as ideas_feature
from handlers import report as report_feature
from handlers import showcase as showcase_feature
from handlers.admin import stats
from handlers.admin.staff import InAdminChat, IsStaff
from keyboards.admin import PREFIX as ADMIN_PREFIX
from keyboards.admin import AdminAction, AdminCb, admin_menu

# Staff commands, for set_my_commands in the admin chat and for the refusal elsewhere.
# Features append (command, description key).
STAFF_COMMANDS: list[tuple[str, str]] = [
    ("admin", "cmd.admin"),
    ("stats", "cmd.stats"),
    ("report", "report.cmd"),
    ("offline_fix", "report.cmd_offline_fix"),
    ("bookings", "booking.cmd_staff"),
    ("broadcast", "broadcast.cmd"),
    ("broadcasts", "broadcast.cmd_history"),
    ("showcase", "showcase.cmd_admin"),
    ("idea_queue", "ideas.cmd.queue"),
    ("consults", "consult.cmd_open"),
    ("consult_topics", "consult.cmd_topics"),
    ("consult_org", "consult.cmd_org"),
    ("digest", "digest.cmd"),
    ("outbox", "notify.cmd_outbox"),
    ("staff_events", "events.cmd_staff_events"),
    ("new_event", "events.cmd_new_event"),
]


def staff_command_names() -> list[str]:
    return [name for name, _key in STAFF_COMMANDS]


async def cmd_admin(message: Message) -> None:
    await message.answer(_("admin.menu"), reply_markup=admin_menu())


async def show_menu(callback: CallbackQuery) -> None:
    await callback.answer()
    assert isinstance(callback.message, Message)
    await callback.message.answer(_("admin.menu"), reply_markup=admin_menu())


def create_menu_router() -> Router:
    router = Router(name="admin-menu")

    router.message.register(cmd_admin, Command("admin"))
    router.callback_query.register(show_menu, AdminCb.filter(F.action == AdminAction.MENU))

    return router


def create_router() -> Router:
    """Everything staff do in the admin chat. Filters: admin chat first (cheap), then staff."""
    router = Router(name="admin")
    for observer in (router.message, router.callback_query):
        observer.filter(InAdminChat(), IsStaff())
    router.include_router(create_menu_router())
    router.include_router(stats.create_router())
    router.include_router(report_feature.create_admin_router())
    router.include_router(booking_feature.create_admin_router())
    router.include_router(broadcasts_feature.create_admin_router())
    router.include_router(showcase_feature.create_admin_router())
    router.include_router(ideas_feature.create_admin_router())
    router.include_router(consultations_feature.create_admin_router())
    router.include_router(events_feature.create_admin_router())
    return router


async def refuse_command(message: Message) -> None:
    await message.answer(_("admin.refused"))


async def refuse_button(callback: CallbackQuery) -> None:
    await callback.answer(_("admin.refused"), show_alert=True)


def create_refusal_router() -> Router:
    """A staff command or button outside the admin chat, or from a non-staff member: refused."""
    router = Router(name="admin-refusal")

    router.message.register(refuse_command, Command(*staff_command_names()))
    router.callback_query.register(refuse_button, F.data.startswith(f"{ADMIN_PREFIX}:"))

    return router
