"""Staff recognition and refusal, error handling, throttling, commands."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.commands import set_commands
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, make_settings, register


async def test_staff_from_admin_ids_gets_the_staff_menu(staff: TgClient) -> None:
    await staff.send("/admin")
    assert "Меню сотрудника" in staff.last_text
    assert staff.buttons()[0] == "📥 Ждут ответа (0)"  # the inbox first, the technical views under «Ещё»
    await staff.press("Ещё")
    assert "📊 Статистика" in staff.buttons()


async def test_chat_member_is_staff_and_is_cached(client_factory: Any, fake_session: Any) -> None:
    member = client_factory(7001, chat_id=ADMIN_CHAT_ID)
    fake_session.set_member(ADMIN_CHAT_ID, 7001, "member")
    await member.send("/admin")
    assert "Меню сотрудника" in member.last_text
    await member.send("/admin")
    assert len(fake_session.calls_of("GetChatMember")) == 1  # cached


async def test_non_member_in_admin_chat_is_refused(client_factory: Any, fake_session: Any) -> None:
    stranger = client_factory(7002, chat_id=ADMIN_CHAT_ID)
    await stranger.send("/admin")
    assert "только сотрудникам" in stranger.last_text
    await stranger.send("/stats")
    assert "только сотрудникам" in stranger.last_text and "Статистика" not in stranger.all_text()


async def test_staff_command_outside_admin_chat_is_refused(client_factory: Any) -> None:
    staff_in_private = client_factory(STAFF_ID)
    await staff_in_private.send("/admin")
    assert "только сотрудникам" in staff_in_private.last_text
    await staff_in_private.send("/stats")
    assert "Статистика" not in staff_in_private.all_text()


async def test_staff_button_pressed_by_a_stranger_is_refused(staff: TgClient, client_factory: Any) -> None:
    await staff.send("/admin")
    await staff.press("Ещё")
    message, button = staff.find_button("Статистика")
    stranger = client_factory(7003, chat_id=ADMIN_CHAT_ID)
    await stranger.press_data(button.callback_data or "", message)
    assert stranger.alerts() and "только сотрудникам" in stranger.alerts()[0]
    assert not stranger.sent("SendMessage")


async def test_stats_count_registered_people(staff: TgClient, client_factory: Any) -> None:
    await register(client_factory(1), group="Получатель услуг", district="Идринский")
    await register(client_factory(2), group="Получатель услуг", district="Шушенский", news=False)
    await staff.send("/stats")
    text = staff.last_text
    assert "Зарегистрировано: 2" in text and "Подписаны на новости: 1" in text
    assert "Получатель услуг: 2" in text and "Идринский: 1" in text


async def test_unexpected_error_apologises_and_alerts_staff_once(
    dp: Any, bot: Any, fake_session: Any, client: TgClient
) -> None:
    boom = Router(name="boom")

    @boom.message(Command("boom"))
    async def explode(message: Message) -> None:
        raise RuntimeError("kaboom: INSERT ... parameters: ('+79991234567', 987654321)")

    dp.include_router(boom)
    dp.workflow_data["expect_errors"] = True
    await register(client)
    # The fallback router is before "boom" for plain text, but commands reach it only if nobody
    # else takes them; /boom is unknown to the others.
    dp.sub_routers.remove(boom)
    dp.sub_routers.insert(0, boom)
    await client.send("/boom")
    await client.send("/boom")
    assert "Что-то пошло не так" in client.last_text
    alerts = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
    assert len(alerts) == 1
    alert = alerts[0].method.text
    # the error's class, the handler and the update id only: no str(exc) with SQL parameters or ids
    assert "RuntimeError" in alert and "explode" in alert
    assert "kaboom" not in alert and "79991234567" not in alert and "987654321" not in alert
    assert len(dp.workflow_data["error_sink"]) == 2


async def test_flood_is_throttled_with_one_notice(database_url: str, db: Any, fake_session: Any) -> None:
    from bot.factory import create_bot, create_dispatcher

    settings = make_settings(database_url, throttle_rate=3)
    dp = create_dispatcher(settings, db, error_sink=[])
    bot = create_bot(settings, session=fake_session)
    client = TgClient(dp, bot, 8001)
    for _ in range(10):
        await client.send("/help")
    texts = [c.method.text for c in fake_session.calls_of("SendMessage", chat_id=8001)]
    assert sum("Помощь" in t for t in texts) == 3
    assert sum("Слишком много сообщений" in t for t in texts) == 1
    await dp.storage.close()


async def test_commands_are_set_per_scope_and_language(bot: Any, fake_session: Any, dp: Any) -> None:
    await set_commands(bot, dp["i18n"], ADMIN_CHAT_ID)
    calls = fake_session.calls_of("SetMyCommands")
    private = {
        c.method.language_code: c.method.commands for c in calls if c.method.scope.type == "all_private_chats"
    }
    assert set(private) == {None, "ru", "en"}
    assert any(cmd.command == "privacy" and cmd.description == "Мои данные" for cmd in private["ru"])
    assert any(cmd.command == "privacy" and cmd.description == "My data" for cmd in private["en"])
    admin = [c for c in calls if c.method.scope.type == "chat"]
    assert admin and all(c.method.scope.chat_id == ADMIN_CHAT_ID for c in admin)
    assert {cmd.command for cmd in admin[0].method.commands} >= {"admin", "stats"}
    assert not any(cmd.command == "admin" for cmd in private["ru"])


async def test_chatid_in_a_group(client_factory: Any) -> None:
    member = client_factory(7010, chat_id=-1009999)
    await member.send("/chatid")
    assert "-1009999" in member.last_text and "ADMIN_CHAT_ID" in member.last_text


async def test_nul_characters_are_dropped_before_handlers(client: TgClient, db: Any) -> None:
    from sqlalchemy import select

    from db.models import User

    await register(client, name="Ан\x00на Иванова", district="Идринский", news=False)
    async with db.session() as s:
        user = await s.scalar(select(User))
    assert user is not None and user.full_name == "Анна Иванова"
