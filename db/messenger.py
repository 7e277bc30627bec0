"""Which messenger a person is in: people are keyed by (messenger, id), so a MAX id never meets a Telegram
id of the same number.

The messenger of the update being handled is ambient (a context variable set by bot.middlewares'
MessengerMiddleware before anything reads the person), so the many ``by_tg_id`` lookups of services keep
their signatures: each reads ``current()``. Code that works for another person (the outbox, staff answers)
takes the person's own ``User.messenger``."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar

TELEGRAM = "telegram"
MAX = "max"
MESSENGERS = (TELEGRAM, MAX)

_current: ContextVar[str] = ContextVar("messenger", default=TELEGRAM)


def current() -> str:
    """The messenger of the update being handled (Telegram outside any update)."""
    return _current.get()


@contextmanager
def using(messenger: str) -> Generator[None, None, None]:
    """Handle what runs inside as coming from ``messenger``."""
    token = _current.set(messenger)
    try:
        yield
    finally:
        _current.reset(token)


def owns_storage_key(key: str) -> bool:
    """Whether a conversation-state key (``fsm:[<messenger>:]<chat>:…``, bot.storage.MessengerKeyBuilder)
    belongs to the current messenger's people: Telegram's keys carry no messenger."""
    parts = key.split(":")
    tag = parts[1] if len(parts) > 1 and parts[1] in MESSENGERS else TELEGRAM
    return tag == current()
