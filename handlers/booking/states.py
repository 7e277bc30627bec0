"""The conversation states of booking: the resident's /book dialog and the staff's inputs."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Book(StatesGroup):
    resource = State()
    day = State()
    time = State()
    duration = State()
    purpose = State()
    confirm = State()


class StaffBook(StatesGroup):
    reject_reason = State()
    cancel_reason = State()
    guest_name = State()
    guest_phone = State()
    edit_value = State()
    new_name = State()
    guest_pick = State()  # choosing a time and length with buttons
