"""Consent and registration, driven through the real dispatcher."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from db.models import ConsentLog, User
from tests.client import TgClient
from tests.conftest import register


async def users(db) -> list[User]:
    async with db.session() as s:
        return list(await s.scalars(select(User)))


async def state_of(client: TgClient) -> str | None:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    return await client.dp.storage.get_state(key)


async def test_start_greets_and_asks_consent(client: TgClient, db) -> None:
    await client.send("/start")
    text = client.all_text()
    for offer in ("консультации", "офис для НКО", "коворкинг", "ЭКСПО", "социального бизнеса"):
        assert offer in text
    assert "152-ФЗ" in text
    assert "✅ Согласен" in client.buttons()
    assert await users(db) == []  # nothing stored before consent


async def test_full_registration(client: TgClient, db) -> None:
    await client.send("/start")
    await client.press("Согласен")
    assert "Шаг 1 из" in client.last_text
    await client.send("Анна Смирнова")
    assert "Кто вы" in client.last_text
    await client.press("Сотрудник СОНКО")
    assert "организация" in client.last_text
    await client.send("АНО «Добрые руки»")
    assert "районе" in client.last_text
    await client.press("Идринский")
    assert "телефон" in client.last_text.lower()
    await client.send_contact("+7 913 123-45-67")
    await client.press("Да", exact=True)
    assert "Регистрация завершена" in client.all_text()
    [user] = await users(db)
    assert (user.full_name, user.target_group, user.organisation, user.district, user.phone) == (
        "Анна Смирнова",
        "nko_staff",
        "АНО «Добрые руки»",
        "idrinsky",
        "+79131234567",
    )
    assert user.news_opt_in and user.digest_enabled and user.is_registered
    async with db.session() as s:
        consent = await s.scalar(select(ConsentLog))
    assert consent is not None and consent.action == "given" and consent.policy_version == "1.0"
    assert await state_of(client) is None


async def test_consent_refusal_stores_nothing(client: TgClient, db) -> None:
    await client.send("/start")
    await client.press("Не согласен")
    assert "ничего не сохранили" in client.last_text
    assert "ℹ️ О Центре" in client.buttons()
    assert await users(db) == []
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ConsentLog)) == 0
    await client.press("О Центре")
    assert client.sent("SendVenue")


async def test_helper_register(client: TgClient, db) -> None:
    await register(client)
    [user] = await users(db)
    assert user.full_name == "Иван Петров" and user.phone is None and user.organisation is None
