"""Texts and parsing shared by the report's staff side and the providers' offline-recipients question."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.showcase import ServiceCard
from services import report_offline as offline

DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")


def parse_dates(text: str) -> tuple[date, date] | None:
    """Two dates typed as ДД.ММ.ГГГГ (in any order, any separator); None if not exactly two valid ones."""
    found = DATE.findall(text or "")
    if len(found) != 2:
        return None
    try:
        days = sorted(date(int(y), int(m), int(d)) for d, m, y in found)
    except ValueError:
        return None
    if days[0].year < 2000 or days[1].year > 2100:
        return None
    return days[0], days[1]


def question_text(card: ServiceCard, month: Any, value: int | None) -> str:
    params = offline.question_params(card, month)
    params["month"] = _(params["month"]["t"])
    text = _("report.offline_ask").format(**params)
    return text + _("report.offline_typed").format(value=value) if value is not None else text


async def offline_overview(session: AsyncSession, month: Any) -> str:
    lines = [_("report.offline_overview").format(month=f"{month:%m.%Y}")]
    for card, row in await offline.month_answers(session, month):
        if row is None:
            value = _("report.offline_no_answer")
        elif row.count is None:
            value = _("report.offline_dont_know")
        else:
            value = str(row.count) + (_("report.offline_by_staff") if row.source == "staff" else "")
        lines.append(f"#{card.id} {html.escape(card.title)} ({html.escape(card.organisation)}): {value}")
    lines.append(_("report.offline_fix_usage"))
    return "\n".join(lines)
