"""Calendar files (.ics, RFC 5545) for one event: bookings, consultations, events reuse this.

    data = ics.event_ics(uid="booking-42@ccbot", start=..., end=..., summary="Коворкинг",
                         location="с. Краснотуранск, ул. Ленина, 22А", description="Место 1")
    await message.answer_document(BufferedInputFile(data, filename=ics.filename("booking", 42)))

Times must be timezone-aware; they are written in UTC (every calendar app converts them to local).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from db import clock

PRODID = "-//Community Center bot//ccbot//RU"


def event_ics(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    location: str | None = None,
    description: str | None = None,
    stamp: datetime | None = None,
    alarm_minutes: int | None = None,
    cancelled: bool = False,
) -> bytes:
    """One VEVENT in a VCALENDAR, as bytes ready to send as a document.

    ``uid`` must be stable per object (e.g. ``booking-42@<bot>``) so that a calendar app updates
    the event instead of duplicating it; ``cancelled=True`` produces a METHOD:CANCEL file for it.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    if end <= start:
        raise ValueError("an event must end after it starts")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", (stamp or clock.now()).astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if alarm_minutes and not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -timedelta(minutes=alarm_minutes))
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()


def filename(kind: str, object_id: int | str) -> str:
    return f"{kind}-{object_id}.ics"
