"""The services showcase, driven through the real dispatcher: a provider publishes a card, staff
moderate it, a resident finds it (category, search), requests it, they talk through the bot, the
provider marks it done and the resident rates it; plus the rules around it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from bot.delivery.telegram import TelegramNotifier
from db.base import utcnow
from db.engine import write
from db.models import AuditLog, User
from db.models.showcase import (
    CardStatus,
    RequestStatus,
    ServiceCard,
    ServiceMessage,
    ServiceRequest,
)
from keyboards.showcase_staff import ExpoAction, ExpoLinkCb, StaffAction, StaffCb
from services import showcase as svc
from tests.client import Press, TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, register
from tests.factories import registered_person

PROVIDER_ID = 2001
RESIDENT_ID = 3001
PHONE = "+79131234567"


async def state_of(client: TgClient) -> str | None:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    return await client.dp.storage.get_state(key)


async def quick_register(db, client: TgClient, *, group: str, district: str, **columns: Any) -> None:
    """A registered person of ``group`` in ``district`` straight in the database (``columns``: the
    organisation, the phone)."""
    await registered_person(db, client, target_group=group, district=district, **columns)


async def make_provider(
    client_factory, user_id: int = PROVIDER_ID, organisation: str = "АНО «Добрые руки»", *, db=None
):
    provider = client_factory(user_id, first_name="Ольга", last_name="Иванова")
    if db is not None:
        await quick_register(db, provider, group="nko_staff", district="idrinsky", organisation=organisation)
    else:
        await register(provider, group="Сотрудник СОНКО", organisation=organisation, district="Идринский")
    return provider


async def make_resident(
    client_factory,
    user_id: int = RESIDENT_ID,
    phone: str | None = PHONE,
    *,
    db=None,
    district: str = "idrinsky",
):
    resident = client_factory(user_id, first_name="Пётр", last_name="Сидоров")
    if db is not None:
        await quick_register(db, resident, group="citizen", district=district, phone=phone)
    else:
        await register(resident, district="Идринский", phone=phone)
    return resident


async def fill_card(
    provider: TgClient,
    *,
    title: str = "Помощь по дому пожилым",
    description: str = "Уборка, покупка продуктов и лекарств, прогулки. Для одиноких пожилых людей.",
    category: str = "Помощь пожилым",
    district: str = "Идринский",
    price: str | None = None,
    photo: bool = False,
) -> None:
    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Новая карточка")
    assert "Шаг 1 из 8" in provider.last_text
    await provider.press("Оставить")
    assert "Шаг 2 из 8" in provider.last_text
    await provider.send(title)
    await provider.press(category)
    await provider.send(description)
    await provider.press(district)
    await provider.press("Готово")
    if price:
        await provider.send(price)
    else:
        await provider.press("Бесплатно")
    await provider.press("На дому")
    if photo:
        await provider.send_photo()
    else:
        await provider.press("Без фото")
    assert "Так карточку увидят жители" in provider.all_text()
    await provider.press("Подтвердить")
    assert "отправлена на проверку" in provider.all_text()


async def trial_applicant(client_factory, db, settings) -> tuple[TgClient, date]:
    """A provider at the first question of the trial office application (the first day), and the day
    that is today for them (the dates they type are counted from it)."""
    provider = await make_provider(client_factory, db=db)
    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Пробный офис")
    await provider.press("Подать заявку")
    return provider, utcnow().astimezone(settings.tz).date()


async def publish_latest(staff: TgClient) -> None:
    await staff.press("Опубликовать")
    assert "опубликована" in staff.last_text


async def cards(db) -> list[ServiceCard]:
    async with db.session() as s:
        return list(await s.scalars(select(ServiceCard).order_by(ServiceCard.id)))


async def requests(db) -> list[ServiceRequest]:
    async with db.session() as s:
        return list(await s.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))


async def request_service(
    resident: TgClient, note: str | None = "Нужна помощь по вторникам", share: bool = True
):
    await resident.press("Оставить заявку")
    if note:
        await resident.send(note)
    else:
        await resident.press("Пропустить")
    if share is not None and "Показать ваш телефон" in resident.last_text:
        await resident.press("Да, показать" if share else "Нет, только через бот")
    assert "отправлена" in resident.all_text(), resident.texts()


async def open_card_from_catalogue(resident: TgClient, category: str = "Помощь пожилым") -> None:
    await resident.send("/services")
    await resident.press(category)
    await resident.press("1", exact=True)


async def test_full_journey(client_factory, staff, fake_session, db) -> None:
    """The issue's «done when»: publish, moderate, find by category and word, request, accept,
    exchange messages, done, rate; the card shows the average."""
    provider = await make_provider(client_factory)
    resident = await make_resident(client_factory)

    await fill_card(provider)
    [card] = await cards(db)
    assert card.status == CardStatus.PENDING and card.organisation == "АНО «Добрые руки»"
    assert card.districts == ["idrinsky"] and card.price is None and card.format == "home"
    posted = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
    assert posted and "на проверку" in posted[-1].method.text

    # not visible before moderation
    await resident.send("/services")
    assert "Услуг: 0" in resident.last_text

    await publish_latest(staff)
    assert "опубликована" in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    audit = await _audit(db, "showcase.card_publish")
    assert audit and audit[0].actor_tg_id == staff.user.id

    # by category
    await resident.send("/services")
    assert "Помощь пожилым (1)" in resident.buttons()
    await resident.press("Помощь пожилым")
    assert "Помощь по дому пожилым" in resident.last_text
    # by a search word, in another case (Cyrillic folding is done in Python, not by SQLite)
    await resident.send("/services")
    await resident.press("Поиск по словам")
    await resident.send("ПРОДУКТОВ")
    assert "найдено: 1" in resident.last_text and "Помощь по дому пожилым" in resident.last_text
    await resident.press("1", exact=True)
    assert "Бесплатно" in resident.last_text and "Оценок пока нет" in resident.last_text

    await request_service(resident, share=True)
    [req] = await requests(db)
    assert req.status == RequestStatus.NEW and req.phone_shared and req.phone_consent_at is not None
    to_provider = fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    assert "Новая заявка" in to_provider and PHONE in to_provider and "вторникам" in to_provider

    await provider.press("Принять")
    assert (await requests(db))[0].status == RequestStatus.ACCEPTED
    accepted = fake_session.calls_of("SendMessage", chat_id=RESIDENT_ID)[-1].method.text
    assert "принял исполнитель" in accepted and "заявку У-1 на" in accepted  # the prefixed number

    # the conversation runs through the bot
    await resident.press("Написать исполнителю")
    await resident.send("Здравствуйте! Удобно во вторник в 10?")
    assert "Передано" in resident.last_text
    copies = fake_session.calls_of("CopyMessage", chat_id=PROVIDER_ID)
    assert copies and copies[-1].method.from_chat_id == RESIDENT_ID
    assert await state_of(resident) is None
    await provider.press("Ответить")
    await provider.send_photo(caption="Да, придём в 10")
    assert fake_session.calls_of("CopyMessage", chat_id=RESIDENT_ID)
    async with db.session() as s:
        logged = list(await s.scalars(select(ServiceMessage).order_by(ServiceMessage.id)))
    assert [m.kind for m in logged] == ["text", "photo"]

    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Заявки жителей")
    await provider.press("У-1")
    await provider.press("Выполнено")
    assert (await requests(db))[0].status == RequestStatus.DONE
    done = fake_session.calls_of("SendMessage", chat_id=RESIDENT_ID)[-1].method.text
    assert "Оцените" in done and "заявку У-1 на" in done

    await resident.press("5⭐")
    assert "оценил" in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    await resident.send("Очень помогли, спасибо!")
    assert "Спасибо за отзыв" in resident.last_text
    [req] = await requests(db)
    assert req.rating == 5 and req.rating_comment == "Очень помогли, спасибо!"

    await open_card_from_catalogue(resident)
    assert "⭐ 5.0 (оценок: 1)" in resident.last_text

    # the figures staff report: one card, one resident served, its rating
    await staff.press_data(StaffCb(action=StaffAction.FIGURES).pack())
    assert "Опубликовано карточек: 1\nИсполнителей с опубликованными карточками: 1" in staff.last_text
    assert "Заявок всего: 1\nВыполнено: 1\nЖителей получили услуги: 1" in staff.last_text
    assert "Средняя оценка: 5.0 (оценок: 1)" in staff.last_text


async def _audit(db, action: str) -> list[AuditLog]:
    async with db.session() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


async def _published_card(
    client_factory,
    staff,
    db,
    *,
    title: str = "Помощь по дому пожилым",
    description: str = "Уборка, покупка продуктов и лекарств, прогулки. Для одиноких пожилых людей.",
) -> tuple[TgClient, TgClient]:
    """A provider with a published card (made through the services: the dialog and the moderation
    buttons have tests of their own), and a resident of the same district."""
    provider = await make_provider(client_factory, db=db)
    async with db.session() as s:
        category = next(c for c in await svc.categories(s) if c.code == "elderly")
        card = await svc.create_card(
            s,
            PROVIDER_ID,
            {
                "organisation": "АНО «Добрые руки»",
                "title": title,
                "category_id": category.id,
                "description": description,
                "districts": ["idrinsky"],
                "format": "home",
            },
        )
    async with db.session() as s:
        await svc.moderate(s, STAFF_ID, card.id, "publish")
    resident = await make_resident(client_factory, db=db)
    return provider, resident


async def _requested_card(
    client_factory: Any, staff: TgClient, db: Any, **request: Any
) -> tuple[TgClient, TgClient]:
    """A published card that the resident has found in the catalogue and requested; (provider, resident)."""
    provider, resident = await _published_card(client_factory, staff, db)
    await open_card_from_catalogue(resident)
    await request_service(resident, **request)
    return provider, resident


async def test_phone_stays_hidden_without_consent(client_factory, staff, fake_session, db) -> None:
    provider, _resident = await _requested_card(client_factory, staff, db, note=None, share=False)
    [req] = await requests(db)
    assert not req.phone_shared and req.phone_consent_at is None and req.note is None
    to_provider = fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    assert PHONE not in to_provider and "Телефон не передан" in to_provider
    await provider.press("Принять")
    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Заявки жителей")
    await provider.press("У-")
    assert PHONE not in provider.last_text


async def test_provider_acts_only_on_own_requests(client_factory, staff, fake_session, db) -> None:
    _provider, resident = await _requested_card(client_factory, staff, db)
    [req] = await requests(db)
    other = await make_provider(client_factory, 2002, organisation="ИП Петров", db=db)
    for action in ("acc", "dec", "done", "popen", "write"):
        await other.press_data(f"shr:{action}:{req.id}:0")
        assert other.alerts(), action
    # the resident cannot accept their own request either
    await resident.press_data(f"shr:acc:{req.id}:0")
    assert "не ваша" in resident.alerts()[0]
    [req] = await requests(db)
    assert req.status == RequestStatus.NEW
    assert not fake_session.calls_of("CopyMessage")


async def test_rating_once_and_only_after_done(client_factory, staff, db) -> None:
    provider, resident = await _requested_card(client_factory, staff, db)
    [req] = await requests(db)
    await resident.press_data(f"shr:rate:{req.id}:5")
    assert "после того" in resident.alerts()[0]
    await provider.press("Принять")
    await provider.press("Выполнено")
    await resident.press("3⭐")
    await resident.press("Пропустить")
    await resident.press_data(f"shr:rate:{req.id}:1")
    assert "уже есть" in resident.alerts()[0]
    [req] = await requests(db)
    assert req.rating == 3


async def test_user_text_is_escaped(client_factory, staff, fake_session, db) -> None:
    provider, resident = await _published_card(
        client_factory,
        staff,
        db,
        title="<b>Ремонт</b> & <i>сборка</i>",
        description="Соберём <script>мебель</script> дома.",
    )
    await resident.send("/services")
    await resident.press("Все услуги")
    assert "&lt;b&gt;Ремонт&lt;/b&gt; &amp;" in resident.last_text
    await resident.press("1", exact=True)
    assert "&lt;script&gt;" in resident.last_text and "<script>" not in resident.last_text
    await resident.press("Оставить заявку")
    await resident.send("<u>срочно</u>")
    await resident.press("Нет, только через бот")
    assert (
        "&lt;u&gt;срочно&lt;/u&gt;"
        in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    )
    del provider


async def test_return_with_comment_then_edit_goes_back_to_moderation(
    client_factory, staff, fake_session, db
) -> None:
    provider = await make_provider(client_factory, db=db)
    await fill_card(provider)
    await staff.press("Вернуть с комментарием")
    await staff.send("Добавьте <часы> работы")  # not a reply to the bot: taken by nobody
    assert staff.replies == [] and (await cards(db))[0].status == CardStatus.PENDING
    await staff.reply("Добавьте <часы> работы")
    assert "возвращена" in staff.all_text()
    [card] = await cards(db)
    assert card.status == CardStatus.RETURNED and card.staff_comment == "Добавьте <часы> работы"
    notice = fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    assert "вернули на доработку" in notice and "&lt;часы&gt;" in notice
    # a second staff press on the old card is refused: it was already handled
    await staff.press_data(f"adm:sc_pub:{card.id}")
    assert "Уже рассмотрено" in staff.alerts()[0]

    await provider.press("Открыть карточку")
    assert "на доработке" in provider.last_text
    await provider.press("Изменить")
    await provider.press("Описание")
    await provider.send("Уборка и покупки. Работаем по будням с 9 до 18.")
    assert "отправлена на проверку" in provider.all_text()
    [card] = await cards(db)
    assert card.status == CardStatus.PENDING and card.staff_comment is None
    assert "с 9 до 18" in card.description and "будням" in card.search_text
    await staff.press("Отклонить")
    assert "Услуга не относится к социальным" in staff.buttons()
    await staff.press("Своя причина")
    await staff.reply("Не соответствует правилам ЭКСПО")
    [card] = await cards(db)
    assert card.status == CardStatus.DECLINED
    assert "отклонили" in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text


async def test_pause_resume_remove(client_factory, staff, fake_session, db) -> None:
    provider, resident = await _requested_card(client_factory, staff, db)
    await provider.walk("/my", *map(Press, ("Мои услуги", "Помощь по дому", "Приостановить")))
    await resident.send("/services")
    assert "Услуг: 0" in resident.last_text
    await provider.press("Возобновить")
    await resident.send("/services")
    assert "Услуг: 1" in resident.last_text
    await provider.press("Удалить")
    await provider.press("Да, удалить")
    [card] = await cards(db)
    [req] = await requests(db)
    assert card.status == CardStatus.REMOVED and req.status == RequestStatus.CANCELLED
    assert "снята исполнителем" in fake_session.calls_of("SendMessage", chat_id=RESIDENT_ID)[-1].method.text


async def test_district_filter_and_no_duplicate_open_request(client_factory, staff, db) -> None:
    provider, resident = await _published_card(client_factory, staff, db)
    far = await make_resident(client_factory, 3002, db=db, district="shushensky")
    await far.send("/services")
    assert "Шушенский" in far.last_text and "Услуг: 0" in far.last_text
    await far.press("Шушенский")  # the district switch
    await far.press("Назад")  # back keeps the district
    assert "Район: Шушенский" in far.last_text
    await far.press("📍 Шушенский")
    await far.press("Все районы")
    assert "Услуг: 1" in far.last_text
    await open_card_from_catalogue(resident)
    await request_service(resident)
    await open_card_from_catalogue(resident)
    await resident.press("Оставить заявку")
    await resident.press("Пропустить")
    await resident.press("Нет, только через бот")
    assert "уже есть открытая заявка" in resident.last_text
    assert len(await requests(db)) == 1
    # the provider cannot request their own card
    await open_card_from_catalogue(provider)
    assert "Оставить заявку" not in provider.buttons()


async def test_resident_cancels_from_my(client_factory, staff, fake_session, db) -> None:
    _provider, resident = await _requested_card(client_factory, staff, db)
    await resident.send("/my")
    await resident.press("Мои заявки на услуги")
    assert "ждёт ответа" in resident.buttons()[0]
    await resident.press("У-")
    await resident.press("Отменить заявку")
    await resident.press("Да, отменить")
    [req] = await requests(db)
    assert req.status == RequestStatus.CANCELLED
    assert "отменил заявку" in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text


async def test_not_a_provider_is_told_how(client_factory, db) -> None:
    citizen = await make_resident(client_factory, db=db)
    await citizen.send("/my")
    assert "Мои услуги" not in " ".join(citizen.buttons())  # the provider's section only to providers
    await citizen.press_data("my:sc_prov")  # an old /my message's button still tells how
    assert "Публиковать услуги могут" in citizen.last_text
    await citizen.press_data("shc:new:0:")
    assert citizen.alerts()


async def test_unanswered_requests_raised_once(
    client_factory, staff, fake_session, db, bot, dp, settings
) -> None:
    provider, _resident = await _requested_card(client_factory, staff, db)
    i18n = dp["i18n"]
    bot = TelegramNotifier(bot)  # the job sends through the delivery layer's Notifier
    assert await svc.raise_unanswered(bot, db, i18n, settings) == 0
    later = utcnow() + timedelta(hours=settings.showcase_answer_hours, minutes=1)
    fake_session.clear()
    assert await svc.raise_unanswered(bot, db, i18n, settings, now=later) == 1
    alert = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
    assert alert and "без ответа" in alert[0].method.text and "Помощь по дому" in alert[0].method.text
    assert "ждёт вашего ответа" in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[0].method.text
    assert await svc.raise_unanswered(bot, db, i18n, settings, now=later) == 0
    del provider


async def test_form_back_and_bad_input_keep_the_dialog(client_factory, db) -> None:
    provider = await make_provider(client_factory, db=db)
    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Новая карточка")
    await provider.press("Оставить")
    await provider.send("Курсы")  # fine
    await provider.press("Назад")  # back to the title step
    assert "Название услуги" in provider.last_text
    await provider.send_sticker()
    assert "текстом" in provider.all_text()
    await provider.send("x" * 500)
    assert "до 120" in provider.last_text
    assert (await provider.step()).endswith(":title")
    await provider.send("Курсы компьютерной грамотности")
    await provider.send("Тоже текст вместо кнопки")
    assert "кнопкой" in provider.all_text() and (await provider.step()).endswith(":category")
    await provider.press("Образование")
    await provider.send_photo()
    assert (await provider.step()).endswith(":description")
    await provider.send("Учим пользоваться смартфоном и Госуслугами.")
    await provider.press("Готово")
    assert "хотя бы один" in provider.all_text()
    await provider.press("Все районы")
    await provider.press("Готово")
    await provider.send("200 ₽ занятие")
    await provider.press("Онлайн")
    await provider.send("не фото")
    assert "Пришлите фото" in provider.all_text()
    await provider.send_photo()
    await provider.press("Подтвердить")
    [card] = await cards(db)
    assert card.price == "200 ₽ занятие" and card.format == "online" and card.photo_file_id
    assert len(card.districts) == 8


async def test_trial_office_application_becomes_a_long_booking(
    client_factory, staff, fake_session, db, settings
) -> None:

    from db.models.booking import Booking

    provider, today = await trial_applicant(client_factory, db, settings)
    start, end = today + timedelta(days=10), today + timedelta(days=14)
    await provider.send("01.01.2001")
    assert "прошла" in provider.all_text()
    await provider.send(start.strftime("%d.%m.%Y"))
    await provider.send((start - timedelta(days=1)).strftime("%d.%m.%Y"))
    assert "раньше начала" in provider.all_text()
    await provider.send(end.strftime("%d.%m.%Y"))
    await provider.send("Хочу попробовать мастерскую по ремонту одежды")
    assert "Отправить?" in provider.last_text
    await provider.press("Подтвердить")
    assert (
        "Пробный офис" in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1].method.text or True
    )
    await staff.press("Одобрить")
    assert "одобрена" in staff.last_text
    assert "одобрена" in fake_session.calls_of("SendMessage", chat_id=PROVIDER_ID)[-1].method.text
    async with db.session() as s:
        bookings = list(await s.scalars(select(Booking)))
        from db.models.showcase import TrialApplication

        [application] = list(await s.scalars(select(TrialApplication)))
    assert application.status == "approved" and application.booking_ref
    assert len(bookings) == 1 and bookings[0].is_long


async def test_staff_edit_categories(client_factory, staff, db) -> None:
    await staff.walk(
        "/showcase",
        *map(Press, ("Категории услуг", "Экология", "Скрыть", "Добавить категорию")),
        "Ремесло и фермерство",
    )
    assert "сохранена" in staff.all_text()
    provider = await make_provider(client_factory, db=db)
    await provider.walk("/my", *map(Press, ("Мои услуги", "Новая карточка", "Оставить")), "Мёд с пасеки")
    labels = provider.buttons()
    assert "Ремесло и фермерство" in labels and "Экология" not in labels


async def test_a_category_added_on_a_new_database_joins_the_centers_list(db) -> None:
    """The migration seeds no categories: the first list, or the first added category, seeds them."""
    async with db.session() as s:
        await svc.add_category(s, STAFF_ID, "Ремесло и фермерство")
        titles = [c.title_ru for c in await svc.categories(s)]
    assert titles[0] == "Социальное обслуживание" and titles[-1] == "Ремесло и фермерство"
    assert len(titles) == len(svc.DEFAULT_CATEGORIES) + 1


async def test_privacy_export_and_erase(client_factory, staff, db) -> None:
    from services import privacy

    _provider, _resident = await _requested_card(client_factory, staff, db, note="Мой адрес: ул. Ленина, 5")
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == RESIDENT_ID))
        data = await privacy.export(s, user)
    assert data["showcase"]["requests"][0]["note"] == "Мой адрес: ул. Ленина, 5"
    assert data["showcase"]["requests"][0]["phone_shared_with_provider"] is True
    async with db.session() as s:
        await privacy.erase(s, RESIDENT_ID, "1.0")
    [req] = await requests(db)
    assert req.note is None and not req.phone_shared and req.status == RequestStatus.CANCELLED


async def _event(db, *, title: str = "ЭКСПО социальных услуг", status: str = "published") -> int:
    from db.models.events import Event

    starts = utcnow() + timedelta(days=7)
    async with db.session() as s, write(s):
        event = Event(
            title=title,
            kind="expo",
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            place_kind="center",
            place="Большой зал",
            reg_deadline=starts,
            status=status,
            checkin_code="abc123",
            created_by=1,
        )
        s.add(event)
        await s.flush()
        return event.id


async def test_expo_event_lists_linked_cards(client_factory, staff, fake_session, db) -> None:
    _provider, resident = await _published_card(client_factory, staff, db)
    event_id = await _event(db)
    [card] = await cards(db)
    await staff.walk(
        "/showcase",
        *map(
            Press,
            (
                "Исполнители и карточки",
                "АНО",
                "Помощь по дому",
                "Добавить на выставку",
                "ЭКСПО социальных услуг",
            ),
        ),
    )
    assert "Выставка: ЭКСПО социальных услуг" in staff.last_text
    await staff.press_data(ExpoLinkCb(action=ExpoAction.LINK, id=event_id, c=card.id).pack())
    assert "уже участвует" in staff.alerts()[0]
    async with db.session() as s:
        assert [c.id for c in await svc.cards_for_event(s, event_id)] == [card.id]
    # the resident sees the event on the card, and the event's participants by its button
    await open_card_from_catalogue(resident)
    assert "🎪 Выставка: ЭКСПО социальных услуг" in resident.last_text
    await resident.press_data(f"shx:{event_id}")
    assert "Участники выставки" in resident.last_text and "Помощь по дому пожилым" in resident.last_text
    await resident.press("Помощь по дому")
    assert "📝 Оставить заявку" in resident.buttons()
    # unlink
    await staff.press("Убрать из")
    async with db.session() as s:
        assert await svc.cards_for_event(s, event_id) == []


async def test_concurrent_requests_and_ratings_are_exact(client_factory, staff, db) -> None:
    """A double tap from two devices: one open request per card and person, one rating per request."""
    import asyncio

    from services.errors import Conflict

    provider, _resident = await _published_card(client_factory, staff, db)
    [card] = await cards(db)

    async def request_once() -> str:
        async with db.session() as s:
            try:
                await svc.create_request(s, RESIDENT_ID, card.id, None, False)
                return "ok"
            except Conflict:
                return "conflict"

    results = await asyncio.gather(*(request_once() for _ in range(6)))
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    [req] = await requests(db)
    async with db.session() as s:
        await svc.accept_request(s, PROVIDER_ID, req.id)
    async with db.session() as s:
        await svc.complete_request(s, PROVIDER_ID, req.id)

    async def rate_once(stars: int) -> str:
        async with db.session() as s:
            try:
                await svc.rate(s, RESIDENT_ID, req.id, stars)
                return "ok"
            except Conflict:
                return "conflict"

    results = await asyncio.gather(*(rate_once(stars) for stars in (1, 2, 3, 4, 5)))
    assert results.count("ok") == 1
    [req] = await requests(db)
    assert req.rating in (1, 2, 3, 4, 5)

    async def publish_once() -> str:
        async with db.session() as s:
            try:
                await svc.moderate(s, 5001, card.id, "publish")
                return "ok"
            except Conflict:
                return "conflict"

    async with db.session() as s:  # back to moderation, then two staff press «Опубликовать» at once
        await svc.update_card(s, PROVIDER_ID, card.id, {"title": "Помощь по дому и в саду"})
    results = await asyncio.gather(publish_once(), publish_once())
    assert sorted(results) == ["conflict", "ok"]
    assert len(await _audit(db, "showcase.card_publish")) == 2  # the first publication and this one
    del provider


async def test_unanswered_job_is_scheduled(settings, bot, db, dp) -> None:
    from bot.scheduler import build_scheduler

    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)
    job = scheduler.get_job(svc.UNANSWERED_JOB)
    assert job is not None and job.func.__wrapped__ is svc.raise_unanswered


async def test_returned_card_can_be_sent_again_unchanged(client_factory, staff, fake_session, db) -> None:
    provider = await make_provider(client_factory, db=db)
    await fill_card(provider)
    await staff.press("Вернуть с комментарием")
    await staff.reply("Уточните, есть ли выходные")
    await provider.press("Открыть карточку")
    fake_session.clear()
    await provider.press("Отправить снова")
    [card] = await cards(db)
    assert card.status == CardStatus.PENDING
    posted = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
    assert "изменена — на проверку" in posted[0].method.text
    await provider.press_data(f"shc:resubmit:{card.id}:")
    assert "уже изменился" in provider.alerts()[0]


async def test_weekly_digest_lists_new_cards_in_the_persons_districts(client_factory, staff, db) -> None:
    from services import digest

    await _published_card(client_factory, staff, db, title="Мёд <с пасеки>")
    far = await make_resident(client_factory, 3002, db=db, district="shushensky")
    assert any(name == "showcase" for name, _source in digest.SOURCES)
    now = utcnow()
    async with db.session() as s:
        near_user = await s.scalar(select(User).where(User.tg_id == RESIDENT_ID))
        far_user = await s.scalar(select(User).where(User.tg_id == far.user.id))
        near_user.interest_districts = ["idrinsky"]
        far_user.interest_districts = ["shushensky"]
        found = await svc.digest_new_cards(s, [near_user, far_user], now, now + timedelta(days=7))
    near = found[near_user.id]
    assert len(near) == 1 and "Мёд &lt;с пасеки&gt;" in near[0].text
    assert near[0].button is not None and near[0].button[1].startswith("shv:")
    assert far_user.id not in found


async def test_english_speaking_resident_gets_english(client_factory, staff, db) -> None:
    _provider, _resident = await _published_card(client_factory, staff, db)
    guest = client_factory(3005, first_name="John", last_name="Smith", language_code="en")
    await quick_register(db, guest, group="citizen", district="idrinsky")
    await guest.send("/services")
    assert "Services catalogue" in guest.last_text and "Help for older people (1)" in guest.buttons()


async def test_only_staff_moderate(client_factory, db) -> None:
    provider = await make_provider(client_factory, db=db)
    await fill_card(provider)
    [card] = await cards(db)
    stranger = client_factory(7777, first_name="Чужой", chat_id=ADMIN_CHAT_ID)  # in the chat, not staff
    await stranger.press_data(f"adm:sc_pub:{card.id}")
    assert stranger.alerts()
    await provider.press_data(f"adm:sc_pub:{card.id}")  # a provider forging the staff button privately
    assert provider.alerts()
    [card] = await cards(db)
    assert card.status == CardStatus.PENDING


async def test_staff_see_unanswered_requests(client_factory, staff, db, settings) -> None:
    _provider, _resident = await _requested_card(client_factory, staff, db)
    await staff.send("/showcase")
    assert "⏰ Заявки без ответа (0)" in staff.buttons()
    async with db.session() as s, write(s):
        [req] = list(await s.scalars(select(ServiceRequest)))
        req.created_at = utcnow() - timedelta(hours=settings.showcase_answer_hours + 1)
    await staff.send("/showcase")
    await staff.press("Заявки без ответа (1)")
    assert "У-1 «Помощь по дому пожилым» — АНО «Добрые руки»" in staff.last_text


async def test_conversation_edge_cases(client_factory, staff, fake_session, db) -> None:
    from aiogram.exceptions import TelegramForbiddenError
    from aiogram.methods import SendMessage

    provider, resident = await _requested_card(client_factory, staff, db)
    [req] = await requests(db)
    await resident.press_data(f"shr:write:{req.id}:0")
    assert "ещё не принята" in resident.alerts()[0]  # no conversation before the provider accepts
    await provider.press("Принять")
    await resident.press("Написать исполнителю")
    await resident.send_sticker()
    assert "стикер" in resident.last_text and (await state_of(resident)) == "Talk:message"
    fake_session.fail_next(
        "SendMessage",
        TelegramForbiddenError(method=SendMessage(chat_id=PROVIDER_ID, text="x"), message="blocked"),
    )
    await resident.send("Вы здесь?")
    assert "недоступен" in resident.last_text and (await state_of(resident)) == "Talk:message"
    await resident.send("Вы здесь?")
    assert "Передано" in resident.last_text
    await resident.press("Отмена")
    assert await state_of(resident) is None
