"""`python -m bot`: settings -> migrations -> engine -> bot -> dispatcher -> scheduler -> long polling."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.utils.token import TokenValidationError, validate_token
from pydantic import ValidationError

from bot.commands import set_max_commands, set_up_bot
from bot.config import Settings
from bot.factory import create_bot, create_dispatcher, freeze_startup_objects
from bot.logs import configure_logging
from bot.scheduler import build_scheduler
from db import migrate
from db.engine import Database
from db.messenger import MAX, TELEGRAM

log = logging.getLogger("bot")


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise SystemExit(f"Invalid settings: {errors}. See .env.example.") from None
    if not settings.token:
        raise SystemExit(
            "BOT_TOKEN is not set. Get a token from @BotFather and put BOT_TOKEN=... into .env "
            "(see .env.example) or the environment."
        )
    try:
        validate_token(settings.token)
    except TokenValidationError:
        raise SystemExit(
            "BOT_TOKEN looks malformed: it should look like 123456789:AA... as @BotFather gives it."
        ) from None
    return settings


async def run(settings: Settings) -> None:
    db = Database(settings.database_url)
    bot = create_bot(settings)
    bots: dict[str, Bot] = {TELEGRAM: bot}
    if settings.max_token:  # the same process serves MAX too: one Dispatcher, two Bots (bot/max.py)
        try:
            from bot.max import start_max_bot
        except ImportError:
            raise SystemExit(
                "MAX_BOT_TOKEN is set, but the MAX messenger needs Python 3.12+ with aiogram-max: run"
                " PYTHON=/path/to/python3.12 ./scripts/setup.sh, or remove MAX_BOT_TOKEN to serve Telegram only."
            ) from None

        bots[MAX] = await start_max_bot(settings, telegram=bot)
    dp = create_dispatcher(settings, db, bots=bots)
    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)

    async def on_startup(bot: Bot, dispatcher: Dispatcher) -> None:
        await set_up_bot(bot, dispatcher["i18n"], settings.admin_chat_id)
        if MAX in bots:
            await set_max_commands(bots[MAX], dispatcher["i18n"])
        scheduler.start()
        freeze_startup_objects()
        log.info("bot started")

    async def on_shutdown() -> None:
        # Polling: aiogram stops fetching and then closes the Bot session without waiting for the
        # updates it is still handling (their offsets are already confirmed to Telegram, so a lost
        # one is not sent again). Let them finish first, as the webhook server does.
        await finish_in_flight(getattr(dp, "_handle_update_tasks", set()), settings.shutdown_grace_seconds)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        log.info("bot stopped")

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    try:
        if settings.webhook_url:
            if MAX in bots:
                log.warning("MAX is served in polling mode only: MAX_BOT_TOKEN is ignored in webhook mode")
            await run_webhook(settings, dp, bot, db)
        else:
            await dp.start_polling(  # the Telegram Bot last: startup hooks get the last one as ``bot``
                *[b for name, b in bots.items() if name != TELEGRAM],
                bot,
                tasks_concurrency_limit=settings.tasks_concurrency_limit,
                allowed_updates=dp.resolve_used_update_types(),
            )
    finally:
        await dp.storage.close()
        for each in bots.values():
            await each.session.close()
        await db.dispose()


async def finish_in_flight(tasks: set[asyncio.Task[Any]], grace: float) -> None:
    pending = {task for task in tasks if not task.done() and task is not asyncio.current_task()}
    if not pending:
        return
    log.info("finishing %d update(s) in flight", len(pending))
    _done, late = await asyncio.wait(pending, timeout=grace)
    for task in late:
        task.cancel()
    if late:
        log.warning("%d update(s) still running after %.0f s: cancelled", len(late), grace)


async def run_webhook(settings: Settings, dp: Dispatcher, bot: Bot, db: Database) -> None:
    from aiohttp import web

    from bot.webhook import create_app, serve

    assert settings.webhook_secret is not None  # Settings refuses webhook mode without one
    secret = settings.webhook_secret.get_secret_value()
    app = create_app(
        dp, bot, db, path=settings.webhook_path, secret=secret, grace_seconds=settings.shutdown_grace_seconds
    )

    async def set_webhook(_app: web.Application) -> None:
        assert settings.webhook_url
        await bot.set_webhook(
            settings.webhook_url.rstrip("/") + settings.webhook_path,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
        )

    app.on_startup.append(set_webhook)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, settings.webhook_host, settings.webhook_port, stop)


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        migrate.upgrade(settings.database_url)
    except migrate.SchemaTooOld as too_old:
        raise SystemExit(str(too_old)) from None
    asyncio.run(run(settings))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
