"""The issue's «done when», through the real `python -m bot` process against the fake Bot API server:
a provider publishes a card, staff publish it, a resident of a served district finds it by category
and by a search word, requests it, the provider accepts, they exchange messages, the provider marks
it done and the resident rates it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.client import Press
from tests.fake_api import FakeTelegram
from tests.test_process import BotProcess, converse, register, the_row

ADMIN = -1001000000001
STAFF = 5001
PROVIDER = 4101
RESIDENT = 4202

pytestmark = [pytest.mark.slow, pytest.mark.real_clock]  # a real bot process reads the machine's clock


def request_row(db_path: Path) -> tuple[Any, ...]:
    return the_row(db_path, "SELECT status, phone_shared, rating FROM showcase_requests")


async def test_showcase_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, ADMIN_IDS=str(STAFF))
    await bot.start()
    db_path = tmp_path / "bot.db"
    try:
        await register(  # the first answer waits for the start-up, which applies migrations
            api,
            PROVIDER,
            group="Сотрудник СОНКО",
            organisation="АНО «Забота»",
            district="Идринский",
            news=False,
            timeout=120,
        )
        await register(api, RESIDENT, district="Идринский", phone="8 913 000-11-22", news=False)

        # the provider publishes a card
        await converse(
            api,
            PROVIDER,
            ("/my", "Мои заявки"),
            (Press("Мои услуги"), "Мои услуги</b> — АНО"),
            (Press("Новая карточка"), "Шаг 1 из 8"),
            (Press("Оставить: АНО"), "Шаг 2 из 8"),
            ("Сиделка для пожилых на дому", "Шаг 3 из 8"),
            (Press("Помощь пожилым"), "Шаг 4 из 8"),
            ("Дежурство днём и ночью, гигиена, кормление, прогулки во дворе.", "Шаг 5 из 8"),
        )
        api.press(PROVIDER, "Идринский")
        await api.wait_for(
            lambda c: c.method in ("editMessageText", "sendMessage") and "✅ Идринский" in str(c.params)
        )
        await converse(
            api,
            PROVIDER,
            (Press("Готово"), "Шаг 6 из 8"),
            ("300 ₽ в час", "Шаг 7 из 8"),
            (Press("На дому"), "Шаг 8 из 8"),
            (Press("Без фото"), "Так карточку увидят"),
        )
        api.press(PROVIDER, "Подтвердить")
        await api.wait_text(ADMIN, "Карточка КУ-1 на проверку")

        # staff publish it
        api.press(STAFF, "Опубликовать", chat_id=ADMIN)
        await api.wait_text(PROVIDER, "опубликована")

        # the resident finds it by category and by a word, and requests it
        api.push_text(RESIDENT, "/services")
        await api.wait_text(RESIDENT, "Услуг: 1")
        api.press(RESIDENT, "Помощь пожилым (1)")
        await api.wait_text(RESIDENT, "1. <b>Сиделка для пожилых на дому</b>")
        api.push_text(RESIDENT, "/services")
        api.press(RESIDENT, "Поиск по словам")
        await api.wait_text(RESIDENT, "Напишите одно-два слова")
        api.push_text(RESIDENT, "кормление")
        await api.wait_text(RESIDENT, "По запросу «кормление»")
        await converse(
            api,
            RESIDENT,
            (Press("1"), "💰 300 ₽ в час"),  # the card itself, not the list line
            (Press("Оставить заявку"), "Коротко напишите"),
            ("Нужно для мамы с понедельника", "Показать ваш телефон"),
            (Press("Нет, только через бот"), "Заявка У-1"),
        )
        card = await api.wait_text(PROVIDER, "Новая заявка")
        assert "+79130001122" not in card.text and "Нужно для мамы" in card.text

        # the provider accepts; they talk through the bot
        api.press(PROVIDER, "Принять")
        await api.wait_text(RESIDENT, "принял исполнитель")
        api.press(RESIDENT, "Написать исполнителю")
        await api.wait_text(RESIDENT, "Напишите сообщение исполнителю")
        api.push_text(RESIDENT, "Когда сможете прийти?")
        await api.wait_for(
            lambda c: c.method == "copyMessage" and str(c.params.get("chat_id")) == str(PROVIDER)
        )
        api.press(PROVIDER, "Ответить")
        await api.wait_text(PROVIDER, "Напишите сообщение жителю")
        api.push_text(PROVIDER, "В понедельник в 9:00")
        await api.wait_for(
            lambda c: c.method == "copyMessage" and str(c.params.get("chat_id")) == str(RESIDENT)
        )

        # done, and the resident rates it
        api.press(PROVIDER, "Выполнено")
        await api.wait_text(RESIDENT, "Оцените")
        api.press(RESIDENT, "5⭐")
        await api.wait_text(RESIDENT, "Ваша оценка")
        assert request_row(db_path) == ("done", 0, 5)
        api.push_text(RESIDENT, "/services")
        api.press(RESIDENT, "Все услуги")
        await api.wait_text(RESIDENT, "⭐ 5.0")
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
