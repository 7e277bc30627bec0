"""Ports: what services need from outside the domain, as small interfaces the bot layer implements.

Services never import aiogram. To send a message they are handed a :class:`Notifier` (implemented by
``bot.delivery.telegram.TelegramNotifier``); to render texts they are handed a :class:`Translator`
(aiogram's ``I18n`` fits it as it is) or a plain ``Translate`` function; for the current time they take
``now`` or a clock (``db.clock``). Delivery failures come back as the errors below, never as aiogram's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Translate = Callable[[str], str]
"""gettext of the current locale: a locale key in, the text out."""


class Translator(Protocol):
    """The i18n object: texts in a locale chosen for a block (``with t.context(), t.use_locale(l):``)."""

    @property
    def available_locales(self) -> tuple[str, ...]: ...

    @property
    def default_locale(self) -> str: ...

    def context(self) -> AbstractContextManager[Any]: ...

    def use_locale(self, locale: str) -> AbstractContextManager[Any]: ...

    def gettext(
        self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None
    ) -> str: ...


@dataclass(frozen=True)
class Button:
    """One inline button: ``data`` is callback data (at most 64 bytes) or ``url`` a link."""

    text: str
    data: str | None = None
    url: str | None = None


Buttons = Sequence[Sequence[Button]]


class DeliveryError(Exception):
    """A message could not be delivered. ``message`` is the messenger's own words."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class RetryLater(DeliveryError):
    """The messenger asks to wait ``seconds`` before sending anything more (Telegram's 429)."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(DeliveryError):
    """The person blocked the bot, or the chat is gone: never retry."""


class Rejected(DeliveryError):
    """The request itself was refused (bad markup, text, a message that no longer exists): sending the
    same again cannot help."""


class Notifier(Protocol):
    """Sends messages on the bot's behalf (not replies to an update: those are the handlers')."""

    async def send(self, chat_id: int, text: str, buttons: Buttons | None = None) -> int:
        """Send an HTML text with inline buttons; returns the message id. Raises DeliveryError's kinds;
        anything else is a transient failure (network, server)."""
        ...


class BroadcastControl(Protocol):
    """What the staff's broadcast dialog needs of the running broadcast sender (bot.delivery)."""

    def wake(self) -> None: ...

    def stop_now(self, broadcast_id: int) -> None: ...


class SharedPace(Protocol):
    """The bot-wide send pace of every instance (bot.delivery.pace, in Redis): ``acquire`` returns at
    the caller's moment to send."""

    async def acquire(self) -> None: ...
