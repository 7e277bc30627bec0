"""How fast the services catalogue answers with many cards (services.showcase), printed as figures.

    .venv/bin/python bench/showcase_search.py [cards]          # SQLite (a temporary file), default 5000
    BENCH_PG_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot \
        .venv/bin/python bench/showcase_search.py

PostgreSQL runs in a schema of its own (``bench_showcase``, dropped afterwards). Measured: the home
screen (cards per category in a district), a category page, a far page, and word searches (a common
word, two words, a word no card has), each repeated; then 50 residents requesting one card at once.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench import database as bench_db
from bench.figures import percentile
from db.base import utcnow
from db.engine import Database, write
from db.models import User
from db.models.core import UserStatus
from db.models.showcase import CardStatus, ServiceCard
from services import showcase as svc
from services.errors import Conflict
from services.users import DISTRICTS

SCHEMA = "bench_showcase"
WORDS = (
    "помощь уборка продукты лекарства прогулки массаж репетитор математика английский мёд ремонт одежды "
    "сборка мебели психолог консультация юрист логопед рисование танцы футбол плавание скандинавская ходьба "
    "экология сортировка отходов инклюзия пандус сопровождение перевозка доставка пироги варенье вязание"
).split()


async def open_db(url: str) -> Database:
    return await bench_db.open_db(url, SCHEMA, pool_size=10, max_overflow=40)


async def seed(db: Database, cards: int) -> tuple[list[int], int]:
    rng = random.Random(8)
    served = [d for d in DISTRICTS if d != "other"]
    async with db.session() as s:
        await svc.ensure_categories(s)
        categories = [c.id for c in await svc.categories(s)]
    async with db.session() as s, write(s):

        def person(tg_id: int, full_name: str, target_group: str, **extra: str) -> User:
            return User(
                tg_id=tg_id,
                full_name=full_name,
                status=UserStatus.REGISTERED,
                target_group=target_group,
                district=rng.choice(served),
                registered_at=utcnow(),
                **extra,
            )

        providers = [
            person(100_000 + n, f"Провайдер {n}", "nko_staff", organisation=f"АНО «Организация {n}»")
            for n in range(max(1, cards // 10))
        ]
        residents = [person(200_000 + n, f"Житель {n}", "citizen") for n in range(50)]
        s.add_all(providers + residents)
        await s.flush()
        for n in range(cards):
            districts = sorted(rng.sample(served, rng.randint(1, 3)), key=served.index)
            card = ServiceCard(
                provider_id=providers[n % len(providers)].id,
                organisation=providers[n % len(providers)].organisation,
                title=" ".join(rng.sample(WORDS, 3)).capitalize(),
                category_id=rng.choice(categories),
                description=" ".join(rng.choice(WORDS) for _ in range(40)),
                districts=districts,
                format=rng.choice(svc.FORMATS),
                status=CardStatus.PUBLISHED,
                published_at=utcnow(),
            )
            card.search_text = svc.normalise(f"{card.organisation} {card.title} {card.description}")
            card.district_index = "," + ",".join(districts) + ","
            s.add(card)
        await s.flush()
        first_card = (await s.scalars(text("SELECT id FROM showcase_cards ORDER BY id LIMIT 1"))).one()
    return categories, first_card


async def timed(label: str, repeat: int, call) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    print(f"  {label:<44} p50 {percentile(times, 0.5):7.2f} ms   p95 {percentile(times, 0.95):7.2f} ms")


async def run(url: str, cards: int) -> None:
    db = await open_db(url)
    try:
        start = time.perf_counter()
        categories, first_card = await seed(db, cards)
        seeded = time.perf_counter() - start
        print(f"{db.url.get_backend_name()}: {cards} published cards seeded in {seeded:.1f} s")
        async with db.session() as s:
            await timed("home screen (counts per category)", 30, lambda: svc.category_counts(s, "idrinsky"))
            await timed(
                "category page 1",
                30,
                lambda: svc.find_cards(s, district="idrinsky", category_id=categories[1]),
            )
            await timed("all districts, page 40", 30, lambda: svc.find_cards(s, page=40))
            await timed(
                "search «мёд» in a district", 30, lambda: svc.find_cards(s, district="idrinsky", query="мёд")
            )
            await timed(
                "search «РЕМОНТ одежды» everywhere", 30, lambda: svc.find_cards(s, query="РЕМОНТ одежды")
            )
            await timed("search a word no card has", 30, lambda: svc.find_cards(s, query="астрономия"))

        async def request(n: int, card_id: int) -> tuple[str, float]:
            started = time.perf_counter()
            async with db.session() as s:
                try:
                    await svc.create_request(s, 200_000 + n, card_id, None, False)
                    outcome = "ok"
                except Conflict:
                    outcome = "conflict"
            return outcome, (time.perf_counter() - started) * 1000

        for label, card_id in (("cold pool", first_card), ("warm pool", first_card + 1)):
            results = await asyncio.gather(*(request(n, card_id) for n in range(50)))
            times = [ms for _, ms in results]
            print(
                f"  50 residents request one card at once ({label}): "
                f"{sum(1 for o, _ in results if o == 'ok')} requests,"
                f" p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms"
            )
    finally:
        await bench_db.close_db(db, SCHEMA)


def main() -> None:
    cards = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    url = os.environ.get("BENCH_PG_URL")
    if url:
        asyncio.run(run(url, cards))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", cards))


if __name__ == "__main__":
    main()
