"""The weekly digest: contents per person's settings, queueing once a week, sending, «Отписаться», staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import example, given
from sqlalchemy import select

from bot.delivery.outbox import telegram_outbox
from bot.i18n import create_i18n
from bot.scheduler import run_catch_up, run_weekly_digest
from db.base import utcnow
from db.engine import write
from db.models import AuditLog, DigestNews, NewsStatus, Notification, NotificationStatus, User, UserStatus
from services import digest as digest_service
from services.digest import DigestItem
from services.outbox import Outbox, Pacer
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, register
from tests.fuzz import examples, typed_texts

I18N = create_i18n("ru")
# Monday 23 Nov 2026, 10:00 in Krasnoyarsk
MONDAY_10 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

EVENTS = [
    # (title, district or None for online, topic)
    ("Семинар по грантам", "idrinsky", "grants"),
    ("Ярмарка <ЭКСПО>", "krasnoturansky", "expo"),
    ("Онлайн-школа НКО", None, "education"),
]


def per_person(source):
    """A test section written per person, as the batch source the digest calls."""

    async def batch(session, users, now, until):
        return {user.id: await source(session, user, now, until) for user in users}

    return batch


async def events_source(session, user: User, now: datetime, until: datetime) -> list[DigestItem]:
    """Stands in for the events feature: upcoming events matching the person's interests."""
    items = []
    for number, (title, district, topic) in enumerate(EVENTS, 1):
        if district is not None and user.interest_districts and district not in user.interest_districts:
            continue
        if user.interest_topics and topic not in user.interest_topics:
            continue
        items.append(
            DigestItem(
                text=title.replace("<", "&lt;").replace(">", "&gt;"), button=("btn.yes", f"ev:{number}")
            )
        )
    return items


async def own_source(session, user: User, now: datetime, until: datetime) -> list[DigestItem]:
    return [DigestItem(text="Коворкинг, ср 25.11 14:00")] if user.full_name == "Анна Смирнова" else []


@pytest.fixture
def sources(monkeypatch):
    # registered in another order than shown: own things come first
    monkeypatch.setattr(
        digest_service,
        "SOURCES",
        [("events", per_person(events_source)), ("bookings", per_person(own_source))],
    )


@pytest.fixture(autouse=True)
def section_titles(monkeypatch):
    """The section titles are the features' texts; here they stand in for them."""
    original = I18N.gettext

    def gettext(key: str, *args, **kwargs) -> str:
        fake = {"digest.section.bookings": "🗓 Ваши записи", "digest.section.events": "🎪 Мероприятия"}
        return fake.get(key) or original(key, *args, **kwargs)

    monkeypatch.setattr(I18N, "gettext", gettext)


async def person(db, tg_id: int, name: str, **fields) -> User:
    fields.setdefault("digest_enabled", True)
    async with db.session() as s, write(s):
        user = User(tg_id=tg_id, full_name=name, status=UserStatus.REGISTERED, **fields)
        s.add(user)
    return user


async def digests(db) -> dict[int, Notification]:
    async with db.session() as s:
        rows = await s.scalars(select(Notification).where(Notification.kind == "digest"))
        return {row.chat_id: row for row in rows}


async def add_news(db, text: str) -> DigestNews:
    async with db.session() as s:
        return await digest_service.add_news(s, STAFF_ID, text)


async def test_each_person_gets_exactly_what_their_settings_select(db, sources, settings) -> None:
    await person(db, 1, "Анна Смирнова", interest_districts=["idrinsky"])
    await person(db, 2, "Борис Иванов", interest_topics=["expo"], language="en")
    await person(db, 3, "Вера Петрова", digest_enabled=False)
    await person(db, 4, "Глеб Орлов", interest_districts=["shushensky"], interest_topics=["sport"])
    await person(db, 5, "Дина Козлова", unreachable_at=MONDAY_10)

    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10) == 2
    rows = await digests(db)
    assert set(rows) == {1, 2}  # off, unreachable, and an empty digest: nothing
    anna = rows[1].payload["html"]
    assert "Анна, вот что вас ждёт" in anna and "23.11–29.11" in anna
    assert "Коворкинг" in anna and "Семинар по грантам" in anna and "Онлайн-школа НКО" in anna
    assert "Ярмарка" not in anna
    assert anna.index("Ваши записи") < anna.index("Мероприятия")
    labels = [b["label"] for row in rows[1].payload["buttons"] for b in row]
    assert labels == ["1. Да", "2. Да", "🔕 Отписаться от «Новостей недели»"]
    assert [b["data"] for row in rows[1].payload["buttons"] for b in row] == ["ev:1", "ev:3", "dg:off"]
    boris = rows[2].payload["html"]
    assert "Ярмарка &lt;ЭКСПО&gt;" in boris and "Семинар" not in boris and "Онлайн" not in boris
    assert "here is what's ahead" in boris  # in his language
    for row in rows.values():
        assert row.quiet and row.due_at == MONDAY_10 and row.expires_at == MONDAY_10 + timedelta(days=3)
        assert row.key.endswith(":2026-W48")


async def test_queued_once_per_week(db, sources, settings) -> None:
    await person(db, 1, "Анна Смирнова")
    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10) == 1
    await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10 + timedelta(hours=2))
    assert len(await digests(db)) == 1
    await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10 + timedelta(days=7))
    async with db.session() as s:
        keys = sorted(r.key for r in await s.scalars(select(Notification)))
    assert [k[-8:] for k in keys] == ["2026-W48", "2026-W49"]


async def test_news_go_to_every_subscriber_once(db, sources, settings) -> None:
    await person(db, 4, "Глеб Орлов", interest_districts=["shushensky"], interest_topics=["sport"])
    await person(db, 6, "Ева Белова", interest_topics=["youth"])
    news = await add_news(db, "Открыт приём заявок на <грант> «Енисей»\nдо 10 декабря")
    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10) == 2
    for row in (await digests(db)).values():
        assert "Новости Центра" in row.payload["html"]
        assert "Открыт приём заявок на &lt;грант&gt; «Енисей»\nдо 10 декабря" in row.payload["html"]
    async with db.session() as s:
        stored = await s.get(DigestNews, news.id)
        assert stored.status == NewsStatus.SENT and stored.week == "2026-W48"
        assert await digest_service.queued_news(s) == []
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "digest.news_add"))
        assert audit is not None and audit.actor_tg_id == STAFF_ID
    # next week nothing new: empty digests are not sent
    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10 + timedelta(days=7)) == 0


async def test_long_digest_fits_one_message(db, monkeypatch, settings) -> None:
    async def many(session, user, now, until):
        return [
            DigestItem(text="Событие " + "очень длинное " * 20, button=("btn.yes", f"ev:{i}"))
            for i in range(40)
        ]

    monkeypatch.setattr(digest_service, "SOURCES", [("events", per_person(many))])
    await person(db, 1, "Анна Смирнова")
    for _ in range(5):
        await add_news(db, "Новость " + "текст " * 150)
    await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10)
    [row] = (await digests(db)).values()
    assert len(row.payload["html"]) <= 4096
    assert "…и ещё 30" in row.payload["html"]
    numbers = [b["label"].split(".")[0] for r in row.payload["buttons"] for b in r][:-1]
    assert numbers == [str(n) for n in range(1, 11)]


async def test_a_failing_source_costs_only_its_section(db, monkeypatch, settings) -> None:
    async def broken(session, user, now, until):
        raise RuntimeError("boom")

    monkeypatch.setattr(digest_service, "SOURCES", [("broken", per_person(broken))])
    await person(db, 1, "Анна Смирнова")
    await add_news(db, "Новость недели")
    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10) == 1


async def test_catch_up_after_downtime(db, sources, settings) -> None:
    await person(db, 1, "Анна Смирнова")
    assert await run_catch_up(settings, db, I18N, now=MONDAY_10 + timedelta(hours=30)) == 0
    assert await run_catch_up(settings, db, I18N, now=MONDAY_10 + timedelta(hours=5)) == 1
    assert await run_weekly_digest(settings, db, I18N, now=MONDAY_10 + timedelta(hours=6)) == 1
    assert len(await digests(db)) == 1  # the same key: not twice


# --- through the bot ---------------------------------------------------------------------------


def outbox_for(bot, db, now: datetime) -> Outbox:
    async def no_sleep(_seconds: float) -> None:
        return None

    return telegram_outbox(
        bot, db, I18N, tz=ZoneInfo("Asia/Krasnoyarsk"), pacer=Pacer(sleep=no_sleep), clock=lambda: now
    )


async def test_digest_arrives_and_unsubscribe_takes_one_tap(
    client: TgClient, db, bot, sources, settings
) -> None:
    await register(client)  # said yes to news: subscribed
    await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10)
    await outbox_for(bot, db, MONDAY_10).tick()
    [digest_message] = [
        c for c in client.session.calls_of("SendMessage", chat_id=1001) if "вот что вас ждёт" in c.method.text
    ]
    assert "Иван, вот что вас ждёт" in digest_message.method.text
    assert "Отписаться" in client.buttons()[-1]
    await client.press("Отписаться")
    assert "отписались" in client.alerts()[0]
    assert "больше не придут" in client.last_text
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == 1001))
        assert user is not None and not user.digest_enabled
    edited = client.sent("EditMessageReplyMarkup")
    assert edited and all(
        b.callback_data != "dg:off"
        for row in (edited[0].method.reply_markup.inline_keyboard if edited[0].method.reply_markup else [])
        for b in row
    )
    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10 + timedelta(days=7)) == 0
    await client.press("Вернуть «Новости недели»")
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == 1001))
        assert user is not None and user.digest_enabled


async def test_digest_waiting_is_cancelled_by_unsubscribe(
    client: TgClient, db, bot, sources, settings
) -> None:
    await register(client)
    await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10)
    await client.press_data("dg:off")
    [row] = (await digests(db)).values()
    assert row.status == NotificationStatus.CANCELLED
    assert (await outbox_for(bot, db, MONDAY_10).tick()).sent == 0


# --- staff ---------------------------------------------------------------------------------------


async def test_staff_add_list_remove_news(staff: TgClient, db) -> None:
    await staff.send("/digest")
    assert "Следующий выпуск" in staff.last_text and "Новостей в очереди: 0" in staff.last_text
    await staff.press("Добавить новость")
    await staff.send_sticker()  # a hint, then the same prompt again (the form engine)
    assert "Нужен текст" in staff.all_text() and "Пришлите текст новости" in staff.last_text
    await staff.send("x" * 1001)
    assert "1001" in staff.all_text() and "1000" in staff.all_text()
    assert await staff.step() == "dgn:text"
    await staff.send("Субботник <в парке> 5 декабря")
    assert "Субботник &lt;в парке&gt; 5 декабря" in staff.last_text
    await staff.press("Изменить текст")
    assert "Субботник &lt;в парке&gt;" in staff.last_text  # what was typed is not lost
    await staff.send("Субботник в парке 6 декабря")
    await staff.press("Добавить в «Новости недели»")
    assert "Новость добавлена" in staff.all_text()
    await staff.press("Добавить новость")
    await staff.send("Вторая новость")
    await staff.press("Добавить в «Новости недели»")
    async with db.session() as s:
        assert [n.text for n in await digest_service.queued_news(s)] == [
            "Субботник в парке 6 декабря",
            "Вторая новость",
        ]
    await staff.press("Новости в очереди (2)")
    assert "Субботник в парке" in staff.last_text
    await staff.press("Удалить 1")
    await staff.press("Да", exact=True)
    assert "удалена" in staff.all_text()
    async with db.session() as s:
        assert [n.text for n in await digest_service.queued_news(s)] == ["Вторая новость"]
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "digest.news_remove")) is not None
    # a stale «Да» for an item already removed
    from keyboards.admin import AdminCb

    async with db.session() as s:
        removed = await s.scalar(select(DigestNews).where(DigestNews.status == NewsStatus.REMOVED))
    await staff.press_data(AdminCb(action="dg_delok", id=removed.id).pack())
    assert "уже нет в очереди" in staff.alerts()[0]


async def test_staff_preview_as_a_person(staff: TgClient, client_factory, db, sources) -> None:
    anna = client_factory(1101, first_name="Анна", last_name="Смирнова")
    await register(anna, district="Идринский")
    boris = client_factory(1102, first_name="Анна", last_name="Борисова")
    await register(boris)
    await staff.send("/digest")
    await staff.press("Предпросмотр")
    await staff.send("Нет Такого")
    assert "Никого не нашли" in staff.last_text
    await staff.send("анна")
    assert "несколько" in staff.last_text
    await staff.press("Анна Смирнова")
    text = staff.all_text()
    assert "так «Новости недели» увидит Анна Смирнова" in text
    assert "Семинар по грантам" in text and "Ярмарка" not in text
    assert "[1. Да]" in text and "Отписаться" in text
    # by Telegram id, straight away
    await staff.press("Предпросмотр")
    await staff.send("1102")
    assert "Анна Борисова" in staff.all_text() and "Ярмарка" in staff.all_text()


async def test_staff_outbox_state(staff: TgClient, client: TgClient, db) -> None:
    await register(client)
    async with db.session() as s, write(s):
        user = await s.scalar(select(User).where(User.tg_id == 1001))
        from services import notifications

        now = utcnow()
        await notifications.queue(
            s, user=user, kind="booking.reminder", due_at=now - timedelta(minutes=1), ref_type="b", ref_id=1
        )
        await notifications.queue(
            s, user=user, kind="booking.reminder", due_at=now + timedelta(hours=3), ref_type="b", ref_id=2
        )
        failed = await notifications.queue(
            s, user=user, kind="event.reminder", due_at=now, ref_type="e", ref_id=1
        )
        failed.status = NotificationStatus.FAILED
        failed.last_error = "TelegramServerError: <Bad Gateway>"
    await staff.send("/outbox")
    text = staff.last_text
    assert "Ждут отправки сейчас: 1" in text and "Запланировано: 1" in text and "Не удалось: 1" in text
    assert "booking.reminder: 2" in text and "&lt;Bad Gateway&gt;" in text


async def test_people_outside_the_admin_chat_cannot_use_it(client: TgClient) -> None:
    await register(client)
    await client.send("/digest")
    assert "только" in client.last_text.lower() or "недоступ" in client.last_text.lower()


def test_unsubscribe_data_matches_the_keyboard() -> None:
    from keyboards.settings import DigestCb

    assert DigestCb(action="off").pack() == digest_service.UNSUBSCRIBE_DATA
    assert ADMIN_CHAT_ID < 0


async def test_digest_is_built_again_when_sent(db, bot, fake_session, sources, settings) -> None:
    """Between queueing and sending: the language changed, an event was cancelled, one became empty."""
    await person(db, 1, "Анна Смирнова", interest_districts=["idrinsky"])
    await person(db, 2, "Борис Иванов", interest_topics=["expo"])
    assert await digest_service.queue_weekly(db, I18N, settings.tz, MONDAY_10) == 2
    async with db.session() as s, write(s):
        anna = await s.scalar(select(User).where(User.tg_id == 1))
        anna.language = "en"
    EVENTS_BACKUP = list(EVENTS)
    EVENTS[:] = [e for e in EVENTS if not e[0].startswith("Семинар") and not e[0].startswith("Ярмарка")]
    try:
        result = await outbox_for(bot, db, MONDAY_10 + timedelta(minutes=1)).tick()
    finally:
        EVENTS[:] = EVENTS_BACKUP
    assert (result.sent, result.cancelled) == (1, 1)
    [call] = fake_session.calls_of("SendMessage", chat_id=1)
    assert "here is what's ahead" in call.method.text
    assert "Онлайн-школа НКО" in call.method.text and "Семинар" not in call.method.text
    assert fake_session.calls_of("SendMessage", chat_id=2) == []  # nothing left for Boris
    rows = await digests(db)
    assert rows[1].status == NotificationStatus.SENT and rows[2].status == NotificationStatus.CANCELLED


@examples(15)
@given(text=typed_texts(min_size=1, max_size=1200))
@example(text="²")  # a digit to str.isdigit(), not to int()
@example(text="12345678901234567890123")
async def test_random_input_in_the_staff_dialog(staff: TgClient, text: str) -> None:
    key = StorageKey(bot_id=staff.bot.id, chat_id=staff.chat_id, user_id=staff.user.id)
    storage = staff.dp.storage
    await staff.send("/digest")
    await staff.press("Предпросмотр")
    await staff.send(text)  # nobody is registered: never found
    assert await storage.get_state(key) == "DigestAdmin:preview_who"
    await staff.send("/digest")
    await staff.press("Добавить новость")
    await staff.send(text)
    step = await staff.step()
    try:
        # NUL characters never reach handlers (bot.middlewares.SanitizeMiddleware drops them).
        cleaned = digest_service.clean_news(text.replace("\x00", ""))
    except digest_service.ValidationFailed:
        assert step == "dgn:text"
    else:
        assert step == "dgn:_preview"
        assert (await staff.draft())["text"] == cleaned
        await staff.send(text)  # typing at the confirmation keeps it
        assert await staff.step() == "dgn:_preview"
    await staff.send_sticker()
    assert await staff.step() == step
