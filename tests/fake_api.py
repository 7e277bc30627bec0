"""A small fake Telegram Bot API server on 127.0.0.1, for tests that run the real `python -m bot`.

Point the bot at it with TELEGRAM_API_URL=http://127.0.0.1:<port>. It serves getUpdates from a queue
the test fills, records every call, and answers the sending methods with plausible messages.
Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_server import LoopbackServer

BOT = {"id": 123456789, "is_bot": True, "first_name": "Центр", "username": "cc_test_bot"}


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None

    def message(self) -> dict[str, Any] | None:
        """The message this call sent or edited (a press on its buttons comes from it)."""
        found = self.result if isinstance(self.result, dict) else {}
        return found if "message_id" in found and "chat" in found else None  # copyMessage: an id only

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


class FakeTelegram(LoopbackServer[ApiCall]):
    route = "/bot{token}/{method}"

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.delays: dict[str, float] = {}  # method -> seconds each answer waits (after recording)
        self.names: dict[int, tuple[str, str]] = {}  # user id -> (first, last) name, «Иван Петров» if unset

    # --- control from the test -----------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()

    def user(
        self, user_id: int, first_name: str | None = None, last_name: str | None = None
    ) -> dict[str, Any]:
        first, last = self.names.get(user_id, ("Иван", "Петров"))
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or first,
            "last_name": last_name or last,
            "language_code": "ru",
        }

    @staticmethod
    def chat(chat_id: int) -> dict[str, Any]:
        """A private chat for a person's id, the staff supergroup for a negative one."""
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Иван"}
        return {"id": chat_id, "type": "supergroup", "title": "Staff"}

    def push_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> None:
        """``user_id`` writes ``text`` in their private chat, or in the group ``chat_id``."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(user_id if chat_id is None else chat_id),
            "from": self.user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.push({"message": message})

    def push_callback(
        self, user_id: int, data: str, message: dict[str, Any] | None = None, *, chat_id: int | None = None
    ) -> None:
        message = message or {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(user_id if chat_id is None else chat_id),
            "from": BOT,
            "text": "…",
        }
        self.push(
            {
                "callback_query": {
                    "id": str(next(self._update_ids)),
                    "from": self.user(user_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": message,
                }
            }
        )

    def press(self, user_id: int, label: str, *, chat_id: int | None = None) -> None:
        """``user_id`` presses the newest button whose text contains ``label`` among the bot's messages
        to their private chat, or to the group ``chat_id`` (a staff member in the admin chat)."""
        chat_id = user_id if chat_id is None else chat_id
        for call in reversed(self.calls):
            if str(call.params.get("chat_id")) != str(chat_id):
                continue
            for button in call.buttons():
                if label in button.get("text", ""):
                    self.push_callback(user_id, button["callback_data"], call.message(), chat_id=chat_id)
                    return
        raise AssertionError(f"no button {label!r} sent to {chat_id}")

    def sent_to(self, chat_id: int) -> list[ApiCall]:
        return [c for c in self.calls if str(c.params.get("chat_id")) == str(chat_id)]

    def _summary(self, call: ApiCall) -> tuple[Any, ...]:
        return call.method, call.text[:40]

    async def wait_text(self, chat_id: int, fragment: str, timeout: float = 20.0) -> ApiCall:
        return await self.wait_for(
            lambda c: str(c.params.get("chat_id")) == str(chat_id) and fragment in c.text, timeout
        )

    def fail(
        self, method: str, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        """The next call of ``method`` gets this error answer (e.g. 429 with retry_after, 403)."""
        self.failures.setdefault(method, []).append(
            (status, {"description": description, "parameters": parameters or {}})
        )

    # --- the API -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/") or request.content_type.endswith(
            "x-www-form-urlencoded"
        ):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = _decode(str(value))
        elif request.can_read_body:
            params = await request.json()
        call = ApiCall(method, params, files)
        if method.lower() != "getupdates":
            self._record(call)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        queued = self.failures.get(method)
        if queued:
            status, body = queued.pop(0)
            return web.json_response({"ok": False, "error_code": status, **body}, status=status)
        result = call.result = await self._result(method.lower(), params)
        return web.json_response({"ok": True, "result": result})

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message = {  # an edit answers with the message it edited
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT,
        }
        if params.get("text"):
            message["text"] = params["text"]
        if params.get("caption"):
            message["caption"] = params["caption"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        message.update(extra)
        return message

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return BOT
        if method == "getupdates":
            offset = int(params.get("offset") or 0)
            timeout = min(float(params.get("timeout") or 0), 1.0)
            pending = [u for u in self._updates if u["update_id"] >= offset]
            if not pending and timeout:
                await self._next_update(timeout)
                pending = [u for u in self._updates if u["update_id"] >= offset]
            return pending[:100]
        if method == "getchatmember":
            return {"status": "left", "user": self.user(int(params.get("user_id", 0)))}
        if method == "getchat":  # the staff group is a plain supergroup here (not a forum)
            return {
                **self.chat(int(params.get("chat_id", 0))),
                "accent_color_id": 0,
                "max_reaction_count": 0,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        if method in {"sendmessage", "editmessagetext", "editmessagereplymarkup", "editmessagecaption"}:
            return self._message(params)
        if method == "senddocument":
            return self._message(params, document={"file_id": "doc", "file_unique_id": "doc"})
        if method == "sendphoto":
            return self._message(
                params, photo=[{"file_id": "ph", "file_unique_id": "ph", "width": 1, "height": 1}]
            )
        if method == "sendvenue":
            location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
            return self._message(
                params,
                venue={
                    "location": location,
                    "title": params.get("title", ""),
                    "address": params.get("address", ""),
                },
            )
        if method == "copymessage":
            return {"message_id": next(self._message_ids)}
        return True
