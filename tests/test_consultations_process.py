"""The issue's «done when», through the real `python -m bot` process against the fake Bot API server:
a person files a request with a document, staff take it, answer, set a meeting, the person replies,
staff close it and the person rates it."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from tests.client import Press
from tests.fake_api import BOT, FakeTelegram
from tests.test_process import BotProcess, converse, register, rows, the_row

ADMIN = -1001000000001
STAFF = 5001
PERSON = 4343
_ids = itertools.count(900_000)

pytestmark = [pytest.mark.slow, pytest.mark.real_clock]  # a real bot process reads the machine's clock


def _message(chat_id: int, user: dict[str, Any], **fields: Any) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
    return {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "from": user, **fields}


def staff_press(api: FakeTelegram, label: str) -> None:
    api.press(STAFF, label, chat_id=ADMIN)


async def link_of(db_path: Path, purpose: str) -> tuple[int, int]:
    """The admin-chat message a staff reply must go to (recorded right after it is sent)."""
    for _attempt in range(100):
        found = rows(
            db_path,
            "SELECT chat_id, message_id FROM consultation_links WHERE purpose = ? AND chat_id = ? "
            "ORDER BY created_at DESC",
            purpose,
            ADMIN,
        )
        if found:
            return int(found[0][0]), int(found[0][1])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {purpose} link recorded")


async def answer_by_reply(api: FakeTelegram, db_path: Path, text: str) -> None:
    """Staff press «Ответить» on the card of К-1 and reply ``text`` to the prompt the bot posts."""
    staff_press(api, "Ответить")
    await api.wait_text(ADMIN, "ответ по заявке К-1")
    chat_id, prompt_id = await link_of(db_path, "answer")
    prompt = {
        "message_id": prompt_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "supergroup"},
    }
    staff = api.user(STAFF, "Мария", "Сотрудник")
    api.push({"message": _message(ADMIN, staff, text=text, reply_to_message={**prompt, "from": BOT})})


def consultation(db_path: Path) -> tuple[Any, ...]:
    return the_row(db_path, "SELECT status, outcome, rating, meeting_at FROM consultations")


async def test_request_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, ADMIN_IDS=str(STAFF))
    await bot.start()
    person = api.user(PERSON, "Анна", "Смирнова")
    db_path = tmp_path / "bot.db"
    try:
        await register(  # the first answer waits for the start-up, which applies every migration
            api,
            PERSON,
            name="Анна Смирнова",
            group="Сотрудник СОНКО",
            organisation="АНО «Сибирь»",
            district="Шушенский",
            phone="8 913 000-11-22",
            timeout=120,
        )

        # the person files a request with a document: the file comes with the question
        await converse(api, PERSON, ("/consult", "Выберите тему"), (Press("Гранты"), "Опишите вопрос"))
        document = {"file_id": "doc-ustav", "file_unique_id": "du", "file_name": "устав.pdf"}
        api.push({"message": _message(PERSON, person, document=document)})
        await api.wait_text(PERSON, "Файл сохранён")
        await converse(api, PERSON, ("Как подать заявку на грант губернатора?", "организации"))
        await api.wait_text(PERSON, "организации")
        api.press(PERSON, "Сибирь")
        await api.wait_text(PERSON, "удобнее")
        api.press(PERSON, "Онлайн")
        await api.wait_text(PERSON, "Когда вам удобно")
        api.press(PERSON, "Будни, утро")
        await api.wait_text(PERSON, "Проверьте заявку")
        api.press(PERSON, "Отправить заявку")
        await api.wait_text(PERSON, "принят")
        card = await api.wait_text(ADMIN, "Заявка К-1")
        assert "Анна" in card.text and "Смирнова" not in card.text
        await api.wait_for(
            lambda c: c.method == "sendDocument" and str(c.params.get("chat_id")) == str(ADMIN)
        )

        # staff take it and answer by replying to the prompt
        staff_press(api, "Взять")
        await api.wait_text(PERSON, "взята в работу")
        await answer_by_reply(api, db_path, "Пришлите смету проекта")
        await api.wait_text(PERSON, "Пришлите смету проекта")

        # the person replies
        await converse(api, PERSON, (Press("Ответить"), "Напишите сообщение по заявке К-1"))
        api.push_text(PERSON, "Смета во вложении будет завтра")
        await api.wait_text(ADMIN, "Смета во вложении будет завтра")

        # staff set a meeting: day, time, place
        staff_press(api, "Назначить встречу")
        await api.wait_for(lambda c: c.method == "editMessageReplyMarkup" and "mday" in str(c.params))
        days = next(
            labels
            for c in reversed(api.calls)
            if c.method == "editMessageReplyMarkup"
            and (labels := [b["text"] for b in c.buttons() if "mday" in b.get("callback_data", "")])
        )
        day = days[1] if len(days) > 1 else days[0]  # not today: 15:00 may have passed (a real clock)
        staff_press(api, day)
        await api.wait_for(lambda c: c.method == "editMessageReplyMarkup" and "mtime" in str(c.params))
        staff_press(api, "15:00")
        await api.wait_for(lambda c: c.method == "editMessageReplyMarkup" and "mplace" in str(c.params))
        staff_press(api, "В Центре")
        await api.wait_text(PERSON, "Встреча по заявке К-1")
        ics = await api.wait_for(
            lambda c: c.method == "sendDocument" and str(c.params.get("chat_id")) == str(PERSON)
        )
        assert b"BEGIN:VCALENDAR" in next(iter(ics.files.values()))
        assert consultation(db_path)[0] == "meeting"

        # staff close it, the person rates it
        staff_press(api, "Закрыть")
        await api.wait_for(lambda c: c.method == "editMessageReplyMarkup" and "outcome" in str(c.params))
        staff_press(api, "решено")
        await api.wait_text(PERSON, "закрыта: решено")
        api.press(PERSON, "5 ⭐")
        await api.wait_text(PERSON, "Спасибо за оценку")
        status, outcome, rating, meeting_at = consultation(db_path)
        assert (status, outcome, rating) == ("closed", "resolved", 5) and meeting_at is not None
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
