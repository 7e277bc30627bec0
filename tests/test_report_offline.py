"""Providers' offline recipients: asked on the 1st, answered with the number pad, counted in
«получатели услуг» of the next report (self-reported); «не знаю» counts nothing; staff corrections."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import select

from bot.config import Settings
from bot.delivery.outbox import telegram_outbox
from bot.scheduler import run_monthly
from db.base import utcnow
from db.engine import Database
from db.models import AuditLog, Notification, NotificationStatus
from db.models.report import OfflineRecipients
from services import report as rep
from services.outbox import Pacer
from tests import report_data as data
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, TZ, local, make_settings

PROVIDER_TG = 7010  # u10, cards 1 and 2 published
DECEMBER = rep.make_period(date(2026, 12, 1), date(2026, 12, 31), TZ, "last_month")


async def _no_sleep(_seconds: float) -> None:
    return None


async def deliver(bot: Bot, db: Database, dp: Dispatcher) -> int:
    outbox = telegram_outbox(
        bot, db, dp["i18n"], tz=TZ, pacer=Pacer(rate=1000, per_chat=0, sleep=_no_sleep), clock=utcnow
    )
    return (await outbox.tick()).sent


async def rows(db: Database) -> dict[int, OfflineRecipients]:
    async with db.session() as s:
        found = await s.scalars(select(OfflineRecipients).where(OfflineRecipients.month == date(2026, 12, 1)))
        return {r.card_id: r for r in found}


async def december(db: Database) -> rep.Report:
    async with db.session() as s:
        return await rep.build(s, DECEMBER, utcnow())


async def ask(settings: Settings, bot: Bot, db: Database, dp: Dispatcher, clock: Any) -> int:
    await data.fill(db)
    clock.set(local(2027, 1, 1, 10, 0))
    asked = await run_monthly(settings, bot, db, dp["i18n"])
    await deliver(bot, db, dp)
    return asked


@pytest.fixture
async def asked(settings: Settings, bot: Bot, db: Database, dp: Dispatcher, clock: Any) -> int:
    """The monthly question has gone out and reached the providers; the number of cards asked about."""
    return await ask(settings, bot, db, dp, clock)


async def test_provider_answers_and_it_lands_in_service_users(
    settings: Settings,
    bot: Bot,
    db: Database,
    dp: Dispatcher,
    client_factory: Any,
    clock: Any,
    fake_session: Any,
) -> None:
    assert await ask(settings, bot, db, dp, clock) == 2  # u10's two published cards; k3 removed, k4 pending
    provider: TgClient = client_factory(PROVIDER_TG)
    asked = [m for m in fake_session.messages.get(PROVIDER_TG, {}).values() if "Услуга 1" in (m.text or "")]
    assert len(asked) == 1 and "в декабре 2026 года" in (asked[0].text or "")
    before = next(r for r in (await december(db)).reach.rows if r.group == "service_user").reached

    assert "Сохранить" in provider.buttons()[-2]
    for digit in ("3", "5"):
        message, button = next(
            (m, b)
            for m in reversed(list(fake_session.messages[PROVIDER_TG].values()))
            if "Услуга 1" in (m.text or "") and m.reply_markup
            for row in m.reply_markup.inline_keyboard
            for b in row
            if b.text == digit
        )
        await provider.press_data(button.callback_data or "", message)
    edited = fake_session.messages[PROVIDER_TG][message.message_id]
    assert "Набрано: <b>35</b>" in (edited.text or "")
    save = next(b for row in edited.reply_markup.inline_keyboard for b in row if "Сохранить" in b.text)
    await provider.press_data(save.callback_data or "", edited)
    assert "Записали число получателей: 35" in (
        fake_session.messages[PROVIDER_TG][message.message_id].text or ""
    )

    card_two = next(m for m in fake_session.messages[PROVIDER_TG].values() if "Услуга 2" in (m.text or ""))
    unknown = next(b for row in card_two.reply_markup.inline_keyboard for b in row if b.text == "Не знаю")
    await provider.press_data(unknown.callback_data or "", card_two)

    answers = await rows(db)
    assert (answers[1].count, answers[1].source) == (35, "provider")
    assert answers[2].count is None
    report = await december(db)
    service = next(r for r in report.reach.rows if r.group == "service_user")
    assert service.reached == before + 35 and service.self_reported == 35
    showcase = next(s for s in report.sections if s.code == "showcase")
    assert showcase.value("report.f_offline_self") == 35 and showcase.value("report.f_offline_unknown") == 1

    async with db.session() as s:
        reminders = list(
            await s.scalars(select(Notification).where(Notification.kind == "report.offline_remind"))
        )
    assert {r.ref_id: r.status for r in reminders} == {
        1: NotificationStatus.CANCELLED,
        2: NotificationStatus.CANCELLED,
    }
    # A second run on the same day asks nobody again (answered cards are skipped, keys are unique).
    assert await run_monthly(settings, bot, db, dp["i18n"]) == 0


async def test_reminded_once_when_no_answer(
    settings: Settings, bot: Bot, db: Database, dp: Dispatcher, clock: Any, fake_session: Any
) -> None:
    await ask(settings, bot, db, dp, clock)
    fake_session.clear()
    clock.set(local(2027, 1, 3, 10, 0))
    assert await deliver(bot, db, dp) == 0
    clock.set(local(2027, 1, 4, 10, 1))
    assert await deliver(bot, db, dp) == 2
    texts = [c.method.text for c in fake_session.calls_of("SendMessage", PROVIDER_TG)]
    assert len(texts) == 2 and all("Напоминаем" in t for t in texts)
    clock.set(local(2027, 1, 8, 10, 1))
    assert await deliver(bot, db, dp) == 0


async def test_only_the_provider_may_answer(asked: int, db: Database, client_factory: Any) -> None:
    stranger: TgClient = client_factory(7001)  # u1, registered, not the provider
    await stranger.press_data("rof:ok:1:202612:99")
    assert stranger.alerts() == ["Этот вопрос уже неактуален."]
    provider: TgClient = client_factory(PROVIDER_TG)
    await provider.press_data("rof:ok:1:202701:5")  # the current month: not finished yet
    await provider.press_data("rof:ok:1:202512:5")  # older than a year
    await provider.press_data("rof:ok:999999999999:202612:5")
    in_group = client_factory(PROVIDER_TG, chat_id=ADMIN_CHAT_ID)
    await in_group.press_data("rof:ok:1:202612:5")
    async with db.session() as s:
        assert list(await s.scalars(select(OfflineRecipients).where(OfflineRecipients.count == 5))) == []
    assert await rows(db) == {}


async def test_staff_correct_and_the_correction_stands(
    asked: int, db: Database, client_factory: Any, staff: TgClient
) -> None:
    await staff.send("/offline_fix")
    assert "#1 Услуга 1 (ООО Ромашка): нет ответа" in staff.last_text
    await staff.send("/offline_fix 1 12.2026 40")
    assert "Исправлено" in staff.last_text
    provider: TgClient = client_factory(PROVIDER_TG)
    await provider.press_data("rof:ok:1:202612:12")
    assert provider.alerts() == [
        "Сотрудники Центра уже внесли число за этот месяц. Если оно неверное, напишите им."
    ]
    answers = await rows(db)
    assert (answers[1].count, answers[1].source) == (40, "staff")
    async with db.session() as s:
        entry = await s.scalar(select(AuditLog).where(AuditLog.action == "report.offline_fix"))
    assert entry is not None and entry.details["after"] == 40
    report = await december(db)
    showcase = next(s for s in report.sections if s.code == "showcase")
    assert showcase.value("report.f_offline_staff") == 40 and showcase.value("report.f_offline_self") == 0


async def test_monthly_post_only_when_enabled(
    database_url: str,
    bot: Bot,
    db: Database,
    dp: Dispatcher,
    clock: Any,
    fake_session: Any,
    settings: Settings,
) -> None:
    await ask(settings, bot, db, dp, clock)
    assert not fake_session.calls_of("SendDocument", ADMIN_CHAT_ID)
    enabled = make_settings(database_url, report_monthly_post=True)
    await run_monthly(enabled, bot, db, dp["i18n"])
    documents = fake_session.calls_of("SendDocument", ADMIN_CHAT_ID)
    assert len(documents) == 1 and documents[0].method.document.filename == "report-20261201-20261231.xlsx"
    assert len(fake_session.calls_of("SendPhoto", ADMIN_CHAT_ID)) == 2
    async with db.session() as s:
        entry = await s.scalar(select(AuditLog).where(AuditLog.action == "report.export"))
    assert entry is not None and entry.actor_tg_id == 0
