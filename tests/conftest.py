"""Fixtures: settings, a fresh database, the real dispatcher with a fake Bot session, clients.

SQLite by default (a fresh file per test). With TEST_DATABASE_URL (postgresql+asyncpg://...) the same
suite runs on PostgreSQL (tables truncated per test); with TEST_REDIS_URL the FSM lives in Redis.
"""

from __future__ import annotations

import asyncio
import os
import select
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.factory import create_bot, create_dispatcher
from db import clock as clock_module
from db.clock import Clock, PinnedClock
from db.engine import Database
from db.models import Base
from tests.client import TgClient
from tests.fake_api import FakeTelegram
from tests.fake_max import FakeMax
from tests.fakes import FakeSession

TEST_TOKEN = "123456789:AAEtesttokentesttokentesttokentest12"
ADMIN_CHAT_ID = -1001000000001
STAFF_ID = 5001
PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")

_pg_schema_ready = False


def _sleep_by_select(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


# CI runs the suite again under Debian's faketime with DONT_FAKE_MONOTONIC=1 (.ci/run). There
# libfaketime makes Python 3.12's time.sleep (clock_nanosleep on CLOCK_MONOTONIC) fail with EINVAL,
# and Popen.wait(timeout=...) sleeps that way: this test process sleeps through select() instead.
# (Faking the monotonic clock as well is worse: timed thread waits then never time out.)
if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("DONT_FAKE_MONOTONIC") == "1":
    time.sleep = _sleep_by_select

TZ = ZoneInfo("Asia/Krasnoyarsk")
# The moment every test starts at unless it sets its own: a Wednesday morning in working hours,
# outside the quiet hours, mid-month. The suite never reads the machine's date or hour.
DEFAULT_MOMENT = datetime(2026, 12, 9, 11, 0, tzinfo=TZ)


@pytest.fixture(autouse=True, scope="session")
def feature_registry() -> Any:
    """The feature registry installed once for tests that use services without a dispatcher
    (create_dispatcher installs it again: installing replaces, so this is harmless)."""
    from bot import features

    registry = features.build()
    features.install(registry)
    return registry


def local(*args: int) -> datetime:
    """An aware moment in the Center's time zone: ``local(2028, 2, 29, 0, 10)``."""
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[Clock]:
    """The one clock, pinned: tests start at DEFAULT_MOMENT (or ``@pytest.mark.at(...)``'s moment) and
    time runs on from there; ``clock.set(local(...))`` moves it. Tests marked ``real_clock`` (those that
    drive a real ``python -m bot`` process, which reads the machine's time) get the system clock."""
    if request.node.get_closest_marker("real_clock"):
        installed: Clock = Clock()
    else:
        marker = request.node.get_closest_marker("at")
        installed = PinnedClock(marker.args[0] if marker else DEFAULT_MOMENT)
    previous = clock_module.install(installed)
    yield installed
    clock_module.install(previous)


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    return PG_URL or f"sqlite+aiosqlite:///{tmp_path}/test.db"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TEST_TOKEN,
        "database_url": database_url,
        "redis_url": REDIS_URL,
        "admin_chat_id": ADMIN_CHAT_ID,
        "admin_ids": [STAFF_ID],
        "throttle_rate": 1000,
        "telegram_api_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


_sqlite_template: Path | None = None


async def sqlite_template() -> Path:
    """A SQLite file with every table, made once per test session: each test's database starts as a copy
    (a file copy takes a millisecond; creating the tables, a tenth of a second)."""
    global _sqlite_template
    if _sqlite_template is None:
        path = Path(tempfile.mkdtemp(prefix="ccbot-schema-")) / "schema.db"
        template = Database(f"sqlite+aiosqlite:///{path}")
        async with template.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        await template.dispose()
        _sqlite_template = path
    return _sqlite_template


async def prepare_schema(db: Database) -> None:
    global _pg_schema_ready
    if db.is_sqlite:
        target = db.engine.url.database
        if target and target != ":memory:" and not await asyncio.to_thread(os.path.exists, target):
            await asyncio.to_thread(shutil.copyfile, await sqlite_template(), target)
            return
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        return
    async with db.engine.begin() as conn:
        if not _pg_schema_ready:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            await conn.run_sync(Base.metadata.create_all)
            _pg_schema_ready = True
        else:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def reset_pg(url: str) -> None:
    """Empty the PostgreSQL database completely (the schema the other tests share is made again by the
    next ``db`` fixture)."""
    global _pg_schema_ready

    async def reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())
    _pg_schema_ready = False


@pytest.fixture
def empty_pg() -> Iterator[str]:
    """An empty PostgreSQL database (TEST_DATABASE_URL) for the tests of migrations and moves; synchronous,
    since Alembic's async env calls asyncio.run."""
    assert PG_URL
    reset_pg(PG_URL)
    yield PG_URL
    reset_pg(PG_URL)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    await prepare_schema(database)
    yield database
    await database.dispose()


@pytest.fixture
async def redis_flush() -> AsyncIterator[None]:
    if REDIS_URL:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
        await redis.flushdb()
        await redis.aclose()
    yield


@pytest.fixture
def fake_session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def bot(settings: Settings, fake_session: FakeSession) -> Bot:
    return create_bot(settings, session=fake_session)


@pytest.fixture
async def dp(settings: Settings, db: Database, redis_flush: None) -> AsyncIterator[Dispatcher]:
    dispatcher = create_dispatcher(settings, db, error_sink=[])
    yield dispatcher
    await dispatcher.storage.close()
    if dispatcher.fsm.events_isolation is not None:
        await dispatcher.fsm.events_isolation.close()


@pytest.fixture
def client_factory(dp: Dispatcher, bot: Bot) -> Callable[..., TgClient]:
    def factory(user_id: int = 1001, **kwargs: Any) -> TgClient:
        return TgClient(dp, bot, user_id, **kwargs)

    return factory


@pytest.fixture
def client(client_factory: Callable[..., TgClient]) -> TgClient:
    return client_factory()


@pytest.fixture
def staff(client_factory: Callable[..., TgClient]) -> TgClient:
    """A staff member (in ADMIN_IDS) writing in the admin chat."""
    return client_factory(STAFF_ID, first_name="Мария", last_name="Сотрудник", chat_id=ADMIN_CHAT_ID)


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server on 127.0.0.1 for tests that run the real `python -m bot`; the staff
    member in it is Мария Сотрудник, as in the in-process ``staff`` client."""
    server = FakeTelegram(TEST_TOKEN)
    server.names[STAFF_ID] = ("Мария", "Сотрудник")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def max_api() -> AsyncIterator[FakeMax]:
    """The fake MAX Bot API server on 127.0.0.1 (tests/fake_max.py), for the MAX messenger's tests."""
    server = FakeMax()
    await server.start()
    yield server
    await server.stop()


POLICY_CHANGES = "Добавили срок хранения данных гостей, записанных сотрудниками."


@pytest.fixture
async def after_policy_rise(
    client: TgClient, database_url: str, db: Database, bot: Bot
) -> AsyncIterator[TgClient]:
    """``client``, registered under policy 1.0, as the same person talking to the bot after the policy rose
    to 1.1 (its changes: POLICY_CHANGES): the same database, a dispatcher with the new settings."""
    await register(client)
    settings = make_settings(database_url, policy_version="1.1", policy_changes=POLICY_CHANGES)
    dispatcher = create_dispatcher(settings, db, error_sink=[])
    yield TgClient(dispatcher, bot, client.user.id)
    await dispatcher.storage.close()


async def open_consent(client: TgClient) -> None:
    """/start, then «Ещё» → «Зарегистрироваться»: looking around needs no consent, so a person who wants to
    register before acting finds it under «Ещё» (the consent text and its buttons are the last message)."""
    text = client.dp["i18n"].gettext
    await client.send("/start")
    await client.press(text("fc.menu.more", locale="ru"))
    await client.press(text("menu.consent", locale="ru"))


async def register(
    client: TgClient,
    *,
    name: str | None = None,
    group: str = "Житель",
    district: str = "Краснотуранский",
    organisation: str | None = None,
    phone: str | None = None,
    news: bool = True,
) -> None:
    """Take a person through consent and registration (the happy path); ``name`` None keeps the
    Telegram name."""
    await open_consent(client)
    await client.press(client.dp["i18n"].gettext("btn.agree", locale="ru"))
    if name is None:
        await client.press("Взять из Telegram")
    else:
        await client.send(name)
    await client.press(group)
    if organisation is not None:
        await client.send(organisation)
    await client.press(district)
    if phone:
        await client.send_contact(phone)
    else:
        await client.send("Пропустить")
    await client.press("Да" if news else "Нет", exact=True)
    assert "Регистрация завершена" in client.all_text(), client.texts()
