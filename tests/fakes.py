"""A recording fake Bot session: every API call is kept and answered with a plausible result.

No network: nothing leaves the process. Tests can queue errors (aiogram's own exceptions) for the
next calls of a method, and set who is a member of which chat for getChatMember.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import (
    AcceptedGiftTypes,
    Chat,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    Document,
    File,
    ForumTopic,
    InlineKeyboardMarkup,
    Location,
    Message,
    MessageId,
    PhotoSize,
    User,
    Venue,
)

from db.base import utcnow

BOT_USER = User(id=123456789, is_bot=True, first_name="Центр", username="cc_test_bot")


@dataclass
class Call:
    method: TelegramMethod[Any]
    result: Any

    @property
    def name(self) -> str:
        return type(self.method).__name__

    def __getattr__(self, item: str) -> Any:
        return getattr(self.method, item)


def chat_type(chat_id: int) -> str:
    return "private" if chat_id > 0 else "supergroup"


class FakeSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.messages: dict[int, dict[int, Message]] = defaultdict(dict)
        self.errors: dict[str, list[Exception]] = defaultdict(list)
        self.members: dict[tuple[int, int], str] = {}
        self.forums: set[int] = set()
        """Chats that are forums (getChat says is_forum; createForumTopic works there)."""
        self.topics: dict[int, dict[int, str]] = defaultdict(dict)
        """Forum topics created by the bot: chat id -> {message_thread_id: name}."""
        self.pinned: dict[int, int] = {}
        self._ids = itertools.count(1000)
        self.closed = False

    # --- test controls --------------------------------------------------------------------------

    def fail_next(self, method_name: str, *exceptions: Exception) -> None:
        """The next calls of ``method_name`` (e.g. "SendMessage") raise these, one per call."""
        self.errors[method_name].extend(exceptions)

    def set_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        self.members[(chat_id, user_id)] = status

    def make_forum(self, chat_id: int) -> None:
        """``chat_id`` becomes a forum supergroup: topics can be created there."""
        self.forums.add(chat_id)

    def thread_of(self, chat_id: int, message_id: int) -> int | None:
        """The forum topic a message the bot sent went to (None: the general thread)."""
        message = self.messages.get(chat_id, {}).get(message_id)
        return message.message_thread_id if message is not None else None

    def topic_named(self, chat_id: int, name: str) -> int | None:
        """The thread id of the topic the bot created under ``name`` (None: not created)."""
        return next((t for t, n in self.topics[chat_id].items() if n == name), None)

    def calls_of(self, name: str, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.name == name and (chat_id is None or getattr(c.method, "chat_id", None) == chat_id)
        ]

    def texts_to(self, chat_id: int, containing: str) -> list[str]:
        """The texts of the messages sent to ``chat_id`` that contain ``containing``."""
        return [
            c.method.text
            for c in self.calls_of("SendMessage", chat_id=chat_id)
            if containing in (c.method.text or "")
        ]

    def clear(self) -> None:
        self.calls.clear()

    # --- BaseSession ----------------------------------------------------------------------------

    async def close(self) -> None:
        self.closed = True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b"fake file content"

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        name = type(method).__name__
        if self.errors.get(name):
            error = self.errors[name].pop(0)
            self.calls.append(Call(method, error))
            raise error
        result = self._result(bot, method, name)
        self.calls.append(Call(method, result))
        return result

    # --- results --------------------------------------------------------------------------------

    def _message(self, chat_id: int, **fields: Any) -> Message:
        markup = fields.pop("reply_markup", None)
        if not isinstance(markup, InlineKeyboardMarkup):
            markup = None
        if fields.get("message_thread_id") is not None and chat_id in self.forums:
            fields["is_topic_message"] = True
        message = Message(
            message_id=next(self._ids),
            date=utcnow(),
            chat=Chat(id=chat_id, type=chat_type(chat_id), is_forum=chat_id in self.forums or None),
            from_user=BOT_USER,
            reply_markup=markup,
            **{k: v for k, v in fields.items() if v is not None},
        )
        self.messages[chat_id][message.message_id] = message
        return message

    def _result(self, bot: Bot, method: TelegramMethod[Any], name: str) -> Any:
        m: Any = method
        if name == "GetMe":
            return BOT_USER
        if name == "GetChatMember":
            status = self.members.get((m.chat_id, m.user_id), "left")
            user = User(id=m.user_id, is_bot=False, first_name="Staff")
            if status == "creator":
                return ChatMemberOwner(user=user, is_anonymous=False)
            if status == "administrator":
                return ChatMemberAdministrator(
                    user=user,
                    can_be_edited=False,
                    is_anonymous=False,
                    can_manage_chat=True,
                    can_delete_messages=True,
                    can_manage_video_chats=True,
                    can_restrict_members=True,
                    can_promote_members=False,
                    can_change_info=True,
                    can_invite_users=True,
                    can_post_stories=False,
                    can_edit_stories=False,
                    can_delete_stories=False,
                )
            if status == "member":
                return ChatMemberMember(user=user)
            return ChatMemberLeft(user=user)
        if name == "SendMessage":
            return self._message(
                m.chat_id, text=m.text, reply_markup=m.reply_markup, message_thread_id=m.message_thread_id
            )
        if name == "GetChat":
            return ChatFullInfo(
                id=m.chat_id,
                type=chat_type(m.chat_id),
                is_forum=m.chat_id in self.forums or None,
                accent_color_id=0,
                max_reaction_count=0,
                # no gifts of any kind: every flag off, whatever flags the installed aiogram knows
                accepted_gift_types=AcceptedGiftTypes(**dict.fromkeys(AcceptedGiftTypes.model_fields, False)),
            )
        if name == "CreateForumTopic":
            if m.chat_id not in self.forums:
                from aiogram.exceptions import TelegramBadRequest

                raise TelegramBadRequest(method, "Bad Request: the chat is not a forum")
            thread = next(self._ids)
            self.topics[m.chat_id][thread] = m.name
            return ForumTopic(message_thread_id=thread, name=m.name, icon_color=m.icon_color or 0x6FB9F0)
        if name == "PinChatMessage":
            self.pinned[m.chat_id] = m.message_id
            return True
        if name in {"SendDocument", "SendPhoto", "SendVoice", "SendAudio", "SendVideo", "SendAnimation"}:
            fields: dict[str, Any] = {
                "caption": m.caption,
                "reply_markup": m.reply_markup,
                "message_thread_id": m.message_thread_id,
            }
            if name == "SendPhoto":
                fields["photo"] = [
                    PhotoSize(file_id=f"photo{next(self._ids)}", file_unique_id="p", width=1, height=1)
                ]
            else:
                filename = getattr(getattr(m, name.removeprefix("Send").lower(), None), "filename", None)
                fields["document"] = Document(
                    file_id=f"doc{next(self._ids)}", file_unique_id="d", file_name=filename
                )
            return self._message(m.chat_id, **fields)
        if name == "SendVenue":
            location = Location(latitude=m.latitude, longitude=m.longitude)
            return self._message(m.chat_id, venue=Venue(location=location, title=m.title, address=m.address))
        if name == "SendLocation":
            return self._message(m.chat_id, location=Location(latitude=m.latitude, longitude=m.longitude))
        if name in {"EditMessageText", "EditMessageCaption", "EditMessageReplyMarkup"}:
            old = self.messages.get(m.chat_id, {}).get(m.message_id)
            if old is None:
                return True
            update: dict[str, Any] = {
                "reply_markup": m.reply_markup if isinstance(m.reply_markup, InlineKeyboardMarkup) else None
            }
            if name == "EditMessageText":
                update["text"] = m.text
            if name == "EditMessageCaption":
                update["caption"] = m.caption
            new = old.model_copy(update=update)
            self.messages[m.chat_id][m.message_id] = new
            return new
        if name in {"CopyMessage", "ForwardMessage"}:
            if name == "CopyMessage":
                return MessageId(
                    message_id=self._message(m.chat_id, text="(copy)", reply_markup=m.reply_markup).message_id
                )
            return self._message(m.chat_id, text="(forward)")
        if name == "SendMediaGroup":
            return [
                self._message(
                    m.chat_id, caption=getattr(item, "caption", None), message_thread_id=m.message_thread_id
                )
                for item in m.media
            ]
        if name == "GetFile":
            return File(file_id=m.file_id, file_unique_id="u", file_path=f"files/{m.file_id}")
        if name == "GetUpdates":
            return []
        returning = getattr(method, "__returning__", None)
        if returning is bool:
            return True
        raise NotImplementedError(f"FakeSession does not know how to answer {name}")
