"""The form engine: a dialog is declared as steps; the engine gives every dialog the same behaviour.

A :class:`Form` is a name and a tuple of :class:`Step`. Each step fills one field of the *draft* (a
dict kept in the FSM data, so it survives a restart with the SQL or Redis storage) from a button
(``choices`` → ``pick``) or from a message (``parse``). The engine owns everything around that:

- one dialog message, edited in place from step to step; when the person answers by typing, the next
  prompt is a new message and the old one loses its buttons (an old step's buttons stop working: a
  press for another step than the current one is «out of date»);
- «Назад» and «Отмена» on every step (and «Пропустить» on optional steps); «Назад» on the first step
  leaves the dialog through ``Form.on_exit`` (the menu by default);
- bad input (a validator's ``ValidationFailed``, a sticker where text is expected, text where a
  button is expected) gets a hint and the same prompt again; nothing entered is lost;
- a command in the middle of a dialog gets a hint (``create_guard_router``), except /start, /cancel
  and /help, which keep their meaning;
- a form with ``preview`` ends in a confirmation: the preview, «Подтвердить», «Изменить поле» (a list
  of the steps; the chosen one is asked again and the preview comes back), «Назад», «Отмена»;
- a step answered several times before it is left (toggling districts) returns ``STAY`` from its
  ``pick``/``parse`` after changing the draft itself: the same step is shown again;
- ``finish`` gets the draft; a ``DomainError`` from it is shown and the person stays where they were.

Extensions (booking, consultations): ``Step.rows`` lays the buttons out itself (a calendar);
``Reask`` from ``parse``/``pick`` keeps the dialog going with a note (a file added, a month flipped,
a time gone: back to another step).

State: the FSM state is ``form:<name>``; the data holds ``{"form", "step", "draft", "msg", "single",
"extra"}``. Staff forms (``staff=True``) run in the admin chat and take text only as a reply to the
dialog message, so a line to a colleague is never taken as an answer.

A feature declares its forms in its package and includes ``router_for(form)`` in its router (a
resident's dialog with a command and a main-menu button: ``register_dialog``); the dialog is started
with ``await start(form, event, state, data)`` from any handler.

Steps of the common kinds are built with the helpers of ``handlers/forms/steps.py``: ``coded``
(buttons from a list of codes), ``typed`` (a text through a validator), ``text_step`` (a typed text
with a length limit), ``ticked`` and ``toggled`` (a choice of several).
"""

from handlers.forms.flow import accept, back, cancel, exit_form, hint, restart_prompt, start
from handlers.forms.model import (
    FIELDS,
    PREVIEW,
    STAY,
    Form,
    FormAction,
    FormCb,
    FormContext,
    Reask,
    Step,
    WrongKind,
    text_of,
)
from handlers.forms.router import create_guard_router, register_dialog, router_for
from handlers.forms.steps import coded, text_step, ticked, toggled, typed
from handlers.forms.view import ask, choices_of, drop_buttons

__all__ = [
    "FIELDS",
    "PREVIEW",
    "STAY",
    "Form",
    "FormAction",
    "FormCb",
    "FormContext",
    "Reask",
    "Step",
    "WrongKind",
    "accept",
    "ask",
    "back",
    "cancel",
    "choices_of",
    "coded",
    "create_guard_router",
    "drop_buttons",
    "exit_form",
    "hint",
    "register_dialog",
    "restart_prompt",
    "router_for",
    "start",
    "text_of",
    "text_step",
    "ticked",
    "toggled",
    "typed",
]
