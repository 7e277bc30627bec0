"""Consent (152-ФЗ, issue #14): the operator named, re-asking when the policy rises, withdrawal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import ConsentLog, User
from tests.client import TgClient
from tests.conftest import POLICY_CHANGES, open_consent, register


async def consents(db: Any) -> list[tuple[str, str]]:
    async with db.session() as s:
        rows = await s.scalars(select(ConsentLog).order_by(ConsentLog.id))
        return [(c.action, c.policy_version) for c in rows]


async def test_the_consent_text_names_the_legal_entity_as_operator(client: TgClient) -> None:
    await open_consent(client)
    await client.press("Подробнее о политике")
    text = client.last_text
    assert "Оператор персональных данных: ММООПСИКР «Перспектива»" in text
    assert "Краснотуранский р-н, с. Краснотуранск, ул. Ленина, 22А" in text
    assert "Центр местного сообщества" not in text  # the display name is not the operator
    # it says truthfully who receives data: the provider of a requested service gets name and district
    assert "исполнитель этой услуги получает ваше имя и район" in text
    assert "Данные не передаются третьим лицам" not in text


async def test_a_rise_of_the_policy_version_asks_again_until_agreed(
    after_policy_rise: TgClient, db: Any
) -> None:
    assert await consents(db) == [("given", "1.0")]
    person = after_policy_rise
    await person.send("/book")
    assert POLICY_CHANGES in person.last_text and "версия 1.1" in person.last_text
    assert "✅ Даю согласие" in person.buttons()
    await person.press_data("menu:my")  # any other action: asked again, nothing else
    assert POLICY_CHANGES in person.last_text
    await person.send("/help")  # /help, /privacy and «О Центре» still work
    assert POLICY_CHANGES not in person.last_text and "/privacy" in person.all_text()
    await person.send("/privacy")
    assert "Ваши данные" in person.last_text
    await person.press_data("menu:about")
    assert POLICY_CHANGES not in person.all_text()
    await person.send("/book")
    await person.press("Даю согласие")
    assert "версию 1.1 записано" in person.last_text
    assert await consents(db) == [("given", "1.0"), ("given", "1.1")]
    await person.send("/book")
    assert POLICY_CHANGES not in person.all_text()


async def test_withdrawing_consent_is_recorded_and_erases(client: TgClient, db: Any) -> None:
    await register(client, group="Сотрудник СОНКО", organisation="АНО Маркер-Орг", phone="+7 913 000-11-22")
    await client.send("/privacy")
    await client.press("Отозвать согласие")
    assert "Отозвать согласие" in client.last_text
    await client.press("Да, отозвать и удалить")
    assert await consents(db) == [("given", "1.0"), ("withdrawn", "1.0")]
    async with db.session() as s:
        [user] = list(await s.scalars(select(User)))
    assert user.tg_id is None and user.full_name is None and user.phone is None
    assert user.organisation is None  # the review found the organisation kept after erasure
