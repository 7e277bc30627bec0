"""Webhook mode: an aiohttp app for running several bot processes behind a load balancer.

Telegram's updates arrive at WEBHOOK_PATH with the secret token checked; GET /health answers 200 when
the database answers. Polling (the default) needs none of this.
"""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy import text

from db.engine import Database


def create_app(
    dp: Dispatcher, bot: Bot, db: Database, *, path: str, secret: str | None, in_background: bool = True
) -> web.Application:
    app = web.Application()
    SimpleRequestHandler(
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
