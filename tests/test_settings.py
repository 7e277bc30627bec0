"""/settings: reminders, how early, the digest, interests, language; applied to what is already queued."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.types import ChatMemberBanned, ChatMemberMember, ChatMemberUpdated, Update
from aiogram.types import User as TgUser
from hypothesis import given
from sqlalchemy import select

from db.base import utcnow
from db.engine import write
from db.models import Notification, NotificationStatus, User
from services import notifications
from tests.client import TgClient
from tests.conftest import register
from tests.fuzz import examples, typed_texts


async def me(db, tg_id: int = 1001) -> User:
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == tg_id))
        assert user is not None
        return user


async def notices(db) -> list[Notification]:
    async with db.session() as s:
        return list(await s.scalars(select(Notification).order_by(Notification.id)))


async def state_of(client: TgClient) -> str | None:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    return await client.dp.storage.get_state(key)


async def queue_reminders(db, user: User) -> tuple[int, int]:
    """One reminder that follows the person's lead and one with a fixed lead, three days ahead."""
    event_at = utcnow().replace(microsecond=0) + timedelta(days=3)

    def reminder(s: Any, ref_type: str, ref_id: int, what: str, **lead: timedelta) -> Any:
        payload = {"text": "notify.reminder", "params": {"what": what}}
        return notifications.queue_reminder(
            s,
            user=user,
            kind=f"{ref_type}.reminder",
            ref_type=ref_type,
            ref_id=ref_id,
            event_at=event_at,
            payload=payload,
            **lead,
        )

    async with db.session() as s, write(s):
        own = await reminder(s, "booking", 1, "Коворкинг")
        fixed = await reminder(s, "event", 2, "Семинар", lead=timedelta(hours=2))
    assert own is not None and fixed is not None
    return own.id, fixed.id


async def test_settings_screen_shows_current_choices(client: TgClient, db) -> None:
    await register(client)
    await client.send("/settings")
    text = client.last_text
    assert "Настройки уведомлений" in text
    assert "Напоминания: включены, за сутки" in text
    assert "Новости недели: приходят по понедельникам в 10:00" in text
    assert "Районы: Краснотуранский" in text and "В Новостях недели: всё" in text and "Язык: Русский" in text
    assert "🔕 Выключить напоминания" in client.buttons()
    # also from the main menu
    await client.send("/menu")
    await client.press("Настройки")
    assert "Настройки уведомлений" in client.last_text


async def test_unregistered_person_is_asked_to_register(client: TgClient) -> None:
    await client.send("/settings")
    assert "152-ФЗ" in client.last_text  # consent first, then the short registration


async def test_reminders_off_cancels_queued_and_on_brings_them_back(client: TgClient, db) -> None:
    await register(client)
    await queue_reminders(db, await me(db))
    await client.send("/settings")
    await client.press("Выключить напоминания")
    assert "Напоминания выключены" in client.alerts()[0]
    assert "Напоминания: выключены" in client.sent("EditMessageText")[-1].text  # the same message changed
    assert not (await me(db)).reminders_enabled
    assert {n.status for n in await notices(db)} == {NotificationStatus.CANCELLED}
    # new reminders are not queued while off
    async with db.session() as s, write(s):
        assert (
            await notifications.queue_reminder(
                s,
                user=await me(db),
                kind="x",
                ref_type="x",
                ref_id=9,
                event_at=utcnow() + timedelta(days=1),
                payload={"text": "notify.reminder"},
            )
            is None
        )
    await client.press("Включить напоминания")
    assert (await me(db)).reminders_enabled
    assert {n.status for n in await notices(db)} == {NotificationStatus.PENDING}


async def test_a_reminder_cancelled_with_its_booking_stays_cancelled(client: TgClient, db) -> None:
    await register(client)
    await queue_reminders(db, await me(db))
    async with db.session() as s, write(s):
        await notifications.cancel(s, ref_type="booking", ref_id=1)
    await client.send("/settings")
    await client.press("Выключить напоминания")
    await client.press("Включить напоминания")
    booking, event = await notices(db)
    assert booking.status == NotificationStatus.CANCELLED and event.status == NotificationStatus.PENDING


async def test_lead_change_moves_own_lead_reminders_only(client: TgClient, db) -> None:
    await register(client)
    await queue_reminders(db, await me(db))
    before = {n.kind: n.due_at for n in await notices(db)}
    await client.send("/settings")
    await client.press("За сколько напоминать")
    assert "✅ сутки" in client.buttons()
    await client.press("1 час", exact=False)
    assert "Теперь напоминаем за 1 час" in client.alerts()[0]
    assert (await me(db)).reminder_lead_minutes == 60
    after = {n.kind: n for n in await notices(db)}
    event_at = after["booking.reminder"].expires_at
    assert after["booking.reminder"].due_at == event_at - timedelta(hours=1)
    assert after["booking.reminder"].due_at != before["booking.reminder"]
    assert after["event.reminder"].due_at == before["event.reminder"]  # a fixed "2 hours before"
    assert "за 1 час" in client.sent("EditMessageText")[-1].text  # back on the main screen


async def test_digest_off_cancels_a_waiting_digest(client: TgClient, db) -> None:
    await register(client)
    user = await me(db)
    async with db.session() as s, write(s):
        await notifications.queue(
            s, user=user, kind="digest", due_at=utcnow(), payload={"html": "x"}, quiet=True
        )
    await client.send("/settings")
    await client.press("Не получать «Новости недели»")
    assert not (await me(db)).digest_enabled
    [row] = await notices(db)
    assert row.status == NotificationStatus.CANCELLED
    await client.press("Получать «Новости недели»")
    assert (await me(db)).digest_enabled


async def test_districts_and_topics_are_toggled_and_kept(client: TgClient, db) -> None:
    await register(client)
    await client.send("/settings")
    await client.press("Районы")
    assert "✅ Краснотуранский" in client.buttons()
    await client.press("Идринский")
    await client.press("Краснотуранский")
    assert (await me(db)).interest_districts == ["idrinsky"]
    await client.press("Шушенский")
    assert (await me(db)).interest_districts == ["idrinsky", "shushensky"]
    await client.press("Назад")
    assert "Районы: Идринский, Шушенский" in client.sent("EditMessageText")[-1].text
    await client.press("Темы")
    await client.press("Идеи жителей")
    await client.press("Мероприятия")
    assert (await me(db)).interest_topics == ["events", "ideas"]
    await client.press("Любые")
    assert (await me(db)).interest_topics == []
    await client.press("Идеи жителей")
    await client.press("Назад")
    assert "В Новостях недели: 💡 Идеи жителей" in client.sent("EditMessageText")[-1].text


async def test_language_switch_changes_the_screen(client: TgClient, db) -> None:
    await register(client)
    await client.send("/settings")
    await client.press("Язык")
    await client.press("English")
    assert (await me(db)).language == "en"
    assert "Notification settings" in client.sent("EditMessageText")[-1].text
    await client.press("Done")
    assert await state_of(client) is None
    assert "Settings saved" in client.alerts()[0]


async def test_typed_text_and_stickers_keep_the_screen(client: TgClient, db) -> None:
    await register(client)
    await client.send("/settings")
    await client.press("Районы")
    await client.send("Минусинск")
    assert "кнопками" in client.texts()[0]
    assert "Мероприятия каких районов" in client.last_text
    await client.send_sticker()
    assert "кнопками" in client.texts()[0]
    assert (await state_of(client)) == "SettingsDialog:district"
    await client.press("Назад")
    assert await state_of(client) == "SettingsDialog:main"
    await client.send("привет")
    assert "Настройки уведомлений" in client.last_text  # the main screen again, still in settings
    await client.send("/cancel")
    assert await state_of(client) is None


async def test_forged_values_are_refused(client: TgClient, db) -> None:
    from keyboards.settings import SetCb

    await register(client)
    await client.send("/settings")
    for forged in ("7", "²", "-60", "99999999999999999999"):
        await client.press_data(SetCb(action="lead", value=forged).pack())
        assert "кнопкой" in client.alerts()[0]
    await client.press_data(SetCb(action="district", value="moscow").pack())
    assert "кнопкой" in client.alerts()[0]
    await client.press_data(SetCb(action="lang", value="de").pack())
    assert client.alerts()
    user = await me(db)
    assert user.reminder_lead_minutes == 1440 and user.interest_districts == ["krasnoturansky"]
    assert user.language in (None, "ru")


@examples(10)
@given(text=typed_texts(min_size=1, max_size=300))
async def test_random_text_in_every_screen_is_harmless(client: TgClient, db, text: str) -> None:
    async with db.session() as s:
        registered = await s.scalar(select(User).where(User.tg_id == 1001)) is not None
    if not registered:
        await register(client)
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    await client.send("/settings")
    for screen in ("Районы", "Темы", "Язык", "За сколько"):
        await client.press(screen)
        state = await client.dp.storage.get_state(key)
        await client.send(text)
        assert await client.dp.storage.get_state(key) == state
        assert "кнопками" in client.texts()[0]
        await client.press("Назад")
    assert (await me(db)).interest_districts == ["krasnoturansky"]


async def test_blocking_and_unblocking_the_bot(client: TgClient, db) -> None:
    await register(client)

    def member_update(status) -> Update:
        tg_user = TgUser(id=1001, is_bot=False, first_name="Иван")
        bot_user = TgUser(id=123456789, is_bot=True, first_name="Центр")
        old = (
            ChatMemberMember(user=bot_user)
            if status is ChatMemberBanned
            else ChatMemberBanned(user=bot_user, until_date=0)
        )
        new = status(user=bot_user, until_date=0) if status is ChatMemberBanned else status(user=bot_user)
        return Update(
            update_id=900000 + (1 if status is ChatMemberBanned else 2),
            my_chat_member=ChatMemberUpdated(
                chat=client.chat, from_user=tg_user, date=utcnow(), old_chat_member=old, new_chat_member=new
            ),
        )

    await client._feed(member_update(ChatMemberBanned))
    assert (await me(db)).unreachable_at is not None
    async with db.session() as s, write(s):
        assert (
            await notifications.queue(s, user=await me(db), kind="x", due_at=utcnow(), payload={"text": "x"})
            is None
        )
    await client._feed(member_update(ChatMemberMember))
    assert (await me(db)).unreachable_at is None


async def test_opening_settings_makes_a_person_reachable_again(client: TgClient, db) -> None:
    from sqlalchemy import update

    await register(client)
    async with db.session() as s, write(s):
        await s.execute(update(User).values(unreachable_at=utcnow()))
    await client.send("/settings")
    assert (await me(db)).unreachable_at is None


async def test_export_and_erase_cover_notifications(client: TgClient, db) -> None:
    from services import privacy

    await register(client)
    await queue_reminders(db, await me(db))
    async with db.session() as s:
        data = await privacy.export(s, await me(db))
    assert [n["kind"] for n in data["notifications"]] == ["booking.reminder", "event.reminder"]
    async with db.session() as s:
        await privacy.erase(s, 1001, "1.0")
    for row in await notices(db):
        assert row.payload == {} and row.status == NotificationStatus.CANCELLED
