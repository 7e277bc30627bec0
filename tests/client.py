"""A small Telegram client for tests: it sends updates into the real dispatcher and reads replies."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    InlineKeyboardButton,
    Message,
    PhotoSize,
    Sticker,
    Update,
    User,
)

from db.base import utcnow
from tests.fakes import Call, FakeSession

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)

SENDING = {
    "SendMessage",
    "SendDocument",
    "SendPhoto",
    "SendVenue",
    "SendLocation",
    "EditMessageText",
    "EditMessageCaption",
    "SendVoice",
    "SendAudio",
    "SendVideo",
    "SendAnimation",
    "CopyMessage",
    "SendMediaGroup",
    "AnswerCallbackQuery",
    "EditMessageReplyMarkup",
}


STICKER = Sticker(
    file_id="st1",
    file_unique_id="st1",
    type="regular",
    width=512,
    height=512,
    is_animated=False,
    is_video=False,
)


@dataclass(frozen=True)
class Press:
    """A step of ``TgClient.walk``: press the button labelled ``label`` (or containing it)."""

    label: str
    exact: bool = False


class TgClient:
    """One person (or one staff member in a group chat) talking to the bot."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        user_id: int,
        *,
        first_name: str = "Иван",
        last_name: str | None = "Петров",
        username: str | None = None,
        language_code: str = "ru",
        chat_id: int | None = None,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.session: FakeSession = bot.session  # type: ignore[assignment]
        self.user = User(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat = Chat(id=self.chat_id, type="private" if self.chat_id > 0 else "supergroup", title=None)
        self.replies: list[Call] = []

    # --- sending ------------------------------------------------------------------------------

    async def _feed(self, update: Update) -> list[Call]:
        start = len(self.session.calls)
        errors: list[BaseException] = self.dp.workflow_data.setdefault("error_sink", [])
        seen = len(errors)
        await self.dp.feed_update(self.bot, update)
        if len(errors) > seen and not self.dp.workflow_data.get("expect_errors"):
            raise AssertionError(f"the bot hit an unexpected error: {errors[-1]!r}") from errors[-1]
        self.replies = [c for c in self.session.calls[start:] if c.name in SENDING]
        return self.replies

    def _message(self, **fields: Any) -> Message:
        return Message(
            message_id=next(_message_ids),
            date=utcnow(),
            chat=self.chat,
            from_user=self.user,
            **fields,
        )

    async def send(self, text: str, **fields: Any) -> list[Call]:
        entities = None
        if text.startswith("/"):
            from aiogram.types import MessageEntity

            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        return await self._feed(
            Update(update_id=next(_update_ids), message=self._message(text=text, entities=entities, **fields))
        )

    def last_prompt(self) -> Message:
        """The newest bot message in this chat that asks for a reply (ForceReply)."""
        from aiogram.types import ForceReply

        for call in reversed(self.session.calls):
            method = call.method
            if (
                call.name == "SendMessage"
                and getattr(method, "chat_id", None) == self.chat_id
                and isinstance(getattr(method, "reply_markup", None), ForceReply)
                and isinstance(call.result, Message)
            ):
                return call.result
        raise AssertionError("the bot asked for no reply here")

    async def reply(self, text: str, to: Message | None = None) -> list[Call]:
        """Send ``text`` as a Telegram reply to ``to`` (by default the bot's newest ForceReply prompt)."""
        return await self.send(text, reply_to_message=to or self.last_prompt())

    async def send_message(self, **fields: Any) -> list[Call]:
        return await self._feed(Update(update_id=next(_update_ids), message=self._message(**fields)))

    async def send_sticker(self, **fields: Any) -> list[Call]:
        return await self.send_message(sticker=STICKER, **fields)

    async def send_photo(self, caption: str | None = None) -> list[Call]:
        photo = [PhotoSize(file_id=f"ph{next(_message_ids)}", file_unique_id="ph", width=100, height=100)]
        return await self.send_message(photo=photo, caption=caption)

    async def send_document(self, file_name: str = "doc.pdf", caption: str | None = None) -> list[Call]:
        from aiogram.types import Document

        document = Document(file_id=f"doc{next(_message_ids)}", file_unique_id="d", file_name=file_name)
        return await self.send_message(document=document, caption=caption)

    async def send_contact(self, phone: str, user_id: int | None = None) -> list[Call]:
        contact = Contact(
            phone_number=phone,
            first_name=self.user.first_name,
            user_id=self.user.id if user_id is None else user_id,
        )
        return await self.send_message(contact=contact)

    # --- buttons -------------------------------------------------------------------------------

    def find_button(self, label: str, exact: bool = False) -> tuple[Message, InlineKeyboardButton]:
        """The newest message in this chat with an inline button whose text is (or contains) ``label``."""
        for message in reversed(list(self.session.messages.get(self.chat_id, {}).values())):
            if message.reply_markup is None:
                continue
            for row in message.reply_markup.inline_keyboard:
                for button in row:
                    if button.text == label or (not exact and label in button.text):
                        return message, button
        raise AssertionError(f"no button {label!r} in chat {self.chat_id}; last texts: {self.texts()[-3:]}")

    def buttons(self) -> list[str]:
        """Labels of the newest message with an inline keyboard."""
        for message in reversed(list(self.session.messages.get(self.chat_id, {}).values())):
            if message.reply_markup is not None:
                return [b.text for row in message.reply_markup.inline_keyboard for b in row]
        return []

    async def press(self, label: str, exact: bool = False) -> list[Call]:
        message, button = self.find_button(label, exact)
        return await self.press_data(button.callback_data or "", message)

    async def walk(self, *answers: str | Press) -> None:
        """Answer a dialog's steps in turn: a ``Press`` presses its button, a string is sent as text."""
        for answer in answers:
            if isinstance(answer, Press):
                await self.press(answer.label, exact=answer.exact)
            else:
                await self.send(answer)

    async def press_data(self, data: str, message: Message | None = None) -> list[Call]:
        if message is None:
            message = self._message(text="(old message)")
        query = CallbackQuery(
            id=str(next(_update_ids)), from_user=self.user, chat_instance="ci", data=data, message=message
        )
        return await self._feed(Update(update_id=next(_update_ids), callback_query=query))

    # --- reading -------------------------------------------------------------------------------

    async def state_data(self) -> dict[str, Any]:
        key = StorageKey(bot_id=self.bot.id, chat_id=self.chat_id, user_id=self.user.id)
        return await self.dp.storage.get_data(key)

    async def step(self) -> str | None:
        """Where the person is: ``"<form>:<step>"`` in a form-engine dialog (``"reg:phone"``), the raw
        FSM state in any other, None outside every dialog."""
        key = StorageKey(bot_id=self.bot.id, chat_id=self.chat_id, user_id=self.user.id)
        state = await self.dp.storage.get_state(key)
        if state is None or not state.startswith("form:"):
            return state
        data = await self.dp.storage.get_data(key)
        return f"{state.removeprefix('form:')}:{data.get('step')}"

    async def draft(self) -> dict[str, Any]:
        """The answers a form-engine dialog holds so far."""
        return dict((await self.state_data()).get("draft") or {})

    def texts(self, calls: list[Call] | None = None) -> list[str]:
        calls = self.replies if calls is None else calls
        out = []
        for call in calls:
            text = getattr(call.method, "text", None) or getattr(call.method, "caption", None)
            if text:
                out.append(text)
        return out

    @property
    def last_text(self) -> str:
        texts = self.texts()
        return texts[-1] if texts else ""

    def all_text(self) -> str:
        return "\n".join(self.texts())

    def alerts(self) -> list[str]:
        return [
            c.method.text or "" for c in self.replies if c.name == "AnswerCallbackQuery" and c.method.text
        ]

    def sent(self, name: str) -> list[Call]:
        return [c for c in self.replies if c.name == name]
