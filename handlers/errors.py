"""Unexpected errors: logged with the update id, an apology to the person, a rate-limited staff alert.

The alert carries the error's class, the handler and the update id only: ``str(exc)`` can hold SQL
parameters, Telegram ids and people's texts, so the details stay in the log."""

from __future__ import annotations

import html
import logging
import time
import traceback
from pathlib import Path
from typing import Any

from aiogram import Bot, Router
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from db.engine import Database
from handlers.workspace import error_target

log = logging.getLogger("bot.errors")


class AlertLimiter:
    """At most one alert per error signature per interval."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}

    def allow(self, signature: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(signature, -1e12) < self.interval:
            return False
        self._last[signature] = now
        if len(self._last) > 1000:
            self._last = {k: v for k, v in self._last.items() if now - v < self.interval}
        return True


ROOT = Path(__file__).resolve().parent.parent


def handler_of(exc: BaseException) -> str:
    """Where the update's handler is, as ``handlers/ideas.py:open_idea``: the outermost frame of the
    traceback in handlers/ (else the outermost one of the project outside bot/). Names of code only:
    nothing from the error's arguments, which can carry SQL parameters or Telegram ids."""
    fallback = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if ROOT not in path.parents or ".venv" in path.parts or "site-packages" in path.parts:
            continue
        where = f"{path.relative_to(ROOT).as_posix()}:{frame.name}"
        if path.relative_to(ROOT).parts[0] == "handlers":
            return where
        if fallback == "?" and path.relative_to(ROOT).parts[0] != "bot":
            fallback = where
    return fallback


def signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__}@{where}"


class ErrorReporter:
    """The person gets an apology; the admin chat an alert (at most one per kind of error a minute)."""

    def __init__(self, admin_chat_id: int | None, i18n: I18n, alert_interval: float) -> None:
        self.admin_chat_id = admin_chat_id
        self.i18n = i18n
        self.limiter = AlertLimiter(alert_interval)

    async def on_error(
        self,
        event: ErrorEvent,
        bot: Bot,
        error_sink: list[BaseException] | None = None,
        settings: Any = None,
        db: Database | None = None,
    ) -> bool:
        update = event.update
        exc = event.exception
        if error_sink is not None:  # tests collect errors here to fail loudly
            error_sink.append(exc)
        log.error("update %s failed: %r", update.update_id, exc, exc_info=exc)
        with self.i18n.context():
            try:
                await self._report(update, exc, bot, settings, db)
            except Exception:
                log.exception("could not report the error of update %s", update.update_id)
        return True

    async def _alert_target(
        self, bot: Bot, settings: Any, db: Database | None
    ) -> tuple[int | None, int | None]:
        """ERROR_CHAT_ID, else the admin chat's «errors» forum topic, else the admin chat."""
        if settings is None or db is None:
            return self.admin_chat_id, None
        try:
            return await error_target(bot, db, settings, self.i18n)
        except Exception:  # the database may be what failed: the alert still goes to the admin chat
            log.warning("could not find the errors topic", exc_info=True)
            return settings.error_chat_id or self.admin_chat_id, None

    async def _report(
        self, update: Update, exc: BaseException, bot: Bot, settings: Any = None, db: Database | None = None
    ) -> None:
        chat_id = None
        if update.message is not None:
            chat_id = update.message.chat.id
        elif update.callback_query is not None:
            chat_id = update.callback_query.from_user.id
            try:
                await update.callback_query.answer()
            except Exception:  # the query may be too old; the apology below still goes
                log.debug("could not answer callback query", exc_info=True)
        if chat_id is not None and chat_id != self.admin_chat_id:
            await bot.send_message(chat_id, _("error.unexpected"))
        if self.limiter.allow(signature(exc)):
            chat, thread = await self._alert_target(bot, settings, db)
            if chat is None:
                return
            await bot.send_message(
                chat,
                message_thread_id=thread,
                text=_("error.alert").format(
                    update_id=update.update_id,
                    error=html.escape(type(exc).__name__),
                    handler=html.escape(handler_of(exc)),
                ),
            )


def create_router(admin_chat_id: int | None, i18n: I18n, alert_interval: float = 60.0) -> Router:
    router = Router(name="errors")
    router.errors.register(ErrorReporter(admin_chat_id, i18n, alert_interval).on_error)
    return router
