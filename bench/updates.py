"""Updates per second through the whole stack (middlewares, routers, FSM, database) with a fake Bot
session: the figure to compare with bare aiogram (~10,000/s with an FSM step and a reply on 2 cores).

    .venv/bin/python bench/updates.py [--n 3000] [--database-url sqlite+aiosqlite:////tmp/bench.db]

Prints updates/s and latency percentiles for: /help from a registered person (a read and a reply),
a button press that moves an FSM step (state written to the SQL storage), and a press on an
unknown (stale) button.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.factory import create_bot, create_dispatcher
from db.engine import Database
from db.models import Base
from tests.client import TgClient
from tests.conftest import TEST_TOKEN, register
from tests.fakes import FakeSession


async def measure(name: str, n: int, action) -> None:
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        await action(i)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    # Memory: a separate, shorter run under tracemalloc (it slows everything it traces).
    tracemalloc.start()
    for i in range(min(n, 200)):
        await action(i)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    print(
        f"{name:32s} {n / elapsed:8.0f} updates/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   peak +{peak / 1e6:.1f} MB"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    settings = Settings(
        _env_file=None,
        bot_token=TEST_TOKEN,
        database_url=url,
        throttle_rate=0,  # type: ignore[call-arg]
        admin_chat_id=-100,
        redis_url=None,
    )
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    session = FakeSession()
    bot = create_bot(settings, session=session)
    dp = create_dispatcher(settings, db)
    person = TgClient(dp, bot, 1)
    await register(person)
    print(f"database: {db.url.get_backend_name()}, {args.n} updates per scenario")

    async def help_cmd(_i: int) -> None:
        await person.send("/help")
        session.calls.clear()

    await measure("/help (read + reply)", args.n, help_cmd)

    stepper = TgClient(dp, bot, 2)
    await stepper.send("/start")
    await stepper.press("Согласен")
    message, keep = stepper.find_button("Оставить")

    async def fsm_step(i: int) -> None:
        # name -> group (state written), then «Назад» -> name (state written again)
        if i % 2 == 0:
            await stepper.press_data(keep.callback_data or "", message)
        else:
            await stepper.press_data("nav:back", message)
        session.calls.clear()

    await measure("FSM step (button, SQL state)", args.n, fsm_step)

    async def stale(_i: int) -> None:
        await person.press_data("zzz:1")
        session.calls.clear()

    await measure("stale button (fallback)", args.n, stale)
    await dp.storage.close()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
