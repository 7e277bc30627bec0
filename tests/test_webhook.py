"""Webhook mode: the secret token is checked, updates reach the dispatcher, /health answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.factory import create_bot, create_dispatcher
from bot.webhook import create_app
from db.engine import Database
from tests.conftest import REDIS_URL, STAFF_ID, make_settings
from tests.fakes import FakeSession

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
        assert any("Что хотите посмотреть" in t for t in texts)
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


# --- /health ------------------------------------------------------------------------------------


async def get_health(dispatcher: Any, bot: Any, db: Any) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of /health on the webhook app."""
    app = create_app(dispatcher, bot, db, path="/hook", secret=SECRET)
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        answer = await http.get("/health")
        return answer.status, await answer.json()


async def test_health_reports_database_and_redis(dp: Any, bot: Any, db: Any) -> None:
    status, body = await get_health(dp, bot, db)
    assert status == 200, body
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == ("ok" if REDIS_URL else "off")


async def test_health_is_503_when_the_database_fails(dp: Any, bot: Any) -> None:
    down = Database("postgresql+asyncpg://ccbot:secret-pw@127.0.0.1:9/ccbot")  # nothing listens on 9
    try:
        status, body = await get_health(dp, bot, down)
    finally:
        await down.dispose()
    assert status == 503
    assert body["status"] == "error" and body["database"].startswith("error: "), body
    assert "secret-pw" not in str(body)  # no details for whoever can reach /health


async def test_health_is_503_when_redis_does_not_answer(db: Any, bot: Any, database_url: str) -> None:
    settings = make_settings(database_url, redis_url="redis://127.0.0.1:9/0")  # nothing listens on 9
    dispatcher = create_dispatcher(settings, db, error_sink=[])
    try:
        status, body = await get_health(dispatcher, bot, db)
    finally:
        await dispatcher.storage.close()
    assert status == 503
    assert body["database"] == "ok" and body["redis"].startswith("error")


# --- a clean stop -------------------------------------------------------------------------------


class SlowSession(FakeSession):
    """Every sendMessage takes ``delay`` seconds; records whether the session was closed meanwhile."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.started = asyncio.Event()
        self.sent_after_close = 0

    async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:
        if type(method).__name__ == "SendMessage":
            self.started.set()
            await asyncio.sleep(self.delay)
            if self.closed:
                self.sent_after_close += 1
        return await super().make_request(bot, method, timeout)


async def test_shutdown_finishes_the_updates_in_flight(dp: Any, db: Any, settings: Any) -> None:
    session = SlowSession(delay=0.5)
    slow_bot = create_bot(settings, session=session)
    app = create_app(dp, slow_bot, db, path="/hook", secret=SECRET, grace_seconds=10)
    server = TestServer(app, host="127.0.0.1")
    async with TestClient(server) as http:
        accepted = await http.post(
            "/hook", json=start_update(41), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert accepted.status == 200  # answered at once; the update runs in the background
        await asyncio.wait_for(session.started.wait(), 10)
        assert not session.calls_of("SendMessage", chat_id=41)
    # Leaving the client stopped the server: it waited for the update before closing the session.
    texts = [c.method.text for c in session.calls_of("SendMessage", chat_id=41)]
    assert any("Что хотите посмотреть" in t for t in texts), texts
    assert session.sent_after_close == 0 and session.closed


async def test_an_update_longer_than_the_grace_is_cancelled(dp: Any, db: Any, settings: Any) -> None:
    session = SlowSession(delay=30)
    slow_bot = create_bot(settings, session=session)
    app = create_app(dp, slow_bot, db, path="/hook", secret=SECRET, grace_seconds=0.3)
    started = asyncio.get_running_loop().time()
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        await http.post("/hook", json=start_update(42), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        await asyncio.wait_for(session.started.wait(), 10)
    assert asyncio.get_running_loop().time() - started < 10
    assert not session.calls_of("SendMessage", chat_id=42)
