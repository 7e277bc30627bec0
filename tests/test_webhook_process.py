"""The real `python -m bot` in webhook mode (/health, JSON logs) and in polling mode: a SIGTERM lets
the update in flight finish before the process exits."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fake_api import FakeTelegram
from tests.test_process import BotProcess
from tests.test_webhook import SECRET, start_update

pytestmark = [pytest.mark.real_clock, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_env(port: int) -> dict[str, str]:
    """The settings of a process taking Telegram's webhook on 127.0.0.1:``port`` behind bot.example.org."""
    return {
        "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }


def finished_the_update(api: FakeTelegram, chat_id: int, code: int, stderr: str) -> None:
    """The process stopped by SIGTERM while it answered /start in ``chat_id`` exited cleanly, and the
    second reply was sent after the signal: it finished the update before it exited."""
    assert code == 0, stderr
    assert any("Что хотите посмотреть" in c.text for c in api.sent_to(chat_id)), [
        c.text[:30] for c in api.sent_to(chat_id)
    ]


async def wait_healthy(base: str, timeout: float = 90) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"{base}/health") as answer:
                    if answer.status == 200:
                        return await answer.json()
            except aiohttp.ClientConnectionError:
                pass
            assert loop.time() < deadline, "the webhook server never became healthy"
            await asyncio.sleep(0.3)


async def test_webhook_process_health_json_logs_and_clean_stop(tmp_path: Path, api: FakeTelegram) -> None:
    port = free_port()
    bot = BotProcess(
        tmp_path, api, **webhook_env(port), SHUTDOWN_GRACE_SECONDS="30", LOG_LEVEL="INFO", LOG_FORMAT="json"
    )
    base = f"http://127.0.0.1:{port}"
    await bot.start()
    try:
        health = await wait_healthy(base)
        assert health == {"status": "ok", "database": "ok", "redis": "off", "in_flight": 0}
        hook = await api.wait_for(lambda c: c.method == "setWebhook")
        assert hook.params["url"] == "https://bot.example.org/telegram/webhook"
        assert hook.params["secret_token"] == SECRET

        api.delays["sendMessage"] = 1.5  # each reply takes a while: the update is in flight
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/telegram/webhook",
                json=start_update(51),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as answer:
                assert answer.status == 200
        await api.wait_text(51, "Центра местного сообщества", timeout=30)  # the first reply began
    finally:
        code, stderr = await bot.stop(signal.SIGTERM)
    finished_the_update(api, 51, code, stderr)
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    messages = [r["message"] for r in records]
    assert "finishing 1 update(s) in flight" in messages, messages
    assert "bot stopped" in messages and all(r["level"] in {"INFO", "WARNING"} for r in records)


async def test_polling_process_finishes_the_update_in_flight(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, LOG_LEVEL="INFO", SHUTDOWN_GRACE_SECONDS="30")
    await bot.start()
    try:
        api.push_text(52, "/help")
        await api.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 52, 90)
        api.delays["sendMessage"] = 1.5
        api.push_text(52, "/start")
        await api.wait_text(52, "Центра местного сообщества", timeout=30)  # the first reply began
    finally:
        code, stderr = await bot.stop(signal.SIGTERM)
    finished_the_update(api, 52, code, stderr)
    assert "finishing 1 update(s) in flight" in stderr, stderr
