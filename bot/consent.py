"""The consent gate (152-ФЗ): when POLICY_VERSION rises, a person whose last consent is older is asked
again at their next action, with what changed in one sentence. Until they agree only /privacy, /help and
«О Центре» (and the consent and privacy buttons themselves) work.

The last consent is read from the consent log (one indexed query) on every gated update; on SQLite,
where one process owns the database, it is cached per person until this process writes the log (see
db.cache), so a consent or a withdrawal still takes effect at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.cache import MISSING, TableCache
from db.models import ConsentLog, User
from keyboards.broadcasts import UnsubCb
from keyboards.firstcontact import FirstCb
from keyboards.menu import MenuCb
from keyboards.privacy import PrivacyCb
from keyboards.registration import ConsentCb, reconsent_keyboard
from keyboards.settings import DigestCb
from services.consent import GATED_STATUSES, LastConsent, last_consent_state, needs_consent

OPEN_COMMANDS = frozenset({"privacy", "help", "about"})
OPEN_MENU = frozenset({"privacy", "help", "about", "more", "home"})


def allowed_without_consent(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        text = (event.text or "").strip()
        if not text.startswith("/"):
            return False
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return command in OPEN_COMMANDS
    if isinstance(event, CallbackQuery):
        data = event.data or ""
        prefix = data.split(":", 1)[0]
        # consent and privacy buttons, and turning mailings off (never held back by a pending consent)
        consent = (ConsentCb.__prefix__, FirstCb.__prefix__)  # «Даю согласие» records the current version
        if prefix in (*consent, PrivacyCb.__prefix__, UnsubCb.__prefix__, DigestCb.__prefix__):
            return True
        if prefix == MenuCb.__prefix__:
            return data.partition(":")[2] in OPEN_MENU
    return False


class ConsentCache(TableCache):
    """Each person's last consent (LastConsent, or None: no consent recorded) by user id. A consent or
    a withdrawal this process records drops only that person's entry, and after the commit the entry
    holds the new last consent (write-through, see db.cache)."""

    key_columns = ("user_id",)

    def __init__(self, database: object | None = None) -> None:
        super().__init__(ConsentLog.__tablename__)
        self.database = database

    async def load(self, session: Any, row: tuple[str, Any]) -> list[tuple[Any, Any]]:
        kind, user_id = row
        if kind != "key":
            return []
        return [(user_id, await last_consent_state(session, user_id))]


class ConsentGate(BaseMiddleware):
    def __init__(self, policy_version: str, policy_changes: str, cache: TableCache | None = None) -> None:
        self.policy_version = policy_version
        self.policy_changes = policy_changes
        self.cache = cache

    async def _last(self, session: AsyncSession, user_id: int) -> LastConsent | None:
        """The person's last consent; from the cache when one process owns the database (SQLite): any
        write to consent_log by this process (a consent, a withdrawal) drops it, so both act at once."""
        if self.cache is None:
            return await last_consent_state(session, user_id)
        cached = self.cache.get(user_id)
        if cached is MISSING:
            if session.in_transaction() and not session.info.get("write"):
                # End the read snapshot this update began (reading the person): a consent committed
                # since would be missing from it, and what is read now is kept under a newer generation.
                await session.commit()
            generation = self.cache.generation
            cached = await last_consent_state(session, user_id)
            self.cache.store(user_id, cached, generation)
        return cached

    @staticmethod
    def passes(user: User | None, event: TelegramObject) -> bool:
        """True when the gate lets ``event`` through whatever the person's last consent was."""
        message = event.message if isinstance(event, CallbackQuery) else event
        return (
            user is None
            or user.status not in GATED_STATUSES
            or not isinstance(message, Message)
            or message.chat.type != "private"
            or allowed_without_consent(event)
        )

    def asks_from_memory(self, user: User | None, event: TelegramObject) -> bool | None:
        """Would the gate ask ``user`` for consent instead of handling ``event``? None when that needs
        the database (no cache, or the person's last consent is not cached)."""
        if self.passes(user, event):
            return False
        assert user is not None
        cached: object = MISSING if self.cache is None else self.cache.get(user.id)
        if cached is MISSING or not (cached is None or isinstance(cached, LastConsent)):
            return None
        return needs_consent(cached, self.policy_version)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("user")
        if self.passes(user, event):
            return await handler(event, data)
        assert user is not None
        message = event.message if isinstance(event, CallbackQuery) else event
        assert isinstance(message, Message)
        session: AsyncSession = data["session"]
        if not needs_consent(await self._last(session, user.id), self.policy_version):
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            await event.answer()
        changes = self.policy_changes or _("consent.reask_changes_default")
        await message.answer(
            _("consent.reask").format(version=self.policy_version, changes=changes),
            reply_markup=reconsent_keyboard(),
        )
        return None


def install(
    dp: Dispatcher,
    policy_version: str,
    policy_changes: str,
    *,
    sqlite: bool = False,
    database: object | None = None,
) -> ConsentGate:
    """After the locale middleware, so the question is asked in the person's language. On SQLite (one
    process owns the database) the last consent is cached per person until this process writes the log."""
    cache = ConsentCache(database) if sqlite else None
    gate = ConsentGate(policy_version, policy_changes, cache)
    dp.message.outer_middleware(gate)
    dp.callback_query.outer_middleware(gate)
    return gate
