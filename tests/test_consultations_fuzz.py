"""Randomised input into every state of the consultation dialog: no unhandled error, the dialog moves
only on a valid answer, and nothing entered is lost."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Message
from hypothesis import given
from hypothesis import strategies as st

from keyboards.consultations import ConsultCb
from services import consultations as svc
from services import users as users_service
from services.errors import ValidationFailed
from tests.client import Press, TgClient
from tests.conftest import register
from tests.fuzz import examples, form_buttons, typed_texts, value_texts

pytestmark = pytest.mark.slow  # about half a minute; CI runs it (-m "slow or not slow")

STEPS = ("topic", "question", "org", "format", "time", "_preview", "write")

texts = typed_texts(max_size=400)
callback_data = st.one_of(
    st.text(max_size=64),
    # the dialog's own buttons (form engine), forged: fm:ConsultForm:<step>:<action>:<value>
    form_buttons(
        "ConsultForm",
        [*STEPS, "x"],
        ["p", "s", "ok", "e", "f", "x"],
        st.one_of(st.sampled_from(["keep", "none", "done", "chat", "any", "500"]), value_texts(12)),
    ),
    # the buttons of the person's requests, forged: cns:<action>:<id>:<v>
    st.builds(
        lambda action, number, value: f"cns:{action}:{number}:{value}",
        st.sampled_from(["write", "rate", "cancel_yes", "x"]),
        st.integers(min_value=500, max_value=10**6),
        value_texts(12),
    ),
)
# buttons that legitimately move the dialog on: (step, value) pressed on that step
MOVES = {("question", "keep"), ("org", "keep"), ("org", "none")}
MOVES |= {("format", code) for code in svc.FORMATS} | {("time", code) for code in svc.TIMES}


ANSWERS: list[tuple[str, str | Press]] = [  # (step, an answer that moves the dialog on from it)
    ("topic", Press("Гранты")),
    ("question", "Как оформить отчёт по гранту?"),
    ("org", Press("Сибирь")),
    ("format", Press("Онлайн")),
    ("time", Press("В любое время")),
]


async def walk_to(client: TgClient, step: str) -> None:
    if not getattr(client, "_registered", False):
        await register(client, group="Сотрудник СОНКО", organisation="АНО «Сибирь»")
        client._registered = True  # type: ignore[attr-defined]
    if step == "write":
        if not getattr(client, "_filed", False):
            await walk_to(client, "_preview")
            await client.press("Отправить заявку")
            client._filed = True  # type: ignore[attr-defined]
        await client.press_data(ConsultCb(action="write", id=1).pack())
        return
    await client.send("/consult")
    for here, answer in ANSWERS:
        if here == step:
            return
        await client.walk(answer)


def text_is_valid(step: str, text: str) -> bool:
    text = text.replace("\x00", "")  # NUL never reaches handlers (SanitizeMiddleware)
    try:
        if step == "question":
            svc.clean_question(text)
        elif step == "org":
            users_service.clean_organisation(text)
        elif step == "write":
            svc.clean_message(text)
        else:
            return False
    except ValidationFailed:
        return False
    return True


def dialog_message(client: TgClient, data: dict[str, Any]) -> Message | None:
    return client.session.messages.get(client.chat_id, {}).get(data.get("msg") or 0)


@pytest.mark.parametrize("step", STEPS)
@examples(8)
@given(text=texts, data=callback_data, sticker=st.booleans())
async def test_random_input_never_breaks_a_step(
    client: TgClient, step: str, text: str, data: str, sticker: bool
) -> None:
    expected = f"ConsultForm:{step}"
    if await client.step() != expected:
        await client.send("/cancel")
        await walk_to(client, step)
    assert await client.step() == expected
    before = await client.draft()

    # pressed on the dialog message itself, so the engine looks at it (elsewhere it is out of date)
    await client.press_data(data, dialog_message(client, await client.state_data()))
    if await client.step() != expected:
        parts = data.split(":")
        pressed = (parts[2], parts[4]) if data.startswith("fm:ConsultForm:") and len(parts) > 4 else None
        if step == "_preview" and pressed is not None and pressed[0] == step:
            assert parts[3] in ("ok", "e"), (step, data)  # «Отправить заявку», «Изменить поле»
            return
        assert pressed in MOVES and pressed[0] == step and parts[3] == "p", (step, data)
        return
    assert await client.draft() == before

    if sticker:
        await client.send_sticker()
        assert await client.step() == expected
        assert await client.draft() == before
    if text.strip():
        await client.send(text)
        if await client.step() != expected:
            assert text_is_valid(step, text), (step, text, await client.step())
        else:
            assert await client.draft() == before
