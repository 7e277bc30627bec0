"""The same bot in the MAX messenger: aiogram-max's MaxSession under an ordinary aiogram Bot.

aiogram-max translates aiogram's Bot API calls into MAX's HTTP API (``POST /messages``, ``GET /updates``…);
routers, filters, FSM and middlewares stay aiogram's own. ``CenterMaxSession`` adds what this bot needs on
top of aiogram-max 1.3 so that handlers stay Telegram's (README, «MAX»):

- a private dialog is addressed by the person's user id, as in Telegram: updates from a dialog carry the
  sender's id as the chat id, and a send to a positive chat id goes to ``?user_id=`` (MAX's dialog chat
  ids differ from user ids; group chats keep their own, negative, ids);
- reply keyboards (the registration's «Отправить мой номер», «Пропустить») become MAX buttons under the
  message: ``request_contact`` and ``message`` buttons (the label is sent back as the person's text), and
  the contact MAX sends back is the message's ``contact``; ``ReplyKeyboardRemove`` is nothing to do;
- an edited text keeps its new inline keyboard (aiogram-max 1.3 edits the text only, so the dialog
  engine's buttons would stay those of the previous step);
- a venue («О Центре») is a location with the title and address as its text;
- MAX's errors are aiogram's (403 → TelegramForbiddenError, 404 → TelegramNotFound, 429 →
  TelegramRetryAfter, else TelegramBadRequest / TelegramServerError), so the existing error handling and
  the outbox's Notifier mapping work unchanged.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

import httpx
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, GetUpdates, SendChatAction, SendVenue, TelegramMethod
from aiogram.types import (
    Chat,
    Contact,
    ForceReply,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiogram_max import MAX_API_URL, MaxApiError, MaxSession
from aiogram_max import converters as max_converters

from bot.config import Settings
from bot.text_limits import TextLimitMiddleware
from db.messenger import MAX

log = logging.getLogger(__name__)

_extra_attachment: ContextVar[dict[str, Any] | None] = ContextVar("max_extra_attachment", default=None)
_TEL = re.compile(r"^TEL[^:]*:(.+)$", re.MULTILINE)


def reply_keyboard_attachment(markup: ReplyKeyboardMarkup) -> dict[str, Any] | None:
    """A Telegram reply keyboard as MAX buttons under the message (the nearest MAX has)."""
    rows: list[list[dict[str, Any]]] = []
    for row in markup.keyboard:
        buttons: list[dict[str, Any]] = []
        for button in row:
            text = button if isinstance(button, str) else button.text
            if not isinstance(button, str) and button.request_contact:
                buttons.append({"type": "request_contact", "text": text})
            elif not isinstance(button, str) and button.request_location:
                buttons.append({"type": "request_geo_location", "text": text, "quick": False})
            else:
                buttons.append({"type": "message", "text": text})
        if buttons:
            rows.append(buttons)
    return {"type": "inline_keyboard", "payload": {"buttons": rows}} if rows else None


def contact_of(raw_message: dict[str, Any]) -> Contact | None:
    """The contact a person shared with the «request_contact» button, as Telegram's Contact."""
    for attachment in (raw_message.get("body") or {}).get("attachments") or []:
        if attachment.get("type") != "contact":
            continue
        payload = attachment.get("payload") or {}
        info = payload.get("max_info") or {}
        found = _TEL.search(payload.get("vcf_info") or "")
        phone = (found.group(1).strip() if found else "") or str(payload.get("phone") or "")
        if not phone:
            return None
        return Contact(
            phone_number=phone,
            first_name=info.get("first_name") or info.get("name") or "MAX",
            last_name=info.get("last_name"),
            user_id=info.get("user_id"),
        )
    return None


def _in_dialog(message: Message, person_id: int) -> Message:
    """A dialog message addressed as Telegram does a private chat: by the person's id."""
    if message.chat.type != "private" or message.chat.id == person_id:
        return message
    return message.model_copy(update={"chat": Chat(id=person_id, type="private")})


def as_telegram_update(update: Update, contacts: dict[int, Contact]) -> Update:
    """Chat ids of dialogs are the person's id; a shared contact is the message's contact."""
    if update.message is not None and update.message.from_user is not None:
        message = _in_dialog(update.message, update.message.from_user.id)
        contact = contacts.get(message.message_id) if message.message_id else None
        if contact is not None:
            message = message.model_copy(update={"contact": contact, "text": None})
        if message is not update.message:
            update = update.model_copy(update={"message": message})
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        message = _in_dialog(query.message, query.from_user.id)
        if message is not query.message:
            update = update.model_copy(
                update={"callback_query": query.model_copy(update={"message": message})}
            )
    return update


def _as_telegram_error(method: TelegramMethod[Any], exc: MaxApiError) -> Exception:
    text = f"MAX {exc.status}: {exc.body[:300]}"
    if exc.status == 403:
        return TelegramForbiddenError(method, text)
    if exc.status == 404:
        return TelegramNotFound(method, text)
    if exc.status == 429:
        return TelegramRetryAfter(method, text, retry_after=1)
    if exc.status >= 500:
        return TelegramServerError(method, text)
    return TelegramBadRequest(method, text)


class CenterMaxSession(MaxSession):
    """MaxSession with the adaptations above; ``messenger`` tells the bot's middlewares where it is."""

    messenger = MAX

    def __init__(self, token: str, *, api_url: str = MAX_API_URL, **kwargs: Any) -> None:
        super().__init__(token, api_url=api_url, **kwargs)
        self._raw_updates: list[dict[str, Any]] = []
        self.telegram: Bot | None = None
        """The Telegram Bot: calls for the staff chats go through it (staff stay in Telegram)."""
        self.staff_chats: frozenset[int] = frozenset()

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        chat_id = getattr(method, "chat_id", None)
        if self.telegram is not None and chat_id is not None and chat_id in self.staff_chats:
            # a resident's handler in MAX posts a card to (or edits one in) the Telegram admin chat
            return await self.telegram(method)
        markup = getattr(method, "reply_markup", None)
        extra = None
        if isinstance(markup, ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply):
            extra = reply_keyboard_attachment(markup) if isinstance(markup, ReplyKeyboardMarkup) else None
            method = method.model_copy(update={"reply_markup": None})
        token = _extra_attachment.set(extra)
        try:
            if isinstance(method, GetUpdates):
                return await self._telegram_updates(bot, method)
            if isinstance(method, EditMessageText) and method.inline_message_id is None:
                return await self._edit_text_and_keyboard(bot, method)
            if isinstance(method, SendVenue):
                return await self._venue(bot, method)
            if isinstance(method, SendChatAction) and int(method.chat_id) > 0:
                return True  # MAX's actions are per chat id, which a dialog addressed by person has not
            return await super().make_request(bot, method, timeout)
        except MaxApiError as exc:
            raise _as_telegram_error(method, exc) from exc
        except httpx.HTTPError as exc:
            raise TelegramNetworkError(method, f"MAX: {type(exc).__name__}: {exc}") from exc
        finally:
            _extra_attachment.reset(token)

    async def _telegram_updates(self, bot: Bot, method: GetUpdates) -> list[Update]:
        updates: list[Update] = await MaxSession._get_updates(self, bot, method)  # pyright: ignore[reportPrivateUsage]
        contacts: dict[int, Contact] = {}
        for raw in self._raw_updates:
            message = raw.get("message") or {}
            contact = contact_of(message)
            seq = (message.get("body") or {}).get("seq")
            if contact is not None and seq is not None:
                contacts[int(seq)] = contact
        self._raw_updates = []
        return [as_telegram_update(update, contacts) for update in updates]

    async def _edit_text_and_keyboard(self, bot: Bot, method: EditMessageText) -> bool:
        mid = self._require_mid(method.message_id)
        text, fmt = self._render_markup(bot, method.text, method.parse_mode, method.entities)
        body: dict[str, Any] = {"text": text}
        if fmt is not None:
            body["format"] = fmt
        keyboard = max_converters.keyboard_to_attachment(
            method.reply_markup,  # type: ignore[arg-type]
            degrade=self._degrade,
        )
        body["attachments"] = [keyboard] if keyboard else []  # as Telegram: no markup, no buttons
        await self._request("PUT", "/messages", params={"message_id": mid}, json=body)
        return True

    async def _venue(self, bot: Bot, method: SendVenue) -> Any:
        text, fmt = self._render_markup(bot, f"<b>{method.title}</b>\n{method.address}", "HTML", None)
        payload: dict[str, Any] = {
            "text": text,
            "attachments": [{"type": "location", "latitude": method.latitude, "longitude": method.longitude}],
        }
        if fmt is not None:
            payload["format"] = fmt
        return await self._post_message(method.chat_id, payload)

    async def _post_message(
        self, chat_id: Any, payload: dict[str, Any], *, wait_attachment: bool = False
    ) -> Any:
        message = await super()._post_message(chat_id, payload, wait_attachment=wait_attachment)
        if isinstance(message, Message) and isinstance(chat_id, int) and chat_id > 0:
            return _in_dialog(message, chat_id)
        return message

    async def _request(
        self,
        http_method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if http_method == "POST" and path == "/messages" and params and "chat_id" in params:
            chat_id = int(params["chat_id"])
            if chat_id > 0:  # a person: their dialog with the bot
                params = {"user_id": chat_id}
            extra = _extra_attachment.get()
            if extra is not None and json is not None:
                json = {**json, "attachments": [*(json.get("attachments") or []), extra]}
        data = await super()._request(http_method, path, params=params, json=json)
        if http_method == "GET" and path == "/updates":
            self._raw_updates = list(data.get("updates") or [])
        return data


def create_max_bot(settings: Settings, bot_id: int = 0, telegram: Bot | None = None) -> Bot:
    """The MAX Bot (same defaults as the Telegram one: HTML, no link previews); calls for the admin chat
    go through ``telegram``."""
    session = CenterMaxSession(settings.max_token, api_url=(settings.max_api_url or MAX_API_URL).rstrip("/"))
    session.telegram = telegram
    session.staff_chats = frozenset({settings.admin_chat_id} if settings.admin_chat_id is not None else ())
    session.middleware(TextLimitMiddleware())  # MAX's limit (4000) is above Telegram's 4096 - the cut
    return Bot(
        token=f"{bot_id}:max",
        session=session,
        # "HTML" as a plain string: aiogram-max 1.3 compares str(parse_mode) with "HTML", and
        # str(ParseMode.HTML) is "ParseMode.HTML" (it would take the text for Markdown and escape the tags)
        default=DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True),
    )


async def start_max_bot(settings: Settings, telegram: Bot) -> Bot:
    """The MAX Bot with its real id (``GET /me``), so its id and username are right in logs and commands."""
    probe = create_max_bot(settings)
    try:
        me = await probe.get_me()
    finally:
        await probe.session.close()
    return create_max_bot(settings, bot_id=me.id, telegram=telegram)
