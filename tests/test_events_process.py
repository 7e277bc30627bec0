"""The issue's «done when», through the real `python -m bot` process and the fake Bot API server:
staff create an event with two places, three people sign up (the third waits), one cancels, the third
gets the offer (sent by the running outbox) and confirms, people check in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from db.base import utcnow
from services import events as ev
from tests.client import Press
from tests.fake_api import FakeTelegram
from tests.test_process import BotProcess, register, rows

pytestmark = pytest.mark.real_clock  # a real bot process reads the machine's clock

ADMIN = -1001000000001
STAFF = 5001


def staff_says(api: FakeTelegram, text: str) -> None:
    api.push_text(STAFF, text, chat_id=ADMIN)


def staff_presses(api: FakeTelegram, label: str) -> None:
    api.press(STAFF, label, chat_id=ADMIN)


def has_button(call: Any, chat_id: int, label: str) -> bool:
    return str(call.params.get("chat_id")) == str(chat_id) and any(
        label in b.get("text", "") for b in call.buttons()
    )


def statuses(db_path: Path) -> dict[str, str]:
    return dict(
        rows(
            db_path,
            "SELECT users.full_name, event_signups.status FROM event_signups "
            "JOIN users ON users.id = event_signups.user_id",
        )
    )


@pytest.mark.slow
async def test_done_when_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, ADMIN_IDS=str(STAFF), OUTBOX_TICK_SECONDS="1")
    await bot.start()
    anna, boris, vera = 6101, 6102, 6103
    try:
        for person, name in ((anna, "Анна Смирнова"), (boris, "Борис Ким"), (vera, "Вера Лис")):
            await register(api, person, name=name, timeout=120)  # the first answer waits for the start-up

        # staff create an event with two places, starting in 40 minutes
        start = (utcnow() + timedelta(minutes=40)).astimezone(ev.display_tz())
        staff_says(api, "/new_event")
        for question, answer in (
            ("Название", "Школа НКО"),
            ("Описание", "Гранты для НКО"),
            ("Тип мероприятия", Press("Обучение")),
            ("Дата и время начала", start.strftime("%d.%m.%Y %H:%M")),
            ("Сколько длится", Press("2 ч")),
            ("Где проходит", Press("В Центре")),
            ("помещение", "Большой зал"),
            ("Сколько мест", "2"),
            ("открыта запись", Press("До начала")),
            ("Для кого", Press("Готово")),
            ("афишу", Press("Без афиши")),
            ("Проверьте мероприятие", Press("📢 Опубликовать")),
        ):
            await api.wait_text(ADMIN, question)
            if isinstance(answer, Press):
                staff_presses(api, answer.label)
            else:
                staff_says(api, answer)
        card = await api.wait_text(ADMIN, "start=ev_")
        event_id = int(card.text.split("start=ev_")[1].split()[0])

        # two sign up, the third waits
        api.push_text(anna, "/events")
        await api.wait_text(anna, "Ближайшие мероприятия")
        api.press(anna, "1. Школа НКО")
        await api.wait_text(anna, "Запись до")
        api.press(anna, "Записаться")
        await api.wait_text(anna, "Вы записаны")
        api.press(anna, "📆 В календарь")  # the .ics on request
        await api.wait_for(lambda c: c.method == "sendDocument" and str(c.params.get("chat_id")) == str(anna))
        api.push_text(boris, f"/start ev_{event_id}")
        await api.wait_text(boris, "Свободно мест: 1 из 2")
        api.press(boris, "Записаться")
        await api.wait_text(boris, "Вы записаны")
        api.push_text(vera, f"/start ev_{event_id}")
        await api.wait_text(vera, "Мест нет")
        api.press(vera, "В лист ожидания")
        await api.wait_text(vera, "номером 1")

        # Anna cancels from /my; the running outbox brings Vera the offer; she confirms
        api.push_text(anna, "/my")
        await api.wait_for(lambda c: has_button(c, anna, "Мои записи на мероприятия"))
        api.press(anna, "Мои записи на мероприятия")
        await api.wait_text(anna, "Ваши записи")
        api.press(anna, "Школа НКО")
        await api.wait_text(anna, "Вы записаны.")
        api.press(anna, "Отменить запись")
        await api.wait_text(anna, "Отменить запись на")
        api.press(anna, "Да, отменить")
        await api.wait_text(anna, "Запись отменена")
        await api.wait_text(vera, "Освободилось место", timeout=60)
        api.press(vera, "Беру место")
        await api.wait_text(vera, "Вы записаны")

        # check-in: staff tick Vera, Boris scans the door QR (a deep link with the code)
        staff_says(api, "/staff_events")
        await api.wait_for(lambda c: has_button(c, ADMIN, "Школа НКО"))
        staff_presses(api, "Школа НКО")
        await api.wait_text(ADMIN, "Записаны: 2")
        staff_presses(api, "Участники и отметка")
        await api.wait_text(ADMIN, "Нажмите на человека")
        staff_presses(api, "Вера Лис")
        await api.wait_for(
            lambda c: c.method == "answerCallbackQuery" and "Отмечен" in str(c.params.get("text"))
        )
        staff_presses(api, "К мероприятию")
        await api.wait_text(ADMIN, "пришли: 1")
        staff_presses(api, "QR для отметки")
        qr = await api.wait_for(lambda c: c.method == "sendPhoto" and "start=ci_" in c.text)
        deep = qr.text.split("start=")[1].split()[0]
        api.push_text(boris, f"/start {deep}")
        await api.wait_text(boris, "вы отмечены")
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert statuses(tmp_path / "bot.db") == {
        "Анна Смирнова": "cancelled",
        "Борис Ким": "confirmed",
        "Вера Лис": "confirmed",
    }
    assert rows(
        tmp_path / "bot.db", "SELECT count(*) FROM event_signups WHERE checked_in_at IS NOT NULL"
    ) == [(2,)]
