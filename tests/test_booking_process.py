"""The issue's «done when», through the real `python -m bot` process and the fake Bot API server:
a person books the meeting room, gets the reminder (sent by the running outbox), cancels from it,
and another person then books the freed place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fake_api import FakeTelegram
from tests.test_process import BotProcess, due_now, register, rows

pytestmark = pytest.mark.real_clock  # a real bot process reads the machine's clock


def press_prefix(server: FakeTelegram, user_id: int, prefix: str, index: int = 0) -> str:
    """Press one of the buttons with callback data starting with ``prefix`` in the newest message
    that has such buttons; returns its label."""
    for call in reversed(server.calls):
        if str(call.params.get("chat_id")) != str(user_id):
            continue
        found = [b for b in call.buttons() if str(b.get("callback_data", "")).startswith(prefix)]
        if found:
            button = found[index]
            server.push_callback(user_id, button["callback_data"], call.message())
            return str(button["text"])
    raise AssertionError(f"no {prefix} button sent to {user_id}")


def booking_rows(db_path: Path) -> list[tuple[int, str, str]]:
    return rows(db_path, "SELECT user_id, status, start_at FROM bookings ORDER BY id")


async def walk_to_confirm(server: FakeTelegram, person: int, time_label: str | None = None) -> str:
    server.push_text(person, "/book")
    await server.wait_text(person, "Что забронировать")
    server.press(person, "Переговорная")
    await server.wait_text(person, "Выберите день")
    # the last day offered in the first month shown: far from the notice and the cut-off
    press_prefix(server, person, "fm:Book:day:p:2", -1)
    await server.wait_text(person, "Во сколько")
    if time_label is None:
        label = press_prefix(server, person, "fm:Book:time:p:", 0)
    else:
        server.press(person, time_label)
        label = time_label
    await server.wait_text(person, "На сколько")
    server.press(person, "1 ч")
    await server.wait_text(person, "Для чего")
    server.press(person, "Пропустить")
    await server.wait_text(person, "Проверьте бронирование")
    return label


@pytest.mark.slow
async def test_book_remind_cancel_rebook_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, OUTBOX_TICK_SECONDS="1")
    await bot.start()
    anna, boris = 3101, 3102
    try:
        api.push_text(anna, "/start")  # a loaded machine may need a while to import and start
        await api.wait_text(anna, "Что хотите посмотреть", timeout=120)
        await register(api, anna, name="Анна Смирнова", timeout=120)
        await register(api, boris, name="Борис Орлов", timeout=120)

        time_label = await walk_to_confirm(api, anna)
        api.press(anna, "Забронировать")
        confirmation = await api.wait_text(anna, "место за вами")
        assert confirmation.method == "sendMessage" and "Переговорная" in confirmation.text
        api.press(anna, "📆 В календарь")  # the .ics on request
        await api.wait_for(lambda c: c.method == "sendDocument" and str(c.params.get("chat_id")) == str(anna))
        [(_user_id, status, start_at)] = booking_rows(tmp_path / "bot.db")
        assert status == "confirmed"

        # the reminder is due a day before; bring it forward so the running outbox sends it now
        due_now(tmp_path / "bot.db", "booking.reminder")
        reminder = await api.wait_text(anna, "Напоминаем", timeout=30)
        assert "Переговорная" in reminder.text
        labels = [b["text"] for b in reminder.buttons()]
        assert "👍 Приду" in labels and "✖️ Отменить бронирование" in labels

        api.press(anna, "Отменить бронирование")
        await api.wait_text(anna, "Отменить это бронирование")
        api.press(anna, "Да, отменить")
        await api.wait_text(anna, "Бронирование отменено")
        assert booking_rows(tmp_path / "bot.db")[0][1] == "cancelled"

        await walk_to_confirm(api, boris, time_label)
        api.press(boris, "Забронировать")
        await api.wait_text(boris, "место за вами")
        rows = booking_rows(tmp_path / "bot.db")
        assert [r[1] for r in rows] == ["cancelled", "confirmed"] and rows[1][2] == start_at
    finally:
        _code, stderr = await bot.stop()
    assert "Traceback" not in stderr, stderr
