"""Randomised input into every state of the consultation dialog: no unhandled error, the dialog moves
only on a valid answer, and nothing entered is lost."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyboards.consultations import ConsultCb
from services import consultations as svc
from services import users as users_service
from services.errors import ValidationFailed
from tests.client import TgClient
from tests.conftest import register

pytestmark = pytest.mark.slow  # about half a minute; CI runs it (-m "slow or not slow")

STEPS = ("topic", "question", "files", "org", "format", "time", "confirm", "write")

texts = st.text(min_size=0, max_size=400).filter(lambda t: not t.startswith("/"))
callback_data = st.one_of(
    st.text(max_size=64),
    st.builds(
        # packed by hand: "x" is no action of ConsultCb, so the class would not build it
        lambda action, number, value: f"{ConsultCb.__prefix__}:{action}:{number}:{value}",
        st.sampled_from(["topic", "fmt", "time", "q_keep", "files_done", "org_keep", "org_none", "x"]),
        st.integers(min_value=500, max_value=10**6),
        st.text(alphabet=st.characters(blacklist_characters=":"), max_size=12),
    ),
)
# (step, callback action) pairs that legitimately move the dialog on
MOVES = {("files", "files_done"), ("org", "org_keep"), ("org", "org_none")}


def key_of(client: TgClient) -> StorageKey:
    return StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)


async def walk_to(client: TgClient, step: str) -> None:
    if not getattr(client, "_registered", False):
        await register(client, group="Сотрудник СОНКО", organisation="АНО «Сибирь»")
        client._registered = True  # type: ignore[attr-defined]
    if step == "write":
        if not getattr(client, "_filed", False):
            await walk_to(client, "confirm")
            await client.press("Отправить запрос")
            client._filed = True  # type: ignore[attr-defined]
        await client.press_data(ConsultCb(action="write", id=1).pack())
        return
    await client.send("/consult")
    if step == "topic":
        return
    await client.press("Гранты")
    if step == "question":
        return
    await client.send("Как оформить отчёт по гранту?")
    if step == "files":
        return
    await client.press("Дальше")
    if step == "org":
        return
    await client.press("Сибирь")
    if step == "format":
        return
    await client.press("Онлайн")
    if step == "time":
        return
    await client.press("В любое время")


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


@pytest.mark.parametrize("step", STEPS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, data=callback_data, sticker=st.booleans())
async def test_random_input_never_breaks_a_step(
    client: TgClient, step: str, text: str, data: str, sticker: bool
) -> None:
    key = key_of(client)
    expected = f"ConsultForm:{step}"
    if await client.dp.storage.get_state(key) != expected:
        await client.send("/cancel")
        await walk_to(client, step)
    assert await client.dp.storage.get_state(key) == expected
    before: dict[str, Any] = await client.dp.storage.get_data(key)

    await client.press_data(data)
    state = await client.dp.storage.get_state(key)
    if state != expected:
        action = data.split(":")[1] if data.startswith("cns:") else ""
        assert (step, action) in MOVES, (step, data, state)
        return
    assert await client.dp.storage.get_data(key) == before

    if sticker:
        await client.send_sticker()
        assert await client.dp.storage.get_state(key) == expected
        assert await client.dp.storage.get_data(key) == before
    if text.strip():
        await client.send(text)
        state = await client.dp.storage.get_state(key)
        if state != expected:
            assert text_is_valid(step, text), (step, text, state)
        elif step != "files":  # in «files» a text is added to the question
            assert await client.dp.storage.get_data(key) == before
