"""Per-update middlewares: flood throttling, a database session, the current person, the language."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n import gettext as _

from bot.consent import ConsentGate
from bot.desk import Desk
from bot.propagation import FastPropagation, candidates, changes, press_key
from db import messenger
from db.cache import MISSING
from db.engine import Database
from db.repositories import users as users_repo
from handlers.messengers import messenger_of

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class MessengerMiddleware(BaseMiddleware):
    """The first of all: the update's messenger (``data["messenger"]`` and db.messenger.current()), so
    the person, their conversation state and their throttling are keyed by (messenger, id)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        name = messenger_of(data["bot"])
        data["messenger"] = name
        with messenger.using(name):
            return await handler(event, data)


class ThrottlingMiddleware(BaseMiddleware):
    """At most ``rate`` updates a second per person; the excess is dropped after one polite notice."""

    def __init__(self, i18n: I18n, rate: int, window: float = 1.0, max_tracked: int = 50_000) -> None:
        self.i18n = i18n
        self.rate = rate
        self.window = window
        self.max_tracked = max_tracked
        self._hits: dict[tuple[str, int], list[float]] = {}
        self._warned: dict[tuple[str, int], float] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or self.rate <= 0:
            return await handler(event, data)
        now = time.monotonic()
        key = (messenger.current(), user.id)
        hits = [t for t in self._hits.get(key, ()) if now - t < self.window]
        if len(hits) >= self.rate:
            self._hits[key] = hits
            if now - self._warned.get(key, -1e9) > self.window * 5:
                self._warned[key] = now
                await self._notify(event, data)
            return None
        hits.append(now)
        self._hits[key] = hits
        if len(self._hits) > self.max_tracked:
            self._forget(now)
        return await handler(event, data)

    def _forget(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] > self.window]:
            self._hits.pop(key, None)
            self._warned.pop(key, None)

    async def _notify(self, event: TelegramObject, data: dict[str, Any]) -> None:
        bot: Bot = data["bot"]
        chat = data.get("event_chat")
        user: User = data["event_from_user"]
        locale = "en" if (user.language_code or "").startswith("en") else self.i18n.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = _("throttle.slow_down")
        if isinstance(event, Update) and event.callback_query is not None:
            await event.callback_query.answer(text)
        elif chat is not None and chat.type == "private":
            await bot.send_message(chat.id, text)


class DbSessionMiddleware(BaseMiddleware):
    """One AsyncSession per update (reads; services open short write transactions on it), and the desk
    that carries it with the bot, settings and translations (bot.desk)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.db.session() as session:
            data["session"] = session
            data["db"] = self.db
            data["desk"] = Desk(data["bot"], session, data["settings"], data["i18n"])
            return await handler(event, data)


class CurrentUserMiddleware(BaseMiddleware):
    """Loads the person (``data["user"]``, None before consent). Never writes.

    With a ``cache`` (SQLite: one process owns the database) the person is read from the database once
    and then served from memory until this process writes the ``users`` table (see db.cache), so an
    update that needs nothing else from the database never opens a connection."""

    def __init__(self, cache: users_repo.PersonCache | None = None) -> None:
        self.cache = cache

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: User | None = data.get("event_from_user")
        data["user"] = (
            await users_repo.current(data["session"], tg_user.id, self.cache)
            if tg_user is not None and not tg_user.is_bot
            else None
        )
        return await handler(event, data)


class AnonymousStateMiddleware(BaseMiddleware):
    """Nothing is stored about a person before consent (152-ФЗ): while ``user`` is None, the
    conversation state a handler keeps while they look around (a page, a chosen district, a search)
    lives in this process's memory only, never in the database or Redis, and is forgotten at a
    restart. The real state stays in ``data["persistent_state"]`` for the consent button, which starts
    the registration there."""

    def __init__(self, max_people: int = 10_000) -> None:
        self.memory = MemoryStorage()
        self.max_people = max_people

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        chat = data.get("event_chat")
        if data.get("user") is not None or state is None or chat is None or chat.type != "private":
            return await handler(event, data)
        if len(self.memory.storage) > self.max_people:
            self.memory.storage.clear()  # a bounded scratchpad: browsing state is cheap to lose
        data["persistent_state"] = state
        data["state"] = FSMContext(storage=self.memory, key=state.key)
        data["raw_state"] = await self.memory.get_state(state.key)
        return await handler(event, data)


class LocaleMiddleware(I18nMiddleware):
    """The person's chosen language, else their Telegram language if we have it, else Russian."""

    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n=i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        if user is not None and user.language in self.i18n.available_locales:
            return user.language
        tg_user: User | None = data.get("event_from_user")
        code = (tg_user.language_code or "").split("-")[0] if tg_user else ""
        if code == "en":
            return "en"
        return self.i18n.default_locale


class SanitizeMiddleware(BaseMiddleware):
    """Text with NUL characters cannot be stored (PostgreSQL refuses it) and is never meant: drop them
    from message texts and captions before anything else sees the update."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update) and event.message is not None:
            message = event.message
            changes = {
                field: value.replace("\x00", "")
                for field in ("text", "caption")
                if isinstance(value := getattr(message, field), str) and "\x00" in value
            }
            if changes:
                event = event.model_copy(update={"message": message.model_copy(update=changes)})
        return await handler(event, data)


class StaleButtonMiddleware(BaseMiddleware):
    """A press that no router can take (no handler's filter admits its data's prefix, see
    bot.propagation) is answered here, as the fallback router's stale-button handler answers it: the
    same alert in the person's language, after the same consent gate. It is decided from memory only:
    the cached person (their language and status) and their cached last consent, so such a press opens
    no database session, loads nobody and walks no router. Whatever cannot be decided from memory (no
    person cache: PostgreSQL; the person or their consent not cached; another middleware or handler in
    the way) goes the usual way. Placed after the throttling, as the fallback is reached after it."""

    def __init__(self, cache: users_repo.PersonCache | None) -> None:
        self.cache = cache
        self.dp: Dispatcher | None = None
        self.fallback: Router | None = None
        self.answer: Callable[[CallbackQuery], Awaitable[Any]] | None = None
        self.locale: LocaleMiddleware | None = None
        self.gate: ConsentGate | None = None
        self._stale: dict[str, tuple[tuple[int, ...], bool]] = {}

    def attach(
        self,
        dp: Dispatcher,
        fallback: Router,
        answer: Callable[[CallbackQuery], Awaitable[Any]],
        locale: LocaleMiddleware,
        gate: ConsentGate,
    ) -> None:
        """The tree it stands in for: ``answer`` is the handler of ``fallback`` that takes any press."""
        self.dp, self.fallback, self.answer, self.locale, self.gate = dp, fallback, answer, locale, gate

    def nothing_around(self) -> bool:
        """No filter or middleware on the way to the fallback but the locale and the consent gate."""
        dp, fallback = self.dp, self.fallback
        if dp is None or fallback is None:
            return False
        observer, last = dp.callback_query, fallback.callback_query
        return not (
            observer._handler.filters
            or observer.middleware
            or list(observer.outer_middleware) != [self.locale, self.gate]
            or last._handler.filters
            or last.middleware
            or last.outer_middleware
        )

    def reaches_fallback(self, key: str) -> bool:
        """True when a press with this key passes every router and is taken by ``answer`` (the
        routers' part only, see :meth:`nothing_around`)."""
        dp, fallback = self.dp, self.fallback
        if dp is None or fallback is None or candidates(dp.callback_query, key):
            return False
        for router in dp.sub_routers:
            if router is fallback:
                handlers = candidates(fallback.callback_query, key)
                return bool(handlers) and handlers[0].callback is self.answer and not handlers[0].filters
            if not (isinstance(router, FastPropagation) and router.takes_no(key)):
                return False
        return False

    def _is_stale(self, key: str) -> bool:
        if not self.nothing_around():
            return False
        assert self.dp is not None
        tree = (changes(), *map(id, self.dp.sub_routers))  # a change, or routers moved in the list
        known = self._stale.get(key)
        if known is not None and known[0] == tree:
            return known[1]
        stale = self.reaches_fallback(key)
        if len(self._stale) < 1000:  # keys come from people's data: keep a bounded few
            self._stale[key] = (tree, stale)
        return stale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        tg_user: User | None = data.get("event_from_user")
        if (
            query is None
            or self.cache is None
            or tg_user is None
            or tg_user.is_bot
            or self.answer is None
            or self.locale is None
            or self.gate is None
            or not self._is_stale(press_key(query))
        ):
            return await handler(event, data)
        person = self.cache.get((messenger.current(), tg_user.id))
        if person is MISSING or self.gate.asks_from_memory(person, query) is not False:
            return await handler(event, data)
        i18n = self.locale.i18n
        locale = await self.locale.get_locale(query, {"user": person, "event_from_user": tg_user})
        with i18n.context(), i18n.use_locale(locale or i18n.default_locale):
            return await self.answer(query)
