"""Consent and registration, driven through the real dispatcher."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import ConsentLog, User
from tests.client import Press, TgClient
from tests.conftest import open_consent, register


async def users(db) -> list[User]:
    async with db.session() as s:
        return list(await s.scalars(select(User)))


async def state_of(client: TgClient) -> str | None:
    return await client.step()


async def test_start_greets_and_lets_a_person_look_around(client: TgClient, db) -> None:
    await client.send("/start")
    welcome, look = client.texts()
    assert len(welcome.splitlines()) == 3 and "Центра местного сообщества" in welcome
    assert "посмотреть" in look
    assert "152-ФЗ" not in client.all_text()  # consent is asked when the person acts
    assert len(client.buttons()) <= 7 and "📆 Мероприятия" in client.buttons()
    assert await users(db) == []  # nothing stored before consent
    await client.press("Ещё")
    await client.press("Зарегистрироваться")  # registering on purpose, before acting
    assert "152-ФЗ" in client.last_text and "✅ Даю согласие" in client.buttons()
    assert await users(db) == []


async def test_full_registration(client: TgClient, db) -> None:
    await open_consent(client)
    for answer, next_question in (
        (Press("Даю согласие"), "Шаг 1 из"),
        ("Анна Смирнова", "Кто вы"),
        (Press("Сотрудник СОНКО"), "организация"),
        ("АНО «Добрые руки»", "районе"),
        (Press("Идринский"), "телефон"),
    ):
        await client.walk(answer)
        assert next_question in client.last_text, client.texts()
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
    await open_consent(client)
    await client.press("Не сейчас")
    assert "ничего не сохранили" in client.last_text
    assert "📆 Мероприятия" in client.buttons()  # looking around goes on
    assert await users(db) == []
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ConsentLog)) == 0
    await client.press("Ещё")
    await client.press("О Центре")
    assert client.sent("SendVenue")


async def test_helper_register(client: TgClient, db) -> None:
    await register(client)
    [user] = await users(db)
    assert user.full_name == "Иван Петров" and user.phone is None and user.organisation is None


# --- back, cancel and bad input at every step -------------------------------------------------

STEP_PROMPTS = {
    "name": "Как вас зовут",
    "group": "Кто вы",
    "org": "организация",
    "district": "районе",
    "phone": "телефон",
    "news": "новости",
}


async def walk_to(client: TgClient, step: str) -> None:
    """Consent, then answer steps (as an NGO employee, so the organisation step is asked) up to ``step``."""
    await client.send("/start")
    if "Продолжим регистрацию" not in client.all_text():  # consent was given on an earlier walk
        await open_consent(client)
        await client.press("Даю согласие")
    answers = [
        ("name", lambda: client.send("Анна Смирнова")),
        ("group", lambda: client.press("Сотрудник СОНКО")),
        ("org", lambda: client.send("АНО Доброе дело")),
        ("district", lambda: client.press("Каратузский")),
        ("phone", lambda: client.send("Пропустить")),
    ]
    for name, answer in answers:
        if name == step:
            break
        await answer()
    assert STEP_PROMPTS[step] in client.last_text, client.texts()


ORDER = ["name", "group", "org", "district", "phone", "news"]
REPLY_KEYS = {"Назад": "⬅️ Назад", "Отмена": "✖️ Отмена"}  # the phone step's reply keyboard


async def navigate(client: TgClient, step: str, label: str) -> None:
    """Press «Назад» or «Отмена» on ``step``: the phone step has them on its reply keyboard, the others
    as inline buttons."""
    if step == "phone":
        await client.send(REPLY_KEYS[label])
    else:
        await client.press(label)


@pytest.mark.parametrize("step", ORDER[1:])
async def test_back_goes_to_previous_step_and_keeps_answers(client: TgClient, db, step: str) -> None:
    await walk_to(client, step)
    await navigate(client, step, "Назад")
    previous = ORDER[ORDER.index(step) - 1]
    assert STEP_PROMPTS[previous] in client.last_text
    assert (await client.draft())["full_name"] == "Анна Смирнова"


async def test_back_on_first_step_leaves_the_dialog(client: TgClient) -> None:
    await walk_to(client, "name")
    await client.press("Назад")
    assert await state_of(client) is None
    assert "/start" in client.last_text


@pytest.mark.parametrize("step", ORDER)
async def test_cancel_at_every_step(client: TgClient, db, step: str) -> None:
    await walk_to(client, step)
    await navigate(client, step, "Отмена")
    assert "отменено" in client.all_text().lower()
    assert await state_of(client) is None
    [user] = await users(db)
    assert not user.is_registered and user.full_name is None  # nothing half-saved
    await client.send("/start")  # and registration can be resumed later
    assert "Продолжим регистрацию" in client.all_text()


@pytest.mark.parametrize("step", ORDER)
async def test_bad_input_repeats_the_step(client: TgClient, step: str) -> None:
    await walk_to(client, step)
    await client.send_sticker()
    assert STEP_PROMPTS[step] in client.last_text
    assert await state_of(client) == f"reg:{step}"
    await client.send_photo()
    assert STEP_PROMPTS[step] in client.last_text
    if step in ("name", "org"):
        await client.send("я" * 500)
        assert "до" in client.texts()[0] and STEP_PROMPTS[step] in client.last_text
    elif step == "phone":
        await client.send("позвоните мне")
        assert "Не похоже на номер" in client.all_text()
        await client.send_contact("+79130000000", user_id=999)
        assert "чужой контакт" in client.all_text()
    else:
        await client.send("Идринский")  # typed instead of pressed
        assert "кнопк" in client.all_text()
    assert await state_of(client) == f"reg:{step}"


async def test_cancel_and_help_commands_work_in_any_state(client: TgClient) -> None:
    await walk_to(client, "district")
    await client.send("/help")
    assert "/cancel" in client.all_text() and "заполняете форму" in client.all_text()
    assert await state_of(client) == "reg:district"  # help keeps the dialog
    await client.send("/cancel")
    assert "отменено" in client.all_text().lower()
    assert await state_of(client) is None


async def test_name_is_escaped_when_shown(client: TgClient) -> None:
    await register(client, name="<b>Вася</b> & Co", district="Идринский", news=False)
    assert "&lt;b&gt;Вася&lt;/b&gt;" in client.all_text()
    await client.send("/profile")
    assert "<b>Вася" not in client.last_text


async def test_state_survives_a_new_dispatcher(client: TgClient, settings, db, bot) -> None:
    from bot.factory import create_dispatcher

    await walk_to(client, "district")
    # The bot restarts: a new dispatcher over the same database (or Redis).
    new_dp = create_dispatcher(settings, db, error_sink=[])
    try:
        again = TgClient(new_dp, bot, client.user.id)
        await again.press("Каратузский")
        assert "телефон" in again.last_text.lower()
        assert (await again.draft())["organisation"] == "АНО Доброе дело"
    finally:
        await new_dp.storage.close()


# --- profile ----------------------------------------------------------------------------------


async def test_profile_edit(client: TgClient, db) -> None:
    await register(client)
    await client.send("/profile")
    assert "Иван Петров" in client.last_text
    await client.press("✏️ Имя")
    await client.send("Иван Сидоров")
    assert "Сохранено" in client.all_text() and "Иван Сидоров" in client.last_text
    await client.press("✏️ Кто я")
    await client.press("Предприниматель")
    assert "организация" in client.last_text  # a business role needs an organisation
    await client.send("ИП Сидоров")
    await client.press("✏️ Район")
    await client.press("г. Минусинск")
    await client.press("✏️ Телефон")
    await client.send("+7 (913) 555-44-33")
    await client.press("✏️ Новости")
    await client.press("Нет", exact=True)
    [user] = await users(db)
    assert (
        user.full_name,
        user.target_group,
        user.organisation,
        user.district,
        user.phone,
        user.news_opt_in,
    ) == (
        "Иван Сидоров",
        "entrepreneur",
        "ИП Сидоров",
        "minusinsk",
        "+79135554433",
        False,
    )
    assert not user.digest_enabled
    await client.press("✏️ Кто я")
    await client.press("Получатель услуг")
    [user] = await users(db)
    assert user.organisation is None


async def test_profile_edit_back_keeps_old_value(client: TgClient, db) -> None:
    await register(client)
    await client.send("/profile")
    await client.press("✏️ Имя")
    await client.press("Назад")
    assert "Ваш профиль" in client.last_text
    [user] = await users(db)
    assert user.full_name == "Иван Петров"


# --- privacy ----------------------------------------------------------------------------------


async def test_export_sends_my_data_as_a_file(client: TgClient) -> None:
    import json

    await register(client, phone="+79131112233")
    await client.send("/privacy")
    assert "Согласие дано" in client.last_text
    await client.press("Скачать мои данные")
    [doc] = client.sent("SendDocument")
    data = json.loads(doc.method.document.data)
    assert data["full_name"] == "Иван Петров" and data["phone"] == "+79131112233"
    assert data["consents"][0]["action"] == "given"


async def test_erase_after_confirmation(client: TgClient, db) -> None:
    await register(client, phone="+79131112233")
    await client.send("/privacy")
    await client.press("Удалить мои данные")
    await client.press("Нет, оставить")
    [user] = await users(db)
    assert user.tg_id == client.user.id
    await client.press("Удалить мои данные")
    await client.press("Да, удалить")
    assert "удалены" in client.all_text()
    [user] = await users(db)
    assert user.tg_id is None and user.full_name is None and user.phone is None
    assert user.status == "erased" and user.target_group == "citizen"  # kept for reports, anonymous
    async with db.session() as s:
        actions = [c.action for c in await s.scalars(select(ConsentLog).order_by(ConsentLog.id))]
    assert actions == ["given", "withdrawn"]
    await client.send("/start")  # a new start: a new person, who may look around again
    assert "Центра местного сообщества" in client.all_text()
    await client.press("Мероприятия")
    await client.send("/book")  # acting asks for consent again
    assert "152-ФЗ" in client.last_text


async def test_language_switch(client: TgClient, db) -> None:
    await register(client)
    await client.send("/language")
    await client.press("English")
    assert "Language: English" in client.all_text()
    await client.send("/menu")
    assert "Main menu" in client.last_text
    [user] = await users(db)
    assert user.language == "en"


async def test_features_need_registration(client: TgClient) -> None:
    await client.send("/my")
    assert "152-ФЗ" in client.last_text and "✅ Даю согласие" in client.buttons()
