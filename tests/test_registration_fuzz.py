"""Randomised input into every registration state: no unhandled error, and the dialog stays put
unless the input was a valid answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.client import TgClient
from tests.fuzz import examples, form_buttons, typed_texts, value_texts
from tests.test_registration import ORDER, walk_to

texts = typed_texts(max_size=600)
callback_data = st.one_of(
    st.text(max_size=64),
    form_buttons("reg", ["name", "group", "org", "district", "news", "x"], ["p"], value_texts(20)),
)


def valid_answers(step: str) -> set[str]:
    from services.users import DISTRICTS, TARGET_GROUPS

    return {
        "name": {"fm:reg:name:p:keep"},
        "group": {f"fm:reg:group:p:{g}" for g in TARGET_GROUPS},
        "org": {"fm:reg:org:p:keep"},
        "district": {f"fm:reg:district:p:{d}" for d in DISTRICTS},
        "phone": set(),
        "news": {"fm:reg:news:p:0", "fm:reg:news:p:1"},
    }[step]


@pytest.mark.parametrize("step", ORDER)
@examples(15)
@given(text=texts, data=callback_data)
async def test_random_input_never_breaks_a_step(client: TgClient, step: str, text: str, data: str) -> None:
    if await client.step() != f"reg:{step}":
        await client.send("/cancel")
        await walk_to(client, step)
    # pressed on the dialog message itself (the phone step's keyboard is a reply keyboard: any message)
    message = client.find_button("Отмена")[0] if step != "phone" else None
    await client.press_data(data, message)
    if await client.step() != f"reg:{step}":  # junk buttons never move the dialog
        assert data in valid_answers(step), data
        return
    before = await client.draft()
    if text.strip():
        await client.send(text)
    state = await client.step()
    if step in ("group", "district", "news"):
        assert state == f"reg:{step}"  # only buttons answer these
    if state == f"reg:{step}":
        assert await client.draft() == before  # nothing entered is lost or changed
