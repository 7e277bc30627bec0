"""The conversation relayed by the bot between a resident and a provider about an accepted request:
«Написать» / «Ответить», one message (text, photo, document, voice...) copied to the other party."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import error_text, menu_for, or_alert, target
from handlers.messengers import language_of, messenger_of
from handlers.showcase.views import NOT_A_COMMAND, esc
from keyboards.showcase import ReqAction, ReqCb, reply_keyboard, write_keyboard
from services import showcase as svc
from services.errors import DomainError
from services.numbers import number
from services.plural import plural

log = logging.getLogger(__name__)

TEXT_MAX = 3500


class Talk(StatesGroup):
    message = State()


def _kind(message: Message) -> str:
    for kind in ("text", "photo", "document", "voice", "video", "audio", "video_note", "location", "contact"):
        if getattr(message, kind, None):
            return kind
    return "other"


async def start_writing(
    callback: CallbackQuery, callback_data: ReqCb, state: FSMContext, session: AsyncSession
) -> None:
    talk = await or_alert(callback, svc.conversation(session, callback.from_user.id, callback_data.id))
    if talk is None:
        return
    await callback.answer()
    await state.set_state(Talk.message)
    await state.update_data(sc_talk=callback_data.id)
    key = "showcase.write_to_provider" if talk.sender_role == "resident" else "showcase.write_to_resident"
    await target(callback).answer(
        _(key).format(id=number("request", talk.view.request.id), title=esc(talk.view.card.title)),
        reply_markup=write_keyboard(),
    )


async def unsupported(message: Message) -> None:
    await message.answer(_("showcase.write_unsupported"))


async def _deliver(message: Message, talk: svc.Conversation, bot: Bot, i18n: I18n) -> bool:
    """The header and a copy of the message to the other party; False (and said why) on failure."""
    recipient = talk.recipient
    assert recipient.tg_id is not None
    if recipient.messenger != messenger_of(bot):  # a message cannot be copied between Telegram and MAX
        await message.answer(_("max.peer_other_messenger"))
        return False
    header_key = (
        "showcase.msg_from_resident" if talk.sender_role == "resident" else "showcase.msg_from_provider"
    )
    with i18n.use_locale(language_of(recipient, i18n)):
        header = _(header_key).format(
            id=number("request", talk.view.request.id),
            title=esc(talk.view.card.title),
            organisation=esc(talk.view.card.organisation),
            name=esc(talk.sender.first_name or _("showcase.someone")),
        )
        keyboard = reply_keyboard(talk.view.request.id)
    try:
        await bot.send_message(recipient.tg_id, header)
        await bot.copy_message(
            chat_id=recipient.tg_id,
            from_chat_id=message.chat.id,
            message_id=message.message_id,
            reply_markup=keyboard,
        )
    except TelegramForbiddenError:
        await message.answer(_("showcase.peer_unreachable"))
        return False
    except TelegramAPIError:
        log.warning("relay of request %s failed", talk.view.request.id, exc_info=True)
        await message.answer(_("showcase.relay_failed"))
        return False
    return True


async def relay(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, i18n: I18n, user: User | None
) -> None:
    request_id = (await state.get_data()).get("sc_talk")
    assert message.from_user is not None
    if message.text is not None and len(message.text) > TEXT_MAX:
        await message.answer(plural(_, "showcase.write_too_long", TEXT_MAX))
        return
    try:
        talk = await svc.conversation(session, message.from_user.id, int(request_id or 0))
    except DomainError as exc:
        await state.set_state(None)
        await message.answer(error_text(exc), reply_markup=menu_for(user))
        return
    if not await _deliver(message, talk, bot, i18n):
        return
    await svc.log_message(
        session, talk.view.request.id, talk.sender.id, _kind(message), message.text or message.caption
    )
    await state.set_state(None)
    await message.answer(_("showcase.relayed"), reply_markup=reply_keyboard(talk.view.request.id))


async def back(callback: CallbackQuery, state: FSMContext, user: User | None) -> None:
    await callback.answer()
    await state.set_state(None)
    await target(callback).answer(_("menu.title"), reply_markup=menu_for(user))


def register(router: Router) -> None:
    router.callback_query.register(start_writing, ReqCb.filter(F.a == ReqAction.WRITE))
    router.message.register(
        unsupported, Talk.message, F.sticker | F.dice | F.poll | F.game | F.media_group_id
    )
    router.message.register(relay, Talk.message, NOT_A_COMMAND)
    router.callback_query.register(back, StateFilter(Talk), F.data.startswith("nav:back"))
