"""Issue 20's «done when», through the real `python -m bot` with both tokens set, against the fake Telegram
Bot API server and the fake MAX Bot API server (tests/fake_max.py): a resident in MAX registers (sharing
the phone with MAX's contact button), books the coworking, files a consultation that staff answer from the
Telegram admin chat, and receives the reminder and the answer in MAX; a Telegram person with the same
number as id is another person."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("aiogram_max", reason="the MAX messenger needs Python 3.12+ with aiogram-max")

from tests.fake_api import FakeTelegram
from tests.fake_max import MAX_TOKEN, FakeMax
from tests.test_consultations_process import answer_by_reply
from tests.test_process import BotProcess, due_now, rows

pytestmark = [pytest.mark.slow, pytest.mark.real_clock]  # a real bot process reads the machine's clock

ADMIN = -1001000000001
STAFF = 5001
PERSON = 4343  # in MAX; the Telegram person 4343 is somebody else


def press_payload(server: FakeMax, person: int, prefix: str, index: int = 0) -> str:
    """Press one of the callback buttons whose payload starts with ``prefix`` in the newest message to
    ``person`` that has such buttons; returns its label."""
    for call in reversed(server.calls):
        if call.person != person:
            continue
        found = [b for b in call.buttons() if str(b.get("payload", "")).startswith(prefix)]
        if found:
            server.press(person, found[index]["text"])
            return str(found[index]["text"])
    raise AssertionError(f"no {prefix} button sent to {person} in MAX")


async def converse(server: FakeMax, person: int, *steps: tuple[str, str]) -> None:
    """(a button label to press, or «>text» to type; a fragment of the answer to wait for)."""
    for action, reply in steps:
        since = len(server.calls)
        if action.startswith(">"):
            server.push_text(person, action[1:])
        else:
            server.press(person, action)
        await server.wait_text(person, reply, since=since)


async def test_a_resident_in_max_through_the_real_process(
    tmp_path: Path, api: FakeTelegram, max_api: FakeMax
) -> None:
    bot = BotProcess(
        tmp_path,
        api,
        ADMIN_IDS=str(STAFF),
        MAX_BOT_TOKEN=MAX_TOKEN,
        MAX_API_URL=max_api.url,
        OUTBOX_TICK_SECONDS="1",
    )
    await bot.start()
    db_path = tmp_path / "bot.db"
    try:
        # registration: «Начать» in MAX, consent, the questions; the phone through MAX's contact button
        max_api.push_start(PERSON)  # looking around needs no consent: registering on purpose is under «Ещё»
        await max_api.wait_text(PERSON, "Что хотите посмотреть", timeout=120)
        await converse(
            max_api,
            PERSON,
            ("Ещё", "Ещё:"),
            ("Зарегистрироваться", "152-ФЗ"),
            ("Даю согласие", "Как вас зовут"),
            (">Галина Петровна", "Кто вы"),
            ("Житель", "районе"),
            ("Краснотуранский", "телефон"),
            ("Отправить мой номер", "новости"),
            ("Да", "Регистрация завершена"),
        )
        [(messenger, tg_id, phone, status)] = rows(
            db_path, "SELECT messenger, tg_id, phone, status FROM users"
        )
        assert (messenger, tg_id, status) == ("max", PERSON, "registered") and phone and "913" in phone
        assert any(c.path == "/me" and c.http == "PATCH" for c in max_api.calls), "MAX commands are set"

        # the Telegram person with the same id is not the MAX one: a newcomer, not welcomed back
        api.push_text(PERSON, "/start")
        await api.wait_text(PERSON, "Что хотите посмотреть", timeout=30)
        assert not any("С возвращением" in c.text for c in api.sent_to(PERSON))

        # booking the coworking
        max_api.push_text(PERSON, "/book")
        await max_api.wait_text(PERSON, "Что забронировать")
        await converse(max_api, PERSON, ("Коворкинг", "Выберите день"))
        press_payload(max_api, PERSON, "fm:Book:day:p:2", -1)
        await max_api.wait_text(PERSON, "Во сколько")
        press_payload(max_api, PERSON, "fm:Book:time:p:", 0)
        await max_api.wait_text(PERSON, "На сколько")
        await converse(max_api, PERSON, ("1 ч", "Для чего"), ("Пропустить", "Проверьте бронирование"))
        max_api.press(PERSON, "Забронировать")
        await max_api.wait_text(PERSON, "место за вами")
        max_api.press(PERSON, "📆 В календарь")  # the .ics on request
        await max_api.wait_for(  # the .ics goes as a MAX file
            lambda c: c.person == PERSON and any(a.get("type") == "file" for a in c.attachments)
        )
        assert rows(db_path, "SELECT status FROM bookings") == [("confirmed",)]

        # the reminder: due a day before; brought forward so the running outbox sends it now, in MAX
        due_now(db_path, "booking.reminder")
        reminder = await max_api.wait_text(PERSON, "Напоминаем", timeout=30)
        assert "Коворкинг" in reminder.text and any("Приду" in b["text"] for b in reminder.buttons())
        assert rows(db_path, "SELECT messenger FROM notifications WHERE kind = 'booking.reminder'") == [
            ("max",)
        ]

        # a consultation, answered by staff from the Telegram admin chat
        await converse(
            max_api,
            PERSON,
            (">/consult", "Выберите тему"),
            ("Гранты", "Опишите вопрос"),
            (">Как подать заявку на грант губернатора?", "организации"),
        )
        await _finish_request(max_api)
        card = await api.wait_text(ADMIN, "Заявка К-1")
        assert "MAX" in card.text and "Галина" in card.text
        api.press(STAFF, "Взять", chat_id=ADMIN)
        await max_api.wait_text(PERSON, "взята в работу")
        await answer_by_reply(api, db_path, "Пришлите смету проекта")
        answer = await max_api.wait_text(PERSON, "Пришлите смету проекта")
        assert any("Ответить" in b["text"] for b in answer.buttons())

        # nothing for the MAX resident went to Telegram, nothing of the staff chat went to MAX
        assert all("Пришлите смету" not in c.text and "Напоминаем" not in c.text for c in api.sent_to(PERSON))
        assert not [c for c in max_api.calls if c.params.get("chat_id") == str(ADMIN)]
        assert max_api.unauthorized == 0
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr


async def _finish_request(server: FakeMax) -> None:
    """The rest of the request dialog, whatever optional steps it asks (files, format, time, preview)."""
    for _step in range(8):
        await asyncio.sleep(0.3)
        last = next(c for c in reversed(server.calls) if c.person == PERSON and c.text)
        if "принят" in last.text:
            return
        labels = [b["text"] for b in last.buttons()]
        for wanted in (
            "Отправить заявку",
            "Дальше",
            "Пропустить",
            "частное лицо",
            "В переписке",
            "Онлайн",
            "Будни, утро",
        ):
            match = next((label for label in labels if wanted in label), None)
            if match is not None:
                server.press(PERSON, match)
                await server.wait_for(lambda c, before=len(server.calls): len(server.calls) > before)
                break
        else:
            raise AssertionError(f"the request dialog stopped at {last.text!r} with {labels}")
    await server.wait_text(PERSON, "принят")
