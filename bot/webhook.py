"""Webhook mode: an aiohttp app for running several bot processes behind a load balancer.

Telegram's updates arrive at WEBHOOK_PATH with the secret token checked; each is answered at once and
handled in a background task. GET /health reports the database and Redis (200 when every one answers,
503 otherwise or while stopping). On SIGTERM :func:`serve` stops listening, lets the updates in flight
finish (up to SHUTDOWN_GRACE_SECONDS), and only then closes the Bot session and stops the scheduler.
Polling (the default) needs none of this.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy import text

from db.engine import Database

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0  # seconds a health probe waits for the database or Redis
# Mutable on purpose: aiohttp deprecates setting an app's keys once it has started.
STOPPING: web.AppKey[asyncio.Event] = web.AppKey("stopping", asyncio.Event)

MIN_SECRET_LENGTH = 32
SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]+")  # what Telegram allows in a secret token


class SecretRequestHandler(SimpleRequestHandler):
    """Accepts an update only with the secret token, compared in constant time (as bytes, so a header
    with odd characters is a refusal, not an error). There is no mode without a secret."""

    def __init__(self, *args: Any, secret_token: str, grace_seconds: float = 20.0, **kwargs: Any) -> None:
        if len(secret_token or "") < MIN_SECRET_LENGTH or not SECRET_CHARS.fullmatch(secret_token):
            raise ValueError(
                f"the webhook secret must be at least {MIN_SECRET_LENGTH} characters of A-Z a-z 0-9 _ -"
            )
        super().__init__(*args, secret_token=secret_token, **kwargs)
        self._secret = secret_token.encode()
        self.grace_seconds = grace_seconds

    @property
    def in_flight(self) -> int:
        return len(self._background_feed_update_tasks)

    async def drain(self) -> None:
        """Wait for the updates being handled (at most grace_seconds); cancel what is left after it."""
        tasks = set(self._background_feed_update_tasks)
        if not tasks:
            return
        log.info("finishing %d update(s) in flight", len(tasks))
        _done, pending = await asyncio.wait(tasks, timeout=self.grace_seconds)
        if pending:
            log.warning(
                "%d update(s) still running after %.0f s: cancelled", len(pending), self.grace_seconds
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        # aiohttp calls this on shutdown, before the dispatcher's shutdown: the updates in flight
        # still have the Bot session (and the scheduler) while they finish.
        await self.drain()
        await super().close()

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return hmac.compare_digest(telegram_secret_token.encode("utf-8", "replace"), self._secret)


async def _probe(check: Any) -> str:
    """ "ok", or the name of what went wrong (no details: /health may be seen by the balancer only,
    but a message could carry a host name or a password in a URL)."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await check()
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def create_app(
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    *,
    path: str,
    secret: str,
    in_background: bool = True,
    grace_seconds: float = 20.0,
) -> web.Application:
    app = web.Application()
    app[STOPPING] = asyncio.Event()
    handler = SecretRequestHandler(
        dispatcher=dp,
        bot=bot,
        secret_token=secret,
        handle_in_background=in_background,
        grace_seconds=grace_seconds,
    )
    handler.register(app, path=path)
    redis = getattr(dp.storage, "redis", None)  # RedisStorage when REDIS_URL is set

    async def check_database() -> None:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))

    async def check_redis() -> None:
        assert redis is not None
        await redis.ping()

    async def health(_request: web.Request) -> web.Response:
        checks = {"database": await _probe(check_database)}
        checks["redis"] = await _probe(check_redis) if redis is not None else "off"
        healthy = all(value in {"ok", "off"} for value in checks.values())
        status = "stopping" if app[STOPPING].is_set() else "ok" if healthy else "error"
        body = {"status": status, **checks, "in_flight": handler.in_flight}
        return web.json_response(body, status=200 if status == "ok" else 503)

    app.router.add_get("/health", health)
    setup_application(app, dp, bot=bot)
    return app


async def serve(app: web.Application, host: str, port: int, stop: asyncio.Event) -> None:
    """Run ``app`` on host:port until ``stop`` is set, then shut down cleanly: stop listening (the
    proxy sends new updates to another instance, or Telegram retries them), finish the updates in
    flight, close the Bot session, stop the scheduler (the dispatcher's shutdown)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("webhook listening on %s:%s", host, port)
    try:
        await stop.wait()
    finally:
        app[STOPPING].set()
        log.info("stopping: no new updates, finishing the ones in flight")
        await runner.cleanup()
