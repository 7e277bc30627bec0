"""The issue's «done when», through the real running bot (`python -m bot` against the fake Bot API):
a person submits an idea with a photo, staff return it for changes, the person edits and resubmits,
staff publish it, two others support it and the author is told (by the outbox sender)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_CHAT_ID, STAFF_ID
from tests.fake_api import FakeTelegram
from tests.test_process import BotProcess, register

pytestmark = pytest.mark.real_clock  # a real bot process reads the machine's clock

_ids = itertools.count(5000)


class Steps:
    """Waits that only look at calls made after the last step (old texts never satisfy them)."""

    def __init__(self, api: FakeTelegram) -> None:
        self.api = api
        self.mark = 0

    async def see(self, chat: int, fragment: str, method: str | None = None, timeout: float = 30.0) -> None:
        mark = self.mark

        def new_match(call: Any) -> bool:
            fresh = any(c is call for c in self.api.calls[mark:])
            text = fragment in call.text or fragment in str(call.params.get("text") or "")
            same_chat = method == "answerCallbackQuery" or str(call.params.get("chat_id")) == str(chat)
            return fresh and text and same_chat and (method is None or call.method == method)

        call = await self.api.wait_for(new_match, timeout)
        self.mark = next(i for i, c in enumerate(self.api.calls) if c is call) + 1

    def press(self, user: int, label: str) -> None:
        self.mark = len(self.api.calls)
        self.api.press(user, label)

    def text(self, user: int, text: str) -> None:
        self.mark = len(self.api.calls)
        self.api.push_text(user, text)

    def push(self, update: dict[str, Any]) -> None:
        self.mark = len(self.api.calls)
        self.api.push(update)


def push_photo(api: FakeTelegram, user_id: int) -> None:
    api.push(
        {
            "message": {
                "message_id": next(_ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": api.user(user_id),
                "photo": [
                    {"file_id": "photo-of-the-yard", "file_unique_id": "u1", "width": 90, "height": 90}
                ],
            }
        }
    )


def staff_message(api: FakeTelegram, text: str) -> dict[str, Any]:
    return {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": ADMIN_CHAT_ID, "type": "supergroup", "title": "Staff"},
        "from": api.user(STAFF_ID, "Мария", "Сотрудник"),
        "text": text,
    }


def staff_press(api: FakeTelegram, label: str) -> None:
    api.press(STAFF_ID, label, chat_id=ADMIN_CHAT_ID)


@pytest.mark.slow
async def test_idea_story_through_the_real_process(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, ADMIN_IDS=str(STAFF_ID), OUTBOX_TICK_SECONDS="1")
    await bot.start()
    author, fan1, fan2 = 6001, 6002, 6003
    go = Steps(api)
    try:
        await register(api, author, news=False, timeout=90)
        go.text(author, "/idea")
        await go.see(author, "Шаг 1 из 7")
        go.text(author, "Спортплощадка у школы")
        await go.see(author, "Шаг 2 из 7")
        go.text(author, "Подросткам негде заниматься спортом после уроков.")
        await go.see(author, "Шаг 3 из 7")
        go.text(author, "Поставить турники во дворе школы №1.")
        await go.see(author, "Шаг 4 из 7")
        go.press(author, "Краснотуранский")
        await go.see(author, "Шаг 5 из 7")
        go.press(author, "Молодёжь")
        await go.see(author, "Шаг 6 из 7")
        go.press(author, "Помещение")
        await go.see(author, "Шаг 6 из 7")  # the toggled help, shown again
        go.press(author, "Готово")
        await go.see(author, "Шаг 7 из 7")
        go.mark = len(api.calls)
        push_photo(api, author)
        await go.see(author, "Добавлено вложений: 1 из 5")
        go.press(author, "Готово")
        await go.see(author, "Всё верно?")
        go.press(author, "Подтвердить")
        await go.see(author, "отправлена в Центр")
        await api.wait_for(
            lambda c: c.method == "sendPhoto" and str(c.params.get("chat_id")) == str(ADMIN_CHAT_ID)
        )
        await api.wait_text(ADMIN_CHAT_ID, "Идея И-1")

        go.mark = len(api.calls)
        staff_press(api, "На доработку")
        await go.see(ADMIN_CHAT_ID, "Ответьте (Reply)")
        prompt = await api.wait_text(ADMIN_CHAT_ID, "что автору исправить")
        reply = staff_message(api, "Добавьте, сколько нужно турников")
        reply["reply_to_message"] = prompt.message()
        go.push({"message": reply})
        await go.see(ADMIN_CHAT_ID, "возвращена автору")
        await go.see(author, "вернули на доработку")  # delivered by the outbox sender

        go.press(author, "Открыть идею")
        await go.see(author, "Идею вернули на доработку")
        go.press(author, "Исправить и отправить снова")
        await go.see(author, "Исправление идеи")
        go.press(author, "Изменить поле")
        await go.see(author, "Что изменить")
        go.press(author, "Идея")
        await go.see(author, "Опишите саму идею")
        go.text(author, "Поставить 4 турника и брусья во дворе школы №1.")
        await go.see(author, "4 турника")
        go.press(author, "Подтвердить")
        await go.see(author, "снова на проверке")
        await api.wait_text(ADMIN_CHAT_ID, "Исправлена автором")

        go.mark = len(api.calls)
        staff_press(api, "Опубликовать")
        await go.see(ADMIN_CHAT_ID, "опубликована, автор уведомлён", method="answerCallbackQuery")
        await go.see(author, "опубликована")

        for fan in (fan1, fan2):
            await register(api, fan, news=False, timeout=90)
            go.text(fan, "/ideas")
            await go.see(fan, "Спортплощадка у школы")
            go.press(fan, "Поддержать")
            await go.see(fan, "Вы поддержали идею", method="answerCallbackQuery")
        await api.wait_text(author, "поддержал уже 1 человек")
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
