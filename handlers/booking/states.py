"""The conversation states of the staff's inputs in booking (the resident's /book is a form-engine
dialog, handlers/booking/dialog.py)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StaffBook(StatesGroup):
    # Reasons for refusing or cancelling a booking are replies to the bot's prompt (handlers/staff_input.py),
    # not states of their own.
    guest_name = State()
    guest_phone = State()
    edit_value = State()
    new_name = State()
    guest_pick = State()  # choosing a time and length with buttons
