"""A local fake Bot API server that answers like Telegram, for the broadcast benchmark.

It speaks the real HTTP API (``POST /bot<token>/<method>``, JSON answers with ``ok``/``error_code``/
``description``/``parameters.retry_after``), so the bot talks to it through aiogram's own AiohttpSession
(set ``TELEGRAM_API_URL=http://127.0.0.1:<port>`` to point a running bot at it). Behaviour:

* a share of the chats have blocked the bot: 403 "Forbidden: bot was blocked by the user";
* occasional 429 "Too Many Requests: retry after N" at random;
* Telegram's limits enforced: more than 30 messages in any second overall, or a second message to one
  chat within a second, gets a 429 too (counted separately: a well-paced sender never sees them);
* a small random latency per request.

It counts every successful copy per chat, so duplicates and missing recipients can be checked.

Run alone: ``.venv/bin/python bench/fake_telegram.py --port 8081 --blocked 0.05 --p429 0.002``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SENDING = {"copyMessage", "sendMessage", "sendPhoto", "sendDocument", "forwardMessage"}
BOT = {"id": 123456789, "is_bot": True, "first_name": "Центр", "username": "cc_fake_bot"}


@dataclass
class FakeTelegram:
    blocked_share: float = 0.05
    p429: float = 0.002
    retry_after: int = 1
    latency: tuple[float, float] = (0.02, 0.08)
    global_limit: int = 30
    seed: int = 7
    delivered: Counter[int] = field(default_factory=Counter)
    first_delivery: dict[int, float] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    limit_violations: int = 0
    chat_violations: int = 0
    _window: deque[float] = field(default_factory=deque)
    _last_per_chat: dict[int, float] = field(default_factory=dict)
    _message_id: int = 1000
    answer_times: list[float] = field(default_factory=list)
    """When each copy was answered (delivered or blocked)."""

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self._progress = asyncio.Condition()

    async def reached(self, answered: int) -> None:
        """Wait until ``answered`` sends were delivered or refused as blocked."""
        async with self._progress:
            await self._progress.wait_for(
                lambda: sum(self.delivered.values()) + self.answers.get("copyMessage:403", 0) >= answered
            )

    def is_blocked(self, chat_id: int) -> bool:
        return chat_id > 0 and (chat_id * 2654435761 % 1000) < self.blocked_share * 1000

    # --- HTTP -------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        app.router.add_get("/stats", self.stats_view)
        return app

    async def stats_view(self, request: web.Request) -> web.Response:
        full = self.stats()
        full["delivered"] = {str(chat): n for chat, n in self.delivered.items()}
        full["answer_times"] = self.answer_times
        return web.json_response(full)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            data: dict[str, Any] = await request.json()
        else:
            data = dict(await request.post()) if request.can_read_body else {}
        self.requests[method] += 1
        low, high = self.latency
        await asyncio.sleep(self.random.uniform(low, high))
        status, body = self.answer(method, data)
        self.answers[f"{method}:{status}"] += 1
        async with self._progress:
            self._progress.notify_all()
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    # --- answers ----------------------------------------------------------------------------------

    def _error(self, code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return code, body

    def _too_many(self) -> tuple[int, dict[str, Any]]:
        return self._error(
            429, f"Too Many Requests: retry after {self.retry_after}", retry_after=self.retry_after
        )

    def _message(self, chat_id: int, text: str | None = None) -> dict[str, Any]:
        self._message_id += 1
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "chat"}
        return {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT,
            "text": text or "",
        }

    def answer(self, method: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method not in SENDING and method not in {"editMessageText"}:
            return 200, {"ok": True, "result": True}
        chat_id = int(data.get("chat_id", 0))
        now = time.monotonic()
        if method in SENDING:
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.global_limit:
                self.limit_violations += 1
                return self._too_many()
            last = self._last_per_chat.get(chat_id)
            if chat_id > 0 and last is not None and now - last < 1.0:
                self.chat_violations += 1
                return self._too_many()
            if self.random.random() < self.p429:
                return self._too_many()
            self._window.append(now)
            self._last_per_chat[chat_id] = now
            if method == "copyMessage":
                self.answer_times.append(now)
            if self.is_blocked(chat_id):
                return self._error(403, "Forbidden: bot was blocked by the user")
        if method == "copyMessage":
            self.delivered[chat_id] += 1
            self.first_delivery.setdefault(chat_id, now)
            self._message_id += 1
            return 200, {"ok": True, "result": {"message_id": self._message_id}}
        return 200, {"ok": True, "result": self._message(chat_id, data.get("text"))}

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "answers": dict(self.answers),
            "delivered_chats": len(self.delivered),
            "delivered_messages": sum(self.delivered.values()),
            "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
            "limit_violations": self.limit_violations,
            "chat_violations": self.chat_violations,
        }


def random_429s(stats: dict[str, Any], method: str) -> int:
    """The 429s answered to ``method`` at random (Telegram's own pauses, which a sender must obey), not
    those for going over the 30/s or the per-chat limit (the sender's fault), from ``FakeTelegram.stats``."""
    return stats["answers"].get(f"{method}:429", 0) - stats["limit_violations"] - stats["chat_violations"]


async def serve(fake: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Start the server; returns the runner (``await runner.cleanup()`` to stop) and its base URL."""
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets  # type: ignore[union-attr]
    real_port = sockets[0].getsockname()[1]
    return runner, f"http://{host}:{real_port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--blocked", type=float, default=0.05)
    parser.add_argument("--p429", type=float, default=0.002)
    parser.add_argument("--retry-after", type=int, default=1)
    args = parser.parse_args()
    fake = FakeTelegram(blocked_share=args.blocked, p429=args.p429, retry_after=args.retry_after)
    web.run_app(fake.app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
