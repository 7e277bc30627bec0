"""One date style everywhere: «пт, 5 декабря, 14:00–16:00», the year only when it is not this one
(the clock's), weekday abbreviations in one case; texts filled from settings, not hard-coded."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.i18n import create_i18n
from db.models import Event
from services import dates
from services import events as ev
from tests.conftest import TZ, local, register

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ru():
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        yield i18n.gettext


def test_day_in_this_year_and_another(ru, clock) -> None:
    # the clock stands on Wednesday 9 December 2026
    assert dates.day_text(date(2026, 12, 11), ru) == "пт, 11 декабря"
    assert dates.day_text(date(2027, 1, 8), ru) == "пт, 8 января 2027"
    assert dates.day_text(date(2025, 12, 31), ru) == "ср, 31 декабря 2025"
    clock.set(local(2027, 1, 2, 9, 0))
    assert dates.day_text(date(2027, 1, 8), ru) == "пт, 8 января"
    assert dates.day_text(date(2026, 12, 11), ru) == "пт, 11 декабря 2026"


def test_moments_and_spans(ru) -> None:
    start = datetime(2026, 12, 25, 7, 0, tzinfo=UTC)  # 14:00 in Krasnoyarsk
    assert dates.moment_text(start, TZ, ru) == "пт, 25 декабря, 14:00"
    assert dates.span_text(start, start + timedelta(hours=2), TZ, ru) == "пт, 25 декабря, 14:00–16:00"
    assert (
        dates.span_text(start, start + timedelta(days=1), TZ, ru)
        == "пт, 25 декабря, 14:00 – сб, 26 декабря, 14:00"
    )
    # late in the evening UTC is already the next day in Krasnoyarsk
    assert dates.moment_text(datetime(2026, 12, 24, 20, 30, tzinfo=UTC), TZ, ru) == "пт, 25 декабря, 03:30"


def test_english(clock) -> None:
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("en"):
        assert dates.day_text(date(2026, 12, 11), i18n.gettext) == "Fri, December 11"
        assert dates.day_text(date(2027, 1, 8), i18n.gettext) == "Fri, January 8, 2027"


def test_weekdays_in_one_case(ru) -> None:
    names = ru("dates.weekdays").split(",")
    assert names == ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
    assert dates.on_weekday("fri", ru) == "в пятницу" and dates.on_weekday("tue", ru) == "во вторник"
    from babel.messages.pofile import read_po

    lists = []
    for path in (ROOT / "locales" / "ru" / "LC_MESSAGES").glob("*.po"):
        with path.open("rb") as fp:
            lists += [m.id for m in read_po(fp, locale="ru") if re.match(r"(?i)пн\s*,\s*вт", str(m.string))]
    assert lists == ["dates.weekdays"]  # one list of weekday names, one case


def test_events_use_the_one_style(ru) -> None:
    event = Event(
        title="t",
        starts_at=datetime(2026, 12, 25, 7, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 25, 9, 30, tzinfo=UTC),
    )
    assert ev.fmt_when(event, gettext=ru) == "пт, 25 декабря, 14:00–16:30"
    assert ev.fmt_dt(event.starts_at, gettext=ru) == "пт, 25 декабря, 14:00"


# Numeric dates that stay, each with its reason: typed-input examples, a report's period heading.
NUMERIC_ALLOWED = {
    "handlers/events/form_steps.py",  # the example of what to type: «16.12.2026 14:00»
    "handlers/showcase/trial.py",  # the example of what to type
    "handlers/booking/admin.py",  # the staff's 30-day figures heading «11.11–09.12.2026»
    "handlers/report/delivery.py",  # the report's period, as in the workbook
}


def test_screens_format_dates_through_services_dates() -> None:
    """No handler or keyboard writes a day as «05.12» outside the few places listed above."""
    found = []
    for folder in ("handlers", "keyboards"):
        for path in (ROOT / folder).rglob("*.py"):
            name = str(path.relative_to(ROOT))
            if name not in NUMERIC_ALLOWED and re.search(r"%d\.%m", path.read_text(encoding="utf-8")):
                found.append(name)
    assert not found


# --- through the dispatcher -------------------------------------------------------------------------


async def test_event_card_shows_the_one_style(client_factory, staff, db) -> None:
    from tests.test_events import create_via_dialog

    start = local(2026, 12, 11, 14, 0)
    await create_via_dialog(staff, start)
    await staff.press("📢 Опубликовать", exact=True)
    anna = client_factory(2001, first_name="Анна")
    await register(anna)
    await anna.send("/events")
    await anna.press("1. Школа НКО")
    assert "пт, 11 декабря, 14:00–15:30" in anna.last_text
    assert "11.12.2026" not in anna.last_text


@pytest.mark.parametrize(
    ("code", "shown"), [("mon", "до встречи в понедельник"), ("fri", "до встречи в пятницу")]
)
async def test_digest_resubscribed_names_the_digest_day(client, settings, code: str, shown: str) -> None:
    from keyboards.settings import DigestCb

    settings.digest_day = code
    await register(client)
    await client.press_data(DigestCb(action="on").pack())
    assert shown in client.alerts()[-1]


def test_limits_in_texts_come_from_the_code() -> None:
    """A length limit or a number of days is a placeholder filled from the constant or setting, never a
    figure typed into the text (the check-in code's fixed six characters aside)."""
    from babel.messages.pofile import read_po

    typed = re.compile(r"(?<![\d{])\d+\s+(?:символ|знак|дн|дня|дней)", re.I)
    allowed = {"events.ask_code", "events.hint_code", "events.staff_figures", "booking.adm_btn_figures"}
    allowed |= {"events.deadline_4320"}  # a fixed choice, named by its value
    found = []
    for path in sorted((ROOT / "locales" / "ru" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            for message in read_po(fp, locale="ru"):
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                texts = message.string if isinstance(message.string, tuple) else (message.string,)
                if key and key not in allowed and any(typed.search(str(t)) for t in texts):
                    found.append(key)
    assert not found


async def test_chat_limit_comes_from_the_constant(client) -> None:
    from handlers.showcase import chat

    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        text = chat.plural(i18n.gettext, "showcase.write_too_long", chat.TEXT_MAX)
    assert text == f"Слишком длинно: можно до {chat.TEXT_MAX} знаков. Сократите, пожалуйста."


def test_a_moment_in_a_domain_error_is_dated(ru) -> None:
    from handlers.common import error_text
    from services.errors import NotAllowed

    text = error_text(NotAllowed("events.err_deadline", deadline=datetime(2026, 12, 25, 7, 0, tzinfo=UTC)))
    assert "пт, 25 декабря, 14:00" in text and "{" not in text
