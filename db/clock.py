"""The one clock of the bot.

Every layer reads the current time here: handlers through the ``clock`` the dispatcher carries
(``dp["clock"]``), jobs through the scheduler's, services through the ``now`` they are given, and
model defaults and the ``now or utcnow()`` fallbacks through :func:`now`. All of them are the same
object: the clock installed in this process (the system clock unless something installed another).

It sits in db/, the lowest layer, because model column defaults read it too and imports flow
``bot -> handlers -> services -> db``.

Tests install a :class:`PinnedClock`: it starts at a chosen moment and runs on with the machine's
monotonic time, so a test sets the date and hour it needs (``clock.set(...)``) and timeouts, leases
and "due in five seconds" still behave, whatever the machine's date and hour are.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, tzinfo


class Clock:
    """The system clock: aware UTC times."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def local(self, tz: tzinfo) -> datetime:
        """The current time in ``tz`` (the Center's TIMEZONE)."""
        return self.now().astimezone(tz)

    def today(self, tz: tzinfo) -> date:
        return self.local(tz).date()


class PinnedClock(Clock):
    """A clock that starts at a given moment and then runs at the real pace."""

    def __init__(self, moment: datetime, *, frozen: bool = False) -> None:
        self.frozen = frozen
        self.set(moment)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("give an aware moment, e.g. datetime(..., tzinfo=ZoneInfo('Asia/Krasnoyarsk'))")
        self._moment = moment.astimezone(UTC)
        self._since = time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self._moment += delta

    def now(self) -> datetime:
        if self.frozen:
            return self._moment
        return self._moment + timedelta(seconds=time.monotonic() - self._since)


_clock: Clock = Clock()


def current() -> Clock:
    """The clock installed in this process."""
    return _clock


def install(clock: Clock) -> Clock:
    """Make ``clock`` the process's clock; returns the one it replaces (tests put it back)."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    """The current time, aware UTC, from the installed clock."""
    return _clock.now()
