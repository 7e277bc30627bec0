"""Webhook mode: the secret token is checked, updates reach the dispatcher, /health answers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import create_app
from tests.conftest import STAFF_ID, make_settings

SECRET = "s3cret-" + "x" * 32


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
    app = create_app(dp, bot, db, path="/hook", secret=SECRET, in_background=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        refused = await http.post("/hook", json=start_update(31))
        assert refused.status == 401
        assert not fake_session.calls_of("SendMessage")
        accepted = await http.post(
            "/hook", json=start_update(31), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert accepted.status == 200
        texts = [c.method.text for c in fake_session.calls_of("SendMessage", chat_id=31)]
        assert any("152-ФЗ" in t for t in texts)
        health = await http.get("/health")
        assert health.status == 200 and (await health.json())["status"] == "ok"


@pytest.mark.parametrize("secret", ["", "   ", "short-secret", "x" * 31, "has spaces" + "x" * 30])
def test_webhook_mode_refuses_to_start_without_a_long_secret(secret: str) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET of at least 32 characters"):
        make_settings(
            "sqlite+aiosqlite:///x.db", webhook_url="https://bot.example.org", webhook_secret=secret
        )
    ok = make_settings(
        "sqlite+aiosqlite:///x.db", webhook_url="https://bot.example.org", webhook_secret=SECRET
    )
    assert ok.webhook_secret is not None
    with pytest.raises(ValueError):
        create_app(None, None, None, path="/hook", secret=secret)  # type: ignore[arg-type]


async def test_forged_update_without_secret_reaches_nothing(
    dp: Any, bot: Any, db: Any, fake_session: Any
) -> None:
    """The probe: a POST «from» a staff id with no or a wrong secret (odd characters too) is refused."""
    app = create_app(dp, bot, db, path="/hook", secret=SECRET, in_background=False)
    forged = start_update(STAFF_ID)
    forged["message"]["text"] = forged["message"]["text"].replace("/start", "/admin")
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        for headers in (
            {},
            {"X-Telegram-Bot-Api-Secret-Token": ""},
            {"X-Telegram-Bot-Api-Secret-Token": "Ё" * 40},
            {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
        ):
            answer = await http.post("/hook", json=forged, headers=headers)
            assert answer.status == 401
    assert not fake_session.calls
