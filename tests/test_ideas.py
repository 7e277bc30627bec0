"""Project ideas through the real dispatcher: the form, moderation, /my, /ideas, support, updates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Voice
from sqlalchemy import func, select, update

from bot.factory import create_dispatcher
from db.models import AuditLog, Idea, IdeaReview, IdeaSupport, Notification, User
from keyboards.ideas import IdeaCb
from services import ideas as ideas_service
from tests.client import Press, TgClient
from tests.conftest import ADMIN_CHAT_ID, make_settings, register
from tests.factories import published_idea

TITLE = "Спортплощадка у школы"
PROBLEM = "Подросткам негде заниматься спортом после уроков, <b>все</b> сидят дома."
IDEA = "Поставить турники и брусья во дворе школы №1, провести субботник с родителями."


async def ideas_in(db) -> list[Idea]:
    async with db.session() as s:
        return list(await s.scalars(select(Idea).order_by(Idea.id)))


async def notices(db, kind: str | None = None) -> list[Notification]:
    async with db.session() as s:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(await s.scalars(query))


async def fill_form(client: TgClient, *, title: str = TITLE, photo: bool = True) -> None:
    await client.send("/idea")
    assert "до 100 символов" in client.all_text() and "до 1000" in client.all_text()
    assert "Шаг 1 из 7" in client.last_text
    await client.send(title)
    assert "Шаг 2 из 7" in client.last_text
    await client.walk(PROBLEM, IDEA)
    assert "районе" in client.last_text
    await client.walk(*map(Press, ("Краснотуранский", "Молодёжь", "Консультация", "Помещение")))
    assert "✅ Помещение" in client.buttons()
    await client.press("Готово")
    assert "фото" in client.last_text
    if photo:
        await client.send_photo()
        assert "Добавлено вложений: 1 из 5" in client.last_text
        await client.press("Готово")
    else:
        await client.press("Пропустить")


async def submit_idea(client: TgClient, **kwargs) -> None:
    await fill_form(client, **kwargs)
    assert "Подтвердить" in " ".join(client.buttons())
    await client.press("Подтвердить")
    assert "отправлена в Центр" in client.all_text()


async def author_with_idea(client_factory: Any, db: Any, user_id: int) -> tuple[TgClient, Idea]:
    """A registered person who has submitted one idea (without a photo), and that idea."""
    author = client_factory(user_id)
    await register(author)
    await submit_idea(author, photo=False)
    [idea] = await ideas_in(db)
    return author, idea


async def test_full_story(client_factory, staff: TgClient, db, fake_session) -> None:
    """Submit with a photo, returned for changes, edited, resubmitted, published, supported by two."""
    author = client_factory(2001, first_name="Анна", last_name="Смирнова")
    await register(author)
    await fill_form(author)
    # the preview resends the photo and escapes what was typed
    assert author.sent("SendPhoto")
    preview = author.last_text
    assert "&lt;b&gt;все&lt;/b&gt;" in preview and "<b>все</b>" not in preview
    assert "Консультация, Помещение" in preview
    # «Так идею увидят сотрудники Центра», not «Так идея увидят» (the review's error 1)
    assert "Так идею увидят сотрудники Центра" in author.all_text()
    await author.press("Подтвердить")
    [idea] = await ideas_in(db)
    assert idea.status == "moderation" and idea.media[0]["kind"] == "photo"
    assert idea.help_needed == ["consultation", "space"] and idea.district == "krasnoturansky"
    # the staff card: photo and text with the three buttons
    assert fake_session.calls_of("SendPhoto", chat_id=ADMIN_CHAT_ID)
    card = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1]
    assert f"Идея И-{idea.id}" in card.text and "Анна Смирнова" in card.text
    assert "&lt;b&gt;все&lt;/b&gt;" in card.text

    # staff return it with a comment (typed by staff, escaped for the author)
    await staff.press("На доработку")
    assert "ответьте (reply)" in staff.last_text.lower()
    await staff.send("Добавьте смету <i>и фото</i> двора")  # not a reply: a line to a colleague
    assert staff.replies == [] and not await notices(db, "idea.status")
    await staff.reply("Добавьте смету <i>и фото</i> двора")
    assert "возвращена автору" in staff.all_text()
    [idea] = await ideas_in(db)
    assert idea.status == "revision" and idea.staff_comment == "Добавьте смету <i>и фото</i> двора"
    [notice] = await notices(db, "idea.status")
    assert notice.chat_id == 2001 and notice.payload["text"] == "ideas.notify.revision"
    assert notice.payload["params"]["comment"] == "Добавьте смету &lt;i&gt;и фото&lt;/i&gt; двора"
    assert notice.payload["buttons"] == [[["ideas.btn.open_own", IdeaCb(action="own", id=idea.id).pack()]]]

    # the author sees the status and the comment in /my, edits and sends again
    await author.send("/my")
    await author.press("Мои идеи")
    assert "на доработке" in author.last_text
    await author.press_data(IdeaCb(action="own", id=idea.id).pack())
    assert "&lt;i&gt;и фото&lt;/i&gt;" in author.last_text and "Исправить" in " ".join(author.buttons())
    await author.press("Исправить и отправить снова")
    assert "Исправление идеи" in author.last_text and "Добавьте смету" in author.last_text
    await author.press("Изменить поле")
    await author.press("Идея", exact=True)
    await author.send(IDEA + " Смета: 50 000 ₽.")
    assert "Смета: 50 000" in author.last_text  # back at the preview
    await author.press("Подтвердить")
    assert "снова на проверке" in author.all_text()
    [idea] = await ideas_in(db)
    assert idea.status == "moderation" and idea.description.endswith("Смета: 50 000 ₽.")
    assert "Исправлена автором" in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1].text
    # the first card (old text) lost its buttons; the new one has them
    first_card = card.result.message_id
    assert fake_session.messages[ADMIN_CHAT_ID][first_card].reply_markup is None
    assert idea.card_message_id != first_card

    # staff publish the fresh card
    await staff.press("Опубликовать")
    [idea] = await ideas_in(db)
    assert idea.status == "published" and idea.published_at is not None
    assert [n.payload["text"] for n in await notices(db, "idea.status")] == [
        "ideas.notify.revision",
        "ideas.notify.published",
    ]
    async with db.session() as s:
        actions = list(await s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["idea.revise", "idea.publish"]

    # two others support it; the author is told
    for uid in (2002, 2003):
        other = client_factory(uid, first_name="Пётр")
        await register(other)
        await other.send("/ideas")
        assert TITLE in other.last_text
        await other.press("Поддержать")
        assert "Вы поддержали идею" in other.alerts()[0]
        # «Всего поддержавших: N», not «Теперь у неё N.» (the review's error 8)
        assert f"Всего поддержавших: {uid - 2001}." in other.alerts()[0]
        assert any("Вы поддержали (" in b for b in other.buttons())
    [idea] = await ideas_in(db)
    assert idea.support_count == 2
    [milestone] = await notices(db, "idea.milestone")
    assert milestone.chat_id == 2001 and milestone.payload["params"]["n"] == 1


async def test_form_back_and_bad_input_keep_the_step(client: TgClient, db) -> None:
    await register(client)
    await client.send("/idea")
    await client.send_sticker()
    assert "текстом" in client.all_text()
    await client.send("x" * 101)
    assert "101" in client.all_text() and "100" in client.all_text()
    await client.send(TITLE)
    await client.send("Коротко")
    assert "хотя бы" in client.all_text()
    await client.send_photo()
    assert "текстом" in client.all_text()
    await client.press("Назад")
    assert "Шаг 1 из 7" in client.last_text and TITLE in client.last_text
    await client.press("Оставить как есть")
    assert "Шаг 2 из 7" in client.last_text
    await client.send(PROBLEM)
    await client.send(IDEA)
    await client.send("Краснотуранский")  # typed instead of pressed
    assert "кнопками" in client.all_text()
    await client.press("Идринский")
    await client.press("Назад")  # audience -> district
    assert "районе" in client.last_text and "✅ Идринский" in client.buttons()
    await client.press("Идринский")
    await client.press("Все жители")
    await client.press("Готово")
    assert "Отметьте хотя бы один" in client.all_text()
    await client.press("Волонтёры")
    await client.press("Готово")
    await client.send_sticker()
    assert "фото, документ или голосовое" in client.all_text()
    await client.send_document()
    await client.send_message(voice=Voice(file_id="vo1", file_unique_id="v", duration=3))
    assert "Добавлено вложений: 2 из" in client.last_text
    await client.press("Готово")
    assert client.sent("SendDocument") and client.sent("SendVoice")
    assert "Волонтёры" in client.last_text
    await client.press("Подтвердить")
    [idea] = await ideas_in(db)
    assert [m["kind"] for m in idea.media] == ["document", "voice"] and idea.district == "idrinsky"


async def test_draft_survives_restart_and_can_be_resumed_or_dropped(
    client: TgClient, settings, db, bot, dp
) -> None:
    await register(client)
    await client.send("/idea")
    await client.send(TITLE)
    await client.send(PROBLEM)
    # the bot restarts: a new dispatcher on the same database
    dp2 = create_dispatcher(settings, db, error_sink=[])
    again = TgClient(dp2, bot, client.user.id)
    await again.send("/idea")  # a command mid-dialog: the dialog itself survived the restart
    assert "заполняете форму" in again.last_text
    await again.send(IDEA)
    assert "Шаг 4 из 7" in again.last_text
    # leaving the dialog («Отмена», /cancel, the menu) keeps the draft: /idea offers it again
    await again.send("/cancel")
    await again.send("/idea")
    assert "незаконченная идея" in again.last_text and TITLE in again.last_text
    await again.press("Продолжить")
    assert "Шаг 4 из 7" in again.last_text
    await again.press("Отмена")
    await again.send("/idea")
    await again.press("Начать заново")
    assert "Черновик удалён" in again.all_text() and "Шаг 1 из 7" in again.last_text
    await again.send("/cancel")
    await again.send("/idea")
    assert "незаконченная" not in again.last_text  # nothing typed since the restart of the form
    await dp2.storage.close()


async def test_daily_limit(client: TgClient, db) -> None:
    await register(client)
    for n in range(3):
        await submit_idea(client, title=f"{TITLE} {n}", photo=False)
    await client.send("/idea")
    assert "это максимум" in client.last_text
    assert len(await ideas_in(db)) == 3


async def add_ideas(db, rows: list[dict[str, Any]]) -> None:
    """Ideas of the (first) registered person, written straight into the database."""
    async with db.session() as s:
        user = await s.scalar(select(User))
        s.add_all(Idea(author_id=user.id, media=[], **row) for row in rows)
        await s.commit()


async def test_limit_checked_again_at_submit(client: TgClient, db, settings) -> None:
    await register(client)
    await fill_form(client, photo=False)
    basic = {
        "problem": "p",
        "description": "d",
        "district": "other",
        "audience": "other",
        "help_needed": ["space"],
    }
    await add_ideas(db, [{"title": f"t{n}", **basic} for n in range(3)])
    await client.press("Подтвердить")
    assert "это максимум" in client.all_text()
    assert "Подтвердить" in " ".join(client.buttons())  # still at the preview, nothing lost
    assert len(await ideas_in(db)) == 3


async def publish(db, idea_id: int) -> None:
    async with db.session() as s:
        await ideas_service.moderate(s, idea_id, "publish", 1)


async def test_support_rules(client_factory, db) -> None:
    author, idea = await author_with_idea(client_factory, db, 2101)
    # not published yet: not in the list
    fan = client_factory(2102)
    await register(fan)
    await fan.send("/ideas")
    assert "Найдено: 0" in fan.last_text
    await publish(db, idea.id)
    await author.send("/ideas")
    assert "Ваша идея" in " ".join(author.buttons())
    await author.press("Ваша идея")
    assert "поддержать свою нельзя" in author.alerts()[0]
    await fan.send("/ideas")
    await fan.press("Поддержать")
    await fan.press_data(IdeaCb(action="support", id=idea.id).pack())
    assert "уже поддержали" in fan.alerts()[0]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(IdeaSupport)) == 1


async def test_threshold_raised_once(client_factory, db, settings, fake_session) -> None:
    settings.ideas_support_threshold = 2
    _author, idea = await author_with_idea(client_factory, db, 2201)
    await publish(db, idea.id)
    for uid in (2202, 2203, 2204):
        fan = client_factory(uid)
        await register(fan)
        await fan.press_data(IdeaCb(action="support", id=idea.id).pack())
    raised = [c for c in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID) if "набрала" in c.text]
    assert len(raised) == 1 and "набрала 2 голоса поддержки" in raised[0].text


async def test_staff_buttons_checked_against_state(client_factory, staff: TgClient, db) -> None:
    author = client_factory(2301)
    await register(author)
    await submit_idea(author, photo=False)
    await staff.press("Опубликовать")
    assert not any("Отклонить" in b for b in staff.buttons())  # the card now offers the next steps
    [idea] = await ideas_in(db)
    assert idea.status == "published"

    await staff.press_data(f"adm:idea_publish:{idea.id}")
    assert "неактуальна" in staff.alerts()[0]
    await staff.press_data(f"adm:idea_reject:{idea.id}")
    assert "неактуальна" in staff.alerts()[0]
    await staff.press("В работу")
    await staff.press("Реализована")
    [idea] = await ideas_in(db)
    assert idea.status == "implemented"
    async with db.session() as s:
        statuses = list(await s.scalars(select(IdeaReview.status).order_by(IdeaReview.id)))
    assert statuses == ["moderation", "published", "in_progress", "implemented"]


async def test_reject_needs_reason_and_cancel(client_factory, staff: TgClient, db) -> None:
    author = client_factory(2401)
    await register(author)
    await submit_idea(author, photo=False)
    await staff.press("Отклонить")
    assert "Не по профилю Центра" in staff.buttons()
    await staff.press("Своя причина")
    await staff.send("/cancel")
    assert "не отправлен" in staff.last_text
    [idea] = await ideas_in(db)
    assert idea.status == "moderation"
    await staff.press("Отклонить")
    await staff.press("Своя причина")
    await staff.send("Такая площадка уже строится по нацпроекту")  # not a reply: taken by nobody
    [idea] = await ideas_in(db)
    assert idea.status == "moderation"
    await staff.reply("Такая площадка уже строится по нацпроекту")
    [idea] = await ideas_in(db)
    assert idea.status == "rejected"
    await author.send("/my")
    await author.press("Мои идеи")
    assert "отклонена" in author.last_text


async def test_nobody_sees_or_edits_anothers_idea(client_factory, db) -> None:
    _author, idea = await author_with_idea(client_factory, db, 2501)
    async with db.session() as s:
        await ideas_service.moderate(s, idea.id, "revise", 1, "Уточните район")
    stranger = client_factory(2502)
    await register(stranger)
    await stranger.press_data(IdeaCb(action="own", id=idea.id).pack())
    assert "не найдена" in stranger.alerts()[0]
    await stranger.press_data(IdeaCb(action="edit", id=idea.id).pack())
    assert "не найдена" in stranger.alerts()[0]
    await stranger.press_data(IdeaCb(action="open", id=idea.id).pack())  # not public
    assert "не найдена" in stranger.last_text
    assert PROBLEM not in stranger.all_text()


async def test_unregistered_person_is_sent_to_registration(client: TgClient) -> None:
    await client.send("/idea")
    assert "152-ФЗ" in client.last_text  # consent first, then the short registration


async def test_author_update_to_supporters(client_factory, db, settings) -> None:
    author, idea = await author_with_idea(client_factory, db, 2601)
    await publish(db, idea.id)
    fans = []
    for uid in (2602, 2603):
        fan = client_factory(uid)
        await register(fan)
        await fan.press_data(IdeaCb(action="support", id=idea.id).pack())
        fans.append(fan)
    await author.press_data(IdeaCb(action="own", id=idea.id).pack())
    await author.press("Написать поддержавшим")
    assert "Сообщение для 2 человек, поддержавших идею" in author.last_text
    assert "Писать можно раз в 3 дня." in author.last_text
    await author.send("Нашли подрядчика <b>ура</b>!")
    assert "&lt;b&gt;ура&lt;/b&gt;" in author.last_text
    await author.press("📣 Отправить")
    assert "в очередь для 2 человек." in author.last_text
    rows = await notices(db, "idea.update")
    assert sorted(n.chat_id for n in rows) == [2602, 2603]
    assert rows[0].payload["params"]["text"] == "Нашли подрядчика &lt;b&gt;ура&lt;/b&gt;!" and rows[0].quiet
    # again too soon
    await author.press_data(IdeaCb(action="update", id=idea.id).pack())
    assert "после" in author.alerts()[0]
    # three days later it is allowed again
    async with db.session() as s:
        await s.execute(
            update(Idea).values(last_update_at=ideas_service.utcnow() - timedelta(days=3, minutes=1))
        )
        await s.commit()
    await author.press_data(IdeaCb(action="update", id=idea.id).pack())
    assert "Расскажите, что нового" in author.last_text


async def test_browse_filters_and_pages(client_factory, db, settings) -> None:
    settings.ideas_page_size = 2
    author = client_factory(2701)
    await register(author)
    await add_ideas(
        db,
        [
            {
                "title": f"Идея номер {n}",
                "problem": "Проблема <script>",
                "description": "Описание",
                "district": "idrinsky" if n % 2 else "krasnoturansky",
                "audience": "youth",
                "help_needed": ["funding"] if n == 3 else ["space"],
                "status": "published",
                "published_at": ideas_service.utcnow(),
            }
            for n in range(5)
        ],
    )
    viewer = client_factory(2702)
    await register(viewer)
    await viewer.send("/ideas")
    assert "Найдено: 5" in viewer.last_text and "1/3" in viewer.buttons()
    assert "&lt;script&gt;" in viewer.last_text
    await viewer.press("▶️")
    edited = viewer.sent("EditMessageText")[-1].text
    assert "3. <b>" in edited and "2/3" in viewer.buttons()
    await viewer.press("📍")
    await viewer.press("Идринский")
    assert "Найдено: 2" in viewer.sent("EditMessageText")[-1].text
    await viewer.press("🤝")
    await viewer.press("Финансирование")
    text = viewer.sent("EditMessageText")[-1].text
    assert "Найдено: 1" in text and "Идея номер 3" in text
    await viewer.press("1. Идея номер 3")
    assert "Идея номер 3" in viewer.last_text and "Поддержать" in " ".join(viewer.buttons())


@pytest.mark.parametrize("n", [8])
async def test_concurrent_supports_are_exact(client_factory, db, n: int) -> None:
    import asyncio

    _author, idea = await author_with_idea(client_factory, db, 2801)
    await publish(db, idea.id)
    people = []
    for uid in range(2810, 2810 + n):
        fan = client_factory(uid)
        await register(fan)
        async with db.session() as s:
            people.append(await s.scalar(select(User).where(User.tg_id == uid)))

    async def press(person: User) -> str:
        async with db.session() as s:
            try:
                await ideas_service.support(s, idea.id, person, milestones=[1, 5], threshold=0)
                return "ok"
            except ideas_service.DomainError as exc:
                return exc.key

    # every person presses three times at once
    results = await asyncio.gather(*(press(p) for p in people for _ in range(3)))
    assert results.count("ok") == n
    assert set(results) == {"ok", "ideas.support_already"}
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(IdeaSupport)) == n
        assert (await s.get(Idea, idea.id)).support_count == n
    assert sorted(x.payload["params"]["n"] for x in await notices(db, "idea.milestone")) == [1, 5]


async def test_state_is_kept_in_storage_key(client: TgClient, dp) -> None:
    """The draft lives under its own destiny: /cancel clears the dialog, not the draft."""
    await register(client)
    await client.send("/idea")
    await client.send(TITLE)
    await client.send("/cancel")
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    assert await dp.storage.get_state(key) is None
    draft = await dp.storage.get_data(StorageKey(**{**key.__dict__, "destiny": "ideas"}))
    assert draft["draft"]["title"] == TITLE and draft["step"] == "problem"


def test_callbacks_of_notices_match_keyboards() -> None:
    assert ideas_service.own_callback(7) == IdeaCb(action="own", id=7).pack()
    assert ideas_service.public_callback(7) == IdeaCb(action="open", id=7).pack()


def test_settings_milestones_from_env(tmp_path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db", ideas_support_milestones="1, 3,7")
    assert settings.ideas_support_milestones == [1, 3, 7]


async def _make_idea(db, author_tg: int, **fields) -> int:
    async with db.session() as s:
        author = await s.scalar(select(User).where(User.tg_id == author_tg))
    fields.setdefault("published_at", ideas_service.utcnow() - timedelta(days=1))
    return await published_idea(db, author.id, **fields)


async def test_digest_shows_new_ideas_of_my_districts(client_factory, db, settings) -> None:
    from services import digest

    author = client_factory(2901)
    await register(author, district="Идринский")
    reader = client_factory(2902)
    await register(reader, district="Краснотуранский")
    now = ideas_service.utcnow()
    await _make_idea(db, 2901, title="Новая <b>идея</b>")
    await _make_idea(db, 2901, title="Чужой район", district="idrinsky")
    await _make_idea(db, 2901, title="Старая", published_at=now - timedelta(days=8))
    await _make_idea(db, 2901, title="На модерации", status="moderation", published_at=None)
    assert ("ideas", ideas_service.digest_items) in digest.SOURCES
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == 2902))
        built = await digest.build(s, user, now, settings.tz, news=[])
    [items] = [items for name, items in built.sections if name == "ideas"]
    assert [i.text for i in items] == ["<b>Новая &lt;b&gt;идея&lt;/b&gt;</b> · 👍 0"]
    assert items[0].button == ("ideas.btn.open_public", ideas_service.public_callback(1))


async def test_privacy_export_and_erase(client_factory, db) -> None:
    from services import privacy

    author = client_factory(3001)
    await register(author)
    public_id = await _make_idea(
        db,
        3001,
        title="Публичная",
        media=[{"kind": "voice", "file_id": "v"}, {"kind": "photo", "file_id": "p"}],
    )
    await _make_idea(db, 3001, title="Черновая", status="revision", published_at=None)
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == 3001))
        data = await privacy.export(s, user)
    assert sorted(i["title"] for i in data["ideas"]["ideas"]) == ["Публичная", "Черновая"]
    async with db.session() as s:
        await privacy.erase(s, 3001, "1.0")
    [idea] = await ideas_in(db)
    assert idea.id == public_id and idea.media == [{"kind": "photo", "file_id": "p"}]
    # the staff card of an idea whose author is erased shows no identity
    async with db.session() as s:
        from bot.i18n import create_i18n
        from handlers.ideas.views import card_text

        i18n = create_i18n("ru")
        with i18n.context(), i18n.use_locale("ru"):
            text = await card_text(s, idea)
    assert "данные автора удалены" in text and "Иван" not in text


async def test_english_speaker_gets_english(client_factory, db) -> None:
    person = client_factory(3101)
    await register(person)
    async with db.session() as s:
        await s.execute(update(User).where(User.tg_id == 3101).values(language="en"))
        await s.commit()
    await person.send("/idea")
    assert "Suggest an idea" in person.all_text() and "Step 1 of 7" in person.last_text


async def test_staff_queue_and_card_on_demand(client_factory, staff: TgClient, db, fake_session) -> None:
    author = client_factory(3201)
    await register(author)
    await submit_idea(author, photo=False)
    await staff.send("/admin")
    await staff.press("💡 Идеи")
    assert (
        "на проверке: 1" in staff.last_text
        and "Всего идей: 1 от 1 автора; поддержек: 0 от 0 человек." in staff.last_text
    )
    await staff.press("И-1")
    assert "Идея И-1" in staff.last_text and "Опубликовать" in " ".join(staff.buttons())
    await staff.send("/idea_queue")
    assert "Ждут проверки" in staff.last_text
    # the staff command is refused outside the admin chat
    await author.send("/idea_queue")
    assert "только" in author.last_text.lower() or "сотрудник" in author.last_text.lower()


async def test_corrections_begun_are_continued(client_factory, db) -> None:
    author, idea = await author_with_idea(client_factory, db, 3301)
    async with db.session() as s:
        await ideas_service.moderate(s, idea.id, "revise", 1, "Уточните, где именно")
    await author.press_data(IdeaCb(action="edit", id=idea.id).pack())
    await author.press("Изменить поле")
    await author.press("Название")
    await author.send("Спортплощадка у школы №1 на Ленина")
    await author.send("/menu")
    await author.press_data(IdeaCb(action="edit", id=idea.id).pack())
    assert "на Ленина" in author.last_text  # the begun correction, not the stored title
    await author.press("Подтвердить")
    [idea] = await ideas_in(db)
    assert idea.title == "Спортплощадка у школы №1 на Ленина" and idea.status == "moderation"
