"""The conversation states of the staff's inputs in booking (the resident's /book is a form-engine
dialog, handlers/booking/dialog.py)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StaffBook(StatesGroup):
    reject_reason = State()
    cancel_reason = State()
    guest_name = State()
    guest_phone = State()
    edit_value = State()
    new_name = State()
    guest_pick = State()  # choosing a time and length with buttons
