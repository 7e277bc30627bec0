"""The issue's «done when», through the real `python -m bot` process and the fake Bot API server: a
provider answers the monthly question (card 2, November 2026: 35 people), then staff pull the report
for November in the admin chat and get the summary, the workbook and the charts, every figure the hand
count of tests/report_data.py (with the provider's 35 in «получатели услуг»)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from db import migrate
from db.base import utcnow
from db.engine import Database
from tests import report_data as data
from tests.fake_api import FakeTelegram
from tests.test_events_process import ADMIN, STAFF, staff_presses, staff_says
from tests.test_process import BotProcess

pytestmark = pytest.mark.real_clock  # a real bot process reads the machine's clock

PROVIDER = 7010  # u10 of the dataset, provider of cards 1 and 2


@pytest.mark.slow
async def test_report_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    if utcnow() < data.local(2026, 12, 1, 0, 0):
        pytest.skip("the dataset's November 2026 must be over for its hand count")
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    await asyncio.to_thread(migrate.upgrade, url)
    database = Database(url)
    await data.fill(database)
    await database.dispose()
    bot = BotProcess(tmp_path, api, ADMIN_IDS=str(STAFF))
    await bot.start()
    try:
        api.push_callback(PROVIDER, "rof:ok:2:202611:35")
        await api.wait_for(
            lambda c: c.method == "answerCallbackQuery" and "Спасибо" in str(c.params.get("text")),
            timeout=120,
        )
        staff_says(api, "/report")
        await api.wait_text(ADMIN, "За какой период")
        staff_presses(api, "Свои даты")
        await api.wait_text(ADMIN, "две даты")
        staff_says(api, "01.11.2026 30.11.2026")
        summary = await api.wait_text(ADMIN, "Охват за 01.11.2026 – 30.11.2026", timeout=60)
        document = await api.wait_for(lambda c: c.method == "sendDocument", timeout=60)
        await api.wait_for(lambda c: len([p for p in api.calls if p.method == "sendPhoto"]) == 2, timeout=60)
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr

    assert "Активные граждане: 3 из 780" in summary.text
    assert (
        "Получатели услуг: 85 из 4500 (1,9%), из них получатели вне бота по данным исполнителей: 82"
        in summary.text
    )
    assert "Партнёры: 5 из 170" in summary.text and "Всего охвачено, человек: 11" in summary.text
    book = load_workbook(io.BytesIO(next(iter(document.files.values()))))
    titles = {
        "coworking": "Коворкинг",
        "consultations": "Консультации",
        "events": "Мероприятия",
        "ideas": "Идеи",
    }
    labels = _labels()
    for code_, title in titles.items():
        sheet = {row[0]: row[1] for row in book[title].iter_rows(min_row=2, values_only=True) if row[0]}
        for key, value in data.FIGURES[code_].items():
            assert sheet[labels[key]] == value, (title, key)
    showcase = {
        row[0]: row[1] for row in book["Каталог услуг"].iter_rows(min_row=2, values_only=True) if row[0]
    }
    assert showcase[labels["report.f_offline_self"]] == 75  # 40 + the provider's 35
    assert showcase[labels["report.f_offline_unknown"]] == 0
    photos = [c for c in api.calls if c.method == "sendPhoto"]
    assert all(next(iter(p.files.values()))[:8] == b"\x89PNG\r\n\x1a\n" for p in photos)


def _labels() -> dict[str, str]:
    from bot.i18n import load_locales

    ru = load_locales()["ru"]
    return {key: ru.gettext(key) for fig in data.FIGURES.values() for key in fig}
