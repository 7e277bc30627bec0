"""Broadcast buttons (staff side and the recipient's «Отписаться») and the staff-facing texts built
from figures (progress, report, history lines). No I/O."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import ActionId, button, row
from services import dates

FILTERS = ("group", "district", "interest", "source")
QUICK_TIMES = ("09:00", "10:00", "11:00", "12:00", "14:00", "16:00", "18:00", "19:00")


class BcAction(StrEnum):
    """Staff buttons that control a broadcast (building one is the form engine's)."""

    STOP = "stop"  # id: a broadcast
    RESUME = "resume"
    CANCEL = "cancel"


class BcCb(CallbackData, ActionId[BcAction], prefix="bc"):
    """Staff actions. ``id``: a broadcast. ``v``: a value."""

    v: str = ""


class UnsubAction(StrEnum):
    OFF = "off"  # unsubscribe
    ON = "on"  # subscribe again


class UnsubCb(CallbackData, ActionId[UnsubAction], prefix="bcu"):
    """The recipient's button under an announcement."""


# --- recipient ------------------------------------------------------------------------------------


def unsubscribe_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return row(button(_("broadcast.btn_unsubscribe"), UnsubCb(action=UnsubAction.OFF, id=broadcast_id)))


def resubscribe_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return row(button(_("broadcast.btn_resubscribe"), UnsubCb(action=UnsubAction.ON, id=broadcast_id)))


# --- staff: building a broadcast ------------------------------------------------------------------


def day_choices(today: date, days: int = 7) -> list[tuple[str, str]]:
    """(label, ISO date) for today and the next days: «Сегодня», «Завтра», «Пт 11.12»..."""
    items = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        if offset == 0:
            label = _("broadcast.today")
        elif offset == 1:
            label = _("broadcast.tomorrow")
        else:
            label = dates.day_text(day, _)
        items.append((label, day.isoformat()))
    return items


# --- staff: a broadcast's state -------------------------------------------------------------------


CONTROLS = {
    "running": (BcAction.STOP, "broadcast.btn_stop", "broadcast.btn_stop_n"),
    "stopped": (BcAction.RESUME, "broadcast.btn_resume", "broadcast.btn_resume_n"),
    "scheduled": (BcAction.CANCEL, "broadcast.btn_cancel_scheduled", "broadcast.btn_cancel_n"),
}
"""What can still be done with a broadcast in a status: the action, its button, its numbered button."""


def control_keyboard(broadcast_id: int, status: str) -> InlineKeyboardMarkup | None:
    """«Остановить» while running, «Продолжить» when stopped, «Отменить» while scheduled."""
    if status not in CONTROLS:
        return None
    action, key, _numbered = CONTROLS[status]
    return row(button(_(key), BcCb(action=action, id=broadcast_id)))


def history_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """One control button per broadcast that can still be stopped, resumed or cancelled."""
    rows = [
        [
            InlineKeyboardButton(
                text=_(CONTROLS[status][2]).format(id=broadcast_id),
                callback_data=BcCb(action=CONTROLS[status][0], id=broadcast_id).pack(),
            )
        ]
        for broadcast_id, status in items
        if status in CONTROLS
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def progress_bar(done: int, total: int, width: int = 10) -> str:
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "▓" * filled + "░" * (width - filled)


def local(moment: datetime, tz: ZoneInfo, fmt: str | None = None) -> str:
    """«пт, 5 декабря, 14:00» (the bot's one date style), or ``moment`` in ``fmt`` («14:00»)."""
    if fmt is None:
        return dates.moment_text(moment, tz, _)
    return moment.astimezone(tz).strftime(fmt)


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("broadcast.dur_h").format(h=hours, m=minutes)
    if minutes:
        return _("broadcast.dur_m").format(m=minutes, s=sec)
    return _("broadcast.dur_s").format(s=sec)


def escape(text: str | None) -> str:
    return html.escape(text or "")


STATUS_KEYS = {
    "stopped": "broadcast.stopped_status",
    "done": "broadcast.done_status",
    "failed": "broadcast.failed_status",
    "cancelled": "broadcast.cancelled_status",
}


def status_text(
    broadcast_id: int, status: str, counts: Any, *, tz: ZoneInfo, rate: float, now: datetime
) -> str:
    """The progress message: figures and the estimated end while running, the outcome afterwards.
    ``counts`` has sent, blocked, failed, pending, done and total; ``rate`` is messages a second."""
    values = {
        "id": broadcast_id,
        "sent": counts.sent,
        "total": counts.total,
        "blocked": counts.blocked,
        "failed": counts.failed,
        "left": counts.pending,
    }
    if status != "running":
        return _(STATUS_KEYS.get(status, "broadcast.done_status")).format(**values)
    eta_seconds = counts.pending / max(rate, 0.1)
    return _("broadcast.progress").format(
        bar=progress_bar(counts.done, counts.total),
        percent=0 if not counts.total else round(100 * counts.done / counts.total),
        eta=local(now + timedelta(seconds=eta_seconds), tz, "%H:%M"),
        eta_in=duration(eta_seconds),
        **values,
    )
