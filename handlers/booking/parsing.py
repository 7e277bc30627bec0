"""What staff type into booking: dates ("31.12"), opening hours ("пн 09:00-18:00"), closed days."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from services import booking as svc
from services.errors import ValidationFailed

WEEKDAY_NAMES = {
    "пн": 1, "вт": 2, "ср": 3, "чт": 4, "пт": 5, "сб": 6, "вс": 7,
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
}  # fmt: skip
HOURS_LINE = re.compile(
    r"^\s*(\S+)\s+(?:(\d{1,2}[:.]\d{2})\s*[-–—]\s*(\d{1,2}[:.]\d{2})|[-–—]|закрыто|closed)\s*$", re.I
)
DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2,4}))?")


def parse_staff_date(text: str, today: date) -> date:
    """ "31.12", "31.12.2026" or "31.12.26"; a day without a year is the next such day from today."""
    match = DATE_RE.fullmatch(text.strip())
    if match is None:
        raise ValidationFailed("booking.err_date")
    day, month, year = int(match[1]), int(match[2]), match[3]
    try:
        if year:
            value = int(year) + (2000 if len(year) == 2 else 0)
            return date(value, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today - timedelta(days=31) else date(today.year + 1, month, day)
    except ValueError as exc:
        raise ValidationFailed("booking.err_date") from exc


def parse_hours(text: str, current: dict[str, Any]) -> dict[str, Any]:
    """Lines like "пн 09:00-18:00" or "сб -" (closed), merged into the current hours."""
    hours = dict(current)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValidationFailed("booking.err_res_hours")
    for line in lines:
        match = HOURS_LINE.match(line)
        if match is None:
            raise ValidationFailed("booking.err_res_hours")
        name = match[1].lower().rstrip(".,:")
        weekday = WEEKDAY_NAMES.get(name) or (int(name) if name.isdigit() and 1 <= int(name) <= 7 else None)
        if weekday is None:
            raise ValidationFailed("booking.err_res_hours")
        if match[2]:
            hours[str(weekday)] = [match[2].replace(".", ":").zfill(5), match[3].replace(".", ":").zfill(5)]
        else:
            hours.pop(str(weekday), None)
    try:
        return svc._validated_hours(hours)
    except (ValueError, IndexError) as exc:
        raise ValidationFailed("booking.err_res_hours") from exc


def toggle_closed_dates(text: str, current: list[str], today: date) -> list[str]:
    """Each date named in ``text`` is closed if it was open and opened if it was closed; dates older
    than a year are dropped."""
    days = set(current)
    for part in re.split(r"[\s,;]+", text):
        if part:
            days ^= {parse_staff_date(part, today).isoformat()}
    return sorted(d for d in days if date.fromisoformat(d) >= today - timedelta(days=366))


def parse_number(text: str, field_name: str) -> int:
    if not re.fullmatch(r"\d{1,6}", text):
        low, high = svc.NUMERIC_FIELDS[field_name]
        raise ValidationFailed("booking.err_res_range", low=low, high=high)
    return int(text)
