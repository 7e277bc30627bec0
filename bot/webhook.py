"""Webhook mode: an aiohttp app for running several bot processes behind a load balancer.

Telegram's updates arrive at WEBHOOK_PATH with the secret token checked; GET /health answers 200 when
the database answers. Polling (the default) needs none of this.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy import text

from db.engine import Database

MIN_SECRET_LENGTH = 32
SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]+")  # what Telegram allows in a secret token


class SecretRequestHandler(SimpleRequestHandler):
    """Accepts an update only with the secret token, compared in constant time (as bytes, so a header
    with odd characters is a refusal, not an error). There is no mode without a secret."""

    def __init__(self, *args: Any, secret_token: str, **kwargs: Any) -> None:
        if len(secret_token or "") < MIN_SECRET_LENGTH or not SECRET_CHARS.fullmatch(secret_token):
            raise ValueError(
                f"the webhook secret must be at least {MIN_SECRET_LENGTH} characters of A-Z a-z 0-9 _ -"
            )
        super().__init__(*args, secret_token=secret_token, **kwargs)
        self._secret = secret_token.encode()

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return hmac.compare_digest(telegram_secret_token.encode("utf-8", "replace"), self._secret)


def create_app(
    dp: Dispatcher, bot: Bot, db: Database, *, path: str, secret: str, in_background: bool = True
) -> web.Application:
    app = web.Application()
    SecretRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=in_background
    ).register(app, path=path)

    async def health(_request: web.Request) -> web.Response:
        try:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # the balancer only needs to know it is unhealthy
            return web.json_response({"status": "error", "error": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    setup_application(app, dp, bot=bot)
    return app
