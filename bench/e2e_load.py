"""End to end under load: the real `python -m bot` (polling, SQLite) against the fake Bot API on loopback.

    .venv/bin/python bench/e2e_load.py [--people 500]

Every person sends /start, consents, registers (six answers), opens the menu and starts a booking, as
people do from their phones, all at once. Printed: how many were answered to the end (all must be),
the answer time of every step (from the update's arrival in the fake API's queue to the bot's first
call to that chat) with its p50/p95, next to the same steps taken by ONE person alone in the same run
(the baseline), and the process's memory idle (after start) and after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import Figure, percentile, print_table
from tests.conftest import TEST_TOKEN
from tests.fake_api import ApiCall, FakeTelegram
from tests.test_process import bot_env as process_env

# (what the person does, the text that shows the bot answered it)
FLOW: list[tuple[str, str, str]] = [
    ("text", "/start", "Что хотите посмотреть"),  # first contact: looking around needs no consent
    ("press", "Ещё", "Ещё:"),
    ("press", "Зарегистрироваться", "152-ФЗ"),
    ("press", "Даю согласие", "Как вас зовут"),
    ("press", "Взять из Telegram", "Кто вы"),
    ("press", "Житель", "В каком районе"),
    ("press", "Краснотуранский", "Оставьте телефон"),
    ("text", "Пропустить", "новости"),
    ("press", "Да", "Регистрация завершена"),
    ("text", "/menu", "Главное меню"),
    ("press", "Коворкинг", "Что забронировать"),
]


class LoadApi(FakeTelegram):
    """The fake Bot API with an index per chat, so thousands of waiters do not rescan every call."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.by_chat: dict[int, list[tuple[float, ApiCall]]] = defaultdict(list)
        self.changed: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        chat = params.get("chat_id")
        if chat is not None and method != "getupdates":
            self.by_chat[int(chat)].append((time.perf_counter(), ApiCall(method, params)))
            self.changed[int(chat)].set()
        return await super()._result(method, params)

    def press_in(self, chat: int, label: str) -> None:
        for _at, call in reversed(self.by_chat[chat]):
            for button in call.buttons():
                if label in button.get("text", ""):
                    self.push_callback(chat, button["callback_data"])
                    return
        raise AssertionError(f"no button {label!r} for {chat}")

    async def answer(self, chat: int, since: int, fragment: str, timeout: float) -> float:
        """When the first call to ``chat`` after index ``since`` came; waits until ``fragment`` is sent."""
        deadline = time.perf_counter() + timeout
        while True:
            calls = self.by_chat[chat][since:]
            if any(fragment in call.text for _at, call in calls):
                return calls[0][0]
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{chat}: no {fragment!r}; got {[c.text[:30] for _a, c in calls]}")
            self.changed[chat].clear()
            try:
                await asyncio.wait_for(self.changed[chat].wait(), left)
            except TimeoutError:
                pass


async def person(api: LoadApi, chat: int, timeout: float) -> list[float]:
    """One person's whole flow; the answer time of each step in ms."""
    times = []
    for kind, what, expect in FLOW:
        since = len(api.by_chat[chat])
        sent = time.perf_counter()
        if kind == "text":
            api.push_text(chat, what)
        else:
            api.press_in(chat, what)
        answered = await api.answer(chat, since, expect, timeout)
        times.append((answered - sent) * 1000)
    return times


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":")
                fields[name] = int(value.split()[0])
    return fields


def bot_env(tmp: str, api_url: str) -> dict[str, str]:
    """The settings the process tests start the bot with, on a database of the bench's own."""
    return process_env(Path(tmp), api_url, DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/load.db")


async def run(people: int, timeout: float = 180.0) -> list[Figure]:
    api = LoadApi(TEST_TOKEN)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp, env=bot_env(tmp, api.url), stderr=asyncio.subprocess.PIPE
        )
        try:
            return await _measure(api, proc, people, timeout)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 60)
            await api.stop()


async def _measure(
    api: LoadApi, proc: asyncio.subprocess.Process, people: int, timeout: float
) -> list[Figure]:
    await person(api, 1, timeout=60)  # waits until the bot polls; not counted
    idle = memory_kb(proc.pid)
    solo = await person(api, 2, timeout=60)
    began = time.perf_counter()
    results = await asyncio.gather(
        *(person(api, 1000 + n, timeout) for n in range(people)), return_exceptions=True
    )
    wall = time.perf_counter() - began
    after = memory_kb(proc.pid)
    done = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if not isinstance(r, list)]
    for error in lost[:3]:
        print("lost:", error)
    steps = [t for r in done for t in r]
    solo_p95 = percentile(solo, 0.95)
    print(
        f"{people} people, {len(FLOW)} steps each: {len(done)} answered to the end in {wall:.1f} s; "
        f"memory idle {idle['VmRSS'] / 1024:.0f} MB, after {after['VmRSS'] / 1024:.0f} MB "
        f"(peak {after['VmHWM'] / 1024:.0f} MB)"
    )
    return [
        Figure(
            f"{people} people at once: answered to the end",
            len(done),
            "people",
            people,
            "everyone",
            target=1.0,
            absolute="every one answered, nothing lost",
            absolute_ok=not lost,
        ),
        Figure(
            f"{people} people at once: answer time p95",
            percentile(steps, 0.95) if steps else float("inf"),
            "ms",
            solo_p95,
            "one person alone, same steps",
            absolute=f"printed; p50 {percentile(steps, 0.5):.0f} ms" if steps else "",
            note=f"memory idle {idle['VmRSS'] // 1024} MB, after {after['VmRSS'] // 1024} MB",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    args = parser.parse_args()
    print_table(asyncio.run(run(args.people)))


if __name__ == "__main__":
    main()
