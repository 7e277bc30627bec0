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
from handlers.admin import inbox, stats
from handlers.admin.staff import InAdminChat, IsStaff
from keyboards.admin import PREFIX as ADMIN_PREFIX

# Staff commands, for set_my_commands in the admin chat and for the refusal elsewhere.
# In the admin chat's command list (BotCommandScopeChat), ordered by daily use, with unambiguous names;
# STAFF_ALIASES are the older names, still answered but not listed.
STAFF_COMMANDS: list[tuple[str, str]] = [
    ("admin", "cmd.admin"),
    ("inbox", "staff.cmd.inbox"),
    ("find", "staff.cmd.find"),
    ("consults", "consult.cmd_open"),
    ("staff_bookings", "staff.cmd.staff_bookings"),
    ("catalogue", "staff.cmd.catalogue"),
    ("idea_queue", "ideas.cmd.queue"),
    ("events_staff", "staff.cmd.events_staff"),
    ("new_event", "events.cmd_new_event"),
    ("broadcast_new", "staff.cmd.broadcast_new"),
    ("broadcast_history", "staff.cmd.broadcast_history"),
    ("digest", "digest.cmd"),
    ("report", "report.cmd"),
    ("offline_fix", "report.cmd_offline_fix"),
    ("consult_org", "consult.cmd_org"),
    ("consult_topics", "consult.cmd_topics"),
    ("stats", "cmd.stats"),
    ("outbox", "notify.cmd_outbox"),
]
STAFF_ALIASES: dict[str, str] = {
    "staff_bookings": "bookings",
    "catalogue": "showcase",
    "events_staff": "staff_events",
    "broadcast_new": "broadcast",
    "broadcast_history": "broadcasts",
}
"""New command name -> the older one it stands for (the older keeps working)."""


def staff_command_names() -> list[str]:
    return [name for name, _key in STAFF_COMMANDS] + list(STAFF_ALIASES.values())


def create_router() -> Router:
    """Everything staff do in the admin chat. Filters: admin chat first (cheap), then staff."""
    router = Router(name="admin")
    for observer in (router.message, router.callback_query):
        observer.filter(InAdminChat(), IsStaff())
    router.include_router(inbox.create_router())
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
