"""Webhook mode: the secret token is checked, updates reach the dispatcher, /health answers."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import create_app


def start_update(user_id: int) -> dict[str, Any]:
    return {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": "/start",
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ира", "language_code": "ru"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_checks_secret_and_handles_updates(
    dp: Any, bot: Any, db: Any, fake_session: Any
) -> None:
    app = create_app(dp, bot, db, path="/hook", secret="s3cret", in_background=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        refused = await http.post("/hook", json=start_update(31))
        assert refused.status == 401
        assert not fake_session.calls_of("SendMessage")
        accepted = await http.post(
            "/hook", json=start_update(31), headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
        assert accepted.status == 200
        texts = [c.method.text for c in fake_session.calls_of("SendMessage", chat_id=31)]
        assert any("152-ФЗ" in t for t in texts)
        health = await http.get("/health")
        assert health.status == 200 and (await health.json())["status"] == "ok"
