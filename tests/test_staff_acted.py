"""Issue 17: every staff card says who acted on it and when, updated in place (the card message itself
is edited) and without the buttons that no longer apply: ideas, catalogue cards, trial applications."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import Message

from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, local, register
from tests.test_ideas import ideas_in, submit_idea
from tests.test_showcase import cards, fill_card, make_provider, trial_applicant

WHEN = local(2026, 12, 9, 11, 0)  # DEFAULT_MOMENT: the card says «…, 11:00»


def card_now(fake_session, message_id: int):
    """The card message as the admin chat shows it now (after every edit)."""
    return fake_session.messages[ADMIN_CHAT_ID][message_id]


async def idea_sent(author: TgClient) -> None:
    await register(author)
    await submit_idea(author, photo=False)


async def press_on_card(staff: TgClient, label: str) -> Message:
    """Press ``label`` on the newest card in the admin chat that has it; returns that card's message."""
    card, button = staff.find_button(label)
    await staff.press_data(button.callback_data or "", card)
    return card


def labels(message) -> list[str]:
    markup = message.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


async def test_idea_card_names_who_published_took_up_and_finished_it(
    client_factory, staff: TgClient, db, fake_session, clock
) -> None:
    await idea_sent(client_factory(2601))
    card = await press_on_card(staff, "Опубликовать")
    now = card_now(fake_session, card.message_id)
    assert "Опубликовано: Мария Сотрудник" in now.text and "11:00" in now.text
    assert labels(now) == ["🛠 В работу", "🏁 Реализована"]  # publishing is no longer offered

    clock.set(WHEN + timedelta(minutes=25))
    await staff.press("В работу")
    now = card_now(fake_session, card.message_id)
    assert "Взято в работу: Мария Сотрудник" in now.text and "11:25" in now.text
    assert labels(now) == ["🏁 Реализована"]
    [idea] = await ideas_in(db)
    assert idea.status == "in_progress"


async def test_idea_rejected_by_reply_updates_its_card(
    client_factory, staff: TgClient, db, fake_session
) -> None:
    await idea_sent(client_factory(2602))
    card = await press_on_card(staff, "Отклонить")
    await staff.press("Своя причина")
    await staff.reply("Такая площадка уже строится")
    now = card_now(fake_session, card.message_id)
    assert "Отклонено: Мария Сотрудник" in now.text and "11:00" in now.text
    assert labels(now) == []  # a rejected idea has nothing left to press
    [idea] = await ideas_in(db)
    assert idea.status == "rejected"


async def test_catalogue_card_published_and_declined_in_place(
    client_factory, staff, db, fake_session
) -> None:
    provider = await make_provider(client_factory, db=db)
    await fill_card(provider)
    card = await press_on_card(staff, "Опубликовать")
    now = card_now(fake_session, card.message_id)
    assert "Опубликовано: Мария Сотрудник" in now.text and "11:00" in now.text
    assert "Помощь по дому пожилым" in now.text and labels(now) == []

    await fill_card(provider, title="Стирка и глажка")
    card = await press_on_card(staff, "Отклонить")
    await staff.press("Услуга не относится к социальным")
    now = card_now(fake_session, card.message_id)
    assert "Отклонено: Мария Сотрудник" in now.text and "Стирка и глажка" in now.text
    assert labels(now) == []
    assert [c.status for c in await cards(db)] == ["published", "declined"]


async def test_catalogue_card_returned_by_reply_in_place(client_factory, staff, db, fake_session) -> None:
    provider = await make_provider(client_factory, db=db)
    await fill_card(provider)
    card = await press_on_card(staff, "Вернуть с комментарием")
    await staff.reply("Добавьте часы работы")
    now = card_now(fake_session, card.message_id)
    assert "Возвращено на доработку: Мария Сотрудник" in now.text and "11:00" in now.text
    assert labels(now) == []


async def test_trial_application_card_names_who_approved_it(
    client_factory, staff, db, fake_session, settings
) -> None:
    provider, today = await trial_applicant(client_factory, db, settings)
    await provider.send((today + timedelta(days=10)).strftime("%d.%m.%Y"))
    await provider.send((today + timedelta(days=12)).strftime("%d.%m.%Y"))
    await provider.send("Хочу попробовать мастерскую по ремонту одежды")
    await provider.press("Подтвердить")
    card = await press_on_card(staff, "Одобрить")
    now = card_now(fake_session, card.message_id)
    assert "Подтверждено: Мария Сотрудник" in now.text and "11:00" in now.text
    assert "ремонту одежды" in now.text and labels(now) == []


async def test_pinned_count_follows_each_decision_at_once(
    client_factory, staff: TgClient, db, fake_session
) -> None:
    await idea_sent(client_factory(2603))
    await staff.send("/inbox")  # posts and pins «📥 Ждут ответа: 1»
    pin_id = fake_session.pinned[ADMIN_CHAT_ID]
    assert "Ждут ответа: 1" in card_now(fake_session, pin_id).text
    await staff.press("Опубликовать")
    assert fake_session.pinned[ADMIN_CHAT_ID] == pin_id  # the same pinned message, edited
    assert "Ждут ответа: 0" in card_now(fake_session, pin_id).text
    edits = len(fake_session.calls_of("EditMessageText", chat_id=ADMIN_CHAT_ID))
    await staff.press("В работу")  # the count does not change: the pin is not touched
    pin_edits = [
        c
        for c in fake_session.calls_of("EditMessageText", chat_id=ADMIN_CHAT_ID)[edits:]
        if c.method.message_id == pin_id
    ]
    assert pin_edits == []


async def test_no_pin_posted_by_a_decision(client_factory, staff: TgClient, db, fake_session) -> None:
    """Posting and pinning the count is the job's and /inbox's; a decision only edits a posted one."""
    await idea_sent(client_factory(2604))
    await staff.press("Опубликовать")
    assert ADMIN_CHAT_ID not in fake_session.pinned
    assert not any("Ждут ответа" in (c.method.text or "") for c in fake_session.calls_of("SendMessage"))
