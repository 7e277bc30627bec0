"""Limits against flooding the staff (issue #14): each is refused with a clear sentence."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Consultation, User
from db.models.showcase import CardStatus, ServiceCard, TrialApplication
from services import showcase as showcase_svc
from services.errors import Conflict
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID
from tests.test_consultations import admin_texts, file_request, registered


async def test_open_consultation_requests_are_limited_per_person(
    client: TgClient, db: Any, fake_session: Any
) -> None:
    """The probe: 12 consultation requests in a row made 12 cards in the admin chat."""
    await registered(client)
    for _ in range(3):
        await file_request(client, document=False)
    cards_before = len(admin_texts(fake_session))
    await file_request(client, document=False)
    assert "сколько можно одновременно (3)" in client.last_text
    assert "/my" in client.last_text
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Consultation)) == 3
    assert len(admin_texts(fake_session)) == cards_before  # no fourth card for the staff
    assert fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)


async def _provider(db: Any, tg_id: int) -> None:
    async with db.session() as s:
        s.add(
            User(
                tg_id=tg_id,
                full_name="Поставщик",
                status="registered",
                organisation="АНО Ромашка",
                target_group="nko_staff",
            )
        )
        await s.commit()


async def test_cards_waiting_for_moderation_are_limited_per_provider(db: Any) -> None:
    await _provider(db, 8801)
    async with db.session() as s:
        await showcase_svc.ensure_categories(s)
        category = (await showcase_svc.categories(s))[0]
        provider = await s.scalar(select(User).where(User.tg_id == 8801))
        for i in range(5):
            s.add(
                ServiceCard(
                    provider_id=provider.id,
                    status=CardStatus.PENDING,
                    title=f"Карточка {i}",
                    organisation="АНО",
                    description="x" * 30,
                    districts=["krasnoturansky"],
                    format="online",
                    category_id=category.id,
                )
            )
        await s.commit()
    async with db.session() as s:
        with pytest.raises(Conflict) as refused:
            await showcase_svc._check_pending_limit(s, provider.id, 5)
        assert refused.value.key == "showcase.err_pending_limit"
        await showcase_svc._check_pending_limit(s, provider.id, 6)  # within a higher limit it passes


async def test_trial_office_applications_waiting_are_limited_to_one(db: Any, clock: Any) -> None:
    await _provider(db, 8802)
    today = date(2026, 12, 9)

    def apply(s: Any, in_days: int, text: str) -> Any:
        """A two-day trial of the office ``in_days`` from today."""
        start = today + timedelta(days=in_days)
        return showcase_svc.create_trial(s, 8802, start, start + timedelta(days=2), text, today)

    async with db.session() as s:
        await apply(s, 7, "Пробный месяц в офисе для проекта")
    async with db.session() as s:
        with pytest.raises(Conflict) as refused:
            await apply(s, 14, "Ещё одна заявка на офис")
        assert refused.value.key == "showcase.trial_too_many"
        assert await s.scalar(select(func.count()).select_from(TrialApplication)) == 1
