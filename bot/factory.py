"""The one wiring point: settings -> bot, storage, middlewares, routers. Tests call the same functions."""

from __future__ import annotations

import gc
import logging
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot import consent, features
from bot.config import Settings
from bot.delivery import broadcasts as broadcast_sender
from bot.delivery.pace import create_pace
from bot.fastpath import inline_pure_filters
from bot.i18n import create_i18n
from bot.middlewares import (
    AnonymousStateMiddleware,
    CurrentUserMiddleware,
    DbSessionMiddleware,
    LocaleMiddleware,
    MessengerMiddleware,
    SanitizeMiddleware,
    StaleButtonMiddleware,
    ThrottlingMiddleware,
)
from bot.propagation import speed_up
from bot.storage import MessengerKeyBuilder, SQLStorage
from bot.text_limits import TextLimitMiddleware
from db import clock
from db.engine import Database
from db.messenger import MAX
from db.repositories.users import PersonCache
from handlers import admin as admin_handlers
from handlers import common, errors, forms, groups, link, messengers
from handlers.admin.staff import StaffDirectory, create_membership_router

log = logging.getLogger(__name__)


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        api = TelegramAPIServer.from_base(settings.telegram_api_url) if settings.telegram_api_url else None
        session = AiohttpSession(api=api) if api else AiohttpSession()
    elif settings.telegram_api_url:
        session.api = TelegramAPIServer.from_base(settings.telegram_api_url)
    session.middleware(TextLimitMiddleware())  # no text over Telegram's limit, no HTML cut in a tag
    return Bot(
        token=settings.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_storage(settings: Settings, db: Database) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        ttl = timedelta(days=settings.draft_retention_days)  # untouched drafts expire (152-ФЗ)
        storage = RedisStorage.from_url(
            settings.redis_url,
            key_builder=MessengerKeyBuilder(with_destiny=True),
            state_ttl=ttl,
            data_ttl=ttl,
        )
        return storage, RedisEventIsolation(redis=storage.redis, key_builder=storage.key_builder)
    return SQLStorage(db), SimpleEventIsolation()


def _first_of_all(dp: Dispatcher, middleware: Any) -> None:
    """Put ``middleware`` before the dispatcher's own outer middlewares (errors, user context, FSM)."""
    manager = dp.update.outer_middleware
    own = [manager[i] for i in range(len(manager))]
    for existing in own:
        manager.unregister(existing)
    manager.register(middleware)
    for existing in own:
        manager.register(existing)


def feature_routers(settings: Settings, registry: features.Registry | None = None) -> list[Router]:
    """Private-chat feature routers, in order: the feature registry's (bot.features)."""
    return (registry or features.build()).routers(settings)


def freeze_startup_objects() -> None:
    """Hide everything built at start-up (modules, routers, filters, catalogs, pydantic schemas) from the
    garbage collector: it never becomes garbage, yet every full collection walked all of it. Profiled with
    100 people at once (bench/updates.py): ~390,000 tracked objects, full collections of up to 340 ms in
    the middle of updates; frozen, 16,000 objects and pauses of at most ~11 ms. Called once, when the bot
    is ready to take updates."""
    gc.collect()
    gc.freeze()


def create_dispatcher(
    settings: Settings,
    db: Database,
    *,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    registry: features.Registry | None = None,
    **workflow_data: Any,
) -> Dispatcher:
    registry = registry or features.build()
    messengers.install(workflow_data.get("bots") or {})  # handlers reach a person through their messenger
    features.install(registry)  # privacy exporters/erasers, digest sections, menu... from the one list
    if storage is None:
        storage, default_isolation = create_storage(settings, db)
        events_isolation = events_isolation or default_isolation
    i18n = create_i18n(settings.default_locale)
    staff = StaffDirectory(settings.admin_chat_id, settings.admin_ids, ttl=settings.staff_cache_seconds)
    workflow_data.setdefault("clock", clock.current())  # handlers take ``clock``; the scheduler too
    pace = workflow_data.setdefault("pace", create_pace(settings))  # with Redis: one pace for the bot
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation or SimpleEventIsolation(),
        settings=settings,
        db=db,
        i18n=i18n,
        staff=staff,
        registry=registry,
        **workflow_data,
    )
    _first_of_all(dp, MessengerMiddleware())  # before aiogram's FSM one: state keys carry the messenger
    dp.update.outer_middleware(ThrottlingMiddleware(i18n, settings.throttle_rate))
    # One process owns a SQLite database, so the current person can be cached in memory (db.cache).
    person_cache = PersonCache(database=db) if db.is_sqlite else None
    stale = StaleButtonMiddleware(person_cache)  # a stale press: answered from memory
    dp.update.outer_middleware(stale)
    dp.update.outer_middleware(SanitizeMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(db))
    dp.update.outer_middleware(CurrentUserMiddleware(person_cache))
    dp.update.outer_middleware(AnonymousStateMiddleware())  # before consent: no state kept in the database
    locale = LocaleMiddleware(i18n)
    locale.setup(dp)
    gate = consent.install(
        dp, settings.policy_version, settings.policy_changes, sqlite=db.is_sqlite, database=db
    )  # after the locale

    dp.include_router(errors.create_router(settings.admin_chat_id, i18n, settings.error_alert_interval))
    dp.include_router(create_membership_router())
    dp.include_router(forms.create_guard_router())  # a command mid-form gets a hint
    dp.include_router(admin_handlers.create_router())
    dp.include_router(admin_handlers.create_refusal_router())
    dp.include_router(common.create_router())
    dp.include_router(groups.create_router())
    broadcast_sender.install(dp)  # the paced broadcast sender runs while the dispatcher runs
    if pace is not None:
        dp.shutdown.register(pace.close)
    for hook in registry.startup:
        dp.startup.register(hook)
    if MAX in messengers.BOTS:  # /link: a person's accounts in Telegram and MAX count once
        dp.include_router(link.create_router())
    for router in registry.routers(settings):
        dp.include_router(router)
    fallback = dp.include_router(common.create_fallback_router())
    inline_pure_filters(dp)  # after every router is in: state and magic filters skip the thread hop
    speed_up(dp)  # routers entered without wrappers; a press visits only the handlers of its prefix
    stale.attach(dp, fallback, common.stale_button, locale, gate)
    return dp
