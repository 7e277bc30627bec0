"""What the reach report's parts share: the period, the reach figures and SQL helpers.

services.report (the reach), services.report_sections and services.report_showcase (the sections)
all import these from here, so none of them imports another in a circle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Period:
    code: str
    first: date
    """First local day, inclusive."""
    last: date
    """Last local day, inclusive."""
    start: datetime
    """UTC, inclusive."""
    end: datetime
    """UTC, exclusive (the midnight after ``last``)."""
    tz: ZoneInfo

    def contains(self, column: Any) -> ColumnElement[bool]:
        return (column >= self.start) & (column < self.end)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def hours_between(session: AsyncSession, later: Any, earlier: Any) -> Any:
    if dialect(session) == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return func.extract("epoch", later - earlier) / 3600.0


async def quantiles(
    session: AsyncSession, model: Any, value: Any, *where: Any
) -> tuple[int, float | None, float | None]:
    """(count, median, 90th percentile) of ``value`` over the rows of ``model`` matching ``where``;
    nearest-rank percentiles, each found by the database (ORDER BY value OFFSET rank-1)."""
    count = await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    if not count:
        return 0, None, None
    found: list[float | None] = []
    for q in (0.5, 0.9):
        rank = max(1, math.ceil(q * count))
        v = await session.scalar(select(value).where(*where).order_by(value).offset(rank - 1).limit(1))
        found.append(None if v is None else round(float(v), 1))
    return count, found[0], found[1]


@dataclass
class ReachRow:
    group: str
    target: int
    reached: int
    self_reported: int = 0
    """Service users only: the providers' offline recipients included in ``reached``."""

    @property
    def percent(self) -> float:
        return round(100.0 * self.reached / self.target, 1) if self.target else 0.0


@dataclass
class Reach:
    rows: list[ReachRow]
    by_district: dict[str, dict[str, int]] = field(default_factory=dict)
    """Group -> district -> people (partners and offline recipients have no district)."""
    people: int = 0
    """Distinct people reached in any way."""
    offline_answers: int = 0
    offline_unknown: int = 0
    offline_staff: int = 0


# --- a section of the report (services.report_sections, services.report_showcase) ---------------


class Key(str):
    """A label that is a locale key (translated when shown), as opposed to data."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Section:
    code: str
    figures: list[tuple[str, Any]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def value(self, key: str) -> Any:
        return dict(self.figures)[key]
