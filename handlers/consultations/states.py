"""The conversation states of the person's side of consultations."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ConsultForm(StatesGroup):
    topic = State()
    question = State()
    files = State()
    org = State()
    format = State()
    time = State()
    confirm = State()
    write = State()  # a message to staff about an open request
    comment = State()  # a comment after rating
