"""One date style for the whole bot: «пт, 5 декабря, 14:00–16:00».

The weekday is a lower-case abbreviation, the month is in words, the year is added only when it is not
the current one (the clock's ``now`` in the display zone). Every screen, reminder and card formats dates
through these functions with the gettext of the reader's language (words from locales/*/numbers.po);
no aiogram here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from db.base import utcnow

Gettext = Callable[[str], str]

_zone = ZoneInfo("Asia/Krasnoyarsk")


def set_zone(tz: ZoneInfo) -> None:
    """The Center's zone (settings.tz), for dates that reach a text without settings (a domain error's
    values); set when the bot is wired."""
    global _zone
    _zone = tz


def zone() -> ZoneInfo:
    return _zone


WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday codes as settings spell them (``DIGEST_DAY=mon``)."""


def weekday_index(code: str) -> int:
    """``"mon"`` (or ``"Monday"``) -> 0; an unknown code is Monday."""
    short = code.lower()[:3]
    return WEEKDAY_CODES.index(short) if short in WEEKDAY_CODES else 0


def on_weekday(code: str, gettext: Gettext) -> str:
    """«в понедельник», «во вторник»: the day a weekly thing happens, from its setting."""
    return gettext("dates.on_weekday").split(",")[weekday_index(code)]


def _today(tz: ZoneInfo | None, now: datetime | None) -> date:
    moment = now or utcnow()
    return moment.astimezone(tz).date() if tz is not None else moment.date()


def day_text(day: date, gettext: Gettext, today: date | None = None) -> str:
    """«пт, 5 декабря»; «пт, 5 декабря 2027» when the day is not in ``today``'s year."""
    weekdays = gettext("dates.weekdays").split(",")
    months = gettext("dates.months").split(",")
    this_year = (today or _today(None, None)).year
    key = "dates.day" if day.year == this_year else "dates.day_year"
    return gettext(key).format(
        weekday=weekdays[day.weekday()], day=day.day, month=months[day.month - 1], year=day.year
    )


def moment_text(moment: datetime, tz: ZoneInfo, gettext: Gettext, now: datetime | None = None) -> str:
    """«пт, 5 декабря, 14:00» in the zone ``tz``."""
    local = moment.astimezone(tz)
    return f"{day_text(local.date(), gettext, _today(tz, now))}, {local:%H:%M}"


def span_text(
    start: datetime, end: datetime | None, tz: ZoneInfo, gettext: Gettext, now: datetime | None = None
) -> str:
    """«пт, 5 декабря, 14:00–16:00»; across days «пт, 5 декабря, 14:00 – сб, 6 декабря, 10:00»."""
    if end is None:
        return moment_text(start, tz, gettext, now)
    first, last = start.astimezone(tz), end.astimezone(tz)
    if first.date() == last.date():
        return f"{moment_text(start, tz, gettext, now)}–{last:%H:%M}"
    return f"{moment_text(start, tz, gettext, now)} – {moment_text(end, tz, gettext, now)}"


def days_text(first: date, last: date, gettext: Gettext, today: date | None = None) -> str:
    """«пт, 5 декабря – вс, 7 декабря»: a span of whole days."""
    if first == last:
        return day_text(first, gettext, today)
    return f"{day_text(first, gettext, today)} – {day_text(last, gettext, today)}"
