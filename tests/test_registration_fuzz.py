"""Randomised input into every registration state: no unhandled error, and the dialog stays put
unless the input was a valid answer."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.client import TgClient
from tests.test_registration import ORDER, walk_to

texts = st.text(min_size=0, max_size=600).filter(lambda t: not t.startswith("/"))
callback_data = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda f, v: f"reg:{f}:{v}",
        st.sampled_from(["name", "group", "org", "district", "news", "x"]),
        st.text(alphabet=st.characters(blacklist_characters=":"), max_size=20),
    ),
)


def valid_answers(step: str) -> set[str]:
    from services.users import DISTRICTS, TARGET_GROUPS

    return {
        "name": {"reg:name:keep"},
        "group": {f"reg:group:{g}" for g in TARGET_GROUPS},
        "org": {"reg:org:keep"},
        "district": {f"reg:district:{d}" for d in DISTRICTS},
        "phone": set(),
        "news": {"reg:news:0", "reg:news:1"},
    }[step]


@pytest.mark.parametrize("step", ORDER)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, data=callback_data)
async def test_random_input_never_breaks_a_step(client: TgClient, step: str, text: str, data: str) -> None:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    if await client.dp.storage.get_state(key) != f"Reg:{step}":
        await client.send("/cancel")
        await walk_to(client, step)
    await client.press_data(data)
    if await client.dp.storage.get_state(key) != f"Reg:{step}":  # junk buttons never move the dialog
        assert data in valid_answers(step), data
        return
    before = await client.dp.storage.get_data(key)
    if text.strip():
        await client.send(text)
    state = await client.dp.storage.get_state(key)
    if step in ("group", "district", "news"):
        assert state == f"Reg:{step}"  # only buttons answer these
    if state == f"Reg:{step}":
        after = await client.dp.storage.get_data(key)
        assert after.get("profile") == before.get("profile")  # nothing entered is lost or changed
