"""The conversation states of the person's side of consultations outside the /consult dialog (which
is a form-engine dialog, handlers/consultations/dialog.py)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ConsultForm(StatesGroup):
    write = State()  # a message to staff about an open request
    comment = State()  # a comment after rating
