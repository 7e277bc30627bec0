"""A small fake MAX Bot API server on 127.0.0.1, for tests that run the real `python -m bot` with
MAX_BOT_TOKEN set (like tests/fake_api.py for Telegram).

Point the bot at it with MAX_API_URL=http://127.0.0.1:<port>. It speaks the HTTP calls aiogram-max's
MaxSession makes: ``GET /me``, ``PATCH /me`` (commands), ``GET /subscriptions``, ``GET /updates`` (marker
and long poll), ``POST /messages?user_id=|chat_id=``, ``PUT /messages?message_id=``, ``DELETE /messages``,
``POST /answers?callback_id=``, ``POST /chats/{id}/actions`` and the two-step upload (``POST /uploads``
then a multipart POST to the slot's url). A person's dialog with the bot has its own chat id (not the
person's id, as in MAX), so the bot's addressing by person is exercised. Every call is recorded; the
test pushes a person's text, a «Начать» (bot_started), a button press or a shared contact.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_server import LoopbackServer

MAX_TOKEN = "max-test-token"
MAX_BOT = {"user_id": 7000001, "first_name": "Центр", "username": "cc_max_bot", "is_bot": True}
DIALOG_OFFSET = 50_000_000
"""A person's dialog chat id is their user id plus this (MAX's dialog ids are not user ids)."""


@dataclass
class MaxCall:
    http: str
    path: str
    params: dict[str, str]
    json: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    person: int | None = None
    """The person the call sends to or edits a message of."""

    @property
    def text(self) -> str:
        return str((self.json or {}).get("text") or "")

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("attachments") or [])

    def buttons(self) -> list[dict[str, Any]]:
        return [
            button
            for attachment in self.attachments
            if attachment.get("type") == "inline_keyboard"
            for row in attachment["payload"]["buttons"]
            for button in row
        ]


class FakeMax(LoopbackServer[MaxCall]):
    def __init__(self, token: str = MAX_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.messages: dict[str, dict[str, Any]] = {}  # mid -> the message as MAX keeps it
        self._owner: dict[str, int] = {}  # mid -> the person of the dialog
        self._updates: list[dict[str, Any]] = []
        self._seq = itertools.count(1)
        self._callbacks = itertools.count(1)
        self._uploads = itertools.count(1)
        self.unauthorized = 0
        self.failures: list[tuple[int, dict[str, Any]]] = []  # the next calls' error answers
        self.names: dict[int, tuple[str, str]] = {}

    # --- what a person does -------------------------------------------------------------------

    def user(self, user_id: int) -> dict[str, Any]:
        first, last = self.names.get(user_id, ("Галина", "Петровна"))
        return {"user_id": user_id, "first_name": first, "last_name": last, "is_bot": False}

    def _push(self, update: dict[str, Any]) -> None:
        self._updates.append({"timestamp": int(time.time() * 1000), **update})
        self._new_update.set()

    def _incoming(
        self, person: int, text: str, attachments: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        seq = next(self._seq)
        return {
            "sender": self.user(person),
            "recipient": {
                "chat_id": person + DIALOG_OFFSET,
                "chat_type": "dialog",
                "user_id": MAX_BOT["user_id"],
            },
            "timestamp": int(time.time() * 1000),
            "body": {"mid": f"mid.in.{seq}", "seq": seq, "text": text, "attachments": attachments or []},
        }

    def push_text(self, person: int, text: str) -> None:
        self._push({"update_type": "message_created", "message": self._incoming(person, text)})

    def push_start(self, person: int, payload: str | None = None) -> None:
        """The person presses «Начать» (a deep link's ``?start=`` comes as ``payload``)."""
        update: dict[str, Any] = {
            "update_type": "bot_started",
            "chat_id": person + DIALOG_OFFSET,
            "user": self.user(person),
        }
        if payload:
            update["payload"] = payload
        self._push(update)

    def push_contact(self, person: int, phone: str) -> None:
        vcf = f"BEGIN:VCARD\r\nVERSION:3.0\r\nTEL;TYPE=cell:{phone}\r\nFN:Галина\r\nEND:VCARD"
        contact = {"type": "contact", "payload": {"vcf_info": vcf, "max_info": self.user(person)}}
        self._push({"update_type": "message_created", "message": self._incoming(person, "", [contact])})

    def press(self, person: int, label: str) -> None:
        """The person presses the newest button containing ``label`` under the bot's messages to them:
        a callback button sends its payload, a «message» button its text, «request_contact» a contact."""
        for call in reversed(self.calls):
            if call.person != person:
                continue
            for button in call.buttons():
                if label not in button.get("text", ""):
                    continue
                kind = button.get("type")
                if kind == "callback":
                    mid = call.params.get("message_id") or call.json.get("_mid")  # type: ignore[union-attr]
                    self._push(
                        {
                            "update_type": "message_callback",
                            "callback": {
                                "callback_id": f"cb.{next(self._callbacks)}",
                                "payload": button["payload"],
                                "user": self.user(person),
                                "timestamp": int(time.time() * 1000),
                            },
                            "message": self.messages[str(mid)],
                        }
                    )
                elif kind == "message":
                    self.push_text(person, button["text"])
                elif kind == "request_contact":
                    self.push_contact(person, "+79130001122")
                else:
                    raise AssertionError(f"button {button} cannot be pressed in the fake")
                return
        sent = [(c.http, c.text[:60], [b.get("text") for b in c.buttons()]) for c in self.sent_to(person)]
        raise AssertionError(f"no button {label!r} sent to {person} in MAX; sent: {sent}")

    # --- what the test waits for --------------------------------------------------------------

    def sent_to(self, person: int) -> list[MaxCall]:
        return [c for c in self.calls if c.person == person]

    def _summary(self, call: MaxCall) -> tuple[Any, ...]:
        return call.http, call.path, call.text[:50]

    async def wait_text(self, person: int, fragment: str, timeout: float = 20.0, since: int = 0) -> MaxCall:
        return await self.wait_for(lambda c: c.person == person and fragment in c.text, timeout, since)

    # --- the API --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        params = dict(request.query)
        if path.startswith("/upload/"):
            form = await request.post()
            files = {k: v.file.read() for k, v in form.items() if isinstance(v, web.FileField)}
            self._record(MaxCall("POST", path, params, None, files))
            return web.json_response({"token": f"file-token-{path.rsplit('/', 1)[-1]}"})
        if request.headers.get("Authorization") != self.token:
            self.unauthorized += 1
            return web.json_response({"code": "verify.token", "message": "Invalid access_token"}, status=401)
        body: dict[str, Any] | None = None
        if request.can_read_body:
            body = await request.json()
        call = MaxCall(request.method, path, params, body)
        if path == "/updates":
            return web.json_response(await self._updates_from(params))
        self._record(call)
        if self.failures:
            status, failure = self.failures.pop(0)
            return web.json_response(failure, status=status)
        return web.json_response(self._answer(call))

    def fail(self, status: int, code: str, message: str) -> None:
        """The next call (not a poll) gets this error answer, as MAX gives it."""
        self.failures.append((status, {"code": code, "message": message}))

    async def _updates_from(self, params: dict[str, str]) -> dict[str, Any]:
        marker = int(params.get("marker") or 1)  # positions count from 1; the marker is the next one
        timeout = min(float(params.get("timeout") or 0), 1.0)
        if len(self._updates) < marker and timeout:
            await self._next_update(timeout)
        batch = self._updates[marker - 1 : marker - 1 + int(params.get("limit") or 100)]
        return {"updates": batch, "marker": marker + len(batch)}

    def _answer(self, call: MaxCall) -> dict[str, Any]:
        if call.path == "/me" and call.http == "GET":
            return MAX_BOT
        if call.path == "/subscriptions" and call.http == "GET":
            return {"subscriptions": []}
        if call.path == "/messages" and call.http == "POST":
            return {"message": self._sent(call)}
        if call.path == "/messages" and call.http == "PUT":
            mid = call.params["message_id"]
            message = self.messages.get(mid)
            if message is None:
                return {"success": False, "message": "message not found"}
            call.person = self._owner.get(mid)
            body = dict(message["body"])
            if call.json is not None and "text" in call.json:
                body["text"] = call.json["text"]
            if call.json is not None and "attachments" in call.json:
                body["attachments"] = call.json["attachments"]
            message["body"] = body
            return {"success": True}
        if call.path == "/uploads":
            return {"url": f"{self.url}/upload/{next(self._uploads)}"}
        return {"success": True}

    def _sent(self, call: MaxCall) -> dict[str, Any]:
        if "user_id" in call.params:
            person: int | None = int(call.params["user_id"])
            chat_id = person + DIALOG_OFFSET  # type: ignore[operator]
            chat_type = "dialog"
        else:
            chat_id = int(call.params["chat_id"])
            person = chat_id - DIALOG_OFFSET if chat_id > DIALOG_OFFSET else None
            chat_type = "dialog" if person is not None else "chat"
        call.person = person
        seq = next(self._seq)
        mid = f"mid.out.{seq}"
        assert call.json is not None
        call.json["_mid"] = mid
        message = {
            "sender": MAX_BOT,
            "recipient": {"chat_id": chat_id, "chat_type": chat_type, "user_id": person},
            "timestamp": int(time.time() * 1000),
            "body": {
                "mid": mid,
                "seq": seq,
                "text": call.json.get("text") or "",
                "attachments": [
                    a for a in call.json.get("attachments") or [] if a.get("type") != "inline_keyboard"
                ]
                + [a for a in call.json.get("attachments") or [] if a.get("type") == "inline_keyboard"],
            },
        }
        self.messages[mid] = message
        if person is not None:
            self._owner[mid] = person
        return message
