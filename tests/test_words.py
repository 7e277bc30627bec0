"""The Center's facts and the bot's description: the address from the grant application, no placeholder
phone or e-mail (an empty setting is not shown), the description and short description set at start-up."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SetMyDescription

from bot.commands import set_descriptions, set_up_bot
from bot.config import Settings
from services import ics
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, make_settings, register

ADDRESS = "662660, Красноярский край, Краснотуранский р-н, с. Краснотуранск, ул. Ленина, 22А"


def test_the_defaults_are_the_centers_facts() -> None:
    defaults = Settings.model_fields
    assert defaults["center_address"].default == ADDRESS
    assert defaults["center_phone"].default == "" and defaults["center_email"].default == ""
    assert defaults["operator_name"].default == "ММООПСИКР «Перспектива»"
    assert "ул. Ленина, 22А" in (ics.__doc__ or "") and "Ленина, 20" not in (ics.__doc__ or "")


async def test_about_shows_the_address_and_no_empty_contacts(client: TgClient, fake_session: Any) -> None:
    await client.send("/about")
    [venue] = fake_session.calls_of("SendVenue", chat_id=client.chat_id)
    assert venue.method.address == ADDRESS
    text = client.last_text
    assert ADDRESS in text
    assert "📞" not in text and "✉️" not in text  # nothing is set: nothing is shown
    assert "342-00-00" not in client.all_text() and "example.org" not in client.all_text()


async def test_about_shows_a_phone_and_an_e_mail_once_set(
    database_url: str, db: Any, fake_session: Any
) -> None:
    from bot.factory import create_bot, create_dispatcher

    settings = make_settings(
        database_url, center_phone="+7 (39134) 2-11-22", center_email="cmc@krasnoturansk.ru"
    )
    dp = create_dispatcher(settings, db, error_sink=[])
    bot = create_bot(settings, session=fake_session)
    client = TgClient(dp, bot, 8101)
    await client.send("/about")
    assert "📞 +7 (39134) 2-11-22" in client.last_text
    assert "✉️ cmc@krasnoturansk.ru" in client.last_text
    await dp.storage.close()


async def test_help_does_not_promise_a_phone(client: TgClient) -> None:
    await register(client)
    await client.send("/help")
    assert "позвоните" not in client.last_text and "/about" in client.last_text


async def test_start_up_sets_the_description_in_russian_and_english(
    bot: Any, fake_session: Any, dp: Any
) -> None:
    await set_up_bot(bot, dp["i18n"], ADMIN_CHAT_ID)
    assert fake_session.calls_of("SetMyCommands")
    described = {
        c.method.language_code: c.method.description for c in fake_session.calls_of("SetMyDescription")
    }
    short = {
        c.method.language_code: c.method.short_description
        for c in fake_session.calls_of("SetMyShortDescription")
    }
    assert set(described) == set(short) == {None, "ru", "en"}
    assert described[None] == described["ru"]
    assert described["ru"].startswith("Бот Центра местного сообщества в Краснотуранске")
    assert described["en"].startswith("The bot of the Community Center in Krasnoturansk")
    assert "Центр местного сообщества" in short["ru"] and "Community Center" in short["en"]
    # Telegram's limits: 512 and 120 characters
    assert all(len(text) <= 512 for text in described.values())
    assert all(len(text) <= 120 for text in short.values())


async def test_a_failed_description_is_logged_and_ignored(
    bot: Any, fake_session: Any, dp: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake_session.fail_next(
        "SetMyDescription", TelegramNetworkError(method=SetMyDescription(description="x"), message="down")
    )
    with caplog.at_level(logging.WARNING, logger="bot.commands"):
        await set_descriptions(bot, dp["i18n"])  # does not raise
    assert any("description" in r.getMessage() for r in caplog.records)
    # the other languages were still set
    described = [c for c in fake_session.calls_of("SetMyDescription") if not isinstance(c.result, Exception)]
    assert {c.method.language_code for c in described} == {"ru", "en"}
