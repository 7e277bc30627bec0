"""Staff dialogs on the form engine whose answers are plain messages in the admin chat.

A staff form (``Form(staff=True)``) takes text only as a reply to its dialog message, so a line to a
colleague is never taken as an answer. The broadcast and the digest news were typed as plain messages
in the admin chat before the engine existed, and staff still type them so: those forms are declared
with ``staff_chat_form`` (the same fields as ``Form``)."""

from __future__ import annotations

from functools import partial

from handlers.forms import Form

staff_chat_form = partial(Form, staff=True, replies_only=False)
