"""Leases of scheduled jobs: with several bot processes on one database, each job runs once per moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class JobLease(Base):
    """Who runs a job for its current moment, until when, and whether it finished.

    ``moment`` is the job's scheduled moment as a sortable UTC string (``2026-12-07T03:00``): a later
    moment may be claimed at once; the same moment only when its holder's lease ran out unfinished."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    moment: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(100))
    until: Mapped[datetime]
    done_at: Mapped[datetime | None]
