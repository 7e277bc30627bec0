"""/settings: reminders on/off and how early, the weekly digest, districts and topics, language;
the digest's one-tap «Отписаться»; blocking/unblocking the bot marks the person unreachable/reachable."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, Command, StateFilter

from handlers.common import resident_router
from handlers.settings import panel, subscription
from handlers.settings.views import SettingsDialog
from keyboards.common import NavAction, NavCb
from keyboards.menu import MenuAction, MenuCb
from keyboards.settings import DigestCb, SetAction, SetCb

CHANGES = {SetAction.REMINDERS, SetAction.LEAD, SetAction.DIGEST, SetAction.DISTRICT, SetAction.TOPIC}


def create_router() -> Router:
    router = resident_router("settings")
    router.message.register(panel.cmd_settings, Command("settings"))
    router.callback_query.register(panel.menu_settings, MenuCb.filter(F.action == MenuAction.SETTINGS))
    router.callback_query.register(panel.go_screen, SetCb.filter(F.action == SetAction.SCREEN))
    router.callback_query.register(panel.close, SetCb.filter(F.action == SetAction.CLOSE))
    router.callback_query.register(panel.change, SetCb.filter(F.action.in_(CHANGES)))
    router.callback_query.register(panel.change_language, SetCb.filter(F.action == SetAction.LANGUAGE))
    router.callback_query.register(
        panel.nav_back, StateFilter(SettingsDialog), NavCb.filter(F.action == NavAction.BACK)
    )
    router.message.register(panel.typed, StateFilter(SettingsDialog))
    router.callback_query.register(subscription.digest_subscription, DigestCb.filter())
    router.my_chat_member.register(
        subscription.blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED)
    )
    router.my_chat_member.register(
        subscription.unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router
