"""/my: the button of each section (each feature handles its own section)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MySection(StrEnum):
    BOOKINGS = "bookings"
    IDEAS = "ideas"
    CONSULT = "consult"
    EVENTS = "events"
    SHOWCASE_REQUESTS = "sc_req"
    SHOWCASE_SERVICES = "sc_prov"


class MyCb(CallbackData, prefix="my"):
    section: MySection
