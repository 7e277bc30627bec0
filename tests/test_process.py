"""The real `python -m bot` as a process, against the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from db import migrate
from tests.client import Press
from tests.conftest import TEST_TOKEN
from tests.fake_api import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.real_clock  # the bot process reads the machine's clock, and so do these tests


def bot_env(tmp_path: Path, api_url: str, **extra: str) -> dict[str, str]:
    """The process's settings. The hours it depends on are set, not left to the moment the test runs:
    no quiet hours (announcements and offers go out at once, at 01:30 as at noon), no digest catch-up
    at start, and the weekly digest three days ahead, so it never fires in the middle of a test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "REDIS_URL", "DATABASE_URL"))}
    digest_day = (datetime.now(UTC) + timedelta(days=3)).strftime("%a").lower()
    env.update(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        ADMIN_CHAT_ID="-1001000000001",
        LOG_LEVEL="WARNING",
        THROTTLE_RATE="100",
        PYTHONPATH=str(ROOT),
        QUIET_HOURS_START="00:00",
        QUIET_HOURS_END="00:00",
        DIGEST_CATCH_UP_HOURS="0",
        DIGEST_DAY=digest_day,
        # Under Debian's faketime ("@<moment>") every new process would start the faked clock afresh and
        # run minutes behind the test; this makes the bot continue the test's faked clock instead.
        FAKETIME_DONT_RESET="1",
    )
    env.update(extra)
    return env


def rows(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """What ``sql`` finds in the SQLite database of a bot process (read while it runs)."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def the_row(db_path: Path, sql: str, *params: Any) -> tuple[Any, ...]:
    """The one row ``sql`` finds in the bot process's database."""
    [found] = rows(db_path, sql, *params)
    return found


def due_now(db_path: Path, kind: str) -> None:
    """Bring the queued notifications of ``kind`` forward, so the running outbox sends them at once."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE notifications SET due_at = '2000-01-01 00:00:00.000000' WHERE kind = ?", (kind,))


class BotProcess:
    def __init__(self, tmp_path: Path, api: FakeTelegram, **extra: str) -> None:
        self.env = bot_env(tmp_path, api.url, **extra)
        self.cwd = tmp_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        _, stderr = await asyncio.wait_for(self.proc.communicate(), 20)
        return self.proc.returncode or 0, stderr.decode(errors="replace")


async def converse(api: FakeTelegram, user: int, *steps: tuple[str | Press, str]) -> None:
    """``user`` answers in their private chat, step by step: (the answer, a fragment of the reply to
    wait for). A ``Press`` presses the newest button with its label; a string is typed."""
    for answer, reply in steps:
        if isinstance(answer, Press):
            api.press(user, answer.label)
        else:
            api.push_text(user, answer)
        await api.wait_text(user, reply)


async def register(
    api: FakeTelegram,
    person: int,
    *,
    name: str | None = None,
    group: str = "Житель",
    organisation: str | None = None,
    district: str = "Краснотуранский",
    phone: str = "Пропустить",
    news: bool = True,
    timeout: float = 20.0,
) -> None:
    """Take ``person`` through consent and registration in the real process, waiting for every question.
    ``name`` None keeps the Telegram name; ``timeout`` is for the first answer (start-up runs migrations)."""
    api.push_text(person, "/start")  # looking around needs no consent: registering on purpose is under «Ещё»
    await api.wait_text(person, "Что хотите посмотреть", timeout=timeout)
    api.press(person, "Ещё")
    await api.wait_text(person, "Ещё:")
    api.press(person, "Зарегистрироваться")
    await api.wait_text(person, "152-ФЗ")
    api.press(person, "Даю согласие")
    await api.wait_text(person, "Как вас зовут")
    if name is None:
        api.press(person, "Взять из Telegram")
    else:
        api.push_text(person, name)
    await api.wait_text(person, "Кто вы")
    api.press(person, group)
    if organisation is not None:
        await api.wait_text(person, "организац")
        api.push_text(person, organisation)
    await api.wait_text(person, "В каком районе")
    api.press(person, district)
    # the step's own words: the consent text, earlier in this chat, also says «телефон», and a wait that
    # matched it sent the phone before the district was taken (two instances may then take them out of order)
    await api.wait_text(person, "Оставьте телефон")
    api.push_text(person, phone)
    await api.wait_text(person, "новости")
    api.press(person, "Да" if news else "Нет")
    await api.wait_text(person, "Регистрация завершена")


async def test_start_is_answered_by_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api)
    await bot.start()
    try:
        api.push_text(777, "/start")
        await api.wait_text(777, "Центра местного сообщества", timeout=90)
        await api.wait_text(777, "Что хотите посмотреть")
        commands = [c for c in api.calls if c.method == "setMyCommands"]
        assert commands, "commands are set at start-up"
        scopes = {c.params["scope"]["type"] for c in commands}
        assert scopes == {"all_private_chats", "chat"}
        # the description (the screen before «Start») and the short one, in Russian and in English
        described = {
            c.params.get("language_code"): c.params["description"]
            for c in api.calls
            if c.method == "setMyDescription"
        }
        assert (
            "Центра местного сообщества" in described[None]
            and "Центра местного сообщества" in described["ru"]
        )
        assert "Community Center" in described["en"]
        short = {c.params.get("language_code") for c in api.calls if c.method == "setMyShortDescription"}
        assert short == {None, "ru", "en"}
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr  # SIGTERM stops it cleanly


@pytest.mark.slow
async def test_registration_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api)
    await bot.start()
    person = 4242
    try:
        await register(
            api,
            person,
            name="Ольга Иванова",
            group="Получатель услуг",
            district="Шушенский",
            phone="8 913 000-11-22",
            timeout=90,
        )
    finally:
        code, stderr = await bot.stop(signal.SIGINT)
    assert code == 0, stderr
    # What the process stored survives it: a new process greets the person by name.
    bot = BotProcess(tmp_path, api)
    await bot.start()
    try:
        api.push_text(person, "/start")
        await api.wait_text(person, "С возвращением, Ольга", timeout=90)
    finally:
        await bot.stop()


async def _run_without(env_changes: dict[str, Any], tmp_path: Path) -> tuple[int, str]:
    env = bot_env(tmp_path, "http://127.0.0.1:9")
    env.update(env_changes)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, stderr.decode()


async def test_missing_token_is_one_clear_line(tmp_path: Path) -> None:
    code, stderr = await _run_without({"BOT_TOKEN": ""}, tmp_path)
    assert code != 0
    assert "BOT_TOKEN is not set" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


async def test_malformed_token_is_one_clear_line(tmp_path: Path) -> None:
    code, stderr = await _run_without({"BOT_TOKEN": "not-a-token"}, tmp_path)
    assert code != 0
    assert "malformed" in stderr and "Traceback" not in stderr


async def test_database_from_before_the_squash_is_one_clear_line(tmp_path: Path) -> None:
    url = bot_env(tmp_path, "http://127.0.0.1:9")["DATABASE_URL"]
    await asyncio.to_thread(migrate.upgrade, url)
    with sqlite3.connect(tmp_path / "bot.db") as con:
        con.execute("UPDATE alembic_version SET version_num = '0011_job_leases'")

    code, stderr = await _run_without({}, tmp_path)

    assert code != 0
    assert "at migration revision 0011_job_leases" in stderr and "Run the bot once from commit" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
