"""Moved to handlers/report (the staff side is ``create_admin_router``); kept for handlers.admin and
bot.scheduler."""

from handlers.report.admin import create_router
from handlers.report.delivery import post_monthly
from handlers.report.views import parse_dates

__all__ = ["create_router", "parse_dates", "post_monthly"]
